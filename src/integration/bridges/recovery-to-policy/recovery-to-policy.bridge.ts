import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { UpsertGeneratedPolicy } from '../../../governance/policies/upsert-generated-policy/upsert-generated-policy.command.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { GetSurvivingPattern } from '../../../self-healing/catalog/get-surviving-pattern/get-surviving-pattern.query.js';
import { RecoveryApplied } from '../../../self-healing/events/recovery-applied.event.js';
import {
  GetRecovery,
  type RecoveryWithPlaybook,
} from '../../../self-healing/recovery/get-recovery/get-recovery.query.js';
import { PolicyGenerated } from '../../events/policy-generated.event.js';
import { RecoverySuggested } from '../../events/recovery-suggested.event.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 3: turns the recovery into the pattern's prevention policy (one per pattern, updated later). */
@EventsHandler(RecoverySuggested, RecoveryApplied)
// One pattern at a time: its policy is upserted and may change status.
@OutboxHandler({
  name: 'bridge_3.recovery-to-policy',
  flag: 'bridge_3',
  loopStage: 'policy_generated',
  serializeBy: (e: RecoverySuggested | RecoveryApplied) => e.patternId,
})
export class RecoveryToPolicyBridge implements IEventHandler<RecoverySuggested | RecoveryApplied> {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: RecoverySuggested | RecoveryApplied): Promise<void> {
    // Both reads leave together on the batch's pipelined connection. The pattern as it stands now:
    // after a merge, the survivor's policy is the one (one per pattern), and a merge running at the
    // same time waits for this batch, then moves what it wrote.
    const [recovery, pattern] = await Promise.all([
      this.recoveryOf(e),
      this.queries.execute(new GetSurvivingPattern({ tenantId: e.tenantId, patternId: e.patternId })),
    ]);
    if (!recovery || !pattern) throw new Error(`recovery ${e.recoveryId} or pattern ${e.patternId} not found`);
    if (!recovery.playbook) throw new Error(`playbook "${recovery.playbookId}" is no longer in the playbook catalog`);
    const policy = await this.commands.execute(
      new UpsertGeneratedPolicy({
        tenantId: e.tenantId,
        input: {
          tenantId: e.tenantId,
          pattern: {
            id: pattern.id,
            errorType: pattern.errorType,
            template: pattern.template,
            occurrenceCount: pattern.occurrenceCount,
            affectedAgents: pattern.affectedAgents,
            capabilities: pattern.capabilities,
          },
          // A rejected fix still leaves the failure to prevent; it just earns no extra trust.
          recovery: {
            id: recovery.id,
            playbookId: recovery.playbookId,
            confidence: recovery.confidence,
            status: recovery.status === 'applied' ? 'applied' : 'pending_review',
          },
          playbook: recovery.playbook,
        },
      }),
    );
    await this.commands.execute(
      new RecordDecision({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        kind: 'policy',
        summary: `${policy.isNew ? 'generated' : 'updated'} ${policy.status} policy: ${policy.action} (${policy.category})`,
        details: { ...policy },
      }),
    );
    await this.eventBus.publish(
      new PolicyGenerated({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        policyId: policy.policyId,
        patternId: pattern.id,
        recoveryId: recovery.id,
        category: policy.category,
        action: policy.action,
        status: policy.status,
        confidence: policy.confidence,
        isNewPolicy: policy.isNew,
        timing: stageTiming(),
        incidentAgent: e instanceof RecoverySuggested ? e.incidentAgent : undefined,
      }),
    );
  }

  /**
   * A suggestion's recovery as bridge 2 described it on the event (a later review comes as its own
   * RecoveryApplied and is handled after it); read when the event does not carry it.
   */
  private recoveryOf(e: RecoverySuggested | RecoveryApplied): Promise<RecoveryWithPlaybook | null> {
    if (e instanceof RecoverySuggested && e.playbook) {
      const status = e.autoApplied ? 'applied' : 'pending_review';
      return Promise.resolve({
        id: e.recoveryId,
        patternId: e.patternId,
        playbookId: e.playbookId,
        confidence: e.confidence,
        status,
        playbook: e.playbook,
      });
    }
    return this.queries.execute(new GetRecovery({ tenantId: e.tenantId, recoveryId: e.recoveryId }));
  }
}
