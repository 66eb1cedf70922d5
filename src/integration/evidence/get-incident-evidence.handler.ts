import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FindPolicyForPattern } from '../../governance/policies/find-policy-for-pattern/find-policy-for-pattern.query.js';
import { GetIncident } from '../../incidents/get-incident/get-incident.query.js';
import { GetIncidentTimeline } from '../../incidents/timeline/get-incident-timeline.query.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { GetPattern } from '../../self-healing/catalog/get-pattern/get-pattern.query.js';
import { ListIncidentRecoveries } from '../../self-healing/recovery/list-incident-recoveries/list-incident-recoveries.query.js';
import { ListIncidentRuns } from '../../self-healing/runs/list-incident-runs/list-incident-runs.query.js';
import { GetLoopStatus } from '../loop-status/get-loop-status.query.js';
import type { IncidentEvidence } from './evidence.view.js';
import { GetIncidentEvidence } from './get-incident-evidence.query.js';

/**
 * Gathers the incident, its loop status, pattern, policy, timeline and recovery runs from one snapshot
 * (a REPEATABLE READ transaction), so the parts of the document agree with each other even
 * while the loop is still running. The queries run one after the other on its connection.
 */
@QueryHandler(GetIncidentEvidence)
export class GetIncidentEvidenceHandler implements IQueryHandler<GetIncidentEvidence> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly queries: QueryBus,
  ) {}

  execute({ tenantId, incidentId }: GetIncidentEvidence): Promise<IncidentEvidence | null> {
    const joined = this.tx.inTransaction;
    return this.tx.run(async () => {
      if (!joined) await this.tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
      const incident = await this.queries.execute(new GetIncident({ tenantId, incidentId }));
      if (!incident) return null;
      const loop = await this.queries.execute(new GetLoopStatus({ tenantId, incidentId }));
      const patternId = incident.matchedPatternId;
      const pattern = patternId ? await this.queries.execute(new GetPattern({ tenantId, patternId })) : null;
      const policy = patternId ? await this.queries.execute(new FindPolicyForPattern({ tenantId, patternId })) : null;
      const timeline = await this.queries.execute(new GetIncidentTimeline({ tenantId, incidentId }));
      const runs = await this.queries.execute(new ListIncidentRuns({ tenantId, incidentId }));
      const recoveries = await this.queries.execute(new ListIncidentRecoveries({ tenantId, incidentId }));
      // The loop trace keeps the recovery's status as suggested; the evidence says where it stands now.
      const suggested = loop?.details.recovery_suggested;
      const current = suggested && recoveries.find((r) => r.id === suggested.recoveryId);
      if (suggested && current) suggested.status = current.status;
      return {
        generatedAt: new Date().toISOString(),
        incident,
        lifecycle: {
          status: incident.status,
          acknowledgedAt: incident.acknowledgedAt,
          acknowledgedBy: incident.acknowledgedBy,
          resolvedAt: incident.resolvedAt,
          resolvedBy: incident.resolvedBy,
          timeToResolveMs: incident.resolvedAt
            ? Date.parse(incident.resolvedAt) - Date.parse(incident.occurredAt)
            : null,
        },
        loop,
        recoveries,
        pattern,
        policy,
        timeline: timeline!,
        runs,
      };
    });
  }
}
