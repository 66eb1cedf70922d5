import { isLiteralToken, normalizeErrorType, WILDCARD, type FailureSignature } from './signature.js';

export { WILDCARD };

export interface PatternCandidate {
  id: string;
  templateTokens: string[];
  /** Incidents filed under it (merged ones included): the weight of its words when a position is judged (see {@link fileSignature}). */
  occurrenceCount: number;
  /** Founded by the transaction filing the message, not stored yet: never a merge's survivor while a stored one is merged (see {@link survivorFirst}). */
  isNew?: boolean;
}

export interface PatternMatch {
  id: string;
  score: number;
}

const SAME = 0;
const SOFT = 1;
const HARD = 2;

/**
 * How a template token and a message token at one position relate:
 * - the same: equal, the template holds `<*>`, or both are values (placeholders or tokens with
 *   a digit: `<NUM>` and `<HEX>` are one slot whose value the masker classified differently);
 * - a soft mismatch: a value on one side, a literal word on the other (`chdir(<PATH>)` and
 *   `chdir(pwd)`); it lowers the score but may be generalised to `<*>`;
 * - a hard mismatch: two different literal words ("refused" / "reset"). Literal words are what
 *   tells one failure from another, so no score makes up for one; only {@link fileSignature}
 *   learns, from the words a position has shown, that it is a parameter.
 */
function relation(templateToken: string, token: string, tokenIsLiteral: boolean): number {
  if (templateToken === token || templateToken === WILDCARD) return SAME;
  const templateIsLiteral = isLiteralToken(templateToken);
  if (templateIsLiteral && tokenIsLiteral) return HARD;
  return templateIsLiteral || tokenIsLiteral ? SOFT : SAME;
}

const isHardMismatch = (templateToken: string, token: string) =>
  relation(templateToken, token, isLiteralToken(token)) === HARD;

/**
 * Drain-style positional similarity in [0, 1]: the share of positions where the template and
 * the message are the same (see {@link relation}). Sequences of different lengths never match
 * (a run of variable tokens masks to one token, so one template has one length), and any hard
 * mismatch gives 0.
 */
export function similarity(templateTokens: readonly string[], tokens: readonly string[]): number {
  if (templateTokens.length !== tokens.length) return 0;
  if (tokens.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const r = relation(templateTokens[i]!, tokens[i]!, isLiteralToken(tokens[i]!));
    if (r === SAME) same++;
    else if (r === HARD) return 0;
  }
  return same / tokens.length;
}

function wildcardCount(tokens: readonly string[]): number {
  let count = 0;
  for (const token of tokens) if (token === WILDCARD) count++;
  return count;
}

/** Whether `a` is a better plain match than the best so far: higher score, then fewer `<*>`, then smaller id. */
function better(
  a: PatternCandidate,
  score: number,
  best: { candidate: PatternCandidate; score: number; wildcards: number } | null,
): boolean {
  if (best === null || score > best.score) return true;
  if (score < best.score) return false;
  const wildcards = wildcardCount(a.templateTokens);
  return wildcards < best.wildcards || (wildcards === best.wildcards && a.id < best.candidate.id);
}

/**
 * The candidate with the highest similarity ≥ threshold (and > 0), or null. Ties go to the most
 * specific template (fewest `<*>`), then to the smallest id, so the answer never depends on
 * the order the candidates were loaded in.
 */
export function bestMatch(
  candidates: readonly PatternCandidate[],
  signature: FailureSignature,
  threshold = 0.8,
): PatternMatch | null {
  let best: { candidate: PatternCandidate; score: number; wildcards: number } | null = null;
  for (const candidate of candidates) {
    const score = similarity(candidate.templateTokens, signature.tokens);
    // 0 never matches, whatever the threshold: it is a hard mismatch or nothing in common.
    if (score === 0 || score < threshold) continue;
    if (better(candidate, score, best)) best = { candidate, score, wildcards: wildcardCount(candidate.templateTokens) };
  }
  return best === null ? null : { id: best.candidate.id, score: best.score };
}

