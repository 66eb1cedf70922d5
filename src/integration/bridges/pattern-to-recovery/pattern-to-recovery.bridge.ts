import { CommandBus, EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { PatternMatched } from '../../../self-healing/events/pattern-matched.event.js';
import { RecoverySuggested } from '../../../self-healing/events/recovery-suggested.event.js';
import { SuggestRecovery } from '../../../self-healing/recovery/suggest-recovery/suggest-recovery.command.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 2: suggests a recovery for the pattern; auto-applied when trusted, else queued for review. */
@EventsHandler(PatternMatched)
@OutboxHandler({ name: 'bridge_2.pattern-to-recovery', flag: 'bridge_2', loopStage: 'recovery_suggested' })
export class PatternToRecoveryBridge implements IEventHandler<PatternMatched> {
  constructor(
    private readonly commands: CommandBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: PatternMatched): Promise<void> {
    const r = await this.commands.execute(new SuggestRecovery(e.tenantId, e.incidentId, e.patternId, e.message, e.agentId, e.capability));
    await this.commands.execute(
      new RecordDecision(e.tenantId, e.incidentId, 'recovery', `${r.autoApplied ? 'auto-applied' : 'queued for review'}: ${r.playbookId} (confidence ${r.confidence.toFixed(2)})`, { ...r }),
    );
    await this.eventBus.publish(
      new RecoverySuggested(e.tenantId, e.incidentId, e.patternId, r.recoveryId, r.playbookId, r.suggestionType, r.confidence, r.autoApplied, stageTiming()),
    );
  }
}
