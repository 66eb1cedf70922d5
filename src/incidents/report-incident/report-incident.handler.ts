import { UnprocessableEntityException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { IncidentCreated } from '../events/incident-created.event.js';
import { incidentView } from '../incident.view.js';
import { IncidentsRepository } from '../incidents.repository.js';
import { ReportIncident, type ReportIncidentResult } from './report-incident.command.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';

const SCOPE = 'POST /incidents';

// Canonical JSON (sorted keys), so the same body with keys in another order is the same request.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Writes the incident, its Idempotency-Key claim and the IncidentCreated event in one
 * transaction. Concurrent requests with one key serialise on the key's primary key: the
 * second waits for the first to commit and then returns the first's incident.
 */
@CommandHandler(ReportIncident)
export class ReportIncidentHandler implements ICommandHandler<ReportIncident> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
    private readonly eventBus: EventBus,
  ) {}

  execute({ tenantId, input, idempotencyKey, origin }: ReportIncident): Promise<ReportIncidentResult> {
    return this.tx.run(async () => {
      const id = uuidv7();
      if (idempotencyKey) {
        const requestHash = createHash('sha256').update(canonical(input)).digest('hex');
        const claimed = await this.tx.query(
          `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING key`,
          [tenantId, SCOPE, idempotencyKey, requestHash, id],
        );
        if (claimed.length === 0) {
          const [earlier] = await this.tx.query<{ request_hash: string; resource_id: string }>(
            `SELECT request_hash, resource_id FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
            [tenantId, SCOPE, idempotencyKey],
          );
          if (earlier.request_hash !== requestHash) {
            throw new UnprocessableEntityException('this Idempotency-Key was already used with a different request body');
          }
          const incident = await this.incidents.find(tenantId, earlier.resource_id);
          return { incident: incidentView(incident!), replayed: true, deduplicated: false };
        }
      }
      const now = new Date();
      const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
      const fingerprint = origin.fingerprint ?? null;
      if (fingerprint) {
        const open = await this.incidents.findUnresolvedByFingerprint(tenantId, fingerprint);
        if (open) return { incident: incidentView(await this.incidents.recordRepeat(open, now)), replayed: false, deduplicated: true };
      }
      const row = await this.incidents.insert({
        id,
        tenant_id: tenantId,
        title: input.title ?? `${input.errorType}: ${input.message.slice(0, 120)}`,
        error_type: input.errorType.trim().toLowerCase(),
        message: input.message,
        severity: input.severity ?? 'medium',
        agent_id: input.agentId ?? null,
        capability: input.capability ?? null,
        context: input.context ?? {},
        occurred_at: occurredAt,
        source: origin.source,
        fingerprint,
      });
      await this.eventBus.publish(
        new IncidentCreated(
          tenantId, row.id, row.error_type, row.message, row.agent_id, row.capability, row.severity,
          row.occurred_at.toISOString(), row.created_at.toISOString(),
        ),
      );
      return { incident: incidentView(row), replayed: false, deduplicated: false };
    });
  }
}