/**
 * Merges a message into a template: positions that differ become `<*>`. Only call it for a
 * pair that matched; merging different lengths or across a hard mismatch is a bug and throws.
 */
export function generalize(templateTokens: readonly string[], tokens: readonly string[]): string[] {
  if (templateTokens.length !== tokens.length) {
    throw new RangeError(`cannot generalise ${templateTokens.length} tokens with ${tokens.length}`);
  }
  return templateTokens.map((templateToken, i) => {
    const token = tokens[i]!;
    if (templateToken === token) return templateToken;
    if (isHardMismatch(templateToken, token)) {
      throw new Error(`cannot generalise literal "${templateToken}" with "${token}" at position ${i}`);
    }
    return WILDCARD;
  });
}

/**
 * The effective number of words a position must have shown (the exponential of the entropy of
 * their frequencies, a Hill number) before it is learned as a parameter. Two words never reach
 * it (their effective number is at most 2), so look-alikes one word apart stay apart however
 * often they come; three words do when none of them dominates; a frequent word with a couple
 * of rare ones (`user=root` 351 times, `guest` 17, `test` 4: 1.3) does not.
 */
export const MIN_EFFECTIVE_VALUES = 2.5;

/**
 * When judging a position, its commonest word counts this many occurrences more than seen: the
 * position must look variable even if the next incidents all repeated that word, so a few early
 * incidents that happen to show three words do not decide (`root` 3, `guest` 1, `test` 1 is 2.6
 * effective words, with the margin 2.1).
 */
export const DOMINANT_MARGIN = 3;

/** A pattern that differs from a message in literal words must still share this share of positions. */
export const VARIANT_SIMILARITY = 0.5;

/** A template learned from variants keeps at least this share of its positions literal. */
export const MIN_LITERAL_SHARE = 0.5;

/** How a signature is filed in one bucket. */
export type FilingDecision =
  | { kind: 'match'; id: string; score: number; templateTokens: string[] }
  /** `id` (the oldest of the group) absorbs `absorbed`; the message joins it. */
  | { kind: 'merge'; id: string; score: number; templateTokens: string[]; absorbed: string[] }
  | { kind: 'new' };

interface Variant {
  candidate: PatternCandidate;
  /** Positions where it holds a different literal word than the message (or its matched template). */
  differences: number[];
}

/**
 * Files a signature among one bucket's patterns, in one pass over them:
 *
 * 1. A plain match: similarity ≥ threshold and no literal word differs ({@link bestMatch}). The
 *    message joins it; its template generalises where they differ.
 * 2. Learning, on every message, matched or not: the bucket's *variants* of the message (or of
 *    the pattern it joined) are the patterns that differ from it only in literal words, at a few
 *    positions, and agree on at least {@link VARIANT_SIMILARITY} of them. A differing position is
 *    a parameter when the words seen there, weighted by how often each pattern occurred, number
 *    at least {@link MIN_EFFECTIVE_VALUES} effectively. Positions that fail are dropped, and with
 *    them the variants that differ there, until what is left agrees (Brain's "a column whose
 *    values keep changing is a variable", decided online on the patterns themselves). The
 *    message's pattern and the remaining variants merge into the oldest (stored first, then the
 *    smallest id: ids are time-ordered), whose template gets `<*>` at those positions, provided it keeps at least
 *    {@link MIN_LITERAL_SHARE} of its positions literal.
 *
 * Judging on every message (not only on a new word) makes the outcome depend on the counts, not on
 * the moment the third word arrived. Pure: the caller applies the decision.
 */
