import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectActuator } from './support/actuators.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Issue 22 items 4 and 5: the learning rule (ADR 0014) through real runs against a real local
 * actuator: a fix's verified runs and reviewers' decisions move its confidence, per (pattern,
 * playbook), for templates and generated suggestions alike, and every decision says why.
 */
describe('learning: what runs and reviews teach about a fix', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let key: string;
  /** Agents on which the fix does not work. */
  const failing = new Set<string>();
  let seq = 0;

  const get = async (path: string, k = key) => (await app.http.get(path).set(auth(k)).expect(200)).body;
  const recoveryOf = (incidentId: string, k = key) =>
    eventually(
      async () => (await get(`/recoveries?incidentId=${incidentId}`, k)).items[0],
      `a recovery for ${incidentId}`,
    );
  const report = async (body: object, k = key) =>
    (await app.http.post('/incidents').set(auth(k)).send(body).expect(201)).body.id as string;
  const oom = (agentId: string, k = key) =>
    report(
      {
        errorType: 'OutOfMemoryError',
        message: 'Worker pod ingest-7 OOMKilled: container exceeded memory limit 2048Mi',
        agentId,
        capability: 'ingest',
      },
      k,
    );
  const timeout = (agentId: string) =>
    report({
      errorType: 'TimeoutError',
      message: 'upstream deadline exceeded: request to label-store timed out after 3000 ms',
      agentId,
      capability: 'classify',
    });
  /** The recovery of a new incident, once its run (if it has one) has a verdict and has finished. */
  async function decided(incidentId: string) {
    const recovery = await recoveryOf(incidentId);
    if (recovery.status === 'applied') {
      await eventually(
        async () =>
          (await get(`/runs?incidentId=${incidentId}`)).items.find((r: { phase: string }) => r.phase === 'done'),
        `the run of ${incidentId}`,
      );
    }
    return recovery;
  }
  const approveAndSettle = async (recoveryId: string, incidentId: string) => {
    await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(key)).send({ note: 'looks right' }).expect(200);
    return eventually(
      async () =>
        (await get(`/runs?incidentId=${incidentId}`)).items.find((r: { phase: string }) => r.phase === 'done'),
      `the approved run of ${incidentId}`,
    );
  };
  const automaticTemplate = async (incidentId: string, recoveryTemplate: object | null) => {
    const { patternId } = await recoveryOf(incidentId);
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(key))
      .send({ recoveryTemplate, autoApplyRecovery: true })
      .expect(200);
    return patternId as string;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver((c, res) => {
      const action = c.json?.params?.action as string | undefined;
      const broken = failing.has(c.json?.incident?.agentId);
      if (broken && (action === 'restart_worker' || action === 'retry_with_backoff'))
        return res.end('{"status":"failed","error":"did not help"}');
      res.end(action?.endsWith('_check') ? '{"healthy":true}' : '{}');
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '100',
      OUTBOX_POLL_INTERVAL_MS: '100',
      RUN_RETRY_BASE_MS: '50',
    });
    key = await app.keyFor('learning', 'admin');
    await connectActuator(app.http, key, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('a template: one failure among ten verified runs still auto-applies, failures in a row stop it within three, and it earns its way back', async () => {
    const patternId = await automaticTemplate(await oom(`agent-${++seq}`), {
      playbookId: 'memory_cleanup',
      confidence: 0.95,
    });
    // Ten runs, the last of which fails.
    for (let i = 0; i < 10; i++) {
      const agent = `agent-${++seq}`;
      if (i === 9) failing.add(agent);
      expect((await decided(await oom(agent))).status).toBe('applied');
    }
    const runs = (await get(`/runs?patternId=${patternId}&limit=200`)).items;
    expect(runs.map((r: { status: string }) => r.status).sort()).toEqual(
      [...Array(9).fill('succeeded'), 'rolled_back'].sort(),
    );

    // One failure among ten verified runs: still auto-applied, and it says why.
    const agent = `agent-${++seq}`;
    failing.add(agent);
    const stillTrusted = await decided(await oom(agent));
    expect(stillTrusted).toMatchObject({
      status: 'applied',
      decision: {
        autoApplied: true,
        reason: expect.stringMatching(/^auto-applied: 9 of the last 10 runs verified; lower bound 0\.\d\d ≥ 0\.60$/),
      },
    });
    // It failed again (two in a row); it keeps failing until it is held: at most three failures in a row.
    let straight = 2;
    let held = null;
    while (!held) {
      const a = `agent-${++seq}`;
      failing.add(a);
      const r = await decided(await oom(a));
      if (r.status === 'applied') straight++;
      else held = r;
      expect(straight).toBeLessThanOrEqual(3);
    }
    expect(held).toMatchObject({
      status: 'pending_review',
      decision: {
        autoApplied: false,
        reason: expect.stringMatching(/^held: \d+ of the last \d+ runs verified; lower bound 0\.\d\d < 0\.60$/),
      },
    });
    const detail = await get(`/recoveries/${held.id}`);
    expect(detail.decision.evidence).toMatchObject({
      trusted: false,
      prior: { mean: 0.95, from: 'template', worthRuns: 5 },
      runs: { verified: 9, failed: straight, considered: 9 + straight },
      credibility: 0.9,
      reliabilityFloor: 0.6,
      // Held by the failure that took the bound under the floor: a record of 9 in 10 or 11 asks for 8 in a row.
      hold: { record: { verified: 9 }, odds: 30, runsNeeded: 8, earned: false },
    });
    expect(detail.confidence).toBeLessThan(0.8);
    const timeline = JSON.stringify(await get(`/incidents/${held.incidentId}/timeline`));
    expect(timeline).toContain(`memory_cleanup (confidence ${detail.confidence.toFixed(2)}) held: `);

    // The fix works again: reviewers approve it, and its verified runs bring it back to auto-apply once they are
    // enough runs in a row for its record before the hold (ADR 0014: 8 for a record of 0.6 or better).
    failing.clear();
    let pending = held;
    let approvedRuns = 0;
    for (;;) {
      const run = await approveAndSettle(pending.id, pending.incidentId);
      expect(run).toMatchObject({ automatic: false, verdict: 'succeeded' });
      approvedRuns++;
      const next = await decided(await oom(`agent-${++seq}`));
      if (next.status === 'applied') {
        expect(next.decision.reason).toMatch(/^auto-applied: /);
        break;
      }
      expect(next.decision.reason).toMatch(
        /^held: .*(lower bound 0\.\d\d < 0\.60|earns its way back after 8 verified runs in a row \(\d so far\))$/,
      );
      pending = next;
      expect(approvedRuns).toBeLessThan(10);
    }
    expect(approvedRuns).toBeGreaterThanOrEqual(8);
  });

  it('a generated suggestion learns too: its own runs stop it being auto-applied', async () => {
    // No template: the generator's suggestion, with auto-apply allowed on the pattern.
    await automaticTemplate(await timeout(`agent-${++seq}`), null);
    const first = await decided(await timeout(`agent-${++seq}`));
    expect(first).toMatchObject({ status: 'applied', suggestionType: 'generated', playbookId: 'retry_with_backoff' });
    expect(first.confidence).toBeGreaterThan(0.9);
    const outcomes: Array<{ status: string; decision: { evidence: { prior: { from: string } } } }> = [];
    for (let i = 0; i < 4; i++) {
      const agent = `agent-${++seq}`;
      failing.add(agent);
      outcomes.push(await decided(await timeout(agent)));
    }
    // It fails every time now: after at most two failures it waits for a reviewer, and stays there.
    expect(outcomes.slice(0, 2).map((o) => o.status)).toContain('pending_review');
    expect(outcomes.slice(2).map((o) => o.status)).toEqual(['pending_review', 'pending_review']);
    expect(outcomes[3]!.decision.evidence.prior.from).toBe('generator');
  });

  it("before any run, a review is weak evidence: the owner's confidence shows, a rejection does not make it 0, an approval not 1", async () => {
    // Another tenant, without an actuator: an approved run waits for a person and has no verdict, so only reviews count.
    const other = await app.keyFor('learning-reviews', 'admin');
    const founding = await oom('agent-r0', other);
    const { patternId } = await recoveryOf(founding, other);
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(other))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 } })
      .expect(200);
    const first = await recoveryOf(await oom('agent-r1', other), other);
    expect(first).toMatchObject({ status: 'pending_review', confidence: 0.95 });
    await app.http.post(`/recoveries/${first.id}/reject`).set(auth(other)).send({ note: 'not this one' }).expect(200);
    const afterRejection = await recoveryOf(await oom('agent-r2', other), other);
    expect(afterRejection.confidence).toBeGreaterThan(0.85);
    expect(afterRejection.confidence).toBeLessThan(0.95);
    await app.http.post(`/recoveries/${afterRejection.id}/approve`).set(auth(other)).send({}).expect(200);
    const afterApproval = await recoveryOf(await oom('agent-r3', other), other);
    expect(afterApproval.confidence).toBeGreaterThan(afterRejection.confidence);
    expect(afterApproval.confidence).toBeLessThan(0.95);
    // Each says why.
    expect(first.decision.reason).toMatch(
      /^queued for review: the pattern does not auto-apply its recoveries \(trusted: no verified runs yet; the template's confidence 0\.95 counts as 5 runs/,
    );
    expect(afterRejection.decision.evidence.reviews).toEqual({ approved: 0, rejected: 1 });
  });
});
