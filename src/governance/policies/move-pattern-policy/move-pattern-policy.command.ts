import { Command } from '@nestjs/cqrs';

export interface MovePatternPolicyProps {
  tenantId: string;
  fromPatternIds: string[];
  toPatternId: string;
}

/**
 * The catalog merged `fromPatternIds` into `toPatternId`: the pattern's policy follows. One policy
 * per pattern, so when `toPatternId` has none the oldest of the others' moves over; any other stays
 * with its (merged, still resolvable) pattern. Answers the id of the policy moved, if any.
 */
export interface MovePatternPolicy extends MovePatternPolicyProps {}
export class MovePatternPolicy extends Command<string | null> {
  constructor(props: MovePatternPolicyProps) {
    super();
    Object.assign(this, props);
  }
}
