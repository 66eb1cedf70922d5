import { Module } from '@nestjs/common';
import { EvidenceController } from './evidence/evidence.controller.js';
import { GetIncidentEvidenceHandler } from './evidence/get-incident-evidence.handler.js';
import { GetIncidentHandler } from './get-incident/get-incident.handler.js';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsRepository } from './incidents.repository.js';
import { GetKillSwitchStateHandler } from './killswitch/get-killswitch-state.handler.js';
import { KillSwitchCache } from './killswitch/killswitch.cache.js';
import { KillSwitchController } from './killswitch/killswitch.controller.js';
import { KillSwitchRepository } from './killswitch/killswitch.repository.js';
import { SetKillSwitchHandler } from './killswitch/set-killswitch/set-killswitch.handler.js';
import { LinkIncidentToPatternHandler } from './link-pattern/link-incident-to-pattern.handler.js';
import { MovePatternIncidentsHandler } from './move-pattern-incidents/move-pattern-incidents.handler.js';
import { RecordDecisionHandler } from './record-decision/record-decision.handler.js';
import { ReportIncidentHandler } from './report-incident/report-incident.handler.js';
import { GetIncidentTimelineHandler } from './timeline/get-incident-timeline.handler.js';
import { TimelineController } from './timeline/timeline.controller.js';

/** Pillar 1, the incident console: incidents, decisions timeline, kill switch, evidence export. */
@Module({
  controllers: [IncidentsController, TimelineController, EvidenceController, KillSwitchController],
  providers: [
    IncidentsRepository,
    KillSwitchRepository,
    KillSwitchCache,
    ReportIncidentHandler,
    LinkIncidentToPatternHandler,
    MovePatternIncidentsHandler,
    RecordDecisionHandler,
    GetIncidentHandler,
    SetKillSwitchHandler,
    GetKillSwitchStateHandler,
    GetIncidentTimelineHandler,
    GetIncidentEvidenceHandler,
  ],
  exports: [IncidentsRepository],
})
export class IncidentsModule {}
