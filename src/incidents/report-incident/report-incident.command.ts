import { Command } from '@nestjs/cqrs';
import type { ReportIncidentDto } from './report-incident.dto.js';
import type { IncidentView } from '../incident.view.js';

export class ReportIncident extends Command<{ incident: IncidentView; replayed: boolean }> {
  constructor(
    readonly tenantId: string,
    readonly input: ReportIncidentDto,
    readonly idempotencyKey: string | null,
  ) {
    super();
  }
}
