import { Injectable, OnModuleInit } from '@nestjs/common';
import { OutboxRelay, type DeliveryOutcome } from '../../platform/outbox/outbox.relay.js';
import { isLoopStage, type StageRecord } from './loop-stages.js';
import { LoopTraceRepository } from './loop-trace.repository.js';

/**
 * Shows a bridge's trouble on its loop stage: attempts and the last error while it retries,
 * `failed` once dead-lettered, `held` while its flag is off. Bridge 5, which records the stages,
 * shows its trouble on the stage the event would have completed (a stage already completed stays
 * so). Runs in the relay's transaction.
 */
@Injectable()
export class LoopOutcomeRecorder implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly traces: LoopTraceRepository,
  ) {}

  onModuleInit(): void {
    this.relay.onOutcome((o) => this.record(o));
  }

  private async record(o: DeliveryOutcome): Promise<void> {
    const stage = o.handler.loopStage ?? o.handler.loopStages?.[o.delivery.event_type];
    const incidentId = o.delivery.incident_id;
    if (o.kind === 'handled' || !stage || !isLoopStage(stage) || !incidentId) return;
    const record: StageRecord = {
      status: o.kind === 'dead' ? 'failed' : o.kind === 'held' ? 'held' : 'pending',
      startedAt: o.delivery.created_at.toISOString(),
      completedAt: null,
      durationMs: null,
      attempts: o.kind === 'held' ? Math.max(0, o.delivery.attempts - 1) : o.delivery.attempts,
      error: o.kind === 'held' ? `held: ${o.handler.flag ?? 'integration_loop'} is off` : o.error,
      details: {},
    };
    await this.traces.recordStage(incidentId, stage, record);
    this.traces.notifyProgress(o.delivery.tenant_id, incidentId);
  }
}
