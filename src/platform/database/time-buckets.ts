/** Equal time buckets ending at `to` (exclusive), oldest first: the frame of a time series. */
export interface TimeBuckets {
  from: Date;
  bucketMs: number;
  count: number;
}

/** `count` buckets of `bucketMs`, aligned to multiples of the bucket size (UTC), the last one holding `now`. */
export function lastBuckets(now: Date, bucketMs: number, count: number): TimeBuckets {
  const end = Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs;
  return { from: new Date(end - count * bucketMs), bucketMs, count };
}

/**
 * SQL for the bucket index of a timestamp `column`, given the parameters holding `from` and
 * `bucketMs` (e.g. `$2`, `$3`); rows outside [from, from + count × bucketMs) must be filtered by the caller
 * with `inBuckets`.
 */
export const bucketOf = (column: string, from: string, bucketMs: string) =>
  `floor(extract(epoch FROM (${column} - ${from}::timestamptz)) * 1000 / ${bucketMs}::double precision)::int`;

export const inBuckets = (column: string, from: string, bucketMs: string, count: string) =>
  `${column} >= ${from}::timestamptz AND ${column} < ${from}::timestamptz + make_interval(secs => ${bucketMs}::double precision * ${count}::int / 1000)`;

/** One value per bucket from rows that carry their bucket index `b` (buckets without a row get `empty`). */
export function perBucket<R extends { b: number }, V>(
  frame: TimeBuckets,
  rows: R[],
  value: (row: R) => V,
  empty: V,
): V[] {
  const out = Array.from({ length: frame.count }, () => empty);
  for (const row of rows) if (row.b >= 0 && row.b < frame.count) out[row.b] = value(row);
  return out;
}
