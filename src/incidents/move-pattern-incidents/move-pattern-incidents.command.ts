import { Command } from '@nestjs/cqrs';

/** Re-files every incident of the `fromPatternIds` under `toPatternId` (the catalog merged those patterns into it). */
export class MovePatternIncidents extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly fromPatternIds: string[],
    readonly toPatternId: string,
  ) {
    super();
  }
}
