import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { betaCdf, betaQuantile } from './beta-distribution.js';
import { assessFix, LEARNING, lowerBound, posterior, type FixObservation, type FixPrior } from './fix-confidence.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const MINUTE = 60_000;
/** Runs, newest first: `outcomes` oldest first as written ('S' verified, 'F' failed), one a minute. */
const runs = (outcomes: string): FixObservation[] =>
  [...outcomes]
    .map((o, i) => ({
      kind: 'run' as const,
      succeeded: o === 'S',
      at: new Date(NOW.getTime() - (outcomes.length - i) * MINUTE),
    }))
    .reverse();
const template = (mean = 0.95): FixPrior => ({ mean, from: 'template' });
const mean = (prior: FixPrior, obs: FixObservation[], now = NOW) => {
  const p = posterior(prior, obs, now);
  return p.alpha / (p.alpha + p.beta);
};

const arbPrior = fc.record({
  mean: fc.double({ min: 0, max: 1, noNaN: true }),
  from: fc.constantFrom('template' as const, 'playbook' as const, 'generator' as const),
});
const arbObservations = fc
  .array(
    fc.record({
      kind: fc.constantFrom('run' as const, 'review' as const),
      succeeded: fc.boolean(),
      ageMinutes: fc.integer({ min: 0, max: 90 * 24 * 60 }),
    }),
    { maxLength: 40 },
  )
  .map((xs) =>
    xs
      .sort((a, b) => a.ageMinutes - b.ageMinutes)
      .map((x) => ({ kind: x.kind, succeeded: x.succeeded, at: new Date(NOW.getTime() - x.ageMinutes * MINUTE) })),
  );

describe('the Beta distribution', () => {
  it('matches closed forms: Beta(a, 1) has CDF x^a, Beta(1, 1) is uniform', () => {
    for (const [x, a] of [
      [0.3, 2],
      [0.9, 7.5],
      [0.5, 0.4],
    ] as const)
      expect(betaCdf(x, a, 1)).toBeCloseTo(x ** a, 9);
    expect(betaCdf(0.37, 1, 1)).toBeCloseTo(0.37, 9);
    expect(betaQuantile(0.1, 9, 1)).toBeCloseTo(0.1 ** (1 / 9), 9);
    // Symmetry: I_x(a, b) = 1 − I_{1−x}(b, a)
    expect(betaCdf(0.8, 3.2, 1.7)).toBeCloseTo(1 - betaCdf(0.2, 1.7, 3.2), 9);
  });

  it('the quantile inverts the CDF', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0.5, max: 60, noNaN: true }),
        fc.double({ min: 0.5, max: 60, noNaN: true }),
        (p, a, b) => Math.abs(betaCdf(betaQuantile(p, a, b), a, b) - p) < 1e-6,
      ),
    );
  });
});

