import { Module } from '@nestjs/common';
import { FindUnresolvedIncidentByFingerprintHandler } from './find-by-fingerprint/find-unresolved-incident-by-fingerprint.handler.js';
import { GetIncidentHandler } from './get-incident/get-incident.handler.js';
import { GetIncidentSummariesHandler } from './incident-summaries/get-incident-summaries.handler.js';
import { GetIncidentSeriesHandler } from './incident-series/get-incident-series.handler.js';
import { ListPatternSamplesHandler } from './pattern-samples/list-pattern-samples.handler.js';
import { GetResolutionStatsHandler } from './resolution-stats/get-resolution-stats.handler.js';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsRepository } from './incidents.repository.js';
import { GetKillSwitchStateHandler } from './killswitch/get-killswitch-state.handler.js';
import { KillSwitchCache } from './killswitch/killswitch.cache.js';
import { KillSwitchController } from './killswitch/killswitch.controller.js';
import { KillSwitchRepository } from './killswitch/killswitch.repository.js';
import { SetKillSwitchHandler } from './killswitch/set-killswitch/set-killswitch.handler.js';
import { AcknowledgeIncidentHandler } from './lifecycle/acknowledge-incident/acknowledge-incident.handler.js';
import { LifecycleController } from './lifecycle/lifecycle.controller.js';
import { ResolveIncidentHandler } from './lifecycle/resolve-incident/resolve-incident.handler.js';
import { SetIncidentMitigationHandler } from './lifecycle/set-mitigation/set-incident-mitigation.handler.js';
import { LinkIncidentToPatternHandler } from './link-pattern/link-incident-to-pattern.handler.js';
import { MovePatternIncidentsHandler } from './move-pattern-incidents/move-pattern-incidents.handler.js';
import { RecordDecisionHandler } from './record-decision/record-decision.handler.js';
import { ReportIncidentHandler } from './report-incident/report-incident.handler.js';
import { GetIncidentTimelineHandler } from './timeline/get-incident-timeline.handler.js';
import { TimelineController } from './timeline/timeline.controller.js';

/** Pillar 1, the incident console: incidents and their lifecycle, decisions timeline, kill switch. */
@Module({
  controllers: [IncidentsController, LifecycleController, TimelineController, KillSwitchController],
  providers: [
    IncidentsRepository,
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
    FindUnresolvedIncidentByFingerprintHandler,
  ],
})
export class IncidentsModule {}
