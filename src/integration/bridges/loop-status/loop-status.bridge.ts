import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentCreated } from '../../../incidents/events/incident-created.event.js';
import { eventTypeOf } from '../../../platform/outbox/domain-event.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RecoveryApplied } from '../../../self-healing/events/recovery-applied.event.js';
import { PatternMatched } from '../../events/pattern-matched.event.js';
import { PolicyGenerated } from '../../events/policy-generated.event.js';
import { RecoverySuggested } from '../../events/recovery-suggested.event.js';
import { RoutingAdjusted } from '../../events/routing-adjusted.event.js';
import type { StageTiming } from '../../events/stage-timing.js';
import type { LoopStage } from '../../loop-status/loop-stages.js';
import { LoopTraceRepository } from '../../loop-status/loop-trace.repository.js';

type LoopEvent =
  IncidentCreated | PatternMatched | RecoverySuggested | RecoveryApplied | PolicyGenerated | RoutingAdjusted;

/**
 * The stage each event completes (RecoveryApplied: history of a stage completed before), by event
 * type: for the events handled here and for their retries, holds and dead letters (LoopOutcomeRecorder).
 */
const LOOP_STAGES_BY_EVENT: Record<string, LoopStage> = {
  [eventTypeOf(IncidentCreated)]: 'incident_created',
  [eventTypeOf(PatternMatched)]: 'pattern_matched',
  [eventTypeOf(RecoverySuggested)]: 'recovery_suggested',
  [eventTypeOf(RecoveryApplied)]: 'recovery_suggested',
  [eventTypeOf(PolicyGenerated)]: 'policy_generated',
  [eventTypeOf(RoutingAdjusted)]: 'routing_adjusted',
};

/** What the console shows of an event. */
function detailsOf(e: LoopEvent): { details: Record<string, unknown>; timing: StageTiming | null } {
  if (e instanceof IncidentCreated) {
    return {
      details: { errorType: e.errorType, severity: e.severity, agentId: e.agentId },
      timing: { startedAt: e.createdAt, completedAt: e.createdAt, attempts: 1 },
    };
  }
  if (e instanceof PatternMatched) {
    return {
      details: {
        patternId: e.patternId,
        confidence: e.confidence,
        isNewPattern: e.isNewPattern,
        occurrenceCount: e.occurrenceCount,
      },
      timing: e.timing,
    };
  }
  if (e instanceof RecoverySuggested) {
    return {
      details: {
        recoveryId: e.recoveryId,
        playbookId: e.playbookId,
        suggestionType: e.suggestionType,
        confidence: e.confidence,
        autoApplied: e.autoApplied,
        status: e.autoApplied ? 'applied' : 'pending_review',
      },
      timing: e.timing,
    };
  }
  if (e instanceof RecoveryApplied) {
    // A later approval: history only, the stage itself completed when the recovery was suggested.
    return {
      details: { recoveryId: e.recoveryId, status: 'applied', appliedBy: e.appliedBy },
      timing: null,
    };
  }
  if (e instanceof PolicyGenerated) {
    return {
      details: {
        policyId: e.policyId,
        category: e.category,
        action: e.action,
        status: e.status,
        confidence: e.confidence,
        isNewPolicy: e.isNewPolicy,
      },
      timing: e.timing,
    };
  }
  return {
    details: {
      policyId: e.policyId,
      affectedAgents: e.affectedAgents,
      adjustmentCount: e.adjustmentCount,
      // Their keys: the stats count distinct adjustments, not rewrites (loop-stats.read-model.ts).
      ...(e.adjustments ? { adjustments: e.adjustments } : {}),
    },
    timing: e.timing,
  };
}

/** Bridge 5: every loop event updates the incident's loop trace and history and tells live consoles. */
@EventsHandler(IncidentCreated, PatternMatched, RecoverySuggested, RecoveryApplied, PolicyGenerated, RoutingAdjusted)
@OutboxHandler({
  name: 'bridge_5.loop-status',
  flag: 'bridge_5',
  serializeBy: (e: LoopEvent) => e.incidentId ?? '',
  loopStages: LOOP_STAGES_BY_EVENT,
})
export class LoopStatusBridge implements IEventHandler<LoopEvent> {
  constructor(private readonly traces: LoopTraceRepository) {}

  async handle(e: LoopEvent): Promise<void> {
    if (!e.incidentId) return; // e.g. routing adjusted after a manual activation: no incident loop
    const eventType = eventTypeOf(e);
    const stage = LOOP_STAGES_BY_EVENT[eventType];
    const { details, timing } = detailsOf(e);
    const completed = timing && {
      status: 'completed' as const,
      startedAt: timing.startedAt,
      completedAt: timing.completedAt,
      durationMs: Date.parse(timing.completedAt) - Date.parse(timing.startedAt),
      attempts: timing.attempts,
      error: null,
      details,
    };
    await this.traces.recordEvent({
      tenantId: e.tenantId,
      incidentId: e.incidentId,
      stage,
      eventType,
      details: { ...details, ...(timing ? { timing } : {}) },
      completed,
    });
    this.traces.notifyProgress(e.tenantId, e.incidentId);
  }
}