describe('the learning rule (ADR 0014)', () => {
  it('is bounded: confidence and lower bound in [0, 1], whatever the prior and the evidence', () => {
    fc.assert(
      fc.property(arbPrior, arbObservations, (prior, obs) => {
        const a = assessFix(prior, obs, NOW);
        return (
          a.confidence >= 0 &&
          a.confidence <= 1 &&
          a.lowerBound >= 0 &&
          a.lowerBound <= 1 &&
          Number.isFinite(a.lowerBound)
        );
      }),
    );
  });

  it('is monotone in evidence: one more verified run never lowers the confidence, one more failure never raises it, and a success leaves a higher bound than a failure', () => {
    fc.assert(
      fc.property(arbPrior, arbObservations, (prior, obs) => {
        const next = (succeeded: boolean): FixObservation[] => [{ kind: 'run', succeeded, at: NOW }, ...obs];
        const base = mean(prior, obs);
        const [up, down] = [next(true), next(false)];
        // The newer run makes older evidence fade, so the bound is compared between the two outcomes.
        return (
          mean(prior, up) >= base - 1e-12 &&
          mean(prior, down) <= base + 1e-12 &&
          lowerBound(prior, up, NOW) >= lowerBound(prior, down, NOW)
        );
      }),
    );
    // And on its own: a success raises a fix that is below 1, a failure lowers one above 0.
    const obs = runs('SSFSSSFSS');
    expect(mean(template(), [{ kind: 'run', succeeded: true, at: NOW }, ...obs])).toBeGreaterThan(
      mean(template(), obs),
    );
    expect(mean(template(), [{ kind: 'run', succeeded: false, at: NOW }, ...obs])).toBeLessThan(mean(template(), obs));
  });

  it('decays: the same failure weighs less when it is older (by later verdicts, and by time)', () => {
    expect(mean(template(), runs('FSSSS'))).toBeGreaterThan(mean(template(), runs('SSSSF')));
    const failure = (ageDays: number): FixObservation[] => [
      { kind: 'run', succeeded: false, at: new Date(NOW.getTime() - ageDays * 86_400_000) },
    ];
    expect(mean(template(), failure(60))).toBeGreaterThan(mean(template(), failure(1)));
    // A half-life later, the failure weighs half.
    expect(posterior(template(), failure(30), NOW).failures).toBeCloseTo(0.5, 6);
  });

  it('the prior is worth priorRuns runs at first, and fades with evidence: not zero, not forever', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), (m) => {
        const none = posterior({ mean: m, from: 'template' }, [], NOW);
        return (
          Math.abs(none.alpha + none.beta - LEARNING.priorRuns) < 1e-9 &&
          Math.abs(none.alpha / (none.alpha + none.beta) - m) < 1e-9
        );
      }),
    );
    // One run against a prior of 0.95 moves the mean by about 1 / (priorRuns + 1), not to 0.
    const once = mean(template(), runs('F'));
    expect(once).toBeGreaterThan(0.5);
    expect(once).toBeLessThan(0.95 - 0.9 / (LEARNING.priorRuns + 1));
    // Many runs later the prior no longer matters: a 0.5 prior and a 0.95 one agree.
    const history = runs('S'.repeat(60));
    expect(Math.abs(mean(template(0.5), history) - mean(template(0.95), history))).toBeLessThan(0.01);
    // A reviewer's approval is weak evidence: it moves the mean far less than a verified run.
    const approval: FixObservation[] = [{ kind: 'review', succeeded: true, at: NOW }];
    expect(mean(template(0.6), approval) - 0.6).toBeLessThan((mean(template(0.6), runs('S')) - 0.6) / 3);
  });

  it('auto-applies with one failure among ten verified runs; two or three failures in a row stop it', () => {
    for (let at = 0; at < 10; at++) {
      const history = [...'SSSSSSSSSS'].map((o, i) => (i === at ? 'F' : o)).join('');
      expect({ history, trusted: assessFix(template(), runs(history), NOW).trusted }).toEqual({
        history,
        trusted: true,
      });
    }
    const long = 'S'.repeat(200);
    expect(assessFix(template(), runs(`${long}F`), NOW).trusted).toBe(true);
    expect(assessFix(template(), runs(`${long}FFF`), NOW)).toMatchObject({
      trusted: false,
      reason: expect.stringMatching(/^\d+ of the last \d+ runs verified; lower bound 0\.\d\d < 0\.60$/),
    });
  });

  it('needs evidence, not one lucky run, and lets a fix that works again earn its way back', () => {
    expect(assessFix(template(0.5), runs('S'), NOW).trusted).toBe(false);
    expect(assessFix({ mean: 0.7, from: 'generator' }, runs('S'), NOW).trusted).toBe(false);
    // Held after failures; it comes back after earnBackRuns verified runs in a row, not before.
    const bad = 'SFSFFSFFS';
    const back = (n: number) => assessFix(template(), runs(`${bad}F${'S'.repeat(n)}`), NOW);
    expect(back(LEARNING.earnBackRuns - 1)).toMatchObject({ trusted: false });
    expect(back(LEARNING.earnBackRuns - 1).reason).toMatch(
      /earns its way back after 7 verified runs in a row \(6 so far\)|lower bound/,
    );
    expect(back(LEARNING.earnBackRuns + 3).trusted).toBe(true);
  });

  it('explains itself', () => {
    const a = assessFix(template(), runs('SSSSSSSSSFSSSSSSSS'), NOW);
    expect(a).toMatchObject({
      trusted: true,
      reason: expect.stringMatching(/^17 of the last 18 runs verified; lower bound 0\.\d\d ≥ 0\.60$/),
    });
    expect(a.evidence).toMatchObject({
      prior: { mean: 0.95, from: 'template', worthRuns: LEARNING.priorRuns },
      runs: { verified: 17, failed: 1, considered: 18 },
      streak: 8,
    });
    expect(assessFix(template(), [], NOW).reason).toBe(
      "no verified runs yet; the template's confidence 0.95 counts as 5 runs; lower bound 0.84 ≥ 0.60",
    );
  });
});
