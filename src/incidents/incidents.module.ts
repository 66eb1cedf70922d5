import { Module } from '@nestjs/common';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsRepository } from './incidents.repository.js';
import { ReportIncidentHandler } from './report-incident/report-incident.handler.js';

/** Pillar 1, the incident console: incidents, decisions timeline, kill switch, evidence export. */
@Module({
  controllers: [IncidentsController],
  providers: [IncidentsRepository, ReportIncidentHandler],
  exports: [IncidentsRepository],
})
export class IncidentsModule {}
