import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FindPolicyForPattern } from '../../governance/policies/find-policy-for-pattern/find-policy-for-pattern.query.js';
import { GetIncident } from '../../incidents/get-incident/get-incident.query.js';
import { GetIncidentTimeline } from '../../incidents/timeline/get-incident-timeline.query.js';
import { inOneSnapshot } from '../../platform/database/one-snapshot.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { GetPattern } from '../../self-healing/catalog/get-pattern/get-pattern.query.js';
import { ListIncidentRecoveries } from '../../self-healing/recovery/list-incident-recoveries/list-incident-recoveries.query.js';
import { ListIncidentRuns } from '../../self-healing/runs/list-incident-runs/list-incident-runs.query.js';
import { GetLoopStatus } from '../loop-status/get-loop-status.query.js';
import type { IncidentEvidence } from './evidence.view.js';
import { GetIncidentEvidence } from './get-incident-evidence.query.js';

/**
 * Gathers the incident, its loop status, pattern, policy, timeline and recovery runs from one
 * snapshot (inOneSnapshot), so the parts of the document agree with each other even while the loop
 * is still running. After the incident, the reads leave together.
 */
@QueryHandler(GetIncidentEvidence)
export class GetIncidentEvidenceHandler implements IQueryHandler<GetIncidentEvidence> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly queries: QueryBus,
  ) {}

  execute({ tenantId, incidentId }: GetIncidentEvidence): Promise<IncidentEvidence | null> {
    return inOneSnapshot(this.tx, async () => {
      const incident = await this.queries.execute(new GetIncident({ tenantId, incidentId }));
      if (!incident) return null;
      const patternId = incident.matchedPatternId;
      const [loop, pattern, policy, timeline, runs, recoveries] = await Promise.all([
        this.queries.execute(new GetLoopStatus({ tenantId, incidentId })),
        patternId ? this.queries.execute(new GetPattern({ tenantId, patternId })) : null,
        patternId ? this.queries.execute(new FindPolicyForPattern({ tenantId, patternId })) : null,
        this.queries.execute(new GetIncidentTimeline({ tenantId, incidentId })),
        this.queries.execute(new ListIncidentRuns({ tenantId, incidentId })),
        this.queries.execute(new ListIncidentRecoveries({ tenantId, incidentId })),
      ]);
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
