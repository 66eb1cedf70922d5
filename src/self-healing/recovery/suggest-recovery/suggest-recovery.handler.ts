import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { FailurePatternRepository } from '../../catalog/failure-pattern.repository.js';
import { PLAYBOOK_CATALOG, RECOVERY_GENERATOR } from '../../playbooks.provider.js';
import type { PlaybookCatalog } from '../playbook-catalog.js';
import {
  AUTO_APPLY_THRESHOLD,
  shouldAutoApply,
  suggestRecovery,
  type RecoveryGenerator,
} from '../recovery-generator.js';
import { RecoveryRepository } from '../recovery.repository.js';
import { SuggestRecovery, type SuggestedRecovery } from './suggest-recovery.command.js';
import { RunsRepository } from '../../runs/runs.repository.js';
import { StartRecoveryRun } from '../../runs/start-run/start-recovery-run.command.js';
import { CommandBus } from '@nestjs/cqrs';
import { GuardrailsService } from '../../runs/guardrails/guardrails.service.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';

@CommandHandler(SuggestRecovery)
export class SuggestRecoveryHandler implements ICommandHandler<SuggestRecovery> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly patterns: FailurePatternRepository,
    private readonly recoveries: RecoveryRepository,
    private readonly runs: RunsRepository,
    private readonly commands: CommandBus,
    private readonly guardrails: GuardrailsService,
    private readonly audit: AuditTrail,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
    @Inject(RECOVERY_GENERATOR) private readonly generator: RecoveryGenerator,
  ) {}

  execute(c: SuggestRecovery): Promise<SuggestedRecovery> {
    return this.tx.run(async () => {
      const pattern = await this.patterns.findOnce(c.tenantId, c.patternId);
      if (!pattern) throw new Error(`pattern ${c.patternId} not found`);
      const suggestion = await suggestRecovery(
        this.catalog,
        this.generator,
        {
          id: pattern.id,
          errorType: pattern.error_type,
          template: pattern.template,
          occurrenceCount: pattern.occurrence_count,
          recoveryTemplate: pattern.recovery_template,
          recoverySuccessRate: pattern.recovery_template ? await this.templateSuccessRate(c.tenantId, pattern.id) : null,
        },
        { message: c.message, agentId: c.agentId, capability: c.capability },
      );
      const trusted = !c.autoApplyPaused && shouldAutoApply(suggestion, pattern.auto_apply_recovery);
      // A trusted fix still runs alone only inside the tenant's guardrails (checked under a tenant lock, before the run exists).
      const heldBy = trusted ? await this.guardrails.blockingGuardrail({ tenantId: c.tenantId, agentId: c.agentId, capability: c.capability, patternId: pattern.id }) : null;
      const autoApplied = trusted && heldBy === null;
      const recoveryId = uuidv7();
      await this.recoveries.insertAtCommit({
        id: recoveryId,
        tenant_id: c.tenantId,
        source_incident_id: c.incidentId,
        source_pattern_id: pattern.id,
        agent_id: c.agentId,
        capability: c.capability,
        playbook_id: suggestion.playbookId,
        action: suggestion.action,
        steps: suggestion.steps,
        params: suggestion.params,
        suggestion_type: suggestion.suggestionType,
        confidence: suggestion.confidence,
        status: autoApplied ? 'applied' : 'pending_review',
        decided_by: autoApplied ? 'auto-apply' : null,
        held_by: heldBy?.reason ?? null,
      });
      const why = autoApplied
        ? `confidence ${suggestion.confidence.toFixed(3)} > ${AUTO_APPLY_THRESHOLD} and the pattern allows auto-apply`
        : heldBy
          ? `trusted, but held for review by the ${heldBy.guardrail} guardrail: ${heldBy.reason}`
          : c.autoApplyPaused
            ? 'queued for review: the kill switch pauses auto-apply'
            : `queued for review: confidence ${suggestion.confidence.toFixed(3)}` +
              (pattern.auto_apply_recovery ? '' : ', auto-apply is off for the pattern');
      await this.audit.record({
        tenantId: c.tenantId,
        actor: 'system',
        action: 'recovery.suggested',
        subject: { type: 'recovery', id: recoveryId },
        after: {
          incidentId: c.incidentId,
          patternId: pattern.id,
          playbookId: suggestion.playbookId,
          suggestionType: suggestion.suggestionType,
          confidence: suggestion.confidence,
          status: autoApplied ? 'applied' : 'pending_review',
          heldBy,
        },
        reason: why,
      });
      let runId: string | null = null;
      if (autoApplied) {
        await this.recoveries.recordAction({ id: uuidv7(), tenantId: c.tenantId, recoveryId, action: 'applied', automatic: true, actor: 'auto-apply' });
        const run = await this.commands.execute(
          new StartRecoveryRun({
            tenantId: c.tenantId, recoveryId, incidentId: c.incidentId, patternId: pattern.id, playbookId: suggestion.playbookId, params: suggestion.params,
            automatic: true, startedBy: 'auto-apply',
          }),
        );
        runId = run.id;
        await this.audit.record({
          tenantId: c.tenantId,
          actor: 'auto-apply',
          action: 'recovery.applied',
          subject: { type: 'recovery', id: recoveryId },
          after: { status: 'applied', runId },
          reason: why,
        });
      }
      // suggestRecovery only suggests playbooks of the catalog.
      const { id, name, policy } = this.catalog.get(suggestion.playbookId)!;
      return {
        recoveryId, playbookId: suggestion.playbookId, playbook: { id, name, policy },
        suggestionType: suggestion.suggestionType, confidence: suggestion.confidence, autoApplied, runId, heldBy,
      };
    });
  }

  /**
   * DESIGN §8 "Learning": a template is as good as its runs' verified success rate; before any
   * run has a verdict, reviewers' approvals stand in for it.
   */
  private async templateSuccessRate(tenantId: string, patternId: string): Promise<number | null> {
    return (await this.runs.verifiedSuccessRate(tenantId, patternId)) ?? this.recoveries.successRate(tenantId, patternId);
  }
}
