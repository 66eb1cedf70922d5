import { AUTO_APPLY_THRESHOLD } from '../recovery/recovery-generator.js';
import { betaQuantile } from './beta-distribution.js';

/*
 * How sure the platform is that a fix works: the learning rule of ADR 0014 (DESIGN §8 "Learning"),
 * per (pattern, playbook), for template and generated suggestions alike. Pure: the evidence is
 * read by FixEvidenceRepository, the decision is made here.
 *
 * The reliability p of a fix has a Beta(α, β) posterior:
 *   α = m₀·n₀·λ^V + Σ wᵢ·[observation i succeeded],   β = (1 − m₀)·n₀·λ^V + Σ wᵢ·[observation i failed]
 * with the prior mean m₀ (the template's or generator's confidence, else the playbook's) worth n₀
 * runs before the first verdict and fading like the oldest evidence (V: the verdicts so far), and each
 * observation's weight wᵢ = strength × λ^(verdicts newer than it) × ½^(age / half-life).
 * It is trusted to run alone when its lower credible bound (the value p exceeds with probability
 * AUTO_APPLY_THRESHOLD) is at least the reliability floor and it is not held. A failure that leaves the
 * bound under the floor holds it until it earns its way back: a sequential test (SPRT) of "it works like
 * a good fix" against "it works as its record up to that failure says", on the verified runs in a row
 * since. See earnBackRuns.
 */
export const LEARNING = {
  /** n₀: the prior is worth this many verified runs before the first verdict; it then fades like a run that old. */
  priorRuns: 5,
  /** λ: each later verdict multiplies an observation's weight by this; about 1 / (1 − λ) ≈ 6.7 runs of memory. */
  decayPerVerdict: 0.85,
  /** And evidence loses half its weight per this much time: what the fix did last month weighs less than today. */
  halfLifeMs: 30 * 24 * 3_600_000,
  /** A verified run is strong evidence (1); a reviewer's approval or rejection is weak evidence. */
  reviewWeight: 0.25,
  /** The credibility of the lower bound: AUTO_APPLY_THRESHOLD (0.9). */
  credibility: AUTO_APPLY_THRESHOLD,
  /** The reliability the fix must have (with that credibility) to run without a person. */
  reliabilityFloor: 0.6,
  /** p₁ of the earn-back test: how often a good fix works. */
  goodReliability: 0.95,
  /**
   * A failure that leaves the bound under the floor but at or above this is a dip (a good record's one
   * unlucky failure): it asks dipOdds of the earn-back test; one that leaves it lower asks holdOdds.
   */
  holdBound: 0.55,
  dipOdds: 8,
  holdOdds: 30,
  /** Verdicts and reviews that count: older ones weigh under 0.85^50 ≈ 0.03 % of a fresh run. */
  horizon: 50,
  /**
   * Verdicts read per fix: twice the horizon, so each failure within the horizon is judged from the
   * horizon's worth of verdicts before it, as it was when it happened (see findHold). Reviews are read
   * to the same end: every one since the oldest verdict that counts, and the horizon's worth before it.
   */
  verdictsRead: 100,
  /** At most this many reviews since the oldest verdict that counts are read (reviewers decide far less often). */
  reviewsSince: 1000,
} as const;

/**
 * What FixEvidenceRepository reads of a fix's whole history (newest first): the newest verdictsRead runs,
 * every review since the oldest run that counts (up to reviewsSince), and the horizon of reviews before
 * it; with no run, the newest horizon reviews. Its SQL's contract (test/fix-evidence.test.ts).
 */
export function evidenceRead(history: readonly FixObservation[]): FixObservation[] {
  const runs = history.filter((o) => o.kind === 'run');
  const edge = runs.slice(0, LEARNING.horizon).at(-1)?.at.getTime() ?? Infinity;
  let since = 0;
  let before = 0;
  const read = new Set(runs.slice(0, LEARNING.verdictsRead));
  for (const o of history)
    if (
      o.kind === 'review' &&
      (o.at.getTime() > edge ? ++since <= LEARNING.reviewsSince : ++before <= LEARNING.horizon)
    )
      read.add(o);
  return history.filter((o) => read.has(o));
}

/** The newest `horizon` runs and the newest `horizon` reviews of `observations` (newest first), in order. */
function withinHorizon(observations: readonly FixObservation[]): FixObservation[] {
  const seen = { run: 0, review: 0 };
  return observations.filter((o) => ++seen[o.kind] <= LEARNING.horizon);
}

/** One piece of evidence about a fix, newest first in the lists below. */
export interface FixObservation {
  /** A run's verdict (strong evidence), or a reviewer's approval/rejection of a suggestion (weak evidence). */
  kind: 'run' | 'review';
  succeeded: boolean;
  at: Date;
}

export interface FixPrior {
  /** m₀ in [0, 1]. */
  mean: number;
  from: 'template' | 'playbook' | 'generator';
}

