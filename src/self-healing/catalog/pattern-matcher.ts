import { isLiteralToken, normalizeErrorType, type FailureSignature } from './signature.js';

/** A template position that has held different variable values. */
export const WILDCARD = '<*>';

export interface PatternCandidate {
  id: string;
  templateTokens: string[];
}

export interface PatternMatch {
  id: string;
  score: number;
}

/**
 * The merge rule. Two tokens at the same position are:
 * - compatible: equal, or the template holds `<*>`;
 * - a soft mismatch: different, and at least one side is variable-looking (a placeholder
 *   such as `<NUM>`, or a token containing a digit). A value the masker classified
 *   differently (`<NUM>` vs `<HEX>`, `cache:<NUM>` vs `<HOST>`) is still the same slot,
 *   so it lowers the score but may be generalised to `<*>`;
 * - a hard mismatch: two different literal tokens (no digit, no placeholder), e.g.
 *   "refused" vs "reset" or "rebalance" vs "commit". Literal words are what distinguishes
 *   one failure from another, so no score can make up for one: similarity is 0.
 */
function isHardMismatch(templateToken: string, token: string): boolean {
  return templateToken !== token && templateToken !== WILDCARD && isLiteralToken(templateToken) && isLiteralToken(token);
}

/**
 * Drain-style positional similarity in [0, 1]: the share of positions where the template
 * token equals the message token or is `<*>`. Sequences of different lengths never match
 * (each variable part masks to one token, so one template has one length), and any hard
 * mismatch gives 0.
 */
export function similarity(templateTokens: readonly string[], tokens: readonly string[]): number {
  if (templateTokens.length !== tokens.length) return 0;
  if (tokens.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const templateToken = templateTokens[i]!;
    const token = tokens[i]!;
    if (templateToken === token || templateToken === WILDCARD) same++;
    else if (isHardMismatch(templateToken, token)) return 0;
  }
  return same / tokens.length;
}

function wildcardCount(tokens: readonly string[]): number {
  let count = 0;
  for (const token of tokens) if (token === WILDCARD) count++;
  return count;
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
  let best: PatternCandidate | undefined;
  let bestScore = -1;
  let bestWildcards = 0;
  for (const candidate of candidates) {
    const score = similarity(candidate.templateTokens, signature.tokens);
    // 0 never matches, whatever the threshold: it is a hard mismatch or nothing in common.
    if (score === 0 || score < threshold || score < bestScore) continue;
    const wildcards = wildcardCount(candidate.templateTokens);
    const better =
      best === undefined ||
      score > bestScore ||
      wildcards < bestWildcards ||
      (wildcards === bestWildcards && candidate.id < best.id);
    if (better) {
      best = candidate;
      bestScore = score;
      bestWildcards = wildcards;
    }
  }
  return best === undefined ? null : { id: best.id, score: bestScore };
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

/** Distinct literal values a position must have shown before it is learned as a parameter. */
export const MIN_DISTINCT_VALUES = 3;

/** …and a key=value value (the token after `key=`): the syntax already says it is a field. */
export const MIN_DISTINCT_FIELD_VALUES = 2;

const minDistinct = (tokens: readonly string[], i: number) => (i > 0 && tokens[i - 1]!.endsWith('=') ? MIN_DISTINCT_FIELD_VALUES : MIN_DISTINCT_VALUES);

/** A pattern that differs from a message only in literal words must still share this share of positions. */
export const VARIANT_SIMILARITY = 0.5;

/**
 * Positions where the template holds a different literal word than the message (hard
 * mismatches), or null when the two are not variants of one template: different lengths, or
 * fewer than {@link VARIANT_SIMILARITY} of the positions agree.
 */
function literalDifferences(templateTokens: readonly string[], tokens: readonly string[]): number[] | null {
  if (templateTokens.length !== tokens.length) return null;
  const differences: number[] = [];
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const templateToken = templateTokens[i]!;
    if (templateToken === tokens[i] || templateToken === WILDCARD) same++;
    else if (isHardMismatch(templateToken, tokens[i]!)) differences.push(i);
  }
  return same >= VARIANT_SIMILARITY * tokens.length ? differences : null;
}

/** How a signature is filed in one bucket. */
export type FilingDecision =
  | { kind: 'match'; id: string; score: number; templateTokens: string[] }
  /** `id` (the oldest of the group) absorbs `absorbed`; the message joins it. */
  | { kind: 'merge'; id: string; score: number; templateTokens: string[]; absorbed: string[] }
  | { kind: 'new' };

