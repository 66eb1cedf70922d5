/**
 * How urgent something is, lowest first: the incidents' own severities, so a notification
 * rule's minSeverity and an inbox item's priority read like an incident's.
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const severityRank = (s: string): number => SEVERITIES.indexOf(s as Severity);

/** A severity from anywhere (an incident's, a work order's priority); unknown reads as medium. */
export const asSeverity = (s: string | null | undefined): Severity =>
  severityRank(s ?? '') >= 0 ? (s as Severity) : 'medium';

/** `s`, or `floor` when `s` is below it. */
export const atLeast = (s: Severity, floor: Severity): Severity => (severityRank(s) >= severityRank(floor) ? s : floor);
