import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { GetSurvivingPattern } from '../../../self-healing/catalog/get-surviving-pattern/get-surviving-pattern.query.js';
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
    // The event names the pattern as bridge 1 filed it; a merge since moved its runs, evidence, cooldowns
    // and policy to the survivor, so everything below is the survivor's (DESIGN §8). Held against a merge
    // until the batch commits (a merge waits, then moves what this wrote). Read with the kill switch's state.
    const [pattern, killSwitch] = await Promise.all([
      this.queries.execute(new GetSurvivingPattern({ tenantId: e.tenantId, patternId: e.patternId })),
      // While the kill switch is on (tenant, or the incident's agent), nothing is applied unreviewed.
      this.queries.execute(new GetKillSwitchState({ tenantId: e.tenantId })),
    ]);
    if (!pattern) throw new Error(`pattern ${e.patternId} not found`);
    const patternId = pattern.id;
    // A run of this pattern on the same agent whose window this incident occurred in has not fixed it: it learns so first.
    // (An event stored before PatternMatched carried occurredAt: bridge 1's input was stored when the incident was, timing.startedAt.)
    const occurredAt = new Date(e.occurredAt ?? e.timing.startedAt);
    await this.commands.execute(
      new NoteRecurrence({
        tenantId: e.tenantId,
        patternId,
        agentId: e.agentId,
        capability: e.capability,
        incidentId: e.incidentId,
        occurredAt,
      }),
    );
    const paused = killSwitchStops(killSwitch, e.agentId);
    const { playbook, ...r } = await this.commands.execute(
      new SuggestRecovery({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        patternId,
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
        patternId,
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
