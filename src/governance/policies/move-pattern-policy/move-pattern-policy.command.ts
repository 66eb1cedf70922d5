import { Command } from '@nestjs/cqrs';

/**
 * The catalog merged `fromPatternIds` into `toPatternId`: the pattern's policy follows. One policy
 * per pattern, so when `toPatternId` has none the oldest of the others' moves over; any other stays
 * with its (merged, still resolvable) pattern. Answers the id of the policy moved, if any.
 */
export class MovePatternPolicy extends Command<string | null> {
  constructor(
    readonly tenantId: string,
    readonly fromPatternIds: string[],
    readonly toPatternId: string,
  ) {
    super();
  }
}
