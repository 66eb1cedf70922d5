import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { IdempotencyKeys } from '../../platform/idempotency/idempotency-keys.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import { IncidentCreated } from '../events/incident-created.event.js';
import { IncidentRepeated } from '../events/incident-repeated.event.js';
import { incidentView } from '../incident.view.js';
import { IncidentsRepository } from '../incidents.repository.js';
import { acceptedOccurredAt, boundedOccurredAt } from './occurred-at.js';
import { ReportIncident, type ReportIncidentResult } from './report-incident.command.js';

const SCOPE = 'POST /incidents';

/**
 * Writes the incident, its Idempotency-Key claim and the IncidentCreated event in one
 * transaction; a replayed key returns the incident it created (see IdempotencyKeys).
 */
@CommandHandler(ReportIncident)
export class ReportIncidentHandler implements ICommandHandler<ReportIncident> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
    private readonly eventBus: EventBus,
    private readonly idempotencyKeys: IdempotencyKeys,
  ) {}

  execute({
    tenantId,
    input,
    idempotencyKey,
    origin,
    occurredAtOutOfBounds,
  }: ReportIncident): Promise<ReportIncidentResult> {
    return this.tx.run(async () => {
      const id = uuidv7();
      if (idempotencyKey) {
        // The receipt time (below) is read with the claim: no round trip of its own.
        const [earlier] = await Promise.all([
          this.idempotencyKeys.claim(tenantId, SCOPE, idempotencyKey, input, id),
          this.tx.now(),
        ]);
        if (earlier)
          return {
            incident: incidentView((await this.incidents.find(tenantId, earlier))!),
            replayed: true,
            deduplicated: false,
          };
      }
      const fingerprint = origin?.fingerprint ?? null;
      // The receipt time is the database's clock (the transaction's now()), not this host's: a run's
      // watch window, which a repeat's time and the occurredAt are judged against, is on it, and so
      // is a resolution, which MTTR measures from occurredAt (ADR 0008 §10). It goes into the events
      // and the answer, so it is read before the commit: with the fingerprint's look-up (an alert)
      // or the Idempotency-Key's claim; a report with neither pays a round trip for it (ADR 0005).
      const [now, open] = await Promise.all([
        this.tx.now(),
        fingerprint ? this.incidents.findUnresolvedByFingerprint(tenantId, fingerprint) : null,
      ]);
      // Its bounds are judged by the receipt time (the database's clock, not this host's): out of them,
      // POST /incidents answers 400 (thrown here, it rolls back the key's claim) and other reporters' odd
      // clocks fall back to now; a time ahead of the receipt (clock skew) is taken as now.
      const occurredAt =
        occurredAtOutOfBounds === 'receipt-time'
          ? boundedOccurredAt(input.occurredAt, now)
          : acceptedOccurredAt(input.occurredAt, now);
      if (open) {
        const repeated = await this.incidents.recordRepeat(open, now);
        // The fault is still there: a run watching this incident must hear it (DESIGN §8 "recurrence").
        await this.eventBus.publish(
          new IncidentRepeated({
            tenantId,
            incidentId: repeated.id,
            seenAt: now.toISOString(),
            repeatCount: repeated.repeat_count,
          }),
        );
        return { incident: incidentView(repeated), replayed: false, deduplicated: true };
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
        source: origin?.source ?? 'api',
        fingerprint,
        created_at: now,
      });
      await this.eventBus.publish(
        new IncidentCreated({
          tenantId,
          incidentId: row.id,
          errorType: row.error_type,
          message: row.message,
          agentId: row.agent_id,
          capability: row.capability,
          severity: row.severity,
          occurredAt: row.occurred_at.toISOString(),
          createdAt: row.created_at.toISOString(),
        }),
      );
      return { incident: incidentView(row), replayed: false, deduplicated: false };
    });
  }
}
