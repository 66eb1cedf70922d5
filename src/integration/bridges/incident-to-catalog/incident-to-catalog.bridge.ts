import { CommandBus, EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { RegisterAgents } from '../../../governance/routing/register-agents/register-agents.command.js';
import { IncidentCreated } from '../../../incidents/events/incident-created.event.js';
import { LinkIncidentToPattern } from '../../../incidents/link-incident-to-pattern/link-incident-to-pattern.command.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import {
  catalogBucketOf,
  MatchIncidentToCatalog,
} from '../../../self-healing/catalog/match-incident/match-incident.command.js';
import { PatternMatched } from '../../events/pattern-matched.event.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 1: files the incident under a failure pattern (new or known) and registers its agent. */
@EventsHandler(IncidentCreated)
// One pattern bucket at a time: an incident is only ever matched against (and added to) the
// patterns of its own bucket, the catalog's unit of locking.
@OutboxHandler({
  name: 'bridge_1.incident-to-catalog',
  flag: 'bridge_1',
  loopStage: 'pattern_matched',
  serializeBy: (e: IncidentCreated) => catalogBucketOf(e.tenantId, e.errorType, e.message),
})
export class IncidentToCatalogBridge implements IEventHandler<IncidentCreated> {
  constructor(
    private readonly commands: CommandBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: IncidentCreated): Promise<void> {
    const match = await this.commands.execute(
      new MatchIncidentToCatalog({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        errorType: e.errorType,
        message: e.message,
        agentId: e.agentId,
        capability: e.capability,
      }),
    );
    await this.commands.execute(
      new LinkIncidentToPattern({ tenantId: e.tenantId, incidentId: e.incidentId, patternId: match.patternId }),
    );
    if (e.agentId)
      await this.commands.execute(
        new RegisterAgents({ tenantId: e.tenantId, agentIds: [e.agentId], capability: e.capability }),
      );
    await this.commands.execute(
      new RecordDecision({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        kind: 'pattern_match',
        summary: match.isNew
          ? 'new failure pattern created'
          : `matched a known failure pattern (score ${match.score.toFixed(2)})`,
        details: match as unknown as Record<string, unknown>,
      }),
    );
    await this.eventBus.publish(
      new PatternMatched({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        patternId: match.patternId,
        confidence: match.score,
        isNewPattern: match.isNew,
        occurrenceCount: match.occurrenceCount,
        message: e.message,
        agentId: e.agentId,
        capability: e.capability,
        occurredAt: e.occurredAt,
        timing: stageTiming(),
      }),
    );
  }
}
