import { Command } from '@nestjs/cqrs';

/**
 * Merged patterns' runs move to the surviving pattern, in the merge's transaction: their verdicts
 * teach the survivor's confidence, their creation times count for its cooldown, and a run still
 * watching hears recurrences filed under the survivor.
 */
export class MovePatternRuns extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly fromPatternIds: string[],
    readonly toPatternId: string,
  ) {
    super();
  }
}
