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

export interface MatchOrAddResult {
  id: string;
  score: number;
  isNew: boolean;
  templateTokens: string[];
}

/**
 * In-memory catalog index: patterns bucketed by `${errorType}|${shapeKey}`, so a lookup
 * scores only the few patterns of one bucket. The database-backed bridge does the same with
 * a (tenant, errorType, shapeKey) index, `bestMatch` and `generalize`.
 */
export class PatternIndex {
  private readonly buckets = new Map<string, PatternCandidate[]>();
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

  /** Matches the signature (generalising the stored template) or adds it as a new pattern. */
  matchOrAdd(signature: FailureSignature, threshold: number, newId: () => string): MatchOrAddResult {
    const bucket = this.candidates(signature.errorType, signature.shapeKey) as PatternCandidate[];
    const match = bestMatch(bucket, signature, threshold);
    if (match) {
      const index = bucket.findIndex((candidate) => candidate.id === match.id);
      const templateTokens = generalize(bucket[index]!.templateTokens, signature.tokens);
      bucket[index] = { id: match.id, templateTokens };
      return { id: match.id, score: match.score, isNew: false, templateTokens };
    }
    const candidate: PatternCandidate = { id: newId(), templateTokens: [...signature.tokens] };
    this.add(signature.errorType, signature.shapeKey, candidate);
    return { id: candidate.id, score: 1, isNew: true, templateTokens: candidate.templateTokens };
  }
}

function bucketKey(errorType: string, shapeKey: string): string {
  return `${normalizeErrorType(errorType)}|${shapeKey}`;
}