export function fileSignature(
  candidates: readonly PatternCandidate[],
  signature: FailureSignature,
  threshold = 0.8,
): FilingDecision {
  const tokens = signature.tokens;
  const n = tokens.length;
  const literal = tokens.map(isLiteralToken);
  let best: { candidate: PatternCandidate; score: number; wildcards: number } | null = null;
  const near: Variant[] = [];
  for (const candidate of candidates) {
    const template = candidate.templateTokens;
    if (template.length !== n) continue;
    let same = 0;
    let differences: number[] | null = null;
    for (let i = 0; i < n; i++) {
      const r = relation(template[i]!, tokens[i]!, literal[i]!);
      if (r === SAME) same++;
      else if (r === HARD) (differences ??= []).push(i);
      // Neither a match nor a variant any more: most patterns of a bucket stop here.
      if (r !== SAME && differences !== null && same + n - i - 1 < VARIANT_SIMILARITY * n) break;
    }
    if (differences === null) {
      const score = n === 0 ? 1 : same / n;
      if (score > 0 && score >= threshold && better(candidate, score, best))
        best = { candidate, score, wildcards: wildcardCount(template) };
    } else if (same >= VARIANT_SIMILARITY * n) near.push({ candidate, differences });
  }

  // The pattern the message is part of: the one it joined, generalised, or the message alone.
  const matched = best?.candidate;
  const focus = matched ? generalize(matched.templateTokens, tokens) : tokens;
  const focusWeight = matched ? matched.occurrenceCount + 1 : 1;
  // Positions where the focus holds <*> already take any word: they are no difference.
  const variants = matched
    ? near
        .map((v) => ({ ...v, differences: v.differences.filter((i) => focus[i] !== WILDCARD) }))
        .filter((v) => v.differences.length > 0)
    : near;
  const group = learnedGroup(focus, focusWeight, variants);
  if (group.length > 0) {
    const templateTokens = group.reduce(
      (template, candidate) => mergeTokens(template, candidate.templateTokens),
      focus,
    );
    if (templateTokens.filter(isLiteralToken).length >= MIN_LITERAL_SHARE * n) {
      return withSubsumed(
        candidates,
        matched ? [matched, ...group] : group,
        templateTokens,
        similarity(templateTokens, tokens),
        true,
      );
    }
  }
  if (!matched) return { kind: 'new' };
  return withSubsumed(
    candidates,
    [matched],
    focus,
    best!.score,
    wildcardCount(focus) > wildcardCount(matched.templateTokens),
  );
}

/**
 * The variants that merge with the focus: the positions where they differ are narrowed to those
 * that prove variable, the variants to those differing only there, until both stop changing.
 */
function learnedGroup(focus: readonly string[], focusWeight: number, variants: readonly Variant[]): PatternCandidate[] {
  if (variants.length === 0) return [];
  let positions = new Set<number>();
  for (const { differences } of variants) for (const i of differences) positions.add(i);
  for (;;) {
    const members = variants.filter(({ differences }) => differences.every((i) => positions.has(i)));
    if (members.length === 0) return [];
    const kept = new Set([...positions].filter((i) => isParameter(i, focus, focusWeight, members)));
    if (kept.size === positions.size)
      return kept.size < 2 || varyIndependently(kept, focus, members) ? members.map((m) => m.candidate) : [];
    positions = kept;
  }
}

/**
 * Whether the positions' words vary independently, as parameters do: some word of the position
 * with the most words goes with two different words elsewhere, so their combinations outnumber
 * its words. Words that change together, each word of one position going with one word of the
 * other (`from NEW to UNASSIGNED`, `from UNASSIGNED to ASSIGNED`), are a choice among a few fixed
 * messages (state transitions), not parameters.
 */
function varyIndependently(
  positions: ReadonlySet<number>,
  focus: readonly string[],
  members: readonly Variant[],
): boolean {
  const at = [...positions];
  const rows = [focus, ...members.map((m) => m.candidate.templateTokens)];
  const combinations = new Set(rows.map((tokens) => at.map((i) => tokens[i]).join(' ')));
  const widest = Math.max(...at.map((i) => new Set(rows.map((tokens) => tokens[i])).size));
  return combinations.size > widest;
}

