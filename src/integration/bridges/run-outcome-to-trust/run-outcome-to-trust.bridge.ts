import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { RecordRunOutcomeForTrust } from '../../../governance/routing/trust/record-run-outcome-for-trust/record-run-outcome-for-trust.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RecoveryRunFinished } from '../../../self-healing/events/recovery-run-finished.event.js';

/** The sixth bridge: a finished recovery run teaches routing (governance moves the trust of the run's agent and capability, ADR 0009). */
@EventsHandler(RecoveryRunFinished)
@OutboxHandler({
  name: 'integration.run-outcome-to-trust',
  // Each run's change locks only its own agent: runs of different agents in a batch are handled side by side.
  serializeBy: (e: RecoveryRunFinished) => `${e.tenantId}/${e.agentId ?? ''}`,
})
export class RunOutcomeToTrustBridge implements IEventHandler<RecoveryRunFinished> {
  constructor(private readonly commands: CommandBus) {}

  async handle(e: RecoveryRunFinished): Promise<void> {
    if (!e.agentId) return; // an incident without an agent: nobody to trust more or less
    await this.commands.execute(
      new RecordRunOutcomeForTrust({
        tenantId: e.tenantId,
        runId: e.runId,
        agentId: e.agentId,
        capability: e.capability,
        outcome: e.outcome,
        reason: e.reason,
      }),
    );
  }
}
