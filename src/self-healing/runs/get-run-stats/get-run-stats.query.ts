import { Query } from '@nestjs/cqrs';
import type { RunStatus } from '../run.view.js';

export interface RunStats {
  /** Runs started in the window, by their state now. */
  runs: Record<RunStatus, number> & { total: number };
  /** Auto-applied runs that succeeded (so without rollback) ÷ auto-applied runs with a verdict; null with none (DESIGN §8, the blueprint's bar is > 90 %). */
  autoApplySuccessRate: number | null;
  /** Runs that escalated to a coding agent (a work order), and those that finished without one. */
  escalated: number;
  succeededWithoutEscalation: number;
  /** Finished runs whose outcome says whether the fix worked (canceled ones do not). */
  withVerdict: number;
}

export interface GetRunStatsProps {
  tenantId: string;
  /** null: every run ever. */
  hours: number | null;
}

export interface GetRunStats extends GetRunStatsProps {}
export class GetRunStats extends Query<RunStats> {
  constructor(props: GetRunStatsProps) {
    super();
    Object.assign(this, props);
  }
}
