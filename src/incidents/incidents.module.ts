import { Module } from '@nestjs/common';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsRepository } from './incidents.repository.js';
import { LinkIncidentToPatternHandler } from './link-pattern/link-incident-to-pattern.handler.js';
import { RecordDecisionHandler } from './record-decision/record-decision.handler.js';
import { ReportIncidentHandler } from './report-incident/report-incident.handler.js';

/** Pillar 1, the incident console: incidents, decisions timeline, kill switch, evidence export. */
@Module({
  controllers: [IncidentsController],
  providers: [IncidentsRepository, ReportIncidentHandler, LinkIncidentToPatternHandler, RecordDecisionHandler],
  exports: [IncidentsRepository],
})
export class IncidentsModule {}
