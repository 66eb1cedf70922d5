import type { Severity } from '../severities.js';

/** The kinds of things that wait for a person (DESIGN §12), in the order the inbox lists them when equally urgent. */
export const INBOX_KINDS = [
  'operator_step',
  'guardrail_hold',
  'review',
  'escalation',
  'work_order',
  'draft_policy',
] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export interface InboxItem {
  /** `<kind>:<what waits>`, e.g. `review:<patternId>`, `operator_step:<runId>:<stepId>`. */
  id: string;
  kind: InboxKind;
  title: string;
  subject: { type: string; id: string };
  priority: Severity;
  /** Since when it waits. */
  createdAt: string;
  /** When it stops waiting by itself (a review expires, a step times out, an escalation disarms). */
  deadline: string | null;
  assignee: string | null;
  /** Hidden from the inbox until then (listed with `snoozed=include` or `only`). */
  snoozedUntil: string | null;
  /** The console page where it is dealt with. */
  link: string;
}

/** What the navigation shows: how many items wait, by kind, not counting snoozed ones. */
export interface InboxSummary {
  total: number;
  byKind: Record<InboxKind, number>;
  snoozed: number;
}

/** The kind an item id names, or null when it names none. */
export function kindOfItemId(id: string): InboxKind | null {
  const kind = id.slice(0, id.indexOf(':'));
  return (INBOX_KINDS as readonly string[]).includes(kind) && /^[a-z_]+:[A-Za-z0-9:._-]{1,200}$/.test(id)
    ? (kind as InboxKind)
    : null;
}
