import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { FailurePatternRepository } from '../../catalog/failure-pattern.repository.js';
import { assessFix } from '../../learning/fix-confidence.js';
import { FixEvidenceRepository } from '../../learning/fix-evidence.repository.js';
import { PLAYBOOK_CATALOG, RECOVERY_GENERATOR } from '../../playbooks.provider.js';
import { GuardrailsService } from '../../runs/guardrails/guardrails.service.js';
import { StartRecoveryRun } from '../../runs/start-recovery-run/start-recovery-run.command.js';
import { hasCanaryStep, type PlaybookCatalog } from '../playbook-catalog.js';
import { suggestRecovery, type RecoveryGenerator } from '../recovery-generator.js';
import { RecoveryRepository, type RecoveryDecision } from '../recovery.repository.js';
import { SuggestRecovery, type SuggestedRecovery } from './suggest-recovery.command.js';

@CommandHandler(SuggestRecovery)
export class SuggestRecoveryHandler implements ICommandHandler<SuggestRecovery> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly patterns: FailurePatternRepository,
    private readonly recoveries: RecoveryRepository,
    private readonly evidence: FixEvidenceRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly guardrails: GuardrailsService,
    private readonly audit: AuditTrail,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
    @Inject(RECOVERY_GENERATOR) private readonly generator: RecoveryGenerator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A playbook with a canary step is also bounded by the canary guardrails. */
  private hasCanary(playbookId: string): boolean {
    const p = this.catalog.get(playbookId);
    return p !== undefined && hasCanaryStep(p);
  }

  execute(c: SuggestRecovery): Promise<SuggestedRecovery> {
    return this.tx.run(async () => {
      // The pattern as it stands now: a merge since the event names the survivor, whose evidence,
      // guardrails, run and recovery these are (DESIGN §8). Bridge 2 resolved it already: no read.
      const pattern = await this.patterns.survivorOnce(c.tenantId, c.patternId);
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
        },
        { message: c.message, agentId: c.agentId, capability: c.capability },
      );
      // DESIGN §8 "Learning": the suggestion's confidence is the prior; this fix's runs and reviews move it (ADR 0014).
      const observations = await this.evidence.observations(c.tenantId, pattern.id, suggestion.playbookId);
      const fix = assessFix({ mean: suggestion.confidence, from: suggestion.confidenceFrom }, observations, new Date());
      const allowed = !c.autoApplyPaused && pattern.auto_apply_recovery && fix.trusted;
      // The run it would start needs the incident: read with the guardrails' lock, in the same round trip.
      const incident = allowed
        ? this.queries.execute(new GetIncident({ tenantId: c.tenantId, incidentId: c.incidentId }))
        : null;
      incident?.catch(() => undefined); // not awaited when a guardrail holds the fix; a failed read fails the commit anyway
      // A trusted fix still runs alone only inside the tenant's guardrails (checked under a tenant lock, before the run exists).
      const heldBy = allowed
        ? await this.guardrails.blockingGuardrail({
            tenantId: c.tenantId,
            agentId: c.agentId,
            capability: c.capability,
            patternId: pattern.id,
            canary: this.hasCanary(suggestion.playbookId),
          })
        : null;
      const autoApplied = allowed && heldBy === null;
      const decision = explain(fix, {
        autoApplied,
        heldBy,
        paused: c.autoApplyPaused ?? false,
        patternAllows: pattern.auto_apply_recovery,
      });
      const recoveryId = uuidv7();
      const ttl = this.config.recoveryReviewTtlMs;
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
        confidence: fix.confidence,
        status: autoApplied ? 'applied' : 'pending_review',
        decided_by: autoApplied ? 'auto-apply' : null,
        held_by: heldBy?.reason ?? null,
        decision,
        // The approval request's expiry (DESIGN §13), TTL from when it is stored by the database's
        // clock (the sweep's); an operator may move it (PATCH /recoveries/:id).
        review_ms: !autoApplied && ttl > 0 ? ttl : null,
      });
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
          confidence: fix.confidence,
          lowerBound: fix.lowerBound,
          status: autoApplied ? 'applied' : 'pending_review',
          heldBy,
        },
        reason: decision.reason,
      });
      let runId: string | null = null;
      if (autoApplied) {
        await this.recoveries.recordAction({
          id: uuidv7(),
          tenantId: c.tenantId,
          recoveryId,
          action: 'applied',
          automatic: true,
          actor: 'auto-apply',
          note: decision.reason,
        });
        const run = await this.commands.execute(
          new StartRecoveryRun({
            tenantId: c.tenantId,
            recoveryId,
            incidentId: c.incidentId,
            incident: await incident,
            patternId: pattern.id,
            playbookId: suggestion.playbookId,
            params: suggestion.params,
            automatic: true,
            startedBy: 'auto-apply',
          }),
        );
        runId = run.id;
        await this.audit.record({
          tenantId: c.tenantId,
          actor: 'auto-apply',
          action: 'recovery.applied',
          subject: { type: 'recovery', id: recoveryId },
          after: { status: 'applied', runId },
          reason: decision.reason,
        });
      }
      // suggestRecovery only suggests playbooks of the catalog.
      const { id, name, policy } = this.catalog.get(suggestion.playbookId)!;
      return {
        recoveryId,
        playbookId: suggestion.playbookId,
        playbook: { id, name, policy },
        suggestionType: suggestion.suggestionType,
        confidence: fix.confidence,
        autoApplied,
        runId,
        heldBy,
        decision,
      };
    });
  }
}

/** Why the suggestion was applied or held, in one sentence, with the evidence behind it. */
function explain(
  fix: ReturnType<typeof assessFix>,
  o: { autoApplied: boolean; heldBy: SuggestedRecovery['heldBy']; paused: boolean; patternAllows: boolean },
): RecoveryDecision {
  const trust = `${fix.trusted ? 'trusted' : 'not trusted'}: ${fix.reason}`;
  const reason = o.autoApplied
    ? `auto-applied: ${fix.reason}`
    : o.paused
      ? `held: the kill switch pauses auto-apply (${trust})`
      : !o.patternAllows
        ? `queued for review: the pattern does not auto-apply its recoveries (${trust})`
        : !fix.trusted
          ? `held: ${fix.reason}`
          : `held by ${o.heldBy!.reason} (${trust})`;
  return {
    autoApplied: o.autoApplied,
    reason,
    heldBy: o.heldBy,
    evidence: { ...fix.evidence, trusted: fix.trusted, confidence: fix.confidence, lowerBound: fix.lowerBound },
  };
}
