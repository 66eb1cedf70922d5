import { Injectable } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { RecordDecision } from '../../incidents/record-decision/record-decision.command.js';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { MetricsService } from '../../platform/metrics/metrics.service.js';
import { RecoveryRunProgressed } from '../events/recovery-run-progressed.event.js';
import type { CanaryOutput } from './engine/canary-trial.js';
import type { RunRow, RunStatus, StepRow } from './run.view.js';
import { RunsRepository } from './runs.repository.js';

/** Step changes worth a line on the incident's timeline; attempts and retries stay in the run's own history. */
const TIMELINE_STEP_STATES = new Set(['succeeded', 'failed', 'timed_out', 'awaiting_operator', 'skipped']);
/** Run states that are a verdict on the fix, a person's stop, or how its rollback ended: each is an audit entry. */
const AUDITED_RUN_STATES = new Set<RunStatus>(['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled']);

/**
 * Every change of a run or a step is told, in the changing transaction: a transition row (time,
 * attempt, output, error), a RecoveryRunProgressed event (the tenant's live stream), a counter (on commit),
 * and for the changes a person cares about a line on the incident's timeline (evidence export).
 * `at` is the time of the change by the database's clock, as the turn has it (the run's `locked_at`,
 * or a new run's `created_at`): the clock its steps' times are stamped by, so that the history and
 * the steps agree whatever the host's clock says (ADR 0008 §10).
 */
@Injectable()
export class RunJournal {
  constructor(
    private readonly runs: RunsRepository,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly metrics: MetricsService,
    private readonly audit: AuditTrail,
    private readonly tx: TransactionHost,
  ) {}

  /** `audited: false` for a rollback going back to `failed`/`canceled` after a person answered: already audited when it got there. */
  async run(run: RunRow, at: Date, from: string | null, note: string, timeline = true, audited = true): Promise<void> {
    await this.runs.insertTransition({
      at,
      tenantId: run.tenant_id,
      runId: run.id,
      stepId: null,
      from,
      to: run.status,
      note,
    });
    // Counted once the change commits: a turn that rolls back and is taken again changes it again.
    if (from !== run.status) this.tx.afterCommit(() => this.metrics.recoveryRuns.inc({ status: run.status }));
    if (audited && from !== run.status && AUDITED_RUN_STATES.has(run.status)) {
      await this.audit.record({
        tenantId: run.tenant_id,
        actor: run.status === 'canceled' ? (run.cancel_requested_by ?? 'system') : 'system',
        action: `run.${run.status}`,
        subject: { type: 'run', id: run.id },
        before: { status: from },
        after: {
          status: run.status,
          reason: run.reason,
          recoveryId: run.recovery_id,
          incidentId: run.incident_id,
          patternId: run.pattern_id,
          playbookId: run.playbook_id,
          agentId: run.agent_id,
          capability: run.capability,
          automatic: run.automatic,
        },
        reason: note,
      });
    }
    if (timeline)
      await this.timeline(run, `run ${run.id} ${run.status}: ${note}`, {
        runId: run.id,
        status: run.status,
        phase: run.phase,
        reason: run.reason,
      });
    await this.progress(run, at, null, note);
  }

  async step(run: RunRow, at: Date, step: StepRow, from: string, note: string | null = null): Promise<void> {
    await this.runs.insertTransition({
      at,
      tenantId: run.tenant_id,
      runId: run.id,
      stepId: step.step_id,
      from,
      to: step.status,
      attempt: step.attempts || null,
      output: step.output ?? undefined,
      error: step.error,
      note,
    });
    if (from !== step.status)
      this.tx.afterCommit(() => this.metrics.recoverySteps.inc({ kind: step.runs_as, status: step.status }));
    if (TIMELINE_STEP_STATES.has(step.status) && from !== step.status) {
      const why = step.error ?? note;
      await this.timeline(
        run,
        `run ${run.id} step ${step.step_id} (${step.runs_as}) ${step.status}${why ? `: ${why}` : ''}`,
        {
          runId: run.id,
          stepId: step.step_id,
          stepStatus: step.status,
          attempts: step.attempts,
        },
      );
    }
    await this.progress(run, at, step, note);
  }

  /** A canary step promoted its winner (DESIGN §13): an audit entry, as a setting changed in production. */
  async canaryPromoted(run: RunRow, stepId: string, trial: CanaryOutput): Promise<void> {
    const w = trial.winner!;
    await this.audit.record({
      tenantId: run.tenant_id,
      actor: 'system',
      action: 'canary.promoted',
      subject: { type: 'run', id: run.id },
      after: {
        stepId,
        candidate: { index: w.index, params: w.params },
        score: w.score,
        candidates: trial.candidates.map((c) => ({ index: c.index, result: c.result, score: c.score })),
        playbookId: run.playbook_id,
        patternId: run.pattern_id,
        agentId: run.agent_id,
        automatic: run.automatic,
      },
      reason: trial.summary,
    });
  }

  /** A line on the timeline only (e.g. a guardrail or a pause), with no state change. */
  async note(run: RunRow, at: Date, note: string): Promise<void> {
    await this.runs.insertTransition({
      at,
      tenantId: run.tenant_id,
      runId: run.id,
      stepId: null,
      from: run.status,
      to: run.status,
      note,
    });
    await this.timeline(run, `run ${run.id}: ${note}`, { runId: run.id, status: run.status });
    await this.progress(run, at, null, note);
  }

  private async timeline(run: RunRow, summary: string, details: Record<string, unknown>): Promise<void> {
    if (!run.incident_id) return;
    await this.commands.execute(
      new RecordDecision({ tenantId: run.tenant_id, incidentId: run.incident_id, kind: 'run', summary, details }),
    );
  }

  private progress(run: RunRow, at: Date, step: StepRow | null, note: string | null): Promise<void> {
    return this.events.publish(
      new RecoveryRunProgressed({
        tenantId: run.tenant_id,
        runId: run.id,
        incidentId: run.incident_id,
        status: run.status,
        phase: run.phase,
        stepId: step?.step_id ?? null,
        stepStatus: step?.status ?? null,
        attempt: step ? step.attempts : null,
        error: step?.error ?? null,
        note,
        at: at.toISOString(),
      }),
    );
  }
}
