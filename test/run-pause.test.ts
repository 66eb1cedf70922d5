import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { WAITING_WORK_SQL } from '../src/self-healing/waiting/waiting-work.read-model.js';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { lateResult } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver, type Answer } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Pause and resume (DESIGN §13, issue 27): a failed step of a run a person started pauses the run
 * for an operator, who retries it (with corrected parameters), skips it, or rolls the run back;
 * an automatic run still rolls back at once. Real database, real HTTP, a real local receiver.
 */
describe('pause, retry, skip and roll back a run', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let viewer: string;
  let otherOperator: string;
  let seq = 0;

  const get = async (path: string, k = operator) => (await app.http.get(path).set(auth(k)).expect(200)).body;
  const actions = (runId: string) =>
    receiver.calls.filter((c) => c.json?.runId === runId).map((c) => c.json.params.action);
  const runWhere = (runId: string, ok: (run: any) => boolean, what: string, k = operator) =>
    eventually(async () => {
      const run = await get(`/runs/${runId}`, k);
      return ok(run) ? run : null;
    }, what);
  const paused = (runId: string) =>
    runWhere(
      runId,
      (r) => r.status === 'awaiting_operator' && r.steps.some((s: any) => s.status === 'failed'),
      'the run to pause on its failed step',
    );

  async function incident(k = operator, agentId = `agent-p${++seq}`) {
    const res = await app.http
      .post('/incidents')
      .set(auth(k))
      .send({
        errorType: 'OutOfMemoryError',
        message: `Worker pod ingest-${seq} OOMKilled: container exceeded memory limit 2048Mi (case ${seq}p)`,
        agentId,
        capability: 'ingest',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${res.body.id}`, k)).items[0],
      `a recovery for ${res.body.id}`,
    );
    return { incidentId: res.body.id as string, recovery };
  }
  /** An approved memory_cleanup run whose reduce_batch step fails (the receiver refuses factor 0.5), paused. */
  async function pausedRun() {
    const { incidentId, recovery } = await incident();
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    return { incidentId, run: await paused(started.id) };
  }

  /** reduce_batch with factor 0.5 fails; everything else succeeds and the memory check finds the agent healthy. */
  const defaultAnswer: Answer = (c, res) => {
    const p = c.json?.params ?? {};
    if (p.action === 'reduce_batch' && p.factor === 0.5)
      return res.end('{"status":"failed","error":"factor 0.5 starves the consumers"}');
    res.end(p.action === 'memory_check' ? '{"healthy":true}' : '{"ok":true}');
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver(defaultAnswer);
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      // An automatic run of retry_with_backoff pauses on a failed step, as a person's does.
      PLAYBOOK_CATALOG_PATH: playbookCatalogWith((byId) => {
        byId('retry_with_backoff').onFailure = 'pause';
        // data_fix checks the schema only after a migration that went through (a `when` a skip decides).
        byId('data_fix').verify[0].when = 'steps.migrate_record.status == "succeeded"';
      }),
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    admin = await app.keyFor('pause', 'admin');
    operator = await app.keyFor('pause', 'operator');
    viewer = await app.keyFor('pause', 'viewer');
    otherOperator = await app.keyFor('pause-other', 'operator');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('an approved run whose step fails waits for an operator, showing the failure, and undoes nothing yet', async () => {
    const { incidentId, run } = await pausedRun();
    expect(run).toMatchObject({
      phase: 'steps',
      verdict: null,
      reason: expect.stringContaining('step reduce_batch failed: factor 0.5 starves the consumers'),
    });
    expect(run.reason).toContain('retry, skip or roll back');
    const steps = Object.fromEntries(run.steps.map((s: any) => [s.id, s]));
    expect(steps.reduce_batch).toMatchObject({ status: 'failed', error: 'factor 0.5 starves the consumers' });
    expect(steps.restart_worker.status).toBe('pending');
    expect(steps.restore_batch.status).toBe('pending');
    // A pause is no verdict: nothing rolled back, the incident still being fixed.
    await new Promise((r) => setTimeout(r, 400));
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch']);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('mitigating');
    expect((await get(`/runs?status=awaiting_operator`)).items.map((r: any) => r.id)).toContain(run.id);
    const item = (await get('/inbox')).items.find((i: any) => i.id === `operator_step:${run.id}:reduce_batch`);
    expect(item.title).toBe(
      'Step reduce_batch of memory_cleanup failed, the run is paused: factor 0.5 starves the consumers',
    );
  });

  it('retry with corrected parameters calls the step again under a new webhook-id, succeeds and verifies; the choice is recorded and audited', async () => {
    const { incidentId, run } = await pausedRun();
    const retry = (body: object, k = operator, step = 'reduce_batch') =>
      app.http.post(`/runs/${run.id}/steps/${step}/retry`).set(auth(k)).send(body);
    expect((await retry({ params: { factor: 0.75 } }, viewer)).status).toBe(403);
    expect((await retry({ params: { factor: 0.75 } }, otherOperator)).status).toBe(404);
    expect((await retry({ params: 'half' })).status).toBe(400);
    // Only the step's own parameters may be corrected: another name, or its action, is a 400 naming it.
    expect(
      (await retry({ params: { factr: 0.75, action: 'restart_worker' } })).body.fields.map((f: any) => f.field),
    ).toEqual(['params.factr', 'params.action']);
    expect((await retry({}, operator, 'restart_worker')).status).toBe(409); // not the step that failed
    const answered = await retry({ params: { factor: 0.75 } }).expect(200);
    expect(answered.body.steps.find((s: any) => s.id === 'reduce_batch')).toMatchObject({
      status: 'pending',
      attempts: 0,
      error: null,
    });
    expect((await retry({})).status).toBe(409); // no longer paused

    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the retried run to finish');
    expect(done).toMatchObject({ status: 'succeeded', verdict: 'succeeded' });
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'reduce_batch', 'restart_worker', 'memory_check']);
    const calls = receiver.calls.filter((c) => c.json?.runId === run.id && c.json.params.action === 'reduce_batch');
    expect(calls[1].json.params).toMatchObject({ factor: 0.75 });
    expect(calls[1].headers['webhook-id']).not.toBe(calls[0].headers['webhook-id']);
    expect(calls[1].headers['webhook-id']).toBe(`${run.id}.reduce_batch.retry-1`);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('resolved');

    const note = done.transitions.find(
      (t: any) => t.stepId === 'reduce_batch' && t.from === 'failed' && t.to === 'pending',
    );
    expect(note.note).toMatch(/^retried by .*\(.*\) with params \{"factor":0\.75\}$/);
    const audit = await get(`/audit?action=run.step_retried&subjectId=${run.id}`, admin);
    expect(audit.items).toEqual([
      expect.objectContaining({
        actor: expect.any(String),
        after: expect.objectContaining({ stepId: 'reduce_batch', params: { factor: 0.75 } }),
      }),
    ]);
  });

  it("the late result of the call before a retry is refused: the retried call's own answer decides the step", async () => {
    // The first reduce_batch answers 202 and never reports in time; the retried one is held here until the test answers it.
    const held: { res?: ServerResponse } = {};
    receiver.answer((c, res) => {
      const p = c.json?.params ?? {};
      if (p.action === 'reduce_batch' && p.factor === 0.5) {
        res.writeHead(202);
        return res.end();
      }
      if (p.action === 'reduce_batch') {
        held.res = res;
        return 'hang';
      }
      res.end(p.action === 'memory_check' ? '{"healthy":true}' : '{"ok":true}');
    });
    // Time enough for the held call: the test, not the call's timeout, decides when it answers.
    await app.http
      .put('/actuators/ops')
      .set(auth(admin))
      .send({ url: `${receiver.url}/ops`, timeoutMs: 60_000 });
    try {
      const { recovery } = await incident();
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
      ).body;
      await runWhere(
        started.id,
        (r) => r.steps.some((s: any) => s.id === 'reduce_batch' && s.waitingFor === 'result'),
        'the 202 to be stored',
      );
      // The step's wait for its result runs out (its deadline moved to now: time passing, without the wait).
      await app.sql(
        `UPDATE recovery_run_steps SET deadline_at = now() WHERE run_id = $1 AND step_id = 'reduce_batch' AND waiting_for = 'result'`,
        [started.id],
      );
      await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [started.id]);
      const run = await runWhere(
        started.id,
        (r) =>
          r.status === 'awaiting_operator' &&
          r.steps.some((s: any) => s.id === 'reduce_batch' && s.status === 'timed_out'),
        'the run to pause on the timed-out step',
      );
      const first = receiver.calls.find((c) => c.json?.runId === run.id && c.json.params.action === 'reduce_batch')!;

      await app.http
        .post(`/runs/${run.id}/steps/reduce_batch/retry`)
        .set(auth(operator))
        .send({ params: { factor: 0.75 } })
        .expect(200);
      await eventually(async () => held.res, 'the retried call to reach the actuator');

      // The first call's result comes in late, with the first call's token: it is for an earlier call.
      const late = await lateResult(app.http, first.json.callback, {
        outcome: 'failed',
        error: 'factor 0.5 starves the consumers',
      });
      expect(late.status).toBe(409);
      expect(late.body.message).toContain('earlier call');
      expect((await get(`/runs/${run.id}`)).steps.find((s: any) => s.id === 'reduce_batch')).toMatchObject({
        status: 'running',
        waitingFor: 'call',
        error: null,
        params: expect.objectContaining({ factor: 0.75 }),
      });

      held.res!.end('{"ok":true}');
      const done = await runWhere(run.id, (r) => r.phase === 'done', 'the retried run to finish');
      expect(done).toMatchObject({ status: 'succeeded', verdict: 'succeeded' });
      expect(done.steps.find((s: any) => s.id === 'reduce_batch')).toMatchObject({
        status: 'succeeded',
        output: { body: { ok: true } },
      });
    } finally {
      await app.http
        .put('/actuators/ops')
        .set(auth(admin))
        .send({ url: `${receiver.url}/ops`, timeoutMs: 2000 });
      receiver.answer(defaultAnswer);
    }
  });

  it('skip passes over the failed step and the run goes on to verify', async () => {
    const { run } = await pausedRun();
    // A step of the steps, with a check after it to judge the fix: the skip is offered.
    expect(run.skipRefusal).toBeNull();
    expect(run.skipRefusalReason).toBeNull();
    await app.http.post(`/runs/${run.id}/steps/reduce_batch/skip`).set(auth(operator)).send({}).expect(200);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the run to finish after the skip');
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s: any) => s.id === 'reduce_batch')).toMatchObject({ status: 'skipped' });
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'restart_worker', 'memory_check']);
    expect(
      done.transitions.some(
        (t: any) => t.stepId === 'reduce_batch' && t.to === 'skipped' && /^skipped by /.test(t.note),
      ),
    ).toBe(true);
    expect((await get(`/audit?action=run.step_skipped&subjectId=${run.id}`, admin)).items).toHaveLength(1);
  });

  it('a failed verification check cannot be skipped: the skip is refused (409), the run waits for a retry or a rollback (ADR 0014)', async () => {
    // Every step succeeds; the memory check finds the agent still unhealthy, until the test says otherwise.
    let healthy = false;
    receiver.answer((c, res) => {
      const p = c.json?.params ?? {};
      res.end(p.action === 'memory_check' ? JSON.stringify({ healthy }) : '{"ok":true}');
    });
    try {
      const { incidentId, recovery } = await incident();
      const runId = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
        .body.id as string;
      const run = await paused(runId);
      expect(run).toMatchObject({ phase: 'verify', pausedOnStep: 'memory_ok', verdict: null });
      // The run, its reason and the console say what the server accepts: no skip.
      expect(run.reason).toMatch(/^step memory_ok failed: .*; waiting for an operator to retry or roll back$/);
      expect(run.skipRefusal).toMatch(/^a failed verification check cannot be skipped: /);
      // The same for a person (the console's text): no routes in it.
      expect(run.skipRefusal.startsWith(`${run.skipRefusalReason}; retry it (POST `)).toBe(true);
      expect(run.skipRefusalReason).not.toContain('POST');

      const skip = await app.http.post(`/runs/${runId}/steps/memory_ok/skip`).set(auth(operator)).send({});
      expect(skip.status).toBe(409);
      expect(skip.body.message).toBe(run.skipRefusal);
      expect(skip.body.message).toContain(`POST /runs/${runId}/steps/memory_ok/retry`);
      expect(skip.body.message).toContain(`POST /runs/${runId}/rollback`);
      // Nothing changed: the check still failed, the run still paused on it, nothing recorded or audited.
      await new Promise((r) => setTimeout(r, 400));
      const after = await get(`/runs/${runId}`);
      expect(after).toMatchObject({
        status: 'awaiting_operator',
        phase: 'verify',
        pausedOnStep: 'memory_ok',
        verdict: null,
      });
      expect(after.steps.find((s: any) => s.id === 'memory_ok').status).toBe('failed');
      expect(after.transitions.some((t: any) => t.to === 'skipped')).toBe(false);
      expect((await get(`/audit?action=run.step_skipped&subjectId=${runId}`, admin)).items).toHaveLength(0);
      expect((await get(`/incidents/${incidentId}`)).status).toBe('mitigating');

      // Retry stays open: the check passes now, and that verifies the fix.
      healthy = true;
      await app.http.post(`/runs/${runId}/steps/memory_ok/retry`).set(auth(operator)).send({}).expect(200);
      const done = await runWhere(runId, (r) => r.phase === 'done', 'the retried check to verify the run');
      expect(done).toMatchObject({ status: 'succeeded', verdict: 'succeeded' });
    } finally {
      receiver.answer(defaultAnswer);
    }
  });

  it('a check whose `when` the skip would make false judges nothing: with no watch, the skip is refused (409), and the dry run says so (ADR 0014)', async () => {
    // A reported problem (no pattern, no alert to watch) whose migration fails; its one check runs only after a migration.
    receiver.answer((c, res) =>
      c.json?.params?.action === 'migrate_data'
        ? res.end('{"status":"failed","error":"column orders.total is locked"}')
        : defaultAnswer(c, res),
    );
    try {
      const problem = { errorType: 'SchemaError', description: 'orders fail schema validation after the 2.3 upgrade' };
      const plan = (
        await app.http
          .post('/patches/trigger')
          .set(auth(operator))
          .send({ ...problem, dryRun: true })
          .expect(200)
      ).body;
      expect(plan).toMatchObject({ playbookId: 'data_fix', patternId: null, onFailure: 'pause' });
      expect(plan.notes).toContain(
        'a failed step pauses the run for an operator: retry or roll back, and skip only where a verification check is sure to run after it (its condition decided by what has run by then): with nothing to watch for, a skip past every check would count the fix verified',
      );
      const runId = (await app.http.post('/patches/trigger').set(auth(operator)).send(problem).expect(201)).body
        .runId as string;
      const run = await paused(runId);
      expect(run).toMatchObject({ phase: 'steps', pausedOnStep: 'migrate_record', patternId: null });
      // Skipped, migrate_record is `skipped`: schema_valid would be skipped too, and nothing would judge the fix.
      expect(run.skipRefusal).toMatch(
        /^step migrate_record cannot be skipped: .*check schema_valid would be skipped \(its condition steps\.migrate_record\.status == "succeeded" is false\)/,
      );
      expect(run.reason).toMatch(/; waiting for an operator to retry or roll back$/);
      const skip = await app.http.post(`/runs/${runId}/steps/migrate_record/skip`).set(auth(operator)).send({});
      expect(skip.status).toBe(409);
      expect(skip.body.message).toBe(run.skipRefusal);
      await app.http.post(`/runs/${runId}/rollback`).set(auth(operator)).send({}).expect(202);
      const done = await runWhere(runId, (r) => r.phase === 'done', 'the run to roll back');
      expect(done).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
      expect(done.steps.find((s: any) => s.id === 'schema_valid').status).toBe('skipped');
    } finally {
      receiver.answer(defaultAnswer);
    }
  });

  it("rollback fails the run with the step's failure and runs its rollback steps", async () => {
    const { incidentId, run } = await pausedRun();
    await app.http.post(`/runs/${run.id}/rollback`).set(auth(viewer)).send({}).expect(403);
    await app.http.post(`/runs/${run.id}/rollback`).set(auth(operator)).send({}).expect(202);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the run to roll back');
    expect(done).toMatchObject({
      status: 'rolled_back',
      verdict: 'failed',
      reason: expect.stringMatching(
        /^step reduce_batch failed: factor 0\.5 starves the consumers; rolled back at the request of /,
      ),
    });
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
    expect(done.steps.find((s: any) => s.id === 'restart_worker').status).toBe('skipped');
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');
    expect((await get(`/audit?action=run.rollback_requested&subjectId=${run.id}`, admin)).items).toHaveLength(1);
    // Only a paused run can be rolled back this way: a finished one is a 409.
    expect((await app.http.post(`/runs/${run.id}/rollback`).set(auth(operator)).send({})).status).toBe(409);
  });

  it('an automatic run still rolls back at once', async () => {
    const first = await incident(operator, 'agent-auto');
    await app.http
      .patch(`/catalog/patterns/${first.recovery.patternId}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    await app.http
      .post(`/incidents/${first.incidentId}/resolve`)
      .set(auth(operator))
      .send({ note: 'founding' })
      .expect(200);
    const auto = await incident(operator, 'agent-auto-2');
    expect(auto.recovery.status).toBe('applied');
    const runId = (await get(`/runs?incidentId=${auto.incidentId}`)).items[0].id;
    const done = await runWhere(runId, (r) => r.phase === 'done', 'the automatic run to roll back');
    expect(done).toMatchObject({ automatic: true, status: 'rolled_back', verdict: 'failed' });
    expect(actions(runId)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
    expect(done.transitions.some((t: any) => t.to === 'awaiting_operator')).toBe(false);
  });

  it('a cancel after a retry still rolls back what the first call did', async () => {
    // retry_with_backoff pauses on failure here, automatic runs too (its onFailure: beforeAll); its first step fails half done.
    receiver.answer((c, res) =>
      c.json?.params?.action === 'retry_with_backoff'
        ? res.end('{"status":"failed","error":"retried 2 of 5 calls, then gave up"}')
        : defaultAnswer(c, res),
    );
    const timeout = async (agentId: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType: 'TimeoutError', message: `call to billing-api timed out after 30 s (${agentId})`, agentId })
        .expect(201);
      const recovery = await eventually(
        async () => (await get(`/recoveries?incidentId=${res.body.id}`)).items[0],
        `a recovery for ${res.body.id}`,
      );
      expect(recovery.playbookId).toBe('retry_with_backoff');
      return { incidentId: res.body.id as string, recovery };
    };
    try {
      const founding = await timeout('agent-t1');
      await app.http
        .patch(`/catalog/patterns/${founding.recovery.patternId}`)
        .set(auth(admin))
        .send({ recoveryTemplate: { playbookId: 'retry_with_backoff', confidence: 0.95 }, autoApplyRecovery: true })
        .expect(200);
      await app.http
        .post(`/incidents/${founding.incidentId}/resolve`)
        .set(auth(operator))
        .send({ note: 'founding' })
        .expect(200);
      const auto = await timeout('agent-t2');
      expect(auto.recovery.status).toBe('applied');
      const runId = (await get(`/runs?incidentId=${auto.incidentId}`)).items[0].id;
      await runWhere(
        runId,
        (r) => r.status === 'awaiting_operator' && r.automatic,
        'the automatic run to pause on its failed first step',
      );

      // The kill switch holds it; the operator retries (parked: not called), then cancels.
      await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: 'hold everything' }).expect(200);
      await app.http.post(`/runs/${runId}/steps/retry_call/retry`).set(auth(operator)).send({}).expect(200);
      await runWhere(runId, (r) => r.pausedReason === 'kill switch', 'the kill switch to hold the retried step');
      await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);

      const done = await runWhere(runId, (r) => r.phase === 'done', 'the canceled run to finish');
      expect(done.status).toBe('canceled');
      expect(done.steps.find((s: any) => s.id === 'restore_timeout').status).toBe('succeeded');
      expect(actions(runId)).toEqual(['retry_with_backoff', 'restore_timeout']);
    } finally {
      await app.http.delete('/guard/killswitch').set(auth(admin));
      receiver.answer(defaultAnswer);
    }
  });

  // After the automatic run's test: one more failed run of memory_cleanup would leave its fix untrusted there.
  it('a paused run that runs out of time names the step it was paused on, and leaves the next one skipped', async () => {
    const { run } = await pausedRun();
    // The run's deadline (RECOVERY_RUN_TIMEOUT_MS) passes: stored as now, time passing without the wait.
    await app.sql(`UPDATE recovery_runs SET deadline_at = now(), due_at = now() WHERE id = $1`, [run.id]);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the paused run to time out');
    expect(done).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
    expect(done.reason).toMatch(/^timed_out: /);
    expect(done.reason).toContain('step reduce_batch failed: factor 0.5 starves the consumers');
    const steps = Object.fromEntries(done.steps.map((s: any) => [s.id, s]));
    expect(steps.reduce_batch.status).toBe('failed');
    expect(steps.restart_worker.status).toBe('skipped');
    expect(steps.restore_batch.status).toBe('succeeded');
  });

  it("retry and skip past the run's deadline, before the engine's turn, are refused: the run times out on its step", async () => {
    const { run } = await pausedRun();
    await holdEngine(run.id);
    await app.sql(`UPDATE recovery_runs SET deadline_at = now() WHERE id = $1`, [run.id]);
    for (const choice of ['retry', 'skip']) {
      const res = await app.http.post(`/runs/${run.id}/steps/reduce_batch/${choice}`).set(auth(operator)).send({});
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/passed its deadline .* ends timed out on step reduce_batch/);
    }
    await releaseEngine(run.id);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the paused run to time out');
    expect(done).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
    expect(done.reason).toMatch(/^timed_out: .*step reduce_batch failed/);
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
  });

  // After the automatic run's test, as the ones below fail memory_cleanup's runs too.
  it("a cancel still ends a paused run, but the step's failure stands: the run fails with it and rolls back (ADR 0014)", async () => {
    const { incidentId, run } = await pausedRun();
    expect(run.cancelable).toBe(true);
    await app.http.post(`/runs/${run.id}/cancel`).set(auth(operator)).send({}).expect(202);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the paused run to end');
    expect(done).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
    expect(done.reason).toMatch(
      /^step reduce_batch failed: factor 0\.5 starves the consumers; the failure stands over the cancel requested by /,
    );
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');
  });

  /** Keeps the engine off the run (a lease it does not hold), as between an accepted request and its next turn. */
  const holdEngine = (runId: string) =>
    app.sql(
      `UPDATE recovery_runs SET lease_token = gen_random_uuid(), lease_until = now() + interval '1 minute' WHERE id = $1`,
      [runId],
    );
  const releaseEngine = (runId: string) =>
    app.sql(`UPDATE recovery_runs SET lease_until = now() - interval '1 second', due_at = now() WHERE id = $1`, [
      runId,
    ]);

  it("a cancel after an accepted rollback, before the engine's turn, is refused: the run rolls back with its step's failure", async () => {
    const { incidentId, run } = await pausedRun();
    const secondOperator = await app.keyFor('pause', 'operator');
    await holdEngine(run.id);
    const rolledBack = await app.http.post(`/runs/${run.id}/rollback`).set(auth(operator)).send({}).expect(202);
    expect(rolledBack.body).toMatchObject({ cancelable: false, rollbackRequestedBy: expect.any(String) });
    const cancel = await app.http.post(`/runs/${run.id}/cancel`).set(auth(secondOperator)).send({});
    expect(cancel.status).toBe(409);
    expect(cancel.body.message).toBe(
      `run ${run.id} is already being rolled back at the request of ${rolledBack.body.rollbackRequestedBy}: it fails with its step's failure`,
    );
    expect((await get(`/runs/${run.id}`)).cancelRequestedBy).toBeNull();
    await releaseEngine(run.id);
    const done = await runWhere(run.id, (r) => r.phase === 'done', 'the run to roll back');
    expect(done).toMatchObject({
      status: 'rolled_back',
      verdict: 'failed',
      reason: expect.stringMatching(
        /^step reduce_batch failed: factor 0\.5 starves the consumers; rolled back at the request of [^;]+$/,
      ),
    });
    expect(actions(run.id)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');
  });

  it("a failed step's late result and a cancel, both before the engine's turn: the failure stands", async () => {
    // reduce_batch answers 202 and reports later: the result and the cancel come while the engine is off the run.
    receiver.answer((c, res) => {
      if (c.json?.params?.action !== 'reduce_batch') return defaultAnswer(c, res);
      res.statusCode = 202;
      res.end('{}');
    });
    try {
      const { recovery } = await incident();
      const runId = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
        .body.id as string;
      await runWhere(
        runId,
        (r) => r.steps.some((s: any) => s.id === 'reduce_batch' && s.waitingFor === 'result'),
        'reduce_batch to wait for its result',
      );
      await holdEngine(runId);
      const call = receiver.calls.find((c) => c.json?.runId === runId && c.json.params.action === 'reduce_batch')!;
      const { path, token } = call.json.callback;
      await app.http
        .post(path)
        .set(auth(token))
        .send({ outcome: 'failed', error: 'factor 0.5 starves the consumers' })
        .expect(200);
      await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);
      await releaseEngine(runId);
      const done = await runWhere(runId, (r) => r.phase === 'done', 'the run to end');
      expect(done).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
      expect(done.reason).toMatch(/^step reduce_batch failed: .*; the failure stands over the cancel requested by /);
      expect(actions(runId)).toEqual(['clear_cache', 'reduce_batch', 'restore_batch']);
    } finally {
      receiver.answer(defaultAnswer);
    }
  });

  it("the inbox finds a paused run through indexes of what waits, not by reading the tenant's run history", async () => {
    const { run } = await pausedRun();
    // 300 finished runs of history, copies of the paused run and its steps.
    await app.sql(
      `WITH copies AS (
         INSERT INTO recovery_runs
         SELECT (jsonb_populate_record(r, jsonb_build_object('id', gen_random_uuid(), 'recovery_id', NULL, 'status', 'succeeded',
                 'phase', 'done', 'finished_at', now(), 'due_at', NULL, 'lease_token', NULL, 'lease_until', NULL))).*
           FROM recovery_runs r, generate_series(1, 300) WHERE r.id = $1
         RETURNING id)
       INSERT INTO recovery_run_steps
       SELECT (jsonb_populate_record(s, jsonb_build_object('run_id', c.id, 'status', 'succeeded', 'webhook_id', gen_random_uuid()))).*
         FROM recovery_run_steps s CROSS JOIN copies c WHERE s.run_id = $1`,
      [run.id],
    );
    await app.sql(`ANALYZE recovery_runs, recovery_run_steps`);
    const [{ tenant_id: tenantId }] = await app.sql(`SELECT tenant_id FROM recovery_runs WHERE id = $1`, [run.id]);

    const found = await app.sql(WAITING_WORK_SQL.operator_step, [tenantId, 50]);
    expect(found.map((r) => `${r.subject_id}:${r.step_id}`)).toContain(`${run.id}:reduce_batch`);
    for (const kind of ['operator_step', 'guardrail_hold'] as const) {
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = await app.sql(`EXPLAIN (ANALYZE, FORMAT JSON) ${WAITING_WORK_SQL[kind]}`, [tenantId, 50]);
      // Rows each scan of a run table looked at (kept or filtered out), over all its loops.
      const read: Array<[string, number]> = [];
      const walk = (n: any) => {
        if (['recovery_runs', 'recovery_run_steps'].includes(n['Relation Name']))
          read.push([n['Relation Name'], (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops']]);
        for (const child of n.Plans ?? []) walk(child);
      };
      walk(plan.Plan);
      expect({ kind, tooMany: read.filter(([, rows]) => rows > 20) }).toEqual({ kind, tooMany: [] });
    }
  });
});
