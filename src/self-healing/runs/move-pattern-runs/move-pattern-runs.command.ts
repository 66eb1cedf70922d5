import { Command } from '@nestjs/cqrs';

export interface MovePatternRunsProps {
  tenantId: string;
  fromPatternIds: string[];
  toPatternId: string;
}

/**
 * Merged patterns' runs move to the surviving pattern, in the merge's transaction: their verdicts
 * teach the survivor's confidence, their creation times count for its cooldown, and a run still
 * watching hears recurrences filed under the survivor.
 */
export interface MovePatternRuns extends MovePatternRunsProps {}
export class MovePatternRuns extends Command<void> {
  constructor(props: MovePatternRunsProps) {
    super();
    Object.assign(this, props);
  }
}
