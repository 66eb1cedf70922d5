import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { connectActuator } from './support/actuators.js';
import { launchBrowser } from './support/browser.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { approvedRun, finishedRun } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** What the canary measures for each of tune_config's candidates (by timeoutMs/concurrency/cacheMb). */
type Quality = Record<string, { p95_ms: number; error_rate: number }>;
const key = (c: { timeoutMs: number; concurrency: number; cacheMb: number }) =>
  `${c.timeoutMs}/${c.concurrency}/${c.cacheMb}`;
/** Passing: p95 < 250 ms and errors < 1 %. The best passing one by score (−p95 − 10000·errors) is 5000/8/512. */
const MIXED: Quality = {
  '2000/4/256': { p95_ms: 400, error_rate: 0 }, // too slow
  '2000/8/512': { p95_ms: 230, error_rate: 0.002 }, // passes, score −250
  '5000/8/512': { p95_ms: 150, error_rate: 0.001 }, // passes, score −160: the best
  '5000/16/1024': { p95_ms: 170, error_rate: 0 }, // passes, score −170
  '10000/16/1024': { p95_ms: 120, error_rate: 0.05 }, // fast but erroring: fails its check
  '10000/32/2048': { p95_ms: 300, error_rate: 0 }, // too slow
};
const NONE_PASS: Quality = Object.fromEntries(Object.keys(MIXED).map((k) => [k, { p95_ms: 900, error_rate: 0 }]));

/**
 * The canary step's trial ended `outcome` with the canary restored within its SLA: its summary is
 * `said` followed by the restore's time, and the run's history tells that summary.
 */
function expectRestoredAs(run: any, step: any, outcome: string, said: string) {
  expect(step.output).toMatchObject({
    stage: 'done',
    outcome,
    restore: { slaMs: 15_000, withinSla: true },
    endedAt: expect.any(String),
  });
  expect(step.canary).toMatchObject({ outcome, restore: { withinSla: true } });
  const [before, tail] = step.output.summary.split('; the canary was restored in ');
  expect(before).toBe(said);
  expect(tail).toMatch(/^\d+ ms \(SLA 15000 ms met\)$/);
  expect(run.transitions.some((t: any) => t.stepId === 'tune_on_canary' && t.note === step.output.summary)).toBe(true);
}

/**
 * Canary and promote (DESIGN §13, issue 27) against a real database, real HTTP and a real local
 * receiver playing the canary: its candidates have known quality, so the test knows which one
 * must win.
 */