/**
 * Whether the words seen at position i (the focus's and the members', weighted by occurrences)
 * make it a parameter: effectively {@link MIN_EFFECTIVE_VALUES} words or more; or two words, for
 * the value of a `key=value` in a record of values (see {@link isFieldOfValueRecord}).
 */
function isParameter(i: number, focus: readonly string[], focusWeight: number, members: readonly Variant[]): boolean {
  const weights = new Map<string, number>([[focus[i]!, focusWeight]]);
  let total = focusWeight;
  for (const { candidate } of members) {
    const word = candidate.templateTokens[i]!;
    if (word === WILDCARD || !isLiteralToken(word)) continue;
    const weight = Math.max(1, candidate.occurrenceCount);
    weights.set(word, (weights.get(word) ?? 0) + weight);
    total += weight;
  }
  if (weights.size < 2) return false;
  let top = 0;
  for (const weight of weights.values()) top = Math.max(top, weight);
  const effective = effectiveNumber(weights.values(), top, total);
  if (effective >= MIN_EFFECTIVE_VALUES) return true;
  return isFieldOfValueRecord(focus, i);
}

/** Other fields a record must have, every one holding a value, for a field's second word to make it a parameter. */
export const MIN_RECORD_FIELDS = 2;

/**
 * Whether position i is the value of a `key=value` field in a record whose other field values
 * are all values already (placeholders or `<*>`): `ns=<*> op=<*> durationMillis=<NUM>
 * planSummary=COLLSCAN`. There the last literal field is one more parameter. A record that keeps
 * literal field values (`tty=NODEVssh ruser= rhost=<*> user=root`) keeps this one literal too.
 */
function isFieldOfValueRecord(tokens: readonly string[], i: number): boolean {
  if (i === 0 || !tokens[i - 1]!.endsWith('=')) return false;
  let fields = 0;
  for (let j = 1; j < tokens.length; j++) {
    if (j === i || !tokens[j - 1]!.endsWith('=') || tokens[j]!.endsWith('=')) continue;
    if (isLiteralToken(tokens[j]!)) return false;
    fields++;
  }
  return fields >= MIN_RECORD_FIELDS;
}

/**
 * exp(entropy) of the words' frequencies (a Hill number: n equally common words give n), with the
 * commonest word counted {@link DOMINANT_MARGIN} more so that a handful of early incidents cannot decide.
 */
function effectiveNumber(weights: Iterable<number>, top: number, total: number): number {
  const sum = total + DOMINANT_MARGIN;
  let entropy = 0;
  let topSeen = false;
  for (let weight of weights) {
    if (weight === top && !topSeen) {
      weight += DOMINANT_MARGIN;
      topSeen = true;
    }
    entropy -= (weight / sum) * Math.log(weight / sum);
  }
  return Math.exp(entropy);
}

/**
 * The group's patterns, and (when the template gained a `<*>`) every other pattern of the
 * bucket the new template now covers, become one: the oldest survives (a stored one, then the
 * smallest id; see {@link survivorFirst}). Without this, a pattern founded before a position was learned would
 * live on beside the general one and keep taking its exact repeats.
 */
function withSubsumed(
  candidates: readonly PatternCandidate[],
  group: PatternCandidate[],
  templateTokens: string[],
  score: number,
  generalised: boolean,
): FilingDecision {
  const members = [...group];
  if (generalised) {
    for (const candidate of candidates)
      if (!members.includes(candidate) && covers(templateTokens, candidate.templateTokens)) members.push(candidate);
  }
  if (members.length === 1) return { kind: 'match', id: members[0]!.id, score, templateTokens };
  for (const member of members) templateTokens = mergeTokens(templateTokens, member.templateTokens);
  const ids = members.sort(survivorFirst).map((m) => m.id);
  return { kind: 'merge', id: ids[0]!, score, templateTokens, absorbed: ids.slice(1) };
}