/**
 * Files a signature among one bucket's patterns. First a plain match (similarity ≥ threshold,
 * no literal word differs, see {@link bestMatch}). Failing that, the message may show that a
 * position is a parameter: among the bucket's patterns that are variants of the message (they
 * differ from it only in literal words, see {@link literalDifferences}), a position where at
 * least {@link MIN_DISTINCT_VALUES} different literal words have been seen (2 for the value of a
 * `key=value`), while everything
 * else stayed the same, is learned as variable. The variants that differ from the message only
 * at learned positions merge, with the message, into the oldest of them (smallest id: ids are
 * time-ordered), whose template gets `<*>` there. A word seen with only one other value stays
 * literal, so two look-alike failures one word apart never merge. Pure: the caller applies it.
 */
export function fileSignature(candidates: readonly PatternCandidate[], signature: FailureSignature, threshold = 0.8): FilingDecision {
  const match = bestMatch(candidates, signature, threshold);
  if (match) {
    const matched = candidates.find((c) => c.id === match.id)!;
    const templateTokens = generalize(matched.templateTokens, signature.tokens);
    return withSubsumed(candidates, [matched], templateTokens, match.score, wildcardCount(templateTokens) > wildcardCount(matched.templateTokens));
  }
  const tokens = signature.tokens;
  const variants: Array<{ candidate: PatternCandidate; differences: number[] }> = [];
  for (const candidate of candidates) {
    const differences = literalDifferences(candidate.templateTokens, tokens);
    if (differences && differences.length > 0) variants.push({ candidate, differences });
  }
  if (variants.length === 0) return { kind: 'new' };

  // Distinct literal words seen at each differing position, the message's included.
  const seen = new Map<number, Set<string>>();
  for (const { candidate, differences } of variants) {
    for (const i of differences) {
      let values = seen.get(i);
      if (!values) seen.set(i, (values = new Set([tokens[i]!])));
      values.add(candidate.templateTokens[i]!);
    }
  }
  const group = variants.filter(({ differences }) => differences.every((i) => seen.get(i)!.size >= minDistinct(tokens, i))).map((v) => v.candidate);
  if (group.length === 0) return { kind: 'new' };
  let templateTokens = [...tokens];
  for (const candidate of group) templateTokens = mergeTokens(templateTokens, candidate.templateTokens);
  return withSubsumed(candidates, group, templateTokens, similarity(templateTokens, tokens), true);
}

/**
 * The group's patterns, and (when the template gained a `<*>`) every other pattern of the
 * bucket the new template now covers, become one: the oldest (smallest id; ids are
 * time-ordered) survives. Without this, a pattern founded before a position was learned would
 * live on beside the general one and keep taking its exact repeats.
 */
function withSubsumed(candidates: readonly PatternCandidate[], group: PatternCandidate[], templateTokens: string[], score: number, generalised: boolean): FilingDecision {
  const members = [...group];
  if (generalised) {
    for (const candidate of candidates) if (!members.includes(candidate) && covers(templateTokens, candidate.templateTokens)) members.push(candidate);
  }
  if (members.length === 1) return { kind: 'match', id: members[0]!.id, score, templateTokens };
  for (const member of members) templateTokens = mergeTokens(templateTokens, member.templateTokens);
  const ids = members.map((m) => m.id).sort();
  return { kind: 'merge', id: ids[0]!, score, templateTokens, absorbed: ids.slice(1) };
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
    for (let next = this.mergedInto.get(current); next !== undefined; next = this.mergedInto.get(current)) current = next;
    return current;
  }

  /** Matches the signature (generalising, or merging variants) or adds it as a new pattern. */
  matchOrAdd(signature: FailureSignature, threshold: number, newId: () => string): MatchOrAddResult {
    const key = bucketKey(signature.errorType, signature.shapeKey);
    const bucket = this.buckets.get(key) ?? [];
    const decision = fileSignature(bucket, signature, threshold);
    if (decision.kind === 'new') {
      const candidate: PatternCandidate = { id: newId(), templateTokens: [...signature.tokens] };
      this.add(signature.errorType, signature.shapeKey, candidate);
      return { id: candidate.id, score: 1, isNew: true, templateTokens: candidate.templateTokens, absorbed: [] };
    }
    const absorbed = decision.kind === 'merge' ? decision.absorbed : [];
    for (const id of absorbed) this.mergedInto.set(id, decision.id);
    const kept = bucket.filter((c) => !absorbed.includes(c.id));
    const index = kept.findIndex((c) => c.id === decision.id);
    kept[index] = { id: decision.id, templateTokens: decision.templateTokens };
    this.buckets.set(key, kept);
    this.count -= absorbed.length;
    return { id: decision.id, score: decision.score, isNew: false, templateTokens: decision.templateTokens, absorbed };
  }
}

function bucketKey(errorType: string, shapeKey: string): string {
  return `${normalizeErrorType(errorType)}|${shapeKey}`;
}
