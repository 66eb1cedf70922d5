import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { betaCdf, betaQuantile } from './beta-distribution.js';
import {
  assessFix,
  earnBackRuns,
  evidenceRead,
  LEARNING,
  lowerBound,
  posterior,
  type FixObservation,
  type FixPrior,
} from './fix-confidence.js';

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

  it('is monotone in its decision: one more failure never makes a held fix trusted, a hold once earned stays earned', () => {
    fc.assert(
      fc.property(arbPrior, arbObservations, (prior, obs) => {
        const failed: FixObservation[] = [{ kind: 'run', succeeded: false, at: NOW }, ...obs];
        const succeeded: FixObservation[] = [{ kind: 'run', succeeded: true, at: NOW }, ...obs];
        const before = assessFix(prior, obs, NOW);
        const hold = before.evidence.hold;
        return (
          (before.trusted || !assessFix(prior, failed, NOW).trusted) &&
          (hold === null || !hold.earned || assessFix(prior, succeeded, NOW).evidence.hold?.earned === true)
        );
      }),
    );
  });

  it('judges each failure as it was when it happened: a hold does not come and go as old runs leave the view', () => {
    // What FixEvidenceRepository reads at each moment.
    const read = evidenceRead;
    const newestRuns = (history: readonly FixObservation[]) =>
      history.filter((o) => o.kind === 'run').slice(0, LEARNING.horizon);
    const horizon = (history: readonly FixObservation[]) => {
      const seen = { run: 0, review: 0 };
      return history.filter((o) => ++seen[o.kind] <= LEARNING.horizon);
    };
    // Whether the lower bound is at least the floor, read off the CDF at the floor (P(p ≤ floor) at most
    // 1 − credibility) rather than by inverting it, as lowerBound does: one evaluation instead of fifty.
    const reachesFloor = (prior: FixPrior, observations: readonly FixObservation[], now: Date) => {
      const { alpha, beta } = posterior(prior, observations, now);
      return betaCdf(LEARNING.reliabilityFloor, alpha, beta) <= 1 - LEARNING.credibility;
    };
    // The reference keeps each failure's hold from the moment it happened (the newest failure is judged first
    // by findHold, so the assessment made then is that failure's own), and asks for the latest hold among the
    // newest horizon runs and the runs in a row since it.
    const decisions = (prior: FixPrior, oldestFirst: readonly FixObservation[]) => {
      const holdAt = new Map<FixObservation, number | null>();
      const mismatches: string[] = [];
      for (let t = 1; t <= oldestFirst.length; t++) {
        const history = oldestFirst.slice(0, t).reverse();
        const latest = history[0]!;
        const then = horizon(history);
        const reaches = reachesFloor(prior, then, latest.at);
        if (latest.kind === 'run' && !latest.succeeded)
          holdAt.set(latest, reaches ? null : assessFix(prior, then, latest.at).evidence.hold!.runsNeeded);
        const inView = newestRuns(history);
        const held = inView.findIndex((o) => !o.succeeded && holdAt.get(o) != null);
        let streak = 0;
        let longest = 0;
        for (const o of inView.slice(0, held === -1 ? 0 : held).reverse()) {
          streak = o.succeeded ? streak + 1 : 0;
          longest = Math.max(longest, streak);
        }
        const expected = reaches && (held === -1 || longest >= holdAt.get(inView[held]!)!);
        if (assessFix(prior, read(history), latest.at).trusted !== expected) mismatches.push(`after ${t}`);
      }
      return mismatches;
    };
    // Histories of 60–260 verdicts and reviews, from review-free to mostly reviews (more reviews than the read's
    // horizon since a failure in view).
    const arbHistory = fc
      .record({
        xs: fc.array(fc.record({ kind: fc.nat(99), failed: fc.nat(99) }), { minLength: 60, maxLength: 260 }),
        reviewShare: fc.integer({ min: 0, max: 80 }),
        failureRate: fc.integer({ min: 5, max: 40 }),
      })
      .map(({ xs, reviewShare, failureRate }) =>
        xs.map((x, i) => ({
          kind: x.kind < reviewShare ? ('review' as const) : ('run' as const),
          succeeded: x.failed >= failureRate,
          at: new Date(NOW.getTime() + i * MINUTE),
        })),
      );
    // Found by the property below when the repository read only the horizon. The failure at the 56th verdict
    // left the bound at 0.47 with 31 of its 50 runs verified, which asks for 8 runs in a row. Recomputed at the
    // 63rd from the runs still in view (25 of 43), it asked for 7, and that verdict, the 7th in a row, trusted it.
    const sequence = [...'SFFFFSSSSSSFSFFSFSSSSSSFFFSFFFFFFFSSSFSSFSSSSSSFSFSSSSSFSSSSSSSSSSFSFS'].map((o, i) => ({
      kind: 'run' as const,
      succeeded: o === 'S',
      at: new Date(NOW.getTime() + i * MINUTE),
    }));
    const after = (t: number) => assessFix(template(), read(sequence.slice(0, t).reverse()), sequence[t - 1]!.at);
    expect(after(63)).toMatchObject({
      trusted: false,
      evidence: { streak: 7, hold: { record: { verified: 31, runs: 50 }, runsNeeded: 8 } },
    });
    expect(after(64).trusted).toBe(true);
    expect(decisions(template(), sequence)).toEqual([]);
    // Found by a reviewer when the repository read the newest 100 reviews: a failure among the newest 50 runs
    // with more than 50 reviews since it was judged from fewer reviews before it than it had then. Its dip
    // (0.556, 5 runs, earned) read as a hold (0.5495, 8 runs) after 234 observations, on approvals alone.
    // ('S'/'F': a verified/failed run, 'a'/'r': a reviewer's approval/rejection.)
    const reviewed = [
      ...('aaaaaaSaaaSFrFaSSaaSaSaaaSSaSaaSaSraaSraaSSSSSraSaaaaFaaaaarraaFSaSraSaaarSaSaaa' +
        'aarSaaaSaaSaaFSaSaaaSaaSaraaFaaaSaaaaSaSFaaSaaSaFarSraaraaaraFSSaaaSaaSaraaSFaaa' +
        'araraaaaSaaSaaaaaraaaaaaaSaaaaaaSaFaaSaaSaraaSaaSaSaaFaaSaaaaaaaaSaaaaaaaaaa'),
    ].map((c, i) => ({
      kind: c === 'S' || c === 'F' ? ('run' as const) : ('review' as const),
      succeeded: c === 'S' || c === 'a',
      at: new Date(NOW.getTime() + i * MINUTE),
    }));
    const prior = { mean: 0.6569, from: 'template' as const };
    for (let t = 226; t <= reviewed.length; t++) {
      const history = reviewed.slice(0, t).reverse();
      expect({ t, ...assessFix(prior, read(history), history[0]!.at) }).toMatchObject({
        t,
        trusted: true,
        evidence: { hold: { lowerBound: 0.556, runsNeeded: 5, earned: true } },
      });
    }
    expect(decisions(prior, reviewed)).toEqual([]);
    fc.assert(
      fc.property(arbPrior, arbHistory, (prior, history) => decisions(prior, history).length === 0),
      { numRuns: 60, endOnFailure: true },
    );
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
    // Held after failures: 4 of its first 7 runs verified, the bound fell to 0.33. It comes back after the runs
    // in a row its record asks for, not before, although its bound is back over the floor sooner.
    const bad = 'SSSFSFF';
    const back = (n: number) => assessFix(template(), runs(`${bad}${'S'.repeat(n)}`), NOW);
    const needed = back(0).evidence.hold!.runsNeeded;
    expect(back(0).evidence.hold).toMatchObject({ record: { verified: 4, runs: 7 }, odds: LEARNING.holdOdds });
    expect(needed).toBe(earnBackRuns(back(0).evidence.hold!.record.share, LEARNING.holdOdds));
    expect(back(needed - 1).lowerBound).toBeGreaterThanOrEqual(LEARNING.reliabilityFloor);
    expect(back(needed - 1)).toMatchObject({
      trusted: false,
      reason: expect.stringMatching(
        new RegExp(
          `lower bound 0\\.\\d\\d ≥ 0\\.60, but it fell to 0\\.33 at a failure with 4 of 7 runs verified until then: ` +
            `it earns its way back after ${needed} verified runs in a row \\(${needed - 1} so far\\)$`,
        ),
      ),
    });
    expect(back(needed).trusted).toBe(true);
    // And stays back: a later failure that leaves the bound over the floor does not hold it again.
    expect(assessFix(template(), runs(`${bad}${'S'.repeat(needed + 6)}F`), NOW).trusted).toBe(true);
    // A failure before it has earned its way back starts over.
    expect(assessFix(template(), runs(`${bad}${'S'.repeat(needed - 1)}F`), NOW).trusted).toBe(false);
  });

  it('earning back is a sequential test against the record: a fix that got better is back sooner than one that had a lucky streak', () => {
    // (0.95 / p₀)ⁿ ≥ odds: the record's share p₀ counts at most as the floor.
    expect(earnBackRuns(0.4, LEARNING.holdOdds)).toBe(4);
    expect(earnBackRuns(0.6, LEARNING.holdOdds)).toBe(8);
    expect(earnBackRuns(0.8, LEARNING.holdOdds)).toBe(8);
    expect(earnBackRuns(0.6, LEARNING.dipOdds)).toBe(5);
    // Monotone: a worse record never needs more runs, higher odds never fewer.
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b) =>
          earnBackRuns(Math.min(a, b), LEARNING.holdOdds) <= earnBackRuns(Math.max(a, b), LEARNING.holdOdds) &&
          earnBackRuns(a, LEARNING.dipOdds) <= earnBackRuns(a, LEARNING.holdOdds),
      ),
    );
    // Seven verified runs in a row: a fix that failed 7 times in its first 10 is back (its record asks for 4, and
    // its bound is over the floor again); one with a record of 8 in 12 is not (it needs 8), though its bound is higher.
    const improved = assessFix(template(), runs(`FSFFSFFSFF${'S'.repeat(7)}`), NOW);
    const lucky = assessFix(template(), runs(`SSSSFSFSSSFF${'S'.repeat(7)}`), NOW);
    expect(improved).toMatchObject({ trusted: true, evidence: { hold: { runsNeeded: 4, earned: true } } });
    expect(lucky).toMatchObject({ trusted: false, evidence: { hold: { runsNeeded: 8, earned: false } } });
    expect(lucky.lowerBound).toBeGreaterThan(improved.lowerBound);
  });

  it('after one unlucky failure on a short good record (a dip), a fix earns its way back with fewer runs', () => {
    // 4 verified runs then a failure: the bound dips just under the floor, but not under the hold bound.
    const dip = (n: number) => assessFix(template(), runs(`SSSSF${'S'.repeat(n)}`), NOW);
    expect(dip(0).evidence.hold).toMatchObject({ odds: LEARNING.dipOdds, runsNeeded: 5 });
    expect(dip(0).evidence.hold!.lowerBound).toBeGreaterThanOrEqual(LEARNING.holdBound);
    // One success lifts the bound over the floor (a fix that works 6 times in 10 shows that record as often as
    // a good one), but the fix waits for its five in a row: with them it has 9 of 10 runs verified.
    expect(dip(1)).toMatchObject({ trusted: false, lowerBound: expect.any(Number) });
    expect(dip(1).lowerBound).toBeGreaterThanOrEqual(LEARNING.reliabilityFloor);
    expect(dip(4).trusted).toBe(false);
    expect(dip(5).trusted).toBe(true);
    // A long good record absorbs one failure: no hold at all.
    expect(assessFix(template(), runs(`${'S'.repeat(30)}F`), NOW)).toMatchObject({
      trusted: true,
      evidence: { hold: null },
    });
  });

  it('approvals are weak evidence: without a verified run they never make a fix trusted that its prior alone does not; after one they may tip it', () => {
    const approvals = (n: number): FixObservation[] =>
      Array.from({ length: n }, (_, i) => ({
        kind: 'review' as const,
        succeeded: true,
        at: new Date(NOW.getTime() - (100 + i) * MINUTE),
      }));
    fc.assert(
      fc.property(arbPrior, fc.integer({ min: 0, max: 2 * LEARNING.horizon }), (prior, n) => {
        fc.pre(!assessFix(prior, [], NOW).trusted);
        return !assessFix(prior, approvals(n), NOW).trusted;
      }),
    );
    const generated: FixPrior = { mean: 0.7, from: 'generator' };
    // Ten approvals lift the bound over the floor, but no run has verified the fix yet.
    const onlyApproved = assessFix(generated, approvals(10), NOW);
    expect(onlyApproved).toMatchObject({ trusted: false, evidence: { reviews: { approved: 10, rejected: 0 } } });
    expect(onlyApproved.lowerBound).toBeGreaterThanOrEqual(LEARNING.reliabilityFloor);
    expect(onlyApproved.reason).toBe(
      "no verified runs yet; the generator's confidence 0.70 counts as 5 runs, 10 approved by reviewers; lower bound 0.60 ≥ 0.60, but only with the approvals: it runs alone once a run of it is verified",
    );
    // One verified run alone is not enough; with the approvals it is.
    expect(assessFix(generated, runs('S'), NOW).trusted).toBe(false);
    expect(assessFix(generated, [...runs('S'), ...approvals(10)], NOW)).toMatchObject({
      trusted: true,
      reason: expect.stringMatching(/^its one run verified, 10 approved by reviewers; lower bound 0\.64 ≥ 0\.60$/),
    });
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
