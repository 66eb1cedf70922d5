/** The most rows one ListEvaluations call answers. */
export const EVALUATION_BATCH = 1000;

/** Oldest first, at most `limit` rows created in [sinceMs, untilMs). */
export type FetchEvaluations<E> = (sinceMs: number, limit: number) => Promise<E[]>;

/**
 * The newest `cap` (< EVALUATION_BATCH) rows of [sinceMs, untilMs), oldest first, and whether
 * older ones were left out — over a source that only answers oldest first (ListEvaluations).
 * One call when there are at most `cap`. Otherwise it looks for a window start whose window
 * holds between `cap` and a full batch: probing back from the newest end in growing steps
 * (recent activity resolves in a call or two), then halving the bracket; about log2 of the
 * time span calls at worst, each bounded by the batch size. (Should more than a batch share
 * one millisecond, the top-up from that millisecond may be its older part.)
 */
export async function newestEvaluations<E extends { createdAt: string }>(
  fetch: FetchEvaluations<E>,
  sinceMs: number,
  untilMs: number,
  cap: number,
): Promise<{ items: E[]; truncated: boolean }> {
  const first = await fetch(sinceMs, cap + 1);
  if (first.length <= cap) return { items: first, truncated: false };
  const newest = (rows: E[]) => ({ items: rows.slice(-cap), truncated: true });

  // Invariant: the window from `older` holds more than `cap` rows, the window from `newer` fewer.
  let older = sinceMs;
  let newer = untilMs;
  let bracketed = false;
  for (let span = 60_000; !bracketed && untilMs - span > older; span *= 4) {
    const start = untilMs - span;
    const rows = await fetch(start, EVALUATION_BATCH);
    if (rows.length >= cap && rows.length < EVALUATION_BATCH) return newest(rows);
    if (rows.length < cap) newer = start;
    else {
      older = start;
      bracketed = true;
    }
  }
  while (newer - older > 1) {
    const start = Math.floor((older + newer) / 2);
    const rows = await fetch(start, EVALUATION_BATCH);
    if (rows.length >= cap && rows.length < EVALUATION_BATCH) return newest(rows);
    if (rows.length < cap) newer = start;
    else older = start;
  }
  // More than a batch share the millisecond `older` (no cursor reaches past the batch there):
  // all of [newer, until), topped up with the first batch of that millisecond.
  const recent = await fetch(newer, EVALUATION_BATCH);
  const sameMs = (await fetch(older, EVALUATION_BATCH)).filter((e) => Date.parse(e.createdAt) < newer);
  return newest([...sameMs, ...recent]);
}
