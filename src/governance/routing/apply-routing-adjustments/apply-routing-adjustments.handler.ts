import { Inject, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PoliciesRepository } from '../../policies/policies.repository.js';
import { calculateAdjustments, type CalculatedAdjustment } from '../adjustment-calculator.js';
import { RoutingRepository } from '../routing.repository.js';
import { ApplyRoutingAdjustments, type ApplyRoutingAdjustmentsResult } from './apply-routing-adjustments.command.js';

/** Confidence of a policy written by an admin (it has no generation confidence). */
const MANUAL_POLICY_CONFIDENCE = 1;

@CommandHandler(ApplyRoutingAdjustments)
export class ApplyRoutingAdjustmentsHandler implements ICommandHandler<ApplyRoutingAdjustments> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
    private readonly routing: RoutingRepository,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute({
    tenantId,
    policyId,
    agents,
    capabilities,
    agentsRegistered,
  }: ApplyRoutingAdjustments): Promise<ApplyRoutingAdjustmentsResult> {
    return this.tx.run(async () => {
      const agentsNamed = agents.some((a) => typeof a === 'string' && a !== '');
      // A concurrent disable or activation waits for this to commit, then sees what it wrote.
      // For named agents, whether temporary rows remain is asked in the same round trip (it is
      // read after the lock is granted), though only an active policy needs the answer.
      const [policy, temporaryRemain] = await Promise.all([
        this.policies.lock(tenantId, policyId, 'key share'),
        agentsNamed ? this.routing.hasTemporaryAdjustments(tenantId, policyId) : false,
      ]);
      if (!policy) throw new NotFoundException(`policy ${policyId} not found`);
      // Registering writes (and locks) agent rows; bridge 1 already did it for the incident's agent.
      if (!agentsRegistered) await this.routing.registerAgents(tenantId, agents, capabilities);
      if (policy.status === 'disabled') {
        await this.routing.deactivateForPolicy(tenantId, policyId);
        return { adjustmentCount: 0, affectedAgents: [], policyStatus: policy.status };
      }

      const calculate = (forAgents: string[], forCapabilities: string[]): CalculatedAdjustment[] =>
        calculateAdjustments({
          policy: {
            id: policy.id,
            action: policy.action,
            status: policy.status === 'active' ? 'active' : 'draft',
            confidence: policy.generation_confidence ?? MANUAL_POLICY_CONFIDENCE,
          },
          agents: forAgents,
          capabilities: forCapabilities,
          now: new Date(),
          draftTtlMs: this.config.draftAdjustmentTtlMs,
        });

      const recalculateExisting = async () => {
        const existing = await this.routing.targetsOfPolicy(tenantId, policyId);
        return existing.flatMap((t) => calculate([t.agentId], t.capability ? [t.capability] : []));
      };
      let adjustments: CalculatedAdjustment[];
      if (agentsNamed) {
        // Only the named agents' rows are written: rewriting every row of a busy pattern on each
        // incident grows without bound. The exception is a policy that has just gone active while
        // temporary rows remain: those all become lasting now.
        adjustments = calculate(agents, capabilities);
        if (policy.status === 'active' && temporaryRemain) {
          const named = new Set(adjustments.map((a) => `${a.agentId}|${a.capability ?? ''}`));
          adjustments.push(
            ...(await recalculateExisting()).filter((a) => !named.has(`${a.agentId}|${a.capability ?? ''}`)),
          );
        }
      } else {
        adjustments = await recalculateExisting();
        if (adjustments.length === 0 && policy.scope_agent_id) {
          await this.routing.registerAgents(tenantId, [policy.scope_agent_id], capabilities);
          adjustments = calculate([policy.scope_agent_id], capabilities);
        }
      }

      await this.routing.upsertAdjustments(tenantId, policyId, adjustments);
      if (adjustments.length > 0) {
        await this.audit.record({
          tenantId,
          actor: 'system',
          action: 'routing.adjusted',
          subject: { type: 'policy', id: policyId },
          after: {
            policyStatus: policy.status,
            adjustments: adjustments.map((a) => ({
              agentId: a.agentId,
              capability: a.capability,
              type: a.adjustmentType,
              magnitude: a.magnitude,
              expiresAt: a.expiresAt,
            })),
          },
          reason: adjustments[0].reason,
        });
      }
      return {
        adjustmentCount: adjustments.length,
        affectedAgents: [...new Set(adjustments.map((a) => a.agentId))].sort(),
        policyStatus: policy.status,
      };
    });
  }
}
