import { Command } from '@nestjs/cqrs';

export interface MovePatternIncidentsProps {
  tenantId: string;
  fromPatternIds: string[];
  toPatternId: string;
}

/** Re-files every incident of the `fromPatternIds` under `toPatternId` (the catalog merged those patterns into it). */
export interface MovePatternIncidents extends MovePatternIncidentsProps {}
export class MovePatternIncidents extends Command<void> {
  constructor(props: MovePatternIncidentsProps) {
    super();
    Object.assign(this, props);
  }
}