export interface FixAssessment {
  /** Trusted to run without a person (the pattern must allow auto-apply too, and guardrails may still hold it). */
  trusted: boolean;
  /** The posterior mean: the expected share of runs that fix the fault. */
  confidence: number;
  /** The value the fix's reliability exceeds with probability `credibility`. */
  lowerBound: number;
  /** One sentence: why (`17 of the last 18 runs verified, lower bound 0.91 ≥ 0.70`). */
  reason: string;
  evidence: {
    prior: { mean: number; from: FixPrior['from']; worthRuns: number };
    /** Verdicts within the horizon, newest last few summarised. */
    runs: { verified: number; failed: number; considered: number };
    reviews: { approved: number; rejected: number };
    /** The weighted evidence after decay. */
    weighted: { successes: number; failures: number };
    /** Verified runs in a row since the last failure. */
    streak: number;
    /** The latest failure that left the bound under the floor, and what earning back from it takes (null: none). */
    hold: Hold | null;
    credibility: number;
    reliabilityFloor: number;
    goodReliability: number;
    holdBound: number;
    dipOdds: number;
    holdOdds: number;
  };
}

export interface Hold {
  /** The lower bound just after that failure. */
  lowerBound: number;
  /** The verified runs up to and including it: p₀ is their share, with the prior fading as in the posterior. */
  record: { verified: number; runs: number; share: number };
  /** dipOdds if the bound stayed at or above holdBound, else holdOdds. */
  odds: number;
  /** Verified runs in a row it needs: earnBackRuns(share, odds). */
  runsNeeded: number;
  /** It had them (in a row, at some point since that failure). */
  earned: boolean;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** α and β from the prior and the observations (newest first) as of `now`. */
export function posterior(
  prior: FixPrior,
  observations: readonly FixObservation[],
  now: Date,
): { alpha: number; beta: number; successes: number; failures: number } {
  const m = Math.min(1, Math.max(0, prior.mean));
  let successes = 0;
  let failures = 0;
  let newerVerdicts = 0;
  for (const o of observations) {
    const age = Math.max(0, now.getTime() - o.at.getTime());
    const w =
      (o.kind === 'run' ? 1 : LEARNING.reviewWeight) *
      LEARNING.decayPerVerdict ** newerVerdicts *
      0.5 ** (age / LEARNING.halfLifeMs);
    if (o.succeeded) successes += w;
    else failures += w;
    if (o.kind === 'run') newerVerdicts++;
  }
  // A prior of exactly 0 or 1 would make the posterior degenerate before any evidence: keep it inside.
  const m0 = Math.min(0.999, Math.max(0.001, m));
  const priorWeight = LEARNING.priorRuns * LEARNING.decayPerVerdict ** newerVerdicts;
  return { alpha: m0 * priorWeight + successes, beta: (1 - m0) * priorWeight + failures, successes, failures };
}

/** The lower credible bound of the reliability. */
export function lowerBound(prior: FixPrior, observations: readonly FixObservation[], now: Date): number {
  const { alpha, beta } = posterior(prior, observations, now);
  return betaQuantile(1 - LEARNING.credibility, alpha, beta);
}

/**
 * The verified runs in a row a held fix needs to earn its way back: the smallest n with
 * (p₁ / p₀)ⁿ ≥ odds, a sequential probability ratio test of "it works like a good fix" (p₁ =
 * goodReliability) against "it works as its record says" (p₀: the record's share, at most the floor,
 * since the hold already says it may be no better than that). A record of 0.6 or better needs 8 runs
 * after a hold (a fix that works 6 times in 10 does that 1.7 % of the time), a record of 0.4 only 4
 * (a fix that got better shows it at once); a dip needs 5. The odds are capped by "one failure among
 * ten verified runs still auto-applies" (ADR 0014): (0.95/0.6)⁵ = 9.96 after a dip, (0.95/0.6)⁸ = 39.6.
 */
export function earnBackRuns(record: number, odds: number): number {
  const p0 = Math.min(LEARNING.reliabilityFloor, Math.max(0.001, record));
  // The small tolerance keeps an exact power (say (0.95/0.6)ⁿ against odds it just meets) from rounding up.
  return Math.max(1, Math.ceil(Math.log(odds) / Math.log(LEARNING.goodReliability / p0) - 1e-9));
}

/**
 * The latest failure within the horizon that left the bound under the floor (observations newest first), or
 * null. Each failure is judged from the evidence within the horizon up to it, as it was when it happened: a
 * hold does not come and go as older evidence leaves the view (FixEvidenceRepository reads that far back).
 */
function findHold(prior: FixPrior, observations: readonly FixObservation[]): Hold | null {
  let newerRuns = 0;
  for (const [index, o] of observations.entries()) {
    if (o.kind !== 'run') continue;
    if (++newerRuns > LEARNING.horizon) break;
    if (o.succeeded) continue;
    // As it stood just after that failure, judged at that time.
    const upTo = withinHorizon(observations.slice(index));
    const bound = lowerBound(prior, upTo, o.at);
    if (bound >= LEARNING.reliabilityFloor) continue;
    const runs = upTo.filter((r) => r.kind === 'run');
    const verified = runs.filter((r) => r.succeeded).length;
    // Every run counts fully in the record; the prior fades as in the posterior.
    const priorWeight = LEARNING.priorRuns * LEARNING.decayPerVerdict ** runs.length;
    const share = (verified + prior.mean * priorWeight) / (runs.length + priorWeight);
    const odds = bound >= LEARNING.holdBound ? LEARNING.dipOdds : LEARNING.holdOdds;
    const runsNeeded = earnBackRuns(share, odds);
    const since = observations.slice(0, index).filter((r) => r.kind === 'run');
    return {
      lowerBound: bound,
      record: { verified, runs: runs.length, share },
      odds,
      runsNeeded,
      earned: longestStreak(since) >= runsNeeded,
    };
  }
  return null;
}

/** The most verified runs in a row among `runs`. */
function longestStreak(runs: readonly FixObservation[]): number {
  let longest = 0;
  let current = 0;
  for (const r of runs) {
    current = r.succeeded ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/**
 * The decision and its explanation. `observations` newest first: the newest LEARNING.horizon of each kind
 * count, and older ones (as FixEvidenceRepository reads them) are looked back on to judge the failures
 * among them.
 */
export function assessFix(prior: FixPrior, observations: readonly FixObservation[], now: Date): FixAssessment {
  const inView = withinHorizon(observations);
  const post = posterior(prior, inView, now);
  const bound = betaQuantile(1 - LEARNING.credibility, post.alpha, post.beta);
  const runs = inView.filter((o) => o.kind === 'run');
  const reviews = inView.filter((o) => o.kind === 'review');
  const lastFailure = runs.findIndex((o) => !o.succeeded);
  const streak = lastFailure === -1 ? runs.length : lastFailure;
  const hold = findHold(prior, observations);
  const floor = LEARNING.reliabilityFloor;
  const verified = runs.filter((o) => o.succeeded).length;
  // Approvals are weak evidence: they may tip a fix a verified run vouches for, never stand in for one.
  // Without a verified run only the prior can make it trusted (approvals come before their runs' verdicts:
  // a storm of them would otherwise trust a fix no run has verified yet).
  const vouched = verified > 0 || lowerBound(prior, [], now) >= floor;
  const trusted = bound >= floor && vouched && (hold === null || hold.earned);

  // Bounds are shown rounded down, so a bound just under the floor never reads as the floor.
  const b = (x: number) => (Math.floor(x * 100 + 1e-9) / 100).toFixed(2);
  const approved = reviews.filter((o) => o.succeeded).length;
  const rejected = reviews.length - approved;
  const reviewed = [approved > 0 ? `${approved} approved` : null, rejected > 0 ? `${rejected} rejected` : null].filter(
    (x) => x !== null,
  );
  const record =
    (runs.length === 0
      ? `no verified runs yet; the ${prior.from === 'generator' ? "generator's" : `${prior.from}'s`} confidence ${b(prior.mean)} counts as ${LEARNING.priorRuns} runs`
      : runs.length === 1
        ? `its one run ${verified === 1 ? 'verified' : 'failed'}`
        : `${verified} of the last ${runs.length} runs verified`) +
    (reviewed.length > 0 ? `, ${reviewed.join(' and ')} by reviewers` : '');
  let reason: string;
  if (bound < floor) reason = `${record}; lower bound ${b(bound)} < ${b(floor)}`;
  else if (!vouched)
    reason = `${record}; lower bound ${b(bound)} ≥ ${b(floor)}, but only with the approvals: it runs alone once a run of it is verified`;
  else if (!trusted)
    reason = `${record}; lower bound ${b(bound)} ≥ ${b(floor)}, but it fell to ${b(hold!.lowerBound)} at a failure with ${hold!.record.verified} of ${hold!.record.runs} runs verified until then: it earns its way back after ${hold!.runsNeeded} verified runs in a row (${streak} so far)`;
  else reason = `${record}; lower bound ${b(bound)} ≥ ${b(floor)}`;

  return {
    trusted,
    confidence: round(post.alpha / (post.alpha + post.beta)),
    lowerBound: round(bound),
    reason,
    evidence: {
      prior: { mean: prior.mean, from: prior.from, worthRuns: LEARNING.priorRuns },
      runs: { verified, failed: runs.length - verified, considered: runs.length },
      reviews: { approved, rejected },
      weighted: { successes: round(post.successes), failures: round(post.failures) },
      streak,
      hold: hold && {
        ...hold,
        lowerBound: round(hold.lowerBound),
        record: { ...hold.record, share: round(hold.record.share) },
      },
      credibility: LEARNING.credibility,
      reliabilityFloor: floor,
      goodReliability: LEARNING.goodReliability,
      holdBound: LEARNING.holdBound,
      dipOdds: LEARNING.dipOdds,
      holdOdds: LEARNING.holdOdds,
    },
  };
}
