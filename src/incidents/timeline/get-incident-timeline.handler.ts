import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FindPolicyForPattern } from '../../governance/policies/find-policy-for-pattern/find-policy-for-pattern.query.js';
import { ListEvaluations } from '../../governance/policies/list-evaluations/list-evaluations.query.js';
import { DecisionsRepository } from '../decisions.repository.js';
import { IncidentsRepository, type IncidentRow } from '../incidents.repository.js';
import { GetIncidentTimeline } from './get-incident-timeline.query.js';
import type { IncidentTimeline, TimelineItem } from './timeline.view.js';

/** At most this many policy evaluations (the newest) are listed on one timeline. */
export const TIMELINE_EVALUATION_LIMIT = 500;

/**
 * The incident's own decisions (the bridges write one per stage) plus the policy evaluations
 * that matched the policy its pattern produced, from its creation on.
 */
@QueryHandler(GetIncidentTimeline)
export class GetIncidentTimelineHandler implements IQueryHandler<GetIncidentTimeline> {
  constructor(
    private readonly decisions: DecisionsRepository,
    private readonly incidents: IncidentsRepository,
    private readonly queries: QueryBus,
  ) {}

  async execute({ tenantId, incidentId }: GetIncidentTimeline): Promise<IncidentTimeline | null> {
    const incident = await this.incidents.find(tenantId, incidentId);
    if (!incident) return null;
    const decisions = await this.decisions.listOf(tenantId, incidentId);
    const policy = incident.matched_pattern_id
      ? await this.queries.execute(new FindPolicyForPattern({ tenantId, patternId: incident.matched_pattern_id }))
      : null;
    let evaluations: TimelineItem[] = [];
    let truncated = false;
    if (policy) {
      // The newest ones, one more than listed to know whether older ones were left out.
      const newest = await this.queries.execute(
        new ListEvaluations({
          tenantId,
          filters: {
            policyIds: [policy.id],
            since: incident.created_at.toISOString(),
            limit: TIMELINE_EVALUATION_LIMIT + 1,
            order: 'desc',
          },
        }),
      );
      truncated = newest.length > TIMELINE_EVALUATION_LIMIT;
      evaluations = newest
        .slice(0, TIMELINE_EVALUATION_LIMIT)
        .reverse()
        .map((e) => {
          const match = e.matched.find((m) => m.policyId === policy.id);
          const who = [e.agentId ?? 'no agent', e.capability ?? 'any capability'].join(' / ');
          return {
            at: new Date(e.createdAt).toISOString(),
            kind: 'evaluation' as const,
            summary: `evaluation for ${who}: ${e.decision}${match ? ` (policy ${match.action}, ${match.status})` : ''}`,
            details: {
              evaluationId: e.id,
              agentId: e.agentId,
              capability: e.capability,
              decision: e.decision,
              policyId: policy.id,
              action: match?.action ?? null,
              status: match?.status ?? null,
            },
          };
        });
    }
    const items: TimelineItem[] = [
      created(incident),
      ...decisions.map((d) => ({
        at: d.created_at.toISOString(),
        kind: d.kind,
        summary: d.summary,
        details: d.details,
      })),
      ...evaluations,
    ];
    // Stable: equal timestamps keep creation, then decision order (the SQL order), then evaluations.
    items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return { incidentId, policyId: policy?.id ?? null, items, truncated, evaluationLimit: TIMELINE_EVALUATION_LIMIT };
  }
}

function created(r: IncidentRow): TimelineItem {
  return {
    at: r.created_at.toISOString(),
    kind: 'incident_created',
    summary: `incident reported by ${r.source}: ${r.title}`,
    details: {
      source: r.source,
      fingerprint: r.fingerprint,
      repeatCount: r.repeat_count,
      errorType: r.error_type,
      severity: r.severity,
      agentId: r.agent_id,
      capability: r.capability,
      occurredAt: r.occurred_at.toISOString(),
    },
  };
}
