import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { ListPatternSamples } from '../../../incidents/list-pattern-samples/list-pattern-samples.query.js';
import { GetPattern } from '../../catalog/get-pattern/get-pattern.query.js';
import { estimateComplexity, priorityFromSeverity, type WorkOrderContext } from '../work-order.view.js';
import { BuildWorkOrderContext, type WorkOrderBrief } from './build-work-order-context.query.js';

/** Enough to see the shape of the failure without flooding the agent. */
export const SAMPLE_MESSAGES = 3;
export const LAST_ERRORS = 5;

@QueryHandler(BuildWorkOrderContext)
export class BuildWorkOrderContextHandler implements IQueryHandler<BuildWorkOrderContext> {
  constructor(private readonly queries: QueryBus) {}

  async execute(q: BuildWorkOrderContext): Promise<WorkOrderBrief | null> {
    const incident = await this.queries.execute(new GetIncident({ tenantId: q.tenantId, incidentId: q.incidentId }));
    if (!incident) return null;
    const patternId = incident.matchedPatternId;
    const pattern = patternId ? await this.queries.execute(new GetPattern({ tenantId: q.tenantId, patternId })) : null;
    const samples = pattern
      ? await this.queries.execute(
          new ListPatternSamples({ tenantId: q.tenantId, patternId: pattern.id, limit: SAMPLE_MESSAGES }),
        )
      : [incident.message];
    const union = (a: string[], b: string | null) => [...new Set([...a, ...(b ? [b] : [])])].sort();
    const context: WorkOrderContext = {
      incident: {
        id: incident.id,
        title: incident.title,
        errorType: incident.errorType,
        severity: incident.severity,
        message: incident.message,
      },
      pattern: pattern ? { id: pattern.id, template: pattern.template, samples } : null,
      affectedAgents: union(pattern?.affectedAgents ?? [], incident.agentId),
      capabilities: union(pattern?.capabilities ?? [], incident.capability),
      lastErrors: (q.lastErrors ?? []).slice(-LAST_ERRORS),
      runId: q.runId,
      filePath: q.filePath ?? null,
    };
    return { context, priority: priorityFromSeverity(incident.severity), complexity: estimateComplexity(context) };
  }
}