describe('canary and promote', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let seq = 0;
  /** The quality the receiver's canary measures, per tenant. */
  const quality = new Map<string, Quality>();
  const restoreDelayMs = new Map<string, number>();
  /** Tenants whose canary answers every promote with a 503. */
  const failPromote = new Set<string>();
  /** Tenants whose canary refuses every restore (a 409: no retry): the candidate stays on it. */
  const failRestore = new Set<string>();
  /** A candidate's apply the canary answers only when released, per tenant: the run is mid-trial meanwhile. */
  const heldApply = new Map<string, { index: number; released: Promise<void> }>();
  const holdApply = (tenantName: string, index: number): (() => void) => {
    let release!: () => void;
    heldApply.set(tenantName, { index, released: new Promise<void>((r) => (release = r)) });
    return release;
  };
  /** A rollback's restore_config the receiver answers only when released, per tenant. */
  const heldRestoreConfig = new Map<string, Promise<void>>();
  const holdRestoreConfig = (tenantName: string): (() => void) => {
    let release!: () => void;
    heldRestoreConfig.set(tenantName, new Promise<void>((r) => (release = r)));
    return release;
  };
  /** What reached the receiver (`<action> <run>`) and, for restore_config, when it was answered, in order. */
  const trace: string[] = [];

  const get = async (path: string, k: string) => (await app.http.get(path).set(auth(k)).expect(200)).body;
  const ofRun = (runId: string) => receiver.calls.filter((c) => c.json?.runId === runId);
  const actions = (runId: string) => ofRun(runId).map((c) => c.json.params.action);

  /** An incident of a latency regression on `agentId`; resolves to it and its recovery (tune_config). */
  async function incident(k: string, agentId: string) {
    const n = ++seq;
    const res = await app.http
      .post('/incidents')
      .set(auth(k))
      .send({
        errorType: 'LatencyRegression',
        message: `p95 latency of search-api-${n} regressed to ${800 + n} ms after a traffic shift`,
        agentId,
        capability: 'search',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${res.body.id}`, k)).items[0],
      `a recovery for ${res.body.id}`,
    );
    expect(recovery.playbookId).toBe('tune_config');
    return { incidentId: res.body.id as string, recovery };
  }
  const runWhere = (runId: string, k: string, ok: (run: any) => boolean, what: string) =>
    eventually(async () => {
      const run = await get(`/runs/${runId}`, k);
      return ok(run) ? run : null;
    }, what);

  /** A tenant with an admin and operator key and the receiver as its `ops` actuator. */
  async function tenant(name: string, q: Quality, timeoutMs = 2000) {
    const admin = await app.keyFor(name, 'admin');
    const operator = await app.keyFor(name, 'operator');
    await connectActuator(app.http, admin, receiver, { path: `/ops/${name}`, timeoutMs });
    quality.set(name, q);
    return { admin, operator };
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver((c, res) => {
      const tenantName = c.path.split('/')[2]!;
      const action = c.json?.params?.action;
      const send = (body: unknown) => res.end(JSON.stringify(body));
      trace.push(`${action} ${c.json?.runId}`);
      if (action === 'restore_config') {
        const answer = () => {
          trace.push(`restore_config answered ${c.json.runId}`);
          send({ ok: true });
        };
        const held = heldRestoreConfig.get(tenantName);
        return held ? void held.then(answer) : answer();
      }
      if (action === 'canary_apply') {
        const measured = () => send(quality.get(tenantName)![key(c.json.candidate.params)]);
        const held = heldApply.get(tenantName);
        if (held && held.index === c.json.candidate.index) return void held.released.then(measured);
        return measured();
      }
      if (action === 'canary_restore' && failRestore.has(tenantName)) {
        res.statusCode = 409;
        return send({ error: 'the canary is locked' });
      }
      if (action === 'canary_restore')
        return setTimeout(() => send({ restored: true }), restoreDelayMs.get(tenantName) ?? 0);
      if (action === 'promote_config' && failPromote.has(tenantName)) {
        res.statusCode = 503;
        return send({ error: 'promote unavailable' });
      }
      if (action === 'latency_check') return send({ healthy: true });
      send({ ok: true });
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
      // A run waiting for the canary (or paused by the kill switch) looks again this often: above NAP_MAX_MS,
      // so it sleeps in the database between looks rather than napping in the engine.
      RUN_PAUSED_RECHECK_MS: '1500',
    });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('tries every candidate on the canary, promotes the best passing one, stores each result, audits the promotion, and verifies', async () => {
    const { operator, admin } = await tenant('canary-best', MIXED);
    const { incidentId, recovery } = await incident(operator, 'agent-c1');
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the canary run to finish');
    expect(run.status).toBe('succeeded');

    // Six signed applies, each carrying its candidate under its own webhook-id, then one promote of the winner, then the check.
    expect(actions(run.id)).toEqual([...Array(6).fill('canary_apply'), 'promote_config', 'latency_check']);
    const calls = ofRun(run.id);
    expect(calls.every((c: ReceivedCall) => c.verified)).toBe(true);
    expect(calls.slice(0, 6).map((c) => c.headers['webhook-id'])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `${run.id}.tune_on_canary.candidate-${i}`),
    );
    expect(calls.slice(0, 6).map((c) => c.json.candidate.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls[6]).toMatchObject({
      headers: { 'webhook-id': `${run.id}.tune_on_canary.promote` },
      json: {
        kind: 'canary',
        attempt: 1,
        candidate: { index: 2, params: { timeoutMs: 5000, concurrency: 8, cacheMb: 512 } },
      },
    });

    const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(step).toMatchObject({ kind: 'canary', status: 'succeeded' });
    expect(step.output.candidates.map((c: any) => [c.index, c.result, c.score])).toEqual([
      [0, 'failed', null],
      [1, 'passed', -250],
      [2, 'passed', -160],
      [3, 'passed', -170],
      [4, 'failed', null],
      [5, 'failed', null],
    ]);
    expect(step.output.candidates[4].reason).toMatch(/^check failed: /);
    expect(step.output.candidates[1].answer).toEqual({ status: 200, body: MIXED['2000/8/512'] });
    expect(step.output).toMatchObject({
      outcome: 'promoted',
      winner: { index: 2, score: -160, params: { timeoutMs: 5000, concurrency: 8, cacheMb: 512 } },
      restore: null,
    });
    // The typed view of the same trial, parameters in the playbook's order.
    expect(step.canary).toMatchObject({ outcome: 'promoted', winner: { index: 2, score: -160 } });
    expect(Object.keys(step.canary.candidates[0].params)).toEqual(['timeoutMs', 'concurrency', 'cacheMb']);
    expect(step.output.summary).toBe(
      'promoted candidate 2 {"timeoutMs":5000,"concurrency":8,"cacheMb":512} (score -160; 3 of 6 tried passed)',
    );

    const audit = await get(`/audit?action=canary.promoted&subjectId=${run.id}`, admin);
    expect(audit.items).toEqual([
      expect.objectContaining({
        action: 'canary.promoted',
        subject: { type: 'run', id: run.id },
        after: expect.objectContaining({
          stepId: 'tune_on_canary',
          candidate: { index: 2, params: { timeoutMs: 5000, concurrency: 8, cacheMb: 512 } },
          score: -160,
        }),
      }),
    ]);
    expect((await get(`/incidents/${incidentId}`, operator)).status).toBe('resolved');

    // The console's run page shows the trial as a table: candidate, check result, score, the winner.
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${app.url}/`);
      await page.getByLabel('API key').fill(operator);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto(`${app.url}/console/runs/${run.id}`);
      const table = page.locator('li[data-step="tune_on_canary"] [data-testid="canary"]');
      await table.waitFor();
      const rows = await table
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.firstChild?.textContent ?? '').trim())),
        );
      expect(rows.map((r) => [r[0], r[2], r[3], r[4]])).toEqual([
        ['0', 'failed', '—', ''],
        ['1', 'passed', '-250', ''],
        ['2', 'passed', '-160', 'promoted'],
        ['3', 'passed', '-170', ''],
        ['4', 'failed', '—', ''],
        ['5', 'failed', '—', ''],
      ]);
      expect(rows[2]![1]).toBe('{"timeoutMs":5000,"concurrency":8,"cacheMb":512}');
      expect(await table.locator('tr[data-winner="true"]').count()).toBe(1);
    } finally {
      await browser.close();
    }
  });

  it('with no candidate passing, restores the canary within its SLA, says so, and escalates to a coding agent', async () => {
    const { operator } = await tenant('canary-none', NONE_PASS);
    restoreDelayMs.set('canary-none', 30);
    const { recovery } = await incident(operator, 'agent-c2');
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    const run = await runWhere(started.id, operator, (r) => r.status === 'awaiting_patch', 'the run to escalate');
    expect(actions(run.id)).toEqual([...Array(6).fill('canary_apply'), 'canary_restore']);

    const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(step).toMatchObject({ status: 'running', waitingFor: 'patch', workOrderId: expect.any(String) });
    expect(step.output.candidates.every((c: any) => c.result === 'failed')).toBe(true);
    expect(step.output).toMatchObject({
      outcome: 'no_candidate',
      winner: null,
      restore: { slaMs: 15_000, withinSla: true },
    });
    expect(step.output.restore.ms).toBeGreaterThanOrEqual(30);
    expect(step.output.restore.ms).toBeLessThanOrEqual(15_000);
    expect(step.output.summary).toMatch(
      /^no candidate passed \(0 of 6 tried passed\); the canary was restored in \d+ ms \(SLA 15000 ms met\)$/,
    );
    expect(
      run.transitions.some(
        (t: any) => t.stepId === 'tune_on_canary' && /restored in \d+ ms \(SLA 15000 ms met\)/.test(t.note ?? ''),
      ),
    ).toBe(true);

    const order = await get(`/patches/work-orders/${step.workOrderId}`, operator);
    expect(order).toMatchObject({ status: 'queued', runId: run.id });
    expect(JSON.stringify(order.context.lastErrors)).toContain('no candidate passed');

    // The work order's end finishes the step, which keeps its candidates' results beside the report.
    await app.http
      .post(`/patches/work-orders/${step.workOrderId}/cancel`)
      .set(auth(operator))
      .send({ reason: 'tuned by hand' })
      .expect(200);
    const ended = await runWhere(run.id, operator, (r) => r.phase === 'done', 'the run to end');
    const after = ended.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(after.status).toBe('failed');
    expect(after.output).toMatchObject({ outcome: 'no_candidate', winner: null, restore: { withinSla: true } });
    expect(after.output.candidates).toHaveLength(6);
  });

  /**
   * The canary is shared: two runs' trials on it at once would measure each candidate under the other's
   * load, and one's restore would wipe what the other is measuring (ADR 0018). Two approvals on two
   * agents of one tenant (one `ops` canary) start together; the first trial holds the canary, the second
   * waits for it, visibly, and starts only once the first one's promote has answered (here, once the first
   * run has ended: its rollback's restore_config acts on the canary too, so it keeps the canary until then).
   */
  it('two canary runs started together take turns on the canary: the second waits for the first run to give it back', async () => {
    // A long actuator timeout: the held apply ends when released, however long the second run takes to wait.
    const { operator } = await tenant('canary-shared', MIXED, 120_000);
    const release = holdApply('canary-shared', 0);
    const one = await incident(operator, 'agent-s1');
    const two = await incident(operator, 'agent-s2');
    const [a, b] = await Promise.all(
      [one, two].map(
        async ({ recovery }) =>
          (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)).body
            .id as string,
      ),
    );
    const canaryCalls = () =>
      receiver.calls.filter((c) => c.path === '/ops/canary-shared' && c.json?.kind === 'canary');
    // The first trial's first apply is out (and held): the other run waits for the canary, or (before the fix) applies too.
    const first = await eventually(async () => canaryCalls()[0]?.json.runId ?? null, 'a first apply');
    const second = first === a ? b : a;
    const waiting = await eventually(async () => {
      if (canaryCalls().some((c) => c.json.runId === second)) return 'applied';
      const run = await get(`/runs/${second}`, operator);
      const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
      return step.waitingFor === 'canary' ? run : null;
    }, 'the second run to wait for the canary (or to apply)');
    release();

    const runs = await Promise.all(
      [first, second].map((id) => runWhere(id, operator, (r) => r.phase === 'done', `run ${id} to finish`)),
    );
    // In the receiver's order: every canary call of the first trial, its promote last, then every one of the second.
    const order = canaryCalls().map((c) => [c.json.runId === first ? 'first' : 'second', c.json.params.action]);
    const trial = [...Array(6).fill('canary_apply'), 'promote_config'];
    expect(order).toEqual([...trial.map((x) => ['first', x]), ...trial.map((x) => ['second', x])]);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // While it waited, the second run said so: its canary step not started, waiting for the canary, and whose trial holds it.
    expect(waiting).not.toBe('applied');
    const step = waiting.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(step).toMatchObject({ status: 'running', waitingFor: 'canary', startedAt: null });
    expect(waiting.transitions.map((t: any) => t.note)).toContain(
      `waiting for the canary: run ${first} is trying candidates on ops`,
    );
    // The second trial tried all six candidates and chose as the first did: its time began with the canary.
    const secondStep = runs[1]!.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(secondStep.output).toMatchObject({ outcome: 'promoted', winner: { index: 2, score: -160 } });
  });

  it('a run still waiting for the canary at its deadline ends canceled, with no verdict, having touched nothing', async () => {
    const { operator } = await tenant('canary-busy', MIXED, 120_000);
    const release = holdApply('canary-busy', 0);
    const one = await incident(operator, 'agent-b1');
    const holder = (
      await app.http.post(`/recoveries/${one.recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
    ).body.id as string;
    await eventually(async () => ofRun(holder).length > 0 || null, 'the first apply');
    const two = await incident(operator, 'agent-b2');
    const waiter = (
      await app.http.post(`/recoveries/${two.recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
    ).body.id as string;
    try {
      await runWhere(
        waiter,
        operator,
        (r) => r.steps.some((s: any) => s.waitingFor === 'canary'),
        'the second run to wait for the canary',
      );
      await app.sql(`UPDATE recovery_runs SET deadline_at = now(), due_at = now() WHERE id = $1`, [waiter]);
      const run = await runWhere(waiter, operator, (r) => r.phase === 'done', 'the waiting run to end');
      expect(run).toMatchObject({ status: 'canceled', verdict: null });
      expect(run.reason).toMatch(
        /^timed_out: .+: step tune_on_canary waited for the canary, which other runs' trials held; this says nothing about the fix$/,
      );
      expect(run.steps.find((s: any) => s.id === 'tune_on_canary')).toMatchObject({
        status: 'skipped',
        startedAt: null,
      });
      // Nothing to undo: no call of it went out, and its rollback did not run.
      expect(ofRun(waiter)).toEqual([]);
    } finally {
      release();
    }
    expect((await runWhere(holder, operator, (r) => r.phase === 'done', 'the first run to finish')).status).toBe(
      'succeeded',
    );
  });

  const approve = async (operator: string, { recovery }: { recovery: { id: string } }) =>
    (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)).body
      .id as string;
  const canaryStepOf = (run: any) => run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
  const waitingNotes = (run: any) =>
    run.transitions.filter((t: any) => t.note?.startsWith('waiting for the canary: ')).map((t: any) => t.note);

  /**
   * A run stopped mid-trial keeps the canary through its whole rollback, not only through its restore:
   * tune_config's restore_config acts "in production and on the canary", and would land on another run's
   * trial begun in between (ADR 0018). Until this was fixed the canary was given back when the restore
   * answered, and the waiting run's trial began while restore_config was still out.
   */
  it("a run canceled mid-trial keeps the canary until its rollback's restore_config has answered; the waiting trial begins after", async () => {
    const name = 'canary-rollback';
    const { operator } = await tenant(name, MIXED, 120_000);
    const releaseApply = holdApply(name, 1);
    const releaseRollback = holdRestoreConfig(name);
    const a = await approve(operator, await incident(operator, 'agent-r1'));
    await eventually(
      async () => ofRun(a).some((c) => c.json.candidate?.index === 1) || null,
      "the first run's apply of candidate 1",
    );
    const b = await approve(operator, await incident(operator, 'agent-r2'));
    await runWhere(
      b,
      operator,
      (r) => canaryStepOf(r).waitingFor === 'canary',
      'the second run to wait for the canary',
    );
    await app.http.post(`/runs/${a}/cancel`).set(auth(operator)).send({}).expect(202);
    releaseApply();
    try {
      // The canary's restore has answered; the rollback's restore_config is out, held.
      await eventually(async () => actions(a).includes('restore_config') || null, "the first run's restore_config");
      // The waiting run looks now (the restore's answer woke it before the fix): the canary is still the first run's.
      await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [b]);
      const seen = await eventually(async () => {
        if (ofRun(b).length > 0) return 'applied';
        const [r] = await app.sql(
          `SELECT r.due_at > now() AS looked, l.run_id AS holder FROM recovery_runs r, canary_leases l
            WHERE r.id = $1 AND l.tenant_id = $2 AND l.actuator = 'ops'`,
          [b, name],
        );
        return r?.looked && r.holder === a ? 'waited' : null;
      }, 'the second run to look again (or to apply)');
      expect(seen).toBe('waited');
    } finally {
      releaseRollback();
    }
    const [first, second] = await Promise.all(
      [a, b].map((id) => runWhere(id, operator, (r) => r.phase === 'done', `run ${id} to finish`)),
    );
    expect(first).toMatchObject({ status: 'canceled', verdict: null });
    expect(actions(a)).toEqual(['canary_apply', 'canary_apply', 'canary_restore', 'restore_config']);
    expect(second!.status).toBe('succeeded');
    expect(actions(b)).toEqual([...Array(6).fill('canary_apply'), 'promote_config', 'latency_check']);
    const answered = trace.indexOf(`restore_config answered ${a}`);
    expect(answered).toBeGreaterThan(-1);
    expect(trace.indexOf(`canary_apply ${b}`)).toBeGreaterThan(answered);
    expect(waitingNotes(second)).toEqual([`waiting for the canary: run ${a} is trying candidates on ops`]);
  });

  /**
   * The release wakes the waiting runs but skips one whose row another transaction holds at that moment
   * (waiting for it could deadlock): an operator's request answered 409, a pattern merge. Such a run looks
   * again every RUN_PAUSED_RECHECK_MS; until this was fixed nothing woke it before its deadline, where it
   * ended canceled though the canary had long been free. However often it looks, it says it waits once.
   */
  it('a waiting run whose wake-up is missed (its row locked then) takes the canary at its next look; it says it waits once', async () => {
    const name = 'canary-missed';
    const { operator } = await tenant(name, MIXED, 120_000);
    const release = holdApply(name, 0);
    const holder = await approve(operator, await incident(operator, 'agent-m1'));
    await eventually(async () => ofRun(holder).length > 0 || null, 'the first apply');
    const waiter = await approve(operator, await incident(operator, 'agent-m2'));
    const locker = new pg.Client({ connectionString: app.database.url });
    await locker.connect();
    try {
      await runWhere(
        waiter,
        operator,
        (r) => canaryStepOf(r).waitingFor === 'canary',
        'the second run to wait for the canary',
      );
      // Woken three times while the canary is held (as by a release or a re-check): each look finds it held.
      for (let i = 0; i < 3; i++) {
        await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [waiter]);
        await eventually(
          async () =>
            (await app.sql(`SELECT due_at > now() AS looked FROM recovery_runs WHERE id = $1`, [waiter]))[0]!.looked ||
            null,
          'the waiting run to look again',
        );
      }
      // Another transaction holds the waiting run's row while the holder's run ends and gives the canary back.
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM recovery_runs WHERE id = $1 FOR UPDATE`, [waiter]);
      release();
      expect((await runWhere(holder, operator, (r) => r.phase === 'done', 'the holder to finish')).status).toBe(
        'succeeded',
      );
      expect(await app.sql(`SELECT run_id FROM canary_leases WHERE tenant_id = $1`, [name])).toEqual([
        { run_id: null },
      ]);
      await locker.query('COMMIT');
    } finally {
      release();
      await locker.end();
    }
    const run = await runWhere(waiter, operator, (r) => r.phase === 'done', 'the waiting run to finish');
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(actions(waiter)).toEqual([...Array(6).fill('canary_apply'), 'promote_config', 'latency_check']);
    expect(waitingNotes(run)).toEqual([`waiting for the canary: run ${holder} is trying candidates on ops`]);
  });

  describe('a run that stops mid-trial restores the canary before its rollback', () => {
    const applyOut = (runId: string, index: number) =>
      eventually(
        async () => ofRun(runId).some((c) => c.json.candidate?.index === index) || null,
        `the apply of candidate ${index} to go out`,
      );
    const canaryStep = (run: any) => run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    /** The restore the run sent: signed, under the step's own restore webhook-id, with the step's restore action. */
    const expectRestoreSent = (runId: string) => {
      const restores = ofRun(runId).filter((c) => c.json.params.action === 'canary_restore');
      expect(restores).toHaveLength(1);
      expect(restores[0]).toMatchObject({
        verified: true,
        headers: { 'webhook-id': `${runId}.tune_on_canary.restore` },
        json: { kind: 'canary', stage: 'restore', candidate: null },
      });
    };

    it("canceled while a candidate's apply is out: the canary is restored, then the rollback runs; no verdict", async () => {
      const { operator } = await tenant('canary-cancel', MIXED, 10_000);
      const release = holdApply('canary-cancel', 1);
      const { recovery } = await incident(operator, 'agent-x1');
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
      ).body;
      await applyOut(started.id, 1);
      await app.http.post(`/runs/${started.id}/cancel`).set(auth(operator)).send({}).expect(202);
      release();

      const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the canceled run to finish');
      expect(run).toMatchObject({ status: 'canceled', verdict: null });
      expect(run.reason).toMatch(/^canceled by /);
      // The restore comes before the playbook's rollback, and nothing after it touches the canary.
      expect(actions(run.id)).toEqual(['canary_apply', 'canary_apply', 'canary_restore', 'restore_config']);
      expectRestoreSent(run.id);

      const step = canaryStep(run);
      expect(step).toMatchObject({ status: 'skipped', error: null });
      expect(step.output.candidates.map((c: any) => c.result)).toEqual([
        'failed',
        'passed',
        ...Array(4).fill('not_tried'),
      ]);
      expectRestoredAs(run, step, 'interrupted', `interrupted (${run.reason}): 1 of 2 tried passed, 4 not tried`);
    });

    it('past its deadline mid-trial: the canary is restored, the step times out, and the verdict is the failure it was', async () => {
      const { operator } = await tenant('canary-late', MIXED, 10_000);
      const release = holdApply('canary-late', 2);
      const { recovery } = await incident(operator, 'agent-x2');
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
      ).body;
      await applyOut(started.id, 2);
      // The run's deadline (RECOVERY_RUN_TIMEOUT_MS) passes while the apply is out: stored as now.
      await app.sql(`UPDATE recovery_runs SET deadline_at = now() WHERE id = $1`, [started.id]);
      release();

      const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the late run to finish');
      expect(run).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
      expect(run.reason).toMatch(/^timed_out: the run did not get through its steps and checks within \d+ ms$/);
      expect(actions(run.id)).toEqual([...Array(3).fill('canary_apply'), 'canary_restore', 'restore_config']);
      expectRestoreSent(run.id);
      const step = canaryStep(run);
      expect(step).toMatchObject({ status: 'timed_out', error: 'timed_out: the run ran out of time' });
      expect(step.output).toMatchObject({ outcome: 'interrupted', restore: { withinSla: true } });
      // Candidates 1 and 2 passed; the trial never got to choose between them.
      expect(step.output.candidates.map((c: any) => c.result)).toEqual([
        'failed',
        'passed',
        'passed',
        ...Array(3).fill('not_tried'),
      ]);
      expect(step.output.summary).toMatch(
        /^interrupted \(timed_out: .+\): 2 of 3 tried passed, 3 not tried; the canary was restored in \d+ ms \(SLA 15000 ms met\)$/,
      );
    });

    /** The run's RecoveryRunFinished as the outbox carries it to learning and notifications (a row per handler). */
    const finishedEvent = async (runId: string) => {
      const rows = await app.sql<{ payload: any }>(
        `SELECT DISTINCT payload FROM outbox_events WHERE event_type = 'RecoveryRunFinished' AND payload->>'runId' = $1`,
        [runId],
      );
      expect(rows).toHaveLength(1);
      return rows[0]!.payload;
    };

    /**
     * A restore that fails leaves a candidate on the shared canary: things are half-changed, as after any
     * failed rollback step, so the run says its rollback failed (ADR 0018). The playbook's rollback list
     * still runs: it undoes what the run did elsewhere, which the canary's state does not change.
     */
    it('canceled mid-trial and its restore fails: canceled with its rollback failed, told as such', async () => {
      const { operator } = await tenant('canary-cancel-dirty', MIXED, 10_000);
      failRestore.add('canary-cancel-dirty');
      const release = holdApply('canary-cancel-dirty', 1);
      const { recovery } = await incident(operator, 'agent-x6');
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
      ).body;
      await applyOut(started.id, 1);
      await app.http.post(`/runs/${started.id}/cancel`).set(auth(operator)).send({}).expect(202);
      release();

      const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the canceled run to finish');
      expect(actions(run.id)).toEqual(['canary_apply', 'canary_apply', 'canary_restore', 'restore_config']);
      expect(canaryStep(run)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^restore: /) });
      expect(canaryStep(run).output).toMatchObject({ stage: 'restore', outcome: 'interrupted' });
      expect(run).toMatchObject({ status: 'canceled', verdict: null });
      expect(run.reason).toMatch(/^canceled by .+; the rollback failed$/);
      expect(await finishedEvent(run.id)).toMatchObject({ outcome: 'canceled', rollbackFailed: true });
    });

    it('past its deadline mid-trial and its restore fails: rollback_failed, as for any failed rollback step', async () => {
      const { operator } = await tenant('canary-late-dirty', MIXED, 10_000);
      failRestore.add('canary-late-dirty');
      const release = holdApply('canary-late-dirty', 2);
      const { recovery } = await incident(operator, 'agent-x7');
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
      ).body;
      await applyOut(started.id, 2);
      await app.sql(`UPDATE recovery_runs SET deadline_at = now() WHERE id = $1`, [started.id]);
      release();

      const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the late run to finish');
      expect(actions(run.id)).toEqual([...Array(3).fill('canary_apply'), 'canary_restore', 'restore_config']);
      expect(canaryStep(run)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^restore: /) });
      expect(run).toMatchObject({ status: 'rollback_failed', verdict: 'failed' });
      expect(run.reason).toMatch(/^timed_out: the run did not get through its steps and checks within \d+ ms$/);
      expect(await finishedEvent(run.id)).toMatchObject({ outcome: 'rollback_failed', rollbackFailed: true });
    });

    it('held by the kill switch until its deadline: the restore goes on under the kill switch, as the rollback does; canceled, no verdict', async () => {
      const keys = await tenant('canary-held', MIXED, 10_000);
      await app.http
        .put('/self-healing/guardrails')
        .set(auth(keys.admin))
        .send({ canaryRunsPer24h: null, canaryCooldownMs: 0, canaryDailyBudgetMs: null })
        .expect(200);
      const founding = await incident(keys.operator, 'agent-held');
      await app.http
        .patch(`/catalog/patterns/${founding.recovery.patternId}`)
        .set(auth(keys.admin))
        .send({ recoveryTemplate: { playbookId: 'tune_config', confidence: 0.95 }, autoApplyRecovery: true })
        .expect(200);
      await app.http
        .post(`/incidents/${founding.incidentId}/resolve`)
        .set(auth(keys.operator))
        .send({ note: 'founding' })
        .expect(200);
      const release = holdApply('canary-held', 0);
      const auto = await incident(keys.operator, 'agent-held');
      expect(auto.recovery.status).toBe('applied');
      const runId = (await get(`/runs?incidentId=${auto.incidentId}`, keys.operator)).items[0].id as string;
      try {
        await applyOut(runId, 0);
        await app.http.post('/guard/killswitch').set(auth(keys.admin)).send({ reason: 'hold the canary' }).expect(200);
        release();
        await runWhere(
          runId,
          keys.operator,
          (r) => r.pausedReason === 'kill switch',
          'the kill switch to hold the run',
        );
        expect(actions(runId)).toEqual(['canary_apply']);
        await app.sql(`UPDATE recovery_runs SET deadline_at = now(), due_at = now() WHERE id = $1`, [runId]);

        const run = await runWhere(runId, keys.operator, (r) => r.phase === 'done', 'the held run to finish');
        expect(run).toMatchObject({ automatic: true, status: 'canceled', verdict: null });
        expect(run.reason).toContain('the kill switch held it; this says nothing about the fix');
        expect(actions(runId)).toEqual(['canary_apply', 'canary_restore', 'restore_config']);
        expectRestoreSent(runId);
        const step = canaryStep(run);
        expect(step).toMatchObject({ status: 'skipped', error: null });
        expect(step.output).toMatchObject({ outcome: 'interrupted', restore: { withinSla: true } });
        expect(step.output.summary).toMatch(/^interrupted \(timed_out: .+\): 0 of 1 tried passed, 5 not tried; /);
        // The kill switch was on throughout.
        expect((await get('/guard/killswitch', keys.admin)).tenant).toBeTruthy();
      } finally {
        await app.http.delete('/guard/killswitch').set(auth(keys.admin));
      }
    });
  });

  /**
   * A promote that fails for good leaves the last candidate applied on the shared canary: the step
   * restores it (its ordinary signed `.restore` call) before it ends failed, and the run fails with
   * the promote's failure as before (ADR 0014, ADR 0018), then runs its rollback.
   */
  it("a promote that fails: the canary is restored before the step fails, and the run fails with the promote's failure", async () => {
    const { operator } = await tenant('canary-promote-fails', MIXED);
    failPromote.add('canary-promote-fails');
    const { recovery } = await incident(operator, 'agent-x4');
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the run to finish');

    // The promote is tried its three attempts, then the canary is restored, then the playbook's rollback runs.
    expect(actions(run.id)).toEqual([
      ...Array(6).fill('canary_apply'),
      ...Array(3).fill('promote_config'),
      'canary_restore',
      'restore_config',
    ]);
    const calls = ofRun(run.id);
    expect(calls.slice(6, 9).map((c) => [c.headers['webhook-id'], c.json.attempt])).toEqual(
      [1, 2, 3].map((n) => [`${run.id}.tune_on_canary.promote`, n]),
    );
    const restore = calls[9]!;
    expect(restore).toMatchObject({
      verified: true,
      headers: { 'webhook-id': `${run.id}.tune_on_canary.restore` },
      json: { kind: 'canary', stage: 'restore', candidate: null, attempt: 1 },
    });

    const error = 'promote: HTTP 503 (attempt 3 of 3)';
    expect(run).toMatchObject({
      status: 'rolled_back',
      verdict: 'failed',
      reason: `step tune_on_canary failed: ${error}`,
    });
    const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(step).toMatchObject({ status: 'failed', error });
    expect(step.output).toMatchObject({ winner: { index: 2, score: -160 } });
    expectRestoredAs(
      run,
      step,
      'failed',
      `failed (${error}): 3 of 6 tried passed; candidate 2 {"timeoutMs":5000,"concurrency":8,"cacheMb":512} (score -160) was not promoted`,
    );
  });

  /**
   * An apply whose calls got no answer MAX_INTERRUPTED_CALLS times (the service died mid-call each time;
   * here: three lost calls are stored, and the worker's lease lapses with the fourth out, so the run is
   * taken over as after a crash) fails the step, and the candidate may be on the canary, the one judged
   * before it certainly is: the canary is restored before the step ends failed (ADR 0018).
   */
  it('an apply whose calls are interrupted too often: the canary is restored before the step fails with that error', async () => {
    const { operator } = await tenant('canary-apply-lost', MIXED, 10_000);
    const release = holdApply('canary-apply-lost', 1);
    const { recovery } = await incident(operator, 'agent-x5');
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await eventually(
      async () => ofRun(started.id).some((c) => c.json.candidate?.index === 1) || null,
      'the apply of candidate 1 to go out',
    );
    await app.sql(
      `UPDATE recovery_run_steps SET interrupted_calls = 3 WHERE run_id = $1 AND step_id = 'tune_on_canary'`,
      [started.id],
    );
    await app.sql(`UPDATE recovery_runs SET lease_until = now() - interval '1 second', due_at = now() WHERE id = $1`, [
      started.id,
    ]);
    try {
      await runWhere(started.id, operator, (r) => r.status !== 'running', 'the run to be taken over and fail');
    } finally {
      // The call the lapsed lease was waiting for answers now: its worker no longer holds the run, and stores nothing.
      release();
    }
    const run = await runWhere(started.id, operator, (r) => r.phase === 'done', 'the run to finish');

    expect(actions(run.id)).toEqual(['canary_apply', 'canary_apply', 'canary_restore', 'restore_config']);
    expect(ofRun(run.id)[2]).toMatchObject({
      verified: true,
      headers: { 'webhook-id': `${run.id}.tune_on_canary.restore` },
      json: { kind: 'canary', stage: 'restore', candidate: null },
    });
    const error = 'no stored answer after 3 interrupted calls (the service stopped mid-call each time)';
    expect(run).toMatchObject({
      status: 'rolled_back',
      verdict: 'failed',
      reason: `step tune_on_canary failed: ${error}`,
    });
    const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    expect(step).toMatchObject({ status: 'failed', error });
    expect(step.output).toMatchObject({ stage: 'done', outcome: 'failed', restore: { withinSla: true } });
    expect(step.output.candidates.map((c: any) => [c.result, c.reason])).toEqual([
      ['failed', expect.stringMatching(/^check failed: /)],
      ['not_tried', `not judged: apply of candidate 1: ${error}`],
      ...Array(4).fill(['not_tried', `not tried: the step failed (apply of candidate 1: ${error})`]),
    ]);
    expect(step.output.summary).toMatch(
      /^failed \(apply of candidate 1: no stored answer .+\): 0 of 1 tried passed, 5 not tried; the canary was restored in \d+ ms \(SLA 15000 ms met\)$/,
    );
  });

  it('the canary budget counts the trial, not the wait after it for its work order or for a person', async () => {
    const HOUR = 3600_000;
    const earlier = (iso: string) => new Date(Date.parse(iso) - HOUR).toISOString();
    const canaryStep = (run: any) => run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    /** The step began an hour earlier, its trial (once ended) as long as it was: it has waited an hour since. */
    const anHourAgo = async (runId: string, step: any) =>
      app.sql(
        `UPDATE recovery_run_steps
            SET started_at = $3::timestamptz,
                output = CASE WHEN $4::text IS NULL THEN output ELSE output || jsonb_build_object('endedAt', $4::text) END
          WHERE run_id = $1 AND step_id = $2`,
        [runId, step.id, earlier(step.startedAt), step.output?.endedAt ? earlier(step.output.endedAt) : null],
      );
    /** The canary guardrails a dry run of the tenant's next recovery (another agent) names, with `budgetMs`. */
    const heldBy = async (t: { admin: string; operator: string }, agentId: string, budgetMs: number) => {
      await app.http
        .put('/self-healing/guardrails')
        .set(auth(t.admin))
        .send({ canaryRunsPer24h: null, canaryCooldownMs: 0, canaryDailyBudgetMs: budgetMs })
        .expect(200);
      const { recovery } = await incident(t.operator, agentId);
      expect(recovery.status).toBe('pending_review');
      const plan = (
        await app.http.post(`/recoveries/${recovery.id}/dry-run`).set(auth(t.operator)).send({}).expect(200)
      ).body;
      return plan.guardrails.filter((g: { guardrail: string }) => g.guardrail.startsWith('canary_'));
    };

    // No candidate passes: the trial restores the canary and escalates; the step waits for its work order (up to 24 h).
    const none = await tenant('canary-wait', NONE_PASS);
    const { recovery } = await incident(none.operator, 'agent-w1');
    const started = (
      await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(none.operator)).send({}).expect(200)
    ).body;
    const escalated = await runWhere(started.id, none.operator, (r) => r.status === 'awaiting_patch', 'the escalation');
    const step = canaryStep(escalated);
    expect(step).toMatchObject({ status: 'running', waitingFor: 'patch', finishedAt: null });
    expect(step.output.endedAt).toEqual(expect.any(String));
    expect(step.canary.endedAt).toBe(step.output.endedAt);
    const trialMs = Date.parse(step.output.endedAt) - Date.parse(step.startedAt);
    await anHourAgo(escalated.id, step);
    // An hour of waiting for the work order is not canary time: the budget (seed 004's 60 s) holds nothing…
    expect(await heldBy(none, 'agent-w2', 60_000)).toEqual([]);
    // …and the trial itself still counts, to the millisecond.
    expect(await heldBy(none, 'agent-w3', 1)).toEqual([
      {
        guardrail: 'canary_budget',
        reason: `guardrail canary_budget: canary steps of the last 24 h took ${trialMs} ms (budget 1 ms)`,
      },
    ]);

    // No actuator: the canary step is a person's from the start; waiting for them is not canary time either.
    const manual = {
      admin: await app.keyFor('canary-manual', 'admin'),
      operator: await app.keyFor('canary-manual', 'operator'),
    };
    const first = await incident(manual.operator, 'agent-m1');
    const waiting = await runWhere(
      (await app.http.post(`/recoveries/${first.recovery.id}/approve`).set(auth(manual.operator)).send({}).expect(200))
        .body.id,
      manual.operator,
      (r) => r.status === 'awaiting_operator',
      'the canary step to wait for a person',
    );
    const handed = canaryStep(waiting);
    expect(handed).toMatchObject({ status: 'awaiting_operator', runsAs: 'manual' });
    await anHourAgo(waiting.id, handed);
    expect(await heldBy(manual, 'agent-m2', 1)).toEqual([]);
  });

  it('the canary guardrails stop a second automatic canary run and say which: runs per 24 h, then the budget', async () => {
    /** Founds the pattern, lets it auto-apply tune_config, and returns a reporter of further incidents on one agent. */
    async function autoApplying(name: string, guardrails: Record<string, unknown>) {
      const keys = await tenant(name, MIXED);
      await app.http.put('/self-healing/guardrails').set(auth(keys.admin)).send(guardrails).expect(200);
      const founding = await incident(keys.operator, `agent-${name}`);
      await app.http
        .patch(`/catalog/patterns/${founding.recovery.patternId}`)
        .set(auth(keys.admin))
        .send({ recoveryTemplate: { playbookId: 'tune_config', confidence: 0.95 }, autoApplyRecovery: true })
        .expect(200);
      await app.http
        .post(`/incidents/${founding.incidentId}/resolve`)
        .set(auth(keys.operator))
        .send({ note: 'founding' })
        .expect(200);
      return { ...keys, next: () => incident(keys.operator, `agent-${name}`) };
    }
    const firstRunOf = async (t: { operator: string; next: () => ReturnType<typeof incident> }) => {
      const first = await t.next();
      expect(first.recovery.status).toBe('applied');
      const runs = (await get(`/runs?incidentId=${first.incidentId}`, t.operator)).items;
      // Done before the next incident: one on the same agent inside its watch would be a recurrence.
      return runWhere(runs[0].id, t.operator, (r) => r.phase === 'done', 'the first canary run to finish');
    };

    const rate = await autoApplying('canary-rate', {
      canaryRunsPer24h: 1,
      canaryCooldownMs: 0,
      canaryDailyBudgetMs: null,
    });
    expect((await firstRunOf(rate)).status).toBe('succeeded');
    const held = await rate.next();
    expect(held.recovery).toMatchObject({
      status: 'pending_review',
      decision: { autoApplied: false, heldBy: { guardrail: 'canary_runs_per_day' } },
    });
    expect(held.recovery.decision.heldBy.reason).toBe(
      `guardrail canary_runs_per_day: 1 canary run of pattern ${held.recovery.patternId} on agent agent-canary-rate in the last 24 h (limit 1)`,
    );
    expect((await get(`/runs?incidentId=${held.incidentId}`, rate.operator)).items).toEqual([]);

    const budget = await autoApplying('canary-budget', {
      canaryRunsPer24h: null,
      canaryCooldownMs: 0,
      canaryDailyBudgetMs: 1,
    });
    expect((await firstRunOf(budget)).status).toBe('succeeded');
    const over = await budget.next();
    expect(over.recovery.decision.heldBy).toMatchObject({
      guardrail: 'canary_budget',
      reason: expect.stringMatching(
        /^guardrail canary_budget: canary steps of the last 24 h took \d+ ms \(budget 1 ms\)$/,
      ),
    });
    const timeline = JSON.stringify(await get(`/incidents/${over.incidentId}/timeline`, budget.operator));
    expect(timeline).toContain('held by guardrail canary_budget');

    // The default cooldown (seed 004: 6 h) holds the next one on the same agent even with the other two off.
    const cool = await autoApplying('canary-cool', { canaryRunsPer24h: null, canaryDailyBudgetMs: null });
    expect((await get('/self-healing/guardrails', cool.admin)).canaryCooldownMs).toBe(6 * 3600_000);
    expect((await firstRunOf(cool)).status).toBe('succeeded');
    expect((await cool.next()).recovery.decision.heldBy).toMatchObject({
      guardrail: 'canary_cooldown',
      reason: expect.stringContaining('(cooldown 6 h, '),
    });
  });
});

/**
 * The canary step's own budget (`budgetMs`) inside a real run: every answer takes longer than the
 * whole budget, so the first candidate is the only one tried whatever the machine's speed (the
 * first call is planned in the turn that starts the step), and the trial decides on it.
 */
describe('canary and promote: the step budget', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const BUDGET_MS = 500;
  const APPLY_MS = 800;

  beforeAll(async () => {
    receiver = await startWebhookReceiver((c, res) => {
      const action = c.json?.params?.action;
      const send = (body: unknown) => res.end(JSON.stringify(body));
      // Every candidate would pass; the first one is fine but not the best (p95 200 ms).
      if (action === 'canary_apply')
        return setTimeout(() => send({ p95_ms: c.json.candidate.index === 0 ? 200 : 100, error_rate: 0 }), APPLY_MS);
      send(action === 'latency_check' ? { healthy: true } : { ok: true });
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
      PLAYBOOK_CATALOG_PATH: playbookCatalogWith((byId) => {
        byId('tune_config').steps[0].budgetMs = BUDGET_MS;
      }),
    });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('tries candidates only while the budget lasts, marks the rest not tried, says so, and promotes the best it tried', async () => {
    const admin = await app.keyFor('canary-budget-step', 'admin');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 5000 });
    const { runId } = await approvedRun(app.http, admin, {
      errorType: 'LatencyRegression',
      message: 'p95 latency of search-api-1 regressed to 900 ms after a traffic shift',
      agentId: 'agent-b1',
      capability: 'search',
    });
    const run = await finishedRun(app.http, admin, runId);
    expect(run.playbookId).toBe('tune_config');

    expect(run.status).toBe('succeeded');
    const actions = receiver.calls.filter((c) => c.json?.runId === run.id).map((c) => c.json.params.action);
    expect(actions).toEqual(['canary_apply', 'promote_config', 'latency_check']);
    const step = run.steps.find((s: { id: string }) => s.id === 'tune_on_canary');
    const notTried = `not tried: the step's budget of ${BUDGET_MS} ms was spent`;
    expect(step.output.candidates.map((c: any) => [c.index, c.result])).toEqual([
      [0, 'passed'],
      ...[1, 2, 3, 4, 5].map((i) => [i, 'not_tried']),
    ]);
    expect(step.output.candidates.slice(1).every((c: any) => c.reason === notTried)).toBe(true);
    expect(step.output).toMatchObject({ outcome: 'promoted', winner: { index: 0, score: -200 } });
    expect(step.output.summary).toBe(
      `promoted candidate 0 {"timeoutMs":2000,"concurrency":4,"cacheMb":256} (score -200; 1 of 1 tried passed, 5 not tried (the step's budget of ${BUDGET_MS} ms was spent))`,
    );
  });
});
