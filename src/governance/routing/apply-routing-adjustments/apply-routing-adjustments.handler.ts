import { Inject, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PoliciesRepository } from '../../policies/policies.repository.js';
import { ACTION_EFFECTS, calculateAdjustments, type CalculatedAdjustment } from '../adjustment-calculator.js';
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
    activation,
  }: ApplyRoutingAdjustments): Promise<ApplyRoutingAdjustmentsResult> {
    return this.tx.run(async () => {
      // A concurrent disable or activation waits for this to commit, then sees what it wrote.
      // For an incident, the state of the policy's rows (temporary ones left? stale ones?) is
      // asked in the same round trip (it is read after the lock is granted).
      // A draft's expiry is set by the database's clock, which the router and the listing judge it by.
      const [policy, state, now] = await Promise.all([
        this.policies.lock(tenantId, policyId, 'key share'),
        activation ? null : this.routing.adjustmentState(tenantId, policyId, ACTION_EFFECTS),
        this.tx.now(),
      ]);
      if (!policy) throw new NotFoundException(`policy ${policyId} not found`);
      // Registering writes (and locks) agent rows; bridge 1 already did it for the incident's agent.
      if (!agentsRegistered) await this.routing.registerAgents(tenantId, agents, capabilities);
      if (policy.status === 'disabled') {
        await this.routing.deactivateForPolicy(tenantId, policyId);
        return { adjustmentCount: 0, affectedAgents: [], adjustments: [], policyStatus: policy.status };
      }

      const active = policy.status === 'active';
      const calculate = (forAgents: string[], forCapabilities: string[], at = now): CalculatedAdjustment[] =>
        calculateAdjustments({
          policy: {
            id: policy.id,
            action: policy.action,
            status: active ? 'active' : 'draft',
            confidence: policy.generation_confidence ?? MANUAL_POLICY_CONFIDENCE,
          },
          agents: forAgents,
          capabilities: forCapabilities,
          now: at,
          draftTtlMs: this.config.draftAdjustmentTtlMs,
        });

      // Every existing row of the policy, recalculated for its current action and status. An
      // active policy's rows all become lasting. A draft's rewrite is no renewal: a row that
      // has run out (or was switched off) stays as it is, one in force keeps its expiry.
      const recalculateExisting = async () => {
        const existing = await this.routing.targetsOfPolicy(tenantId, policyId);
        return existing.flatMap((t) => {
          const caps = t.capability ? [t.capability] : [];
          if (active) return calculate([t.agentId], caps, now);
          const inForce = t.isActive && (t.expiresAt === null || t.expiresAt.getTime() > now.getTime());
          if (!inForce) return [];
          // Calculated as of when the row was written, so its expiry (and reason) stay the same.
          const asOf = t.expiresAt ? new Date(t.expiresAt.getTime() - this.config.draftAdjustmentTtlMs) : now;
          return calculate([t.agentId], caps, asOf);
        });
      };
      let adjustments: CalculatedAdjustment[];
      if (!state) {
        // PolicyActivated (no incident): re-apply every existing adjustment (temporary ones
        // become lasting). A policy with none (a manual one) gets none: an adjustment holds for
        // an agent and capability whatever the request, while the policy's condition may name
        // one capability or test request.context; route selection evaluates the policy itself,
        // condition and all, for every candidate (ADR 0003).
        adjustments = await recalculateExisting();
      } else {
        // An incident: only its agent's rows are written (none when it names no agent: the
        // agents of earlier incidents got theirs with those, and are not renewed by another's).
        // Rewriting every row of a busy pattern on each incident grows without bound; the
        // exceptions are rare: a policy that has gone active while temporary rows remain (those
        // all become lasting now), and a policy whose action changed (bridge 3 follows the
        // pattern's latest playbook), whose rows of the old action are rewritten for the new one.
        adjustments = calculate(agents, capabilities);
        if ((active && state.temporaryRemain) || state.stale) {
          const named = new Set(adjustments.map((a) => `${a.agentId}|${a.capability ?? ''}`));
          adjustments.push(
            ...(await recalculateExisting()).filter((a) => !named.has(`${a.agentId}|${a.capability ?? ''}`)),
          );
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
        adjustments: adjustments.map((a) => ({ agentId: a.agentId, capability: a.capability })),
        policyStatus: policy.status,
      };
    });
  }
}
