import { Module } from '@nestjs/common';
import { DecisionsRepository } from './decisions.repository.js';
import { FindRecentAlertResolutionsHandler } from './find-recent-alert-resolutions/find-recent-alert-resolutions.handler.js';
import { FindResolvedIncidentsHandler } from './find-resolved/find-resolved-incidents.handler.js';
import { FindUnresolvedIncidentByFingerprintHandler } from './find-unresolved-incident-by-fingerprint/find-unresolved-incident-by-fingerprint.handler.js';
import { GetIncidentHandler } from './get-incident/get-incident.handler.js';
import { GetIncidentSeriesHandler } from './get-incident-series/get-incident-series.handler.js';
import { GetIncidentStatesHandler } from './get-incident-states/get-incident-states.handler.js';
import { GetIncidentSummariesHandler } from './get-incident-summaries/get-incident-summaries.handler.js';
import { GetResolutionStatsHandler } from './get-resolution-stats/get-resolution-stats.handler.js';
import { IncidentStatsReadModel } from './incident-stats.read-model.js';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsRepository } from './incidents.repository.js';
import { GetKillSwitchStateHandler } from './killswitch/get-killswitch-state.handler.js';
import { KillSwitchCache } from './killswitch/killswitch.cache.js';
import { KillSwitchController } from './killswitch/killswitch.controller.js';
import { KillSwitchRepository } from './killswitch/killswitch.repository.js';
import { SetKillSwitchHandler } from './killswitch/set-killswitch/set-killswitch.handler.js';
import { AcknowledgeIncidentHandler } from './lifecycle/acknowledge-incident/acknowledge-incident.handler.js';
import { LifecycleController } from './lifecycle/lifecycle.controller.js';
import { LockIncidentHandler } from './lifecycle/lock-incident/lock-incident.handler.js';
import { ResolveIncidentHandler } from './lifecycle/resolve-incident/resolve-incident.handler.js';
import { SetIncidentMitigationHandler } from './lifecycle/set-incident-mitigation/set-incident-mitigation.handler.js';
import { LinkIncidentToPatternHandler } from './link-incident-to-pattern/link-incident-to-pattern.handler.js';
import { ListIncidentsHandler } from './list-incidents/list-incidents.handler.js';
import { ListPatternSamplesHandler } from './list-pattern-samples/list-pattern-samples.handler.js';
import { MovePatternIncidentsHandler } from './move-pattern-incidents/move-pattern-incidents.handler.js';
import { RecordDecisionHandler } from './record-decision/record-decision.handler.js';
import { FindRecurrenceHandler } from './recurrence/find-recurrence.handler.js';
import { ReportIncidentHandler } from './report-incident/report-incident.handler.js';
import { GetIncidentTimelineHandler } from './timeline/get-incident-timeline.handler.js';
import { TimelineController } from './timeline/timeline.controller.js';

/** Pillar 1, the incident console: incidents and their lifecycle, decisions timeline, kill switch. */
@Module({
  controllers: [IncidentsController, LifecycleController, TimelineController, KillSwitchController],
  providers: [
    ListIncidentsHandler,
    IncidentsRepository,
    DecisionsRepository,
    IncidentStatsReadModel,
    KillSwitchRepository,
    KillSwitchCache,
    ReportIncidentHandler,
    LinkIncidentToPatternHandler,
    MovePatternIncidentsHandler,
    RecordDecisionHandler,
    GetIncidentHandler,
    GetIncidentSummariesHandler,
    GetIncidentSeriesHandler,
    GetResolutionStatsHandler,
    ListPatternSamplesHandler,
    SetKillSwitchHandler,
    GetKillSwitchStateHandler,
    GetIncidentTimelineHandler,
    AcknowledgeIncidentHandler,
    ResolveIncidentHandler,
    SetIncidentMitigationHandler,
    LockIncidentHandler,
    FindUnresolvedIncidentByFingerprintHandler,
    FindRecentAlertResolutionsHandler,
    FindResolvedIncidentsHandler,
    GetIncidentStatesHandler,
    FindRecurrenceHandler,
  ],
})
export class IncidentsModule {}
