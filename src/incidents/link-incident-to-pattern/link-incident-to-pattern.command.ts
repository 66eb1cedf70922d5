import { Command } from '@nestjs/cqrs';

/** Records which failure pattern an incident was filed under. */
export class LinkIncidentToPattern extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly patternId: string,
  ) {
    super();
  }
}
