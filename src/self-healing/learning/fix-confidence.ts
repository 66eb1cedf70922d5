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
 * AUTO_APPLY_THRESHOLD) is at least the reliability floor, and either that bound stayed at or above
 * the hold bound just after its last failure or it has since had earnBackRuns verified runs in a row.
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
  /**
   * A failure that leaves the bound under this holds the fix until it earns its way back with
   * earnBackRuns verified runs in a row; a smaller dip holds it only until the bound is back over
   * the floor (one unlucky failure of a good fix with a short record).
   */
  holdBound: 0.55,
  earnBackRuns: 7,
  /** Verdicts and reviews read per fix: older ones weigh under 0.85^50 ≈ 0.03 % of a fresh run. */
  horizon: 50,
} as const;

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
    /** The lower bound just after the last failed run (null: none failed). */
    lowerBoundAfterLastFailure: number | null;
    credibility: number;
    reliabilityFloor: number;
    holdBound: number;
    earnBackRuns: number;
  };
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

/** The decision and its explanation. `observations` newest first (at most LEARNING.horizon of each kind matter). */
export function assessFix(prior: FixPrior, observations: readonly FixObservation[], now: Date): FixAssessment {
  const post = posterior(prior, observations, now);
  const bound = betaQuantile(1 - LEARNING.credibility, post.alpha, post.beta);
  const runs = observations.filter((o) => o.kind === 'run');
  const reviews = observations.filter((o) => o.kind === 'review');
  const lastFailure = observations.findIndex((o) => o.kind === 'run' && !o.succeeded);
  const streak = lastFailure === -1 ? runs.length : runs.indexOf(observations[lastFailure]!);
  // As it stood just after its last failed run, judged at that time.
  const afterFailure =
    lastFailure === -1 ? null : lowerBound(prior, observations.slice(lastFailure), observations[lastFailure]!.at);
  const floor = LEARNING.reliabilityFloor;
  const earnedBack = streak >= LEARNING.earnBackRuns;
  const trusted = bound >= floor && (afterFailure === null || afterFailure >= LEARNING.holdBound || earnedBack);

  const verified = runs.filter((o) => o.succeeded).length;
  const b = (x: number) => x.toFixed(2);
  const record =
    runs.length === 0
      ? `no verified runs yet; the ${prior.from === 'generator' ? "generator's" : `${prior.from}'s`} confidence ${b(prior.mean)} counts as ${LEARNING.priorRuns} runs`
      : runs.length === 1
        ? `its one run ${verified === 1 ? 'verified' : 'failed'}`
        : `${verified} of the last ${runs.length} runs verified`;
  let reason: string;
  if (bound < floor) reason = `${record}; lower bound ${b(bound)} < ${b(floor)}`;
  else if (!trusted)
    reason = `${record}; lower bound ${b(bound)} ≥ ${b(floor)}, but it fell to ${b(afterFailure!)} at its last failure: it earns its way back after ${LEARNING.earnBackRuns} verified runs in a row (${streak} so far)`;
  else reason = `${record}; lower bound ${b(bound)} ≥ ${b(floor)}`;

  return {
    trusted,
    confidence: round(post.alpha / (post.alpha + post.beta)),
    lowerBound: round(bound),
    reason,
    evidence: {
      prior: { mean: prior.mean, from: prior.from, worthRuns: LEARNING.priorRuns },
      runs: { verified, failed: runs.length - verified, considered: runs.length },
      reviews: {
        approved: reviews.filter((o) => o.succeeded).length,
        rejected: reviews.filter((o) => !o.succeeded).length,
      },
      weighted: { successes: round(post.successes), failures: round(post.failures) },
      streak,
      lowerBoundAfterLastFailure: afterFailure === null ? null : round(afterFailure),
      credibility: LEARNING.credibility,
      reliabilityFloor: floor,
      holdBound: LEARNING.holdBound,
      earnBackRuns: LEARNING.earnBackRuns,
    },
  };
}
