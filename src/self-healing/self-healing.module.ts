import { Module } from '@nestjs/common';
import { PlatformModule } from '../platform/platform.module.js';
import { ActuatorSecretsCheck } from './actuators/actuator-secrets-check.js';
import { ActuatorRepository } from './actuators/actuator.repository.js';
import { ActuatorsController } from './actuators/actuators.controller.js';
import { CallActuatorHandler } from './actuators/call-actuator/call-actuator.handler.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { FailurePatternRepository } from './catalog/failure-pattern.repository.js';
import { GetPatternHandler } from './catalog/get-pattern/get-pattern.handler.js';
import { GetSurvivingPatternHandler } from './catalog/get-surviving-pattern/get-surviving-pattern.handler.js';
import { MatchIncidentToCatalogHandler } from './catalog/match-incident/match-incident.handler.js';
import { FixEvidenceRepository } from './learning/fix-evidence.repository.js';
import { ActOnWorkOrderHandler } from './patches/act-on-work-order/act-on-work-order.handler.js';
import { BuildWorkOrderContextHandler } from './patches/build-work-order-context/build-work-order-context.handler.js';
import { CreateWorkOrderHandler } from './patches/create-work-order/create-work-order.handler.js';
import { PatchesController } from './patches/patches.controller.js';
import { TriggerPlaybookHandler } from './patches/trigger-playbook/trigger-playbook.handler.js';
import { WorkOrderLeaseSweeper } from './patches/work-order-lease.sweeper.js';
import { WorkOrderJournal } from './patches/work-order.journal.js';
import { WorkOrdersRepository } from './patches/work-orders.repository.js';
import { playbookProviders } from './playbooks.provider.js';
import { GetRecoveryHandler } from './recovery/get-recovery/get-recovery.handler.js';
import { ListIncidentRecoveriesHandler } from './recovery/list-incident-recoveries/list-incident-recoveries.handler.js';
import { RecoveriesController } from './recovery/recoveries.controller.js';
import { RecoveryNamesReader } from './recovery/recovery-names.reader.js';
import { RecoveryRepository } from './recovery/recovery.repository.js';
import { ReviewExpiryService } from './recovery/review-expiry/review-expiry.service.js';
import { ReviewRecoveryHandler } from './recovery/review-recovery/review-recovery.handler.js';
import { SetRecoveryExpiryHandler } from './recovery/set-recovery-expiry/set-recovery-expiry.handler.js';
import { SuggestRecoveryHandler } from './recovery/suggest-recovery/suggest-recovery.handler.js';
import { ActOnPausedRunHandler } from './runs/act-on-paused-run/act-on-paused-run.handler.js';
import { CanaryLeasesRepository } from './runs/canary-leases.repository.js';
import { CancelRunHandler } from './runs/cancel-run/cancel-run.handler.js';
import { CallSlots } from './runs/engine/call-slots.js';
import { RunAdvancer } from './runs/engine/run-advancer.js';
import { RunEngine } from './runs/engine/run-engine.js';
import { StepCallSecrets } from './runs/engine/step-call-secrets.js';
import { StepCallbackTokens } from './runs/engine/step-callback-tokens.js';
import { FinishWaitingStepHandler } from './runs/finish-waiting-step/finish-waiting-step.handler.js';
import { WorkOrderFinishedHandler } from './runs/finish-waiting-step/work-order-finished.handler.js';
import { GetRunSeriesHandler } from './runs/get-run-series/get-run-series.handler.js';
import { GetRunStatsHandler } from './runs/get-run-stats/get-run-stats.handler.js';
import { GuardrailUsageReadModel } from './runs/guardrails/guardrail-usage.read-model.js';
import { GuardrailsController } from './runs/guardrails/guardrails.controller.js';
import { GuardrailsRepository } from './runs/guardrails/guardrails.repository.js';
import { GuardrailsService } from './runs/guardrails/guardrails.service.js';
import { ListIncidentRunsHandler } from './runs/list-incident-runs/list-incident-runs.handler.js';
import { MovePatternRunsHandler } from './runs/move-pattern-runs/move-pattern-runs.handler.js';
import { AlertRepeatedHandler } from './runs/note-recurrence/alert-repeated.handler.js';
import { NoteRecurrenceHandler } from './runs/note-recurrence/note-recurrence.handler.js';
import { PlanRunHandler } from './runs/plan-run/plan-run.handler.js';
import { RunHistoryPruner } from './runs/prune-history/run-history.pruner.js';
import { KillSwitchOffHandler } from './runs/resume-paused/kill-switch-off.handler.js';
import { RunStatsReadModel } from './runs/run-stats.read-model.js';
import { RunWakeups } from './runs/run-wakeups.js';
import { RunJournal } from './runs/run.journal.js';
import { RunsController } from './runs/runs.controller.js';
import { RunsRepository } from './runs/runs.repository.js';
import { StartRecoveryRunHandler } from './runs/start-recovery-run/start-recovery-run.handler.js';
import { SettleOnIncidentResolvedHandler } from './settle-on-incident-resolved/settle-on-incident-resolved.handler.js';
import { ListWaitingWorkHandler } from './waiting/list-waiting-work/list-waiting-work.handler.js';
import { WaitingWorkReadModel } from './waiting/waiting-work.read-model.js';

/** Pillar 2, the self-healing platform: failure catalog and matcher, recovery engine, playbooks and their runs, work orders for coding agents. */
@Module({
  imports: [PlatformModule],
  controllers: [
    CatalogController,
    RecoveriesController,
    ActuatorsController,
    PatchesController,
    RunsController,
    GuardrailsController,
  ],
  providers: [
    ...playbookProviders,
    FailurePatternRepository,
    RecoveryRepository,
    FixEvidenceRepository,
    MatchIncidentToCatalogHandler,
    GetPatternHandler,
    GetSurvivingPatternHandler,
    GetRecoveryHandler,
    SuggestRecoveryHandler,
    ReviewRecoveryHandler,
    RecoveryNamesReader,
    ListIncidentRecoveriesHandler,
    SettleOnIncidentResolvedHandler,
    ActuatorRepository,
    ActuatorSecretsCheck,
    CallActuatorHandler,
    ReviewExpiryService,
    WorkOrdersRepository,
    WorkOrderJournal,
    WorkOrderLeaseSweeper,
    CreateWorkOrderHandler,
    BuildWorkOrderContextHandler,
    ActOnWorkOrderHandler,
    RunsRepository,
    CanaryLeasesRepository,
    RunJournal,
    RunWakeups,
    StepCallbackTokens,
    StepCallSecrets,
    CallSlots,
    RunAdvancer,
    RunEngine,
    RunHistoryPruner,
    StartRecoveryRunHandler,
    FinishWaitingStepHandler,
    CancelRunHandler,
    ActOnPausedRunHandler,
    PlanRunHandler,
    SetRecoveryExpiryHandler,
    NoteRecurrenceHandler,
    AlertRepeatedHandler,
    KillSwitchOffHandler,
    MovePatternRunsHandler,
    WorkOrderFinishedHandler,
    GetRunStatsHandler,
    GetRunSeriesHandler,
    ListIncidentRunsHandler,
    TriggerPlaybookHandler,
    GuardrailsRepository,
    GuardrailsService,
    GuardrailUsageReadModel,
    RunStatsReadModel,
    WaitingWorkReadModel,
    ListWaitingWorkHandler,
  ],
})
export class SelfHealingModule {}
