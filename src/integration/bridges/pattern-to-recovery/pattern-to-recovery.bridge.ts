import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { SuggestRecovery } from '../../../self-healing/recovery/suggest-recovery/suggest-recovery.command.js';
import { NoteRecurrence } from '../../../self-healing/runs/note-recurrence/note-recurrence.command.js';
import { PatternMatched } from '../../events/pattern-matched.event.js';
import { RecoverySuggested } from '../../events/recovery-suggested.event.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 2: suggests a recovery for the pattern; auto-applied when trusted, else queued for review. */
@EventsHandler(PatternMatched)
@OutboxHandler({
  name: 'bridge_2.pattern-to-recovery',
  flag: 'bridge_2',
  loopStage: 'recovery_suggested',
  serializeBy: (e: PatternMatched) => e.patternId,
})
export class PatternToRecoveryBridge implements IEventHandler<PatternMatched> {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: PatternMatched): Promise<void> {
    // A run of this pattern on the same agent whose window this incident occurred in has not fixed it: it learns so first.
    // (An event stored before PatternMatched carried occurredAt: bridge 1's input was stored when the incident was, timing.startedAt.)
    const occurredAt = new Date(e.occurredAt ?? e.timing.startedAt);
    await this.commands.execute(
      new NoteRecurrence({
        tenantId: e.tenantId,
        patternId: e.patternId,
        agentId: e.agentId,
        capability: e.capability,
        incidentId: e.incidentId,
        occurredAt,
      }),
    );
    // While the kill switch is on (tenant, or the incident's agent), nothing is applied unreviewed.
    const killSwitch = await this.queries.execute(new GetKillSwitchState({ tenantId: e.tenantId }));
    const paused = killSwitchStops(killSwitch, e.agentId);
    const { playbook, ...r } = await this.commands.execute(
      new SuggestRecovery({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        patternId: e.patternId,
        message: e.message,
        agentId: e.agentId,
        capability: e.capability,
        autoApplyPaused: paused,
      }),
    );
    // The timeline says why: the learning rule's evidence, a guardrail, the kill switch (DESIGN §8).
    await this.commands.execute(
      new RecordDecision({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        kind: 'recovery',
        summary: `${r.playbookId} (confidence ${r.confidence.toFixed(2)}) ${r.decision.reason}`,
        details: { ...r },
      }),
    );
    await this.eventBus.publish(
      new RecoverySuggested({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        patternId: e.patternId,
        recoveryId: r.recoveryId,
        playbookId: r.playbookId,
        suggestionType: r.suggestionType,
        confidence: r.confidence,
        autoApplied: r.autoApplied,
        timing: stageTiming(),
        incidentAgent: { agentId: e.agentId, capability: e.capability },
        playbook,
      }),
    );
  }
}
