import { Command } from '@nestjs/cqrs';

export interface LinkIncidentToPatternProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
}

/** Records which failure pattern an incident was filed under. */
export interface LinkIncidentToPattern extends LinkIncidentToPatternProps {}
export class LinkIncidentToPattern extends Command<void> {
  constructor(props: LinkIncidentToPatternProps) {
    super();
    Object.assign(this, props);
  }
}