/**
 * A merge's survivor comes first: a stored pattern before one founded in this transaction, then
 * the smallest id (the oldest: ids are time-ordered). Ids come from the host's clock, so a replica
 * whose clock is behind founds patterns with ids smaller than stored ones; such a survivor exists
 * only as an insert queued for the commit, and what the merge writes to the stored survivor (the
 * recovery template carried over from an absorbed pattern) would find no row.
 */
function survivorFirst(a: PatternCandidate, b: PatternCandidate): number {
  if (Boolean(a.isNew) !== Boolean(b.isNew)) return a.isNew ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether every message of template `inner` also fits template `outer`. */
function covers(outer: readonly string[], inner: readonly string[]): boolean {
  if (outer.length !== inner.length) return false;
  for (let i = 0; i < outer.length; i++) if (outer[i] !== WILDCARD && outer[i] !== inner[i]) return false;
  return true;
}

/** Position-wise union of two same-length templates: every differing position becomes `<*>`. */
function mergeTokens(a: readonly string[], b: readonly string[]): string[] {
  return a.map((token, i) => (token === b[i] ? token : WILDCARD));
}

export interface MatchOrAddResult {
  id: string;
  score: number;
  isNew: boolean;
  templateTokens: string[];
  /** Patterns merged into `id` by this message. */
  absorbed: string[];
}

/**
 * In-memory catalog index: patterns bucketed by `${errorType}|${shapeKey}`, so a lookup
 * scores only the few patterns of one bucket. The database-backed bridge does the same with
 * a (tenant, errorType, shapeKey) index and {@link fileSignature}.
 */
export class PatternIndex {
  private readonly buckets = new Map<string, PatternCandidate[]>();
  private readonly mergedInto = new Map<string, string>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(errorType: string, shapeKey: string, candidate: PatternCandidate): void {
    const key = bucketKey(errorType, shapeKey);
    const bucket = this.buckets.get(key);
    if (bucket) bucket.push(candidate);
    else this.buckets.set(key, [candidate]);
    this.count++;
  }

  candidates(errorType: string, shapeKey: string): readonly PatternCandidate[] {
    return this.buckets.get(bucketKey(errorType, shapeKey)) ?? [];
  }

  /** The pattern an id stands for now: itself, or the pattern it was merged into. */
  resolve(id: string): string {
    let current = id;
    for (let next = this.mergedInto.get(current); next !== undefined; next = this.mergedInto.get(current))
      current = next;
    return current;
  }

  /** Matches the signature (generalising, or merging variants) or adds it as a new pattern. */
  matchOrAdd(signature: FailureSignature, threshold: number, newId: () => string): MatchOrAddResult {
    const key = bucketKey(signature.errorType, signature.shapeKey);
    const bucket = this.buckets.get(key) ?? [];
    const decision = fileSignature(bucket, signature, threshold);
    if (decision.kind === 'new') {
      const candidate: PatternCandidate = { id: newId(), templateTokens: [...signature.tokens], occurrenceCount: 1 };
      this.add(signature.errorType, signature.shapeKey, candidate);
      return { id: candidate.id, score: 1, isNew: true, templateTokens: candidate.templateTokens, absorbed: [] };
    }
    const absorbed = decision.kind === 'merge' ? decision.absorbed : [];
    for (const id of absorbed) this.mergedInto.set(id, decision.id);
    const kept = bucket.filter((c) => !absorbed.includes(c.id));
    const index = kept.findIndex((c) => c.id === decision.id);
    const occurrenceCount = bucket.reduce(
      (sum, c) => (c.id === decision.id || absorbed.includes(c.id) ? sum + c.occurrenceCount : sum),
      1,
    );
    kept[index] = { id: decision.id, templateTokens: decision.templateTokens, occurrenceCount };
    this.buckets.set(key, kept);
    this.count -= absorbed.length;
    return { id: decision.id, score: decision.score, isNew: false, templateTokens: decision.templateTokens, absorbed };
  }
}

function bucketKey(errorType: string, shapeKey: string): string {
  return `${normalizeErrorType(errorType)}|${shapeKey}`;
}
