export const LOOP_STAGES = [
  'incident_created',
  'pattern_matched',
  'recovery_suggested',
  'policy_generated',
  'routing_adjusted',
] as const;
export type LoopStage = (typeof LOOP_STAGES)[number];
export const isLoopStage = (s: string): s is LoopStage => (LOOP_STAGES as readonly string[]).includes(s);

export type StageStatus = 'completed' | 'in_progress' | 'pending' | 'failed' | 'held';

/** What the loop trace stores per stage (JSONB, keyed by stage name). */
export interface StageRecord {
  status: 'completed' | 'failed' | 'held' | 'pending';
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  attempts: number;
  error: string | null;
  details: Record<string, unknown>;
}
