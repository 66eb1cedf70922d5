/**
 * What of the self-healing platform waits for a person (the inbox, DESIGN §12): recoveries
 * awaiting review (by pattern), manual steps awaiting an operator (rollbacks included), automatic
 * work a guardrail or the kill switch holds, work orders that failed or whose claim lapsed.
 */
export const WAITING_WORK_KINDS = ['review', 'operator_step', 'guardrail_hold', 'work_order'] as const;
export type WaitingWorkKind = (typeof WAITING_WORK_KINDS)[number];

export interface WaitingWorkView {
  kind: WaitingWorkKind;
  /**
   * What waits: `pattern` (its recoveries awaiting review), `run` (a step awaiting an operator,
   * or an automatic run the kill switch paused), `recovery` (held by a guardrail), `work_order`.
   */
  subject: { type: 'pattern' | 'run' | 'recovery' | 'work_order'; id: string };
  /** operator_step: the step. */
  stepId: string | null;
  /** Since when it waits. */
  since: string;
  /** When it stops waiting by itself: a review expires, a step times out. */
  deadline: string | null;
  /** The incident's severity, or the work order's priority; null when neither is known. */
  severity: string | null;
  /** The incidents it is about (a review group has several). */
  incidentIds: string[];
  agentId: string | null;
  capability: string | null;
  playbook: string | null;
  /**
   * In words: the pattern's template (review), the step's instruction or, paused, its error (operator_step), the
   * guardrail's reason (guardrail_hold), the work order's description (work_order).
   */
  text: string;
  /**
   * review: the pattern's error type; operator_step: `steps`, `verify` or `rollback` (`paused`: its run waits on it);
   * guardrail_hold: `guardrail` or `kill_switch`; work_order: `failed` or `stuck`.
   */
  detail: string;
  /** review: the recoveries in the group; otherwise 1. */
  count: number;
}

export interface WaitingWorkPage {
  /** The newest waiting things of each kind asked for (or the longest waiting), up to the limit per kind. */
  items: WaitingWorkView[];
  /**
   * How many wait, by kind (beyond the limit too; asked for the longest waiting, from the position on;
   * asked about subjects, about them).
   */
  totals: Partial<Record<WaitingWorkKind, number>>;
}

/**
 * Where a page of the longest waiting ended: the last thing listed of a kind. To the
 * millisecond: what waits since the same millisecond may be listed again, nothing is skipped.
 */
export interface WaitingPosition {
  since: string;
  subjectId: string;
  stepId: string | null;
}

/**
 * The longest waiting first instead of the newest, and only what has waited at least
 * `waitedAtLeastMs` (by the database's clock), each kind from after its position in `after`.
 */
export interface LongestWaiting {
  waitedAtLeastMs: number;
  after?: Partial<Record<WaitingWorkKind, WaitingPosition>>;
}
