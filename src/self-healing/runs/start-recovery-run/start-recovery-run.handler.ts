import { Inject, UnprocessableEntityException } from '@nestjs/common';
import { CommandBus, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { SetIncidentMitigation } from '../../../incidents/lifecycle/set-incident-mitigation/set-incident-mitigation.command.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { GetPattern } from '../../catalog/get-pattern/get-pattern.query.js';
import { PLAYBOOK_CATALOG } from '../../playbooks.provider.js';
import { onFailureOf, type PlaybookCatalog } from '../../recovery/playbook-catalog.js';
import {
  resolveCanary,
  resolveStepParams,
  resolveWaitMs,
  type PlaybookStep,
  type StepList,
} from '../../recovery/playbook-steps.js';
import { RunEngine } from '../engine/run-engine.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunJournal } from '../run.journal.js';
import { runView, type RunContext, type RunView, type StepRow } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { StartRecoveryRun } from './start-recovery-run.command.js';

@CommandHandler(StartRecoveryRun)
export class StartRecoveryRunHandler implements ICommandHandler<StartRecoveryRun> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly wakeups: RunWakeups,
    private readonly engine: RunEngine,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(p: StartRecoveryRun): Promise<RunView> {
    return this.tx.run(async () => {
      const playbook = this.catalog.get(p.playbookId);
      // A recovery suggested before its playbook left config/playbooks.json.
      if (!playbook)
        throw new UnprocessableEntityException(
          `playbook "${p.playbookId}" is no longer in the playbook catalog: this recovery cannot run`,
        );
      const [incident, pattern] = await Promise.all([
        p.incident !== undefined || !p.incidentId
          ? (p.incident ?? null)
          : this.queries.execute(new GetIncident({ tenantId: p.tenantId, incidentId: p.incidentId })),
        p.patternId ? this.queries.execute(new GetPattern({ tenantId: p.tenantId, patternId: p.patternId })) : null,
      ]);
      const context: RunContext = {
        incident: incident && {
          id: incident.id,
          title: incident.title,
          errorType: incident.errorType,
          severity: incident.severity,
          message: incident.message,
          agentId: incident.agentId,
          capability: incident.capability,
        },
        pattern: pattern && { id: pattern.id, template: pattern.template, errorType: pattern.errorType },
        ...(p.problem ? { problem: p.problem } : {}),
      };
      const id = uuidv7();
      // Leased to this replica's engine if it has room (handed over at commit), else due for a claim.
      const lease = this.engine.leaseNewRun({ id, tenant_id: p.tenantId });
      const rows = (['steps', 'verify', 'rollback'] as StepList[]).flatMap((list) =>
        playbook[list].map((step, position) => this.stepRow(id, p.tenantId, list, position, step, p.params)),
      );
      // The run, its steps and the incident's new status leave in one round trip: statements on a
      // transaction's connection run in the order they were sent, and any failure rolls back all three.
      const [run, steps] = await Promise.all([
        this.runs.insertRun({
          id,
          tenant_id: p.tenantId,
          recovery_id: p.recoveryId,
          incident_id: p.incidentId,
          pattern_id: p.patternId,
          playbook_id: playbook.id,
          agent_id: incident?.agentId ?? null,
          capability: incident?.capability ?? null,
          automatic: p.automatic,
          started_by: p.startedBy,
          status: 'queued',
          phase: 'steps',
          params: p.params,
          context,
          // The deadline and the lease are times of the database's clock (ADR 0008 §10), set by the insert.
          timeout_ms: this.config.runs.runTimeoutMs,
          lease,
          // Only monitoring sends resolutions: an incident reported otherwise has none to wait for.
          await_resolution: playbook.awaitResolution && incident?.source === 'alertmanager',
          on_failure: onFailureOf(playbook, p.automatic),
        }),
        this.runs.insertSteps(rows),
        p.incidentId &&
          this.commands.execute(
            new SetIncidentMitigation({
              tenantId: p.tenantId,
              incidentId: p.incidentId,
              mitigating: true,
              reason: `run ${id} started`,
            }),
          ),
      ]);
      // Its first transition at its created_at: the database's time of this transaction, as later turns' locked_at are.
      await this.journal.run(
        run,
        run.created_at,
        null,
        `${p.automatic ? 'auto-applied' : 'started'} by ${p.startedBy}: playbook ${playbook.id}`,
      );
      if (!lease) this.wakeups.afterCommit();
      return runView(run, steps);
    });
  }

  private stepRow(
    runId: string,
    tenantId: string,
    list: StepList,
    position: number,
    s: PlaybookStep,
    params: Record<string, unknown>,
  ) {
    return {
      run_id: runId,
      step_id: s.id,
      tenant_id: tenantId,
      list,
      position,
      kind: s.kind,
      runs_as: s.kind,
      instruction: s.instruction,
      actuator: s.actuator ?? null,
      params: resolveStepParams(s, params),
      condition: s.condition ?? null,
      run_if: s.when ?? null,
      duration_ms: s.kind === 'wait' ? resolveWaitMs(s, params) : null,
      timeout_ms: s.timeoutMs,
      max_attempts: s.attempts,
      canary: s.canary ? resolveCanary(s.canary, params) : null,
      status: 'pending' as StepRow['status'],
      // Fixed for the step's whole life: every attempt, and a repeat after a crash, carries it.
      webhook_id: `${runId}.${s.id}`,
    };
  }
}
