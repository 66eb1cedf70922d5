import { Inject, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { ActuatorRepository } from '../../actuators/actuator.repository.js';
import { PLAYBOOK_CATALOG } from '../../playbooks.provider.js';
import { approvalRefusal } from '../../recovery/approval-refusal.js';
import { hasCanaryStep, type Playbook, type PlaybookCatalog } from '../../recovery/playbook-catalog.js';
import { RecoveryRepository, type RecoveryRow } from '../../recovery/recovery.repository.js';
import { GuardrailsService } from '../guardrails/guardrails.service.js';
import { runWatches } from '../run.view.js';
import { PlanRun } from './plan-run.query.js';
import { planSteps } from './run-plan.js';
import type { GuardrailHold, RunPlan } from './run-plan.view.js';

@QueryHandler(PlanRun)
export class PlanRunHandler implements IQueryHandler<PlanRun> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly recoveries: RecoveryRepository,
    private readonly actuators: ActuatorRepository,
    private readonly guardrails: GuardrailsService,
    private readonly queries: QueryBus,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  execute(q: PlanRun): Promise<RunPlan> {
    // One transaction (one connection) for its reads; it writes nothing and takes no lock.
    return this.tx.run(async () => {
      const notes: string[] = [];
      let subject: Pick<RunPlan, 'recoveryId' | 'incidentId' | 'patternId' | 'agentId' | 'capability' | 'params'>;
      let playbook: Playbook;
      let guardrails: GuardrailHold[] = [];
      if (q.source.kind === 'recovery') {
        const recovery = await this.recoveries.findWithTime(q.tenantId, q.source.recoveryId);
        if (!recovery) throw new NotFoundException(`recovery ${q.source.recoveryId} not found`);
        const found = this.catalog.get(recovery.playbook_id);
        if (!found) {
          throw new UnprocessableEntityException(
            `playbook "${recovery.playbook_id}" is no longer in the playbook catalog: this recovery cannot run`,
          );
        }
        playbook = found;
        subject = {
          recoveryId: recovery.id,
          incidentId: recovery.source_incident_id,
          patternId: recovery.source_pattern_id,
          agentId: recovery.agent_id,
          capability: recovery.capability,
          params: recovery.params,
        };
        const refusal = await this.wouldRefuseApproval(q.tenantId, recovery);
        if (refusal !== null) notes.push(`${refusal}: it can no longer be approved`);
        guardrails = await this.guardrails.holdingGuardrails(
          {
            tenantId: q.tenantId,
            agentId: recovery.agent_id,
            capability: recovery.capability,
            patternId: recovery.source_pattern_id,
            // As the decision to auto-apply it checks them (SuggestRecovery).
            canary: hasCanaryStep(playbook),
          },
          { lock: false },
        );
        if (guardrails.length > 0) {
          const names = guardrails.map((g) => g.guardrail).join(', ');
          const what = `${names} would send it to review if it were auto-applied`;
          // Approving it runs it now, unless it can no longer be approved (said above).
          notes.push(
            `guardrails hold automatic runs only: ${what}${refusal === null ? '; approving it runs it now' : ''}`,
          );
        }
      } else {
        playbook = this.catalog.choose(q.source.errorType, q.source.description).playbook;
        subject = {
          recoveryId: null,
          incidentId: null,
          patternId: null,
          agentId: null,
          capability: null,
          params: playbook.defaultParams,
        };
        notes.push('a reported problem has no pattern: no guardrail applies, and there is no recurrence to watch for');
      }
      const actuators = new Set((await this.actuators.list(q.tenantId)).map((a) => a.name));
      // A person starts the run a dry run describes (approve, trigger).
      const planned = planSteps(playbook, subject.params, { actuators, automatic: false });
      const killSwitch = killSwitchStops(
        await this.queries.execute(new GetKillSwitchState({ tenantId: q.tenantId })),
        subject.agentId,
      );
      if (killSwitch)
        notes.push(
          'the kill switch is on: it would pause this run if it were automatic; a run a person starts goes on',
        );
      const manual = planned.steps
        .filter((s) => s.actuatorConfigured === false)
        .map((s) => `${s.id} (actuator ${s.actuator})`);
      if (manual.length > 0) notes.push(`not configured, so a person does these steps: ${manual.join(', ')}`);
      if (planned.onFailure === 'pause') {
        // What POST …/skip would refuse (run.view's skipRefusal): a failed check, or any failure of a run nothing
        // else judges: no watch (runWatches, as the run will have) and no check sure to run, its `when` decided
        // as far as the plan can (planCondition); the skip decides the rest from what has run by then.
        // The run's await_resolution (StartRecoveryRun) decides nothing here: a recovery's run always has its
        // pattern (source_pattern_id is NOT NULL), so it watches anyway, and a reported problem's run has no
        // incident, so no monitoring to await (false). Should either change, set it as the start does.
        const watch = runWatches({ pattern_id: subject.patternId, await_resolution: false });
        const checks = planned.steps.filter((s) => s.list === 'verify');
        const judged = watch || checks.some((c) => c.when === null || c.when.result === 'runs');
        const never = !watch && checks.every((c) => c.when?.result === 'skipped');
        notes.push(
          judged
            ? 'a failed step pauses the run for an operator: retry, skip or roll back; a failed verification check only retry or roll back (skipped, it would count the fix verified)'
            : never
              ? 'a failed step pauses the run for an operator: retry or roll back; with no verification check and nothing to watch for, a skip would count the fix verified, so none is allowed'
              : 'a failed step pauses the run for an operator: retry or roll back, and skip only where a verification check is sure to run after it (its condition decided by what has run by then): with nothing to watch for, a skip past every check would count the fix verified',
        );
      }
      return {
        dryRun: true,
        playbookId: playbook.id,
        playbookName: playbook.name,
        ...subject,
        ...planned,
        guardrails,
        killSwitch,
        notes,
      };
    });
  }

  /**
   * Why approving the recovery would be refused, as ReviewRecoveryHandler judges it (the same
   * approvalRefusal): by the database's clock as it is read (ADR 0018), and its incident as it
   * stands, read only when nothing else refuses it (as the approval reads it).
   */
  private async wouldRefuseApproval(
    tenantId: string,
    recovery: RecoveryRow & { read_at: Date },
  ): Promise<string | null> {
    const refusal = approvalRefusal(recovery, recovery.read_at, null);
    if (refusal !== null) return refusal;
    const incident = await this.queries.execute(new GetIncident({ tenantId, incidentId: recovery.source_incident_id }));
    return approvalRefusal(recovery, recovery.read_at, incident);
  }
}
