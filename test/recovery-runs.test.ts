import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '../src/platform/crypto/secret-box.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { RunJournal } from '../src/self-healing/runs/run.journal.js';
import type { RunRow } from '../src/self-healing/runs/run.view.js';
import { connectActuator } from './support/actuators.js';
import { counterValue } from './support/metrics.js';
import { lateResult } from './support/runs.js';
import { openSse } from './support/sse.js';
import { ADMIN_KEY, ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { answerHealthy, startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Recovery runs (DESIGN §8, issue 12) against a real database, real HTTP and a real local receiver. */
/** POST /patches/trigger for a failed verification: a run that escalates to a coding agent at once. */
async function triggerEscalation(app: TestApp, key: string): Promise<{ runId: string; workOrderId: string }> {
  const triggered = (
    await app.http
      .post('/patches/trigger')
      .set(auth(key))
      .send({ errorType: 'verification_failed', description: 'output failed verification' })
      .expect(201)
  ).body;
  expect(triggered).toMatchObject({ escalatedToCoding: true, workOrderId: expect.any(String) });
  return triggered;
}

describe('recovery runs', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let otherOperator: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'runs-'));
  let seq = 0;

  const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  const runOf = (id: string, key = operator) => get(`/runs/${id}`, key);
  const finished = (id: string, key = operator) =>
    eventually(async () => {
      const run = await runOf(id, key);
      return run.phase === 'done' ? run : null;
    }, `run ${id} to finish`);
  /** A run a person started pauses on its failed step (DESIGN §13): the operator rolls it back, and it finishes. */
  const rolledBackByOperator = async (id: string) => {
    await eventually(async () => (await runOf(id)).pausedOnStep !== null, `run ${id} to pause on its failed step`);
    await app.http.post(`/runs/${id}/rollback`).set(auth(operator)).send({}).expect(202);
    return finished(id);
  };
  const actions = (calls: ReceivedCall[], runId: string) =>
    calls.filter((c) => c.json?.runId === runId).map((c) => c.json.params.action);

  /** An incident of a fresh pattern; resolves to the incident and its pending recovery. */
  async function incident(tenantKey = operator, errorType = 'OutOfMemoryError', agentId = `agent-${++seq}`) {
    const res = await app.http
      .post('/incidents')
      .set(auth(tenantKey))
      .send({
        errorType,
        message: `Worker pod ingest-${seq} OOMKilled: container exceeded memory limit 2048Mi (case ${seq}z)`,
        agentId,
        capability: 'ingest',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${res.body.id}`, tenantKey)).items[0],
      `a recovery for ${res.body.id}`,
    );
    return { incidentId: res.body.id as string, recovery, agentId };
  }

  async function approve(recoveryId: string, key = operator) {
    const res = await app.http
      .post(`/recoveries/${recoveryId}/approve`)
      .set(auth(key))
      .send({ note: 'go' })
      .expect(200);
    return res.body;
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RUN_PAUSED_RECHECK_MS: '300',
    });
    admin = await app.keyFor('runs', 'admin');
    operator = await app.keyFor('runs', 'operator');
    otherOperator = await app.keyFor('runs-other', 'operator');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an approved recovery runs its playbook through signed calls, verifies, and resolves the incident', async () => {
    receiver.answer((c, res) => {
      if (c.json?.params?.action === 'memory_check') res.end('{"healthy":true}');
      else res.end('{"ok":true}');
    });
    const { incidentId, recovery } = await incident();
    expect(recovery.playbookId).toBe('memory_cleanup');
    const started = await approve(recovery.id);
    expect(started).toMatchObject({
      recoveryId: recovery.id,
      incidentId,
      playbookId: 'memory_cleanup',
      automatic: false,
      recovery: { id: recovery.id, status: 'applied' },
    });
    expect(started.steps.map((s: { id: string }) => s.id)).toEqual([
      'clear_cache',
      'reduce_batch',
      'restart_worker',
      'memory_ok',
      'restore_batch',
    ]);

    const run = await finished(started.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['clear_cache', 'succeeded'],
      ['reduce_batch', 'succeeded'],
      ['restart_worker', 'succeeded'],
      ['memory_ok', 'succeeded'],
      ['restore_batch', 'pending'],
    ]);
    expect(actions(receiver.calls, run.id)).toEqual(['clear_cache', 'reduce_batch', 'restart_worker', 'memory_check']);
    const calls = receiver.calls.filter((c) => c.json?.runId === run.id);
    expect(calls.every((c) => c.verified)).toBe(true);
    expect(calls.map((c) => c.headers['webhook-id'])).toEqual(
      run.steps.slice(0, 4).map((s: { id: string }) => `${run.id}.${s.id}`),
    );
    expect(calls[1].json.params).toMatchObject({ action: 'reduce_batch', factor: 0.5 });

    const inc = await get(`/incidents/${incidentId}`);
    expect(inc).toMatchObject({ status: 'resolved', resolvedBy: `run ${run.id}` });
    const timeline =
      (await get(`/incidents/${incidentId}/timeline`)).items ?? (await get(`/incidents/${incidentId}/timeline`));
    expect(JSON.stringify(timeline)).toContain(`run ${run.id} succeeded`);
    expect(run.transitions.length).toBeGreaterThan(8);

    const evidence = await get(`/incidents/${incidentId}/evidence`);
    expect(evidence.runs).toEqual([
      expect.objectContaining({
        id: run.id,
        status: 'succeeded',
        steps: expect.arrayContaining([expect.objectContaining({ id: 'memory_ok', status: 'succeeded' })]),
      }),
    ]);
    const md = (await app.http.get(`/incidents/${incidentId}/evidence?format=md`).set(auth(operator)).expect(200)).text;
    expect(md).toContain(`### Run \`${run.id}\`: memory\\_cleanup, succeeded`);
    expect(md).toMatch(/\| `restart_worker` \| steps \| webhook \| succeeded \| 1 \|/);
  });

  it("pushes every run and step change to the tenant's live stream as run_progress", async () => {
    receiver.answer(answerHealthy);
    const events: Array<{ runId: string; status: string; stepId: string | null; stepStatus: string | null }> = [];
    const other: unknown[] = [];
    const stream = openSse(
      `${app.url}/integration/stream`,
      auth(operator),
      (event, data) => event === 'run_progress' && events.push(data),
    );
    const otherStream = openSse(
      `${app.url}/integration/stream`,
      auth(otherOperator),
      (event, data) => event === 'run_progress' && other.push(data),
    );
    try {
      await Promise.all([stream.opened, otherStream.opened]);
      const { recovery } = await incident();
      const started = await approve(recovery.id);
      await finished(started.id);
      await eventually(
        async () => events.some((e) => e.runId === started.id && e.status === 'succeeded'),
        'run_progress for the verified run',
      );
      const mine = events.filter((e) => e.runId === started.id);
      expect(mine.map((e) => e.status)).toEqual(
        expect.arrayContaining(['queued', 'running', 'verifying', 'succeeded']),
      );
      expect(mine.filter((e) => e.stepId === 'clear_cache').map((e) => e.stepStatus)).toEqual(['running', 'succeeded']);
      expect(other).toEqual([]); // another tenant hears nothing of it
    } finally {
      stream.close();
      otherStream.close();
    }
  });

  it('a guardrail sends a trusted recovery to review and says which, in the timeline', async () => {
    const key = await app.keyFor('runs-guard', 'admin');
    await connectActuator(app.http, key, receiver);
    receiver.answer(answerHealthy);
    await app.http.put('/self-healing/guardrails').set(auth(key)).send({ maxAutomaticRunsPerHour: 1 }).expect(200);
    const first = await incident(key);
    await app.http
      .patch(`/catalog/patterns/${first.recovery.patternId}`)
      .set(auth(key))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    const allowed = await incident(key);
    expect(allowed.recovery.status).toBe('applied');
    const held = await incident(key);
    expect(held.recovery).toMatchObject({ status: 'pending_review', confidence: 0.95 });
    expect((await get(`/runs?incidentId=${held.incidentId}`, key)).items).toEqual([]);
    const timeline = JSON.stringify(await get(`/incidents/${held.incidentId}/timeline`, key));
    expect(timeline).toContain(
      'memory_cleanup (confidence 0.95) held by guardrail runs_per_hour: 1 automatic run in the last hour (limit 1) (trusted: ',
    );
    expect((await get(`/recoveries/${held.recovery.id}`, key)).decision).toMatchObject({
      autoApplied: false,
      heldBy: { guardrail: 'runs_per_hour' },
      evidence: { trusted: true },
    });
    // An operator may still run it by hand: guardrails hold back automatic runs only.
    expect((await approve(held.recovery.id, key)).automatic).toBe(false);
  });

  it('a failing step runs the rollback (rolled_back); a retry honours Retry-After and keeps its webhook-id', async () => {
    const seen = new Map<string, number>();
    receiver.answer((c, res) => {
      const action = c.json?.params?.action;
      // Counted per run: runs of earlier tests may still be calling.
      const n = (seen.get(`${c.json?.runId} ${action}`) ?? 0) + 1;
      seen.set(`${c.json?.runId} ${action}`, n);
      if (action === 'reduce_batch' && n === 1) {
        res.writeHead(503, { 'retry-after': '1' });
        return res.end('busy');
      }
      if (action === 'restart_worker') return res.end('{"status":"failed","why":"node drained"}');
      res.end('{"ok":true}');
    });
    const { incidentId, recovery } = await incident();
    const started = await approve(recovery.id);
    const run = await rolledBackByOperator(started.id);
    expect(run).toMatchObject({ status: 'rolled_back', reason: expect.stringContaining('restart_worker failed') });
    expect(actions(receiver.calls, run.id)).toEqual([
      'clear_cache',
      'reduce_batch',
      'reduce_batch',
      'restart_worker',
      'restore_batch',
    ]);
    const calls = receiver.calls.filter((c) => c.json?.runId === run.id);
    const retries = calls.filter((c) => c.json.params.action === 'reduce_batch');
    expect(retries[0].headers['webhook-id']).toBe(retries[1].headers['webhook-id']);
    const gap = Number(retries[1].headers['webhook-timestamp']) - Number(retries[0].headers['webhook-timestamp']);
    expect(gap).toBeGreaterThanOrEqual(1); // not sooner than Retry-After: 1
    const steps = Object.fromEntries(run.steps.map((s: { id: string }) => [s.id, s]));
    expect(steps.reduce_batch).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(steps.restart_worker).toMatchObject({ status: 'failed', error: expect.stringContaining('failed') });
    expect(steps.memory_ok.status).toBe('skipped');
    expect(steps.restore_batch.status).toBe('succeeded');
    expect(
      run.transitions.some(
        (t: { stepId: string; note: string }) =>
          t.stepId === 'reduce_batch' && /retry in \d+ ms \(Retry-After 1000 ms\)/.test(t.note),
      ),
    ).toBe(true);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');
  });

  it('a 202 waits for the late result, which needs the callback token and counts once', async () => {
    receiver.answer((c, res) => {
      if (c.json?.params?.action === 'clear_cache') {
        res.writeHead(202);
        return res.end();
      }
      answerHealthy(c, res);
    });
    const { recovery } = await incident();
    const started = await approve(recovery.id);
    const waiting = await eventually(async () => {
      const run = await runOf(started.id);
      return run.steps[0].waitingFor === 'result' ? run : null;
    }, 'the 202 to be stored');
    expect(waiting.status).toBe('running');
    const call = receiver.calls.find((c) => c.json?.runId === started.id)!;
    const { path, token } = call.json.callback;
    expect(path).toBe(`/runs/${started.id}/steps/clear_cache/result`);
    expect(token).toMatch(/^srt_/);
    await app.http.post(path).send({ outcome: 'succeeded' }).expect(401);
    await app.http.post(path).set(auth('srt_forged')).send({ outcome: 'succeeded' }).expect(401);
    await app.http.post(path).set(auth(operator)).send({ outcome: 'succeeded' }).expect(401); // an API key is not the step's token
    await app.http
      .post(`/runs/${started.id}/steps/reduce_batch/result`)
      .set(auth(token))
      .send({ outcome: 'succeeded' })
      .expect(401);
    // The token is checked before the body: a stranger learns nothing of what a result must hold.
    await app.http.post(path).send({ outcome: 'maybe' }).expect(401);
    await app.http.post(path).set(auth('srt_forged')).send({ outcome: 'maybe' }).expect(401);
    await app.http.post(path).set(auth(token)).send({ outcome: 'maybe' }).expect(400);
    expect(
      (
        await app.http
          .post(path)
          .set(auth(token))
          .send({ outcome: 'succeeded', output: { freedMb: 512 } })
          .expect(200)
      ).body,
    ).toEqual({ runId: started.id, stepId: 'clear_cache', accepted: true });
    expect((await app.http.post(path).set(auth(token)).send({ outcome: 'succeeded' })).status).toBe(409);
    const run = await finished(started.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({ status: 'succeeded', output: { body: { freedMb: 512 } } });
    expect(actions(receiver.calls, run.id).filter((a) => a === 'clear_cache')).toHaveLength(1);
  });

  it('a late result still counts while the retry of a timed-out attempt waits for its time', async () => {
    receiver.answer((c, res) => {
      if (c.json?.params?.action === 'clear_cache') {
        res.writeHead(503, { 'retry-after': '30' });
        return res.end();
      }
      answerHealthy(c, res);
    });
    const { recovery } = await incident();
    const started = await approve(recovery.id);
    await eventually(async () => {
      const r = await runOf(started.id);
      return r.steps[0].status === 'pending' && r.steps[0].attempts === 1 ? r : null;
    }, 'the retry to be scheduled');
    const call = receiver.calls.find((c) => c.json?.runId === started.id)!;
    // The actuator did the work after all and says so before the retry is due.
    await lateResult(app.http, call.json.callback, { outcome: 'succeeded', output: { cleared: true } }).expect(200);
    const run = await finished(started.id);
    expect(run.status).toBe('succeeded');
    expect(actions(receiver.calls, run.id).filter((a) => a === 'clear_cache')).toHaveLength(1);
  });

  it('a hanging actuator times out per attempt, then the step fails with timed_out and the run rolls back', async () => {
    await app.http
      .put('/actuators/ops')
      .set(auth(admin))
      .send({ url: `${receiver.url}/ops`, timeoutMs: 200 })
      .expect(200);
    try {
      receiver.answer((c, res) => (c.json?.params?.action === 'reduce_batch' ? 'hang' : res.end('{}')));
      const { recovery } = await incident();
      const run = await rolledBackByOperator((await approve(recovery.id)).id);
      expect(run.status).toBe('rolled_back');
      const step = run.steps.find((s: { id: string }) => s.id === 'reduce_batch');
      expect(step).toMatchObject({ status: 'timed_out', attempts: 3, error: expect.stringContaining('timed out') });
      expect(actions(receiver.calls, run.id).filter((a) => a === 'reduce_batch')).toHaveLength(3);
    } finally {
      await app.http
        .put('/actuators/ops')
        .set(auth(admin))
        .send({ url: `${receiver.url}/ops`, timeoutMs: 2000 })
        .expect(200);
    }
  });

  it('an actuator whose secret does not open with this SECRETS_KEY fails its step at once, saying so: no call, no repeat', async () => {
    const key = await app.keyFor('runs-foreign-key', 'admin');
    await connectActuator(app.http, key, receiver, { timeoutMs: 2000 });
    // Sealed under another key: as after SECRETS_KEY was changed, or on a replica that generated its own.
    const foreign = new SecretBox(randomBytes(32)).seal('whsec_sealed_elsewhere');
    await app.sql(`UPDATE actuators SET secret_sealed = $1 WHERE tenant_id = 'runs-foreign-key'`, [foreign]);
    const { recovery } = await incident(key);
    const { id } = await approve(recovery.id, key);
    const run = await eventually(async () => {
      const r = await runOf(id, key);
      return r.pausedOnStep !== null ? r : null;
    }, 'the run to pause on its failed step');
    expect(run.pausedOnStep).toBe('clear_cache');
    expect(run.steps[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      interruptedCalls: 0,
      error: expect.stringContaining('cannot be opened (was SECRETS_KEY changed?)'),
    });
    expect(actions(receiver.calls, id)).toEqual([]);
  });

  it('counts a run entering a state in the metrics only once its change commits, not for a turn that rolls back', async () => {
    const count = () => counterValue(app, 'recovery_runs_total', { status: 'canceled' });
    const before = await count();
    const run = {
      id: '0190a0a0-0000-7000-8000-0000000000c1',
      tenant_id: 'runs-metrics',
      incident_id: null,
      status: 'canceled',
      phase: 'rollback',
    } as unknown as RunRow;
    const turn = app.app.get(TransactionHost).run(async () => {
      await app.app.get(RunJournal).run(run, new Date(), 'running', 'canceled, then rolled back', false, false);
      throw new Error('the turn rolls back');
    });
    await expect(turn).rejects.toThrow('the turn rolls back');
    expect(await count()).toBe(before);
  });

  it('without an actuator every step is a manual one, completed once through the API; another tenant gets 404', async () => {
    const manualOperator = await app.keyFor('runs-manual', 'operator');
    const { incidentId, recovery } = await incident(manualOperator);
    const started = await approve(recovery.id, manualOperator);
    const awaiting = (stepId: string) =>
      eventually(async () => {
        const run = await get(`/runs/${started.id}`, manualOperator);
        return run.steps.find((s: { id: string }) => s.id === stepId).status === 'awaiting_operator' ? run : null;
      }, `step ${stepId} to wait for an operator`);
    const first = await awaiting('clear_cache');
    expect(first.status).toBe('awaiting_operator');
    expect(first.steps[0]).toMatchObject({ kind: 'webhook', runsAs: 'manual', waitingFor: 'operator' });
    expect((await get(`/incidents/${incidentId}`, manualOperator)).status).toBe('mitigating');

    const complete = (
      stepId: string,
      key = manualOperator,
      body: object = { outcome: 'succeeded', note: 'done by hand' },
    ) => app.http.post(`/runs/${started.id}/steps/${stepId}/complete`).set(auth(key)).send(body);
    expect((await complete('clear_cache', otherOperator)).status).toBe(404);
    expect((await app.http.get(`/runs/${started.id}`).set(auth(otherOperator))).status).toBe(404);
    expect((await complete('clear_cache', await app.keyFor('runs-manual', 'viewer'))).status).toBe(403);
    expect((await complete('clear_cache', manualOperator, { outcome: 'done' })).status).toBe(400);
    expect((await complete('reduce_batch')).status).toBe(409); // not its turn
    expect((await complete('clear_cache')).status).toBe(200);
    expect((await complete('clear_cache')).status).toBe(409); // completed twice: one transition
    for (const stepId of ['reduce_batch', 'restart_worker', 'memory_ok']) {
      await awaiting(stepId);
      await complete(stepId).expect(200);
    }
    const run = await eventually(async () => {
      const r = await get(`/runs/${started.id}`, manualOperator);
      return r.phase === 'done' ? r : null;
    }, 'the manual run to finish');
    expect(run.status).toBe('succeeded');
    expect(
      run.transitions.filter((t: { stepId: string; to: string }) => t.stepId === 'clear_cache' && t.to === 'succeeded'),
    ).toHaveLength(1);
    expect((await get(`/incidents/${incidentId}`, manualOperator)).status).toBe('resolved');
  });

  it('cancel stops a run between steps and runs its rollback; a finished run cannot be canceled', async () => {
    const key = await app.keyFor('runs-cancel', 'operator');
    const { recovery } = await incident(key);
    const started = await approve(recovery.id, key);
    const awaitingStep = (stepId: string) =>
      eventually(
        async () =>
          (await get(`/runs/${started.id}`, key)).steps.find(
            (s: any) => s.id === stepId && s.status === 'awaiting_operator',
          ),
        `step ${stepId} to wait for an operator`,
      );
    await awaitingStep('clear_cache');
    // A person did the first step: there is something to undo.
    await app.http
      .post(`/runs/${started.id}/steps/clear_cache/complete`)
      .set(auth(key))
      .send({ outcome: 'succeeded' })
      .expect(200);
    await awaitingStep('reduce_batch');
    expect((await app.http.post(`/runs/${started.id}/cancel`).set(auth(otherOperator))).status).toBe(404);
    const accepted = await app.http.post(`/runs/${started.id}/cancel`).set(auth(key)).expect(202);
    expect(accepted.body.cancelRequestedBy).toBeTruthy();
    const rolling = await eventually(async () => {
      const r = await get(`/runs/${started.id}`, key);
      return r.phase === 'rollback' && r.steps.at(-1).status === 'awaiting_operator' ? r : null;
    }, 'the cancel and the rollback step');
    // The rollback waits for a person: listed as such, with no verdict (a cancel says nothing about the fix).
    expect(rolling).toMatchObject({
      status: 'awaiting_operator',
      verdict: null,
      reason: expect.stringContaining('canceled by'),
    });
    expect(rolling.steps.slice(0, 4).map((s: { status: string }) => s.status)).toEqual([
      'succeeded',
      'skipped',
      'skipped',
      'skipped',
    ]);
    await app.http
      .post(`/runs/${started.id}/steps/restore_batch/complete`)
      .set(auth(key))
      .send({ outcome: 'succeeded' })
      .expect(200);
    const run = await eventually(async () => {
      const r = await get(`/runs/${started.id}`, key);
      return r.phase === 'done' ? r : null;
    }, 'the canceled run to finish');
    expect(run).toMatchObject({ status: 'canceled', reason: expect.stringContaining('canceled by') });
    expect((await app.http.post(`/runs/${started.id}/cancel`).set(auth(key))).status).toBe(409);

    // Canceled while its first step still waits for a person: nothing was called or answered, nothing to undo (ADR 0014).
    const second = await approve((await incident(key)).recovery.id, key);
    await eventually(
      async () => (await get(`/runs/${second.id}`, key)).status === 'awaiting_operator',
      'the second run to wait for a person',
    );
    await app.http.post(`/runs/${second.id}/cancel`).set(auth(key)).expect(202);
    const untouched = await finished(second.id, key);
    expect(untouched).toMatchObject({ status: 'canceled', verdict: null });
    expect(untouched.steps.map((s: { status: string }) => s.status)).toEqual(Array(5).fill('skipped'));
    expect(untouched.transitions).toContainEqual(
      expect.objectContaining({
        stepId: 'restore_batch',
        note: 'not run: nothing to undo; no call was made, and nobody answered step clear_cache',
      }),
    );
  });

  it('auto-applied runs teach the template: a verified run and a failed one move its confidence, and a fresh failure holds it for review', async () => {
    const key = await app.keyFor('runs-learn', 'admin');
    await connectActuator(app.http, key, receiver, { timeoutMs: 2000 });
    // agent-ok's fixes work, agent-bad's restart fails.
    receiver.answer((c, res) => {
      const action = c.json?.params?.action;
      if (action === 'restart_worker' && c.json.incident.agentId === 'agent-bad') return res.end('{"status":"failed"}');
      res.end(action === 'memory_check' ? '{"healthy":true}' : '{}');
    });
    const first = await incident(key, 'OutOfMemoryError', 'agent-first');
    const patternId = first.recovery.patternId;
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(key))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);

    const ok = await incident(key, 'OutOfMemoryError', 'agent-ok');
    expect(ok.recovery).toMatchObject({ status: 'applied', confidence: 0.95, patternId });
    const okRun = (await get(`/runs?incidentId=${ok.incidentId}`, key)).items[0];
    expect(okRun).toMatchObject({ automatic: true, startedBy: 'auto-apply', recoveryId: ok.recovery.id });
    expect((await finished(okRun.id, key)).status).toBe('succeeded');

    const bad = await incident(key, 'OutOfMemoryError', 'agent-bad');
    expect(bad.recovery).toMatchObject({
      status: 'applied',
      decision: {
        autoApplied: true,
        reason: expect.stringMatching(/^auto-applied: its one run verified; lower bound/),
      },
    });
    expect(bad.recovery.confidence).toBeGreaterThan(0.95); // a verified run raised it
    const badRun = (await get(`/runs?incidentId=${bad.incidentId}`, key)).items[0];
    expect((await finished(badRun.id, key)).status).toBe('rolled_back');

    const next = await incident(key, 'OutOfMemoryError', 'agent-next');
    // One success and a fresh failure is not enough evidence to run alone (ADR 0014).
    expect(next.recovery).toMatchObject({
      status: 'pending_review',
      decision: {
        autoApplied: false,
        reason: expect.stringMatching(/^held: 1 of the last 2 runs verified; lower bound 0\.\d\d < 0\.60/),
      },
    });
    expect(next.recovery.confidence).toBeLessThan(0.9);
    expect((await get(`/runs?incidentId=${next.incidentId}`, key)).items).toEqual([]);

    const stats = await get('/integration/stats', key);
    expect(stats.autoApplySuccessRate).toBe(0.5);
    expect(stats.runs).toMatchObject({ succeeded: 1, rolled_back: 1, total: 2 });
    expect(stats.resolveRate).toBe(0.25); // 1 of 4 incidents resolved, by its run
    const resolved = await get(`/incidents/${ok.incidentId}`, key);
    const mttr = Date.parse(resolved.resolvedAt) - Date.parse(resolved.occurredAt);
    expect(stats.mttrMs).toEqual({ avg: mttr, p50: mttr, fastest: mttr, slowest: mttr });
    const metrics = (await app.http.get('/metrics').set(auth(ADMIN_KEY)).expect(200)).text;
    expect(metrics).toMatch(/recovery_runs_total\{status="rolled_back"\} [1-9]/);
    expect(metrics).toMatch(/recovery_steps_total\{kind="webhook",status="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/actuator_call_duration_seconds_count\{outcome="succeeded"\} [1-9]/);
  });

  /** Time passing for a step's wait, without the wait: its deadline is now, and the run due. */
  const expireStep = async (runId: string, stepId: string) => {
    await app.sql(`UPDATE recovery_run_steps SET deadline_at = now() WHERE run_id = $1 AND step_id = $2`, [
      runId,
      stepId,
    ]);
    await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [runId]);
  };
  const outcomesTold = (runId: string) =>
    app.sql<{ outcome: string }>(
      `SELECT DISTINCT payload->>'outcome' AS outcome FROM outbox_events
        WHERE event_type = 'RecoveryRunFinished' AND payload->>'runId' = $1`,
      [runId],
    );

  it('a manual step nobody marks done in time says nothing about the fix: the run ends canceled with no verdict, trust untouched (ADR 0014)', async () => {
    // No actuator: memory_cleanup runs as a guided runbook, each step waiting for a person.
    const key = await app.keyFor('runs-unanswered', 'operator');
    const { incidentId, recovery, agentId } = await incident(key);
    const runId = (await approve(recovery.id, key)).id as string;
    const awaiting = (stepId: string) =>
      eventually(
        async () =>
          (await runOf(runId, key)).steps.find((x: any) => x.id === stepId && x.status === 'awaiting_operator'),
        `step ${stepId} to wait for an operator`,
      );
    await awaiting('clear_cache');
    await expireStep(runId, 'clear_cache');
    // Nothing was called and nobody said they did clear_cache: nothing to undo, so no person is asked to roll
    // back (restore_batch would undo reduce_batch, which never began) and the run ends at once.
    const done = await finished(runId, key);
    expect(done).toMatchObject({ status: 'canceled', verdict: null, cancelRequestedBy: null });
    expect(done.reason).toMatch(
      /^step clear_cache timed_out: no operator marked it done within \d+ ms; nobody answered, so this says nothing about the fix$/,
    );
    expect((await get(`/incidents/${incidentId}`, key)).status).toBe('open');
    expect(Object.fromEntries(done.steps.map((x: any) => [x.id, x.status]))).toEqual({
      clear_cache: 'timed_out',
      reduce_batch: 'skipped',
      restart_worker: 'skipped',
      memory_ok: 'skipped',
      restore_batch: 'skipped',
    });
    expect(done.transitions).toContainEqual(
      expect.objectContaining({
        stepId: 'restore_batch',
        to: 'skipped',
        note: 'not run: nothing to undo; no call was made, and nobody answered step clear_cache',
      }),
    );
    // Learning and trust hear a canceled run, which they do not count: the agent's trust is as it was.
    expect(await outcomesTold(runId)).toEqual([{ outcome: 'canceled' }]);
    await new Promise((r) => setTimeout(r, 600));
    const agent = await app.http.get(`/routing/agents/${agentId}`).set(auth(key));
    expect(agent.status === 404 ? [] : agent.body.trustHistory).toEqual([]);
  });

  it('an escalation whose work order nobody finishes in time says nothing about the fix either: canceled, its order withdrawn, nothing undone', async () => {
    const key = await app.keyFor('runs-unanswered-patch', 'operator');
    // With the ops actuator, verification_fix's rollback (revert_deploy) is a call: a deploy reverted.
    await connectActuator(app.http, await app.keyFor('runs-unanswered-patch', 'admin'), receiver, { timeoutMs: 2000 });
    const triggered = await triggerEscalation(app, key);
    await eventually(
      async () =>
        (await runOf(triggered.runId, key)).steps.find((x: any) => x.id === 'fix_code' && x.waitingFor === 'patch'),
      'the escalation to wait for its work order',
    );
    await expireStep(triggered.runId, 'fix_code');
    // No patch came and nothing was called: no deploy of this run to revert, so revert_deploy is not called.
    const done = await finished(triggered.runId, key);
    expect(done).toMatchObject({ status: 'canceled', verdict: null });
    expect(actions(receiver.calls, triggered.runId)).toEqual([]);
    expect(done.steps.find((x: any) => x.id === 'revert_deploy')).toMatchObject({ status: 'skipped' });
    expect(done.transitions).toContainEqual(
      expect.objectContaining({
        stepId: 'revert_deploy',
        note: 'not run: nothing to undo; no call was made, and nobody answered step fix_code',
      }),
    );
    expect(done.reason).toMatch(
      /^step fix_code timed_out: the work order did not finish within \d+ ms; nobody answered, so this says nothing about the fix/,
    );
    const order = await get(`/patches/work-orders/${triggered.workOrderId}`, key);
    expect(order).toMatchObject({
      status: 'canceled',
      failureReason: expect.stringMatching(/^step fix_code timed_out/),
    });
  });

  /** An automatic run of the key's tenant that the kill switch paused after its first call: the run as paused. */
  async function pausedAutomaticRun(key: string) {
    await connectActuator(app.http, key, receiver, { timeoutMs: 2000 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    receiver.answer((c, res) => {
      if (c.json?.params?.action === 'clear_cache') return void held.then(() => res.end('{}'));
      answerHealthy(c, res);
    });
    const first = await incident(key);
    await app.http
      .patch(`/catalog/patterns/${first.recovery.patternId}`)
      .set(auth(key))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    const auto = await incident(key);
    const runId = (await get(`/runs?incidentId=${auto.incidentId}`, key)).items[0].id;
    await eventually(async () => receiver.calls.some((c) => c.json?.runId === runId), 'the first call to be in flight');
    await app.http.post('/guard/killswitch').set(auth(key)).send({ reason: 'freeze for the audit' }).expect(200);
    release();
    return eventually(async () => {
      const r = await get(`/runs/${runId}`, key);
      return r.pausedReason ? r : null;
    }, 'the run to pause');
  }

  it('the kill switch pauses automatic runs between steps, and they go on when it is off', async () => {
    const key = await app.keyFor('runs-pause', 'admin');
    const paused = await pausedAutomaticRun(key);
    expect(paused.steps.map((s: { status: string }) => s.status)).toEqual([
      'succeeded',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    expect(actions(receiver.calls, paused.id)).toEqual(['clear_cache']);
    await app.http.delete('/guard/killswitch').set(auth(key)).expect(200);
    const run = await finished(paused.id, key);
    expect(run).toMatchObject({ status: 'succeeded', pausedReason: null });
    expect(run.transitions.map((t: { note: string }) => t.note)).toEqual(
      expect.arrayContaining([
        'paused: the kill switch stops automatic runs',
        'resumed: the kill switch no longer stops it',
      ]),
    );
  });

  it('a paused run looks at the kill switch again by itself: it goes on though the wake-up of the switch turned off was missed', async () => {
    const key = await app.keyFor('runs-pause-missed', 'admin');
    const paused = await pausedAutomaticRun(key);
    // Off without its event: as when the wake-up ran before the pause committed, and found nothing paused.
    await app.sql(`UPDATE killswitch_state SET active = false WHERE tenant_id = 'runs-pause-missed'`);
    const run = await finished(paused.id, key);
    expect(run).toMatchObject({ status: 'succeeded', pausedReason: null });
    const notes = run.transitions.map((t: { note: string }) => t.note);
    expect(notes.filter((n: string) => n === 'paused: the kill switch stops automatic runs')).toHaveLength(1);
    expect(notes).toContain('resumed: the kill switch no longer stops it');
  });
});

describe('recovery runs: the recurrence window', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'runs-recur-'));

  beforeAll(async () => {
    receiver = await startWebhookReceiver(answerHealthy);
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '600000',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a new incident of the pattern on the same agent inside the window fails the verification and rolls back', async () => {
    const key = await app.keyFor('recur', 'admin');
    await connectActuator(app.http, key, receiver);
    const report = async (n: number) =>
      (
        await app.http
          .post('/incidents')
          .set(auth(key))
          .send({
            errorType: 'OutOfMemoryError',
            message: `Worker pod ingest-${n} OOMKilled: container exceeded memory limit 2048Mi`,
            agentId: 'agent-r',
            capability: 'ingest',
          })
          .expect(201)
      ).body.id as string;
    const incidentId = await report(1);
    const recovery = await eventually(
      async () => (await app.http.get(`/recoveries?incidentId=${incidentId}`).set(auth(key))).body.items[0],
      'the recovery',
    );
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(key)).send({}).expect(200))
      .body;
    const watching = await eventually(async () => {
      const r = (await app.http.get(`/runs/${started.id}`).set(auth(key))).body;
      return r.phase === 'watch' ? r : null;
    }, 'the run to watch for a recurrence');
    expect(watching).toMatchObject({ status: 'verifying', verifyUntil: expect.any(String) });
    expect((await app.http.get(`/incidents/${incidentId}`).set(auth(key))).body.status).toBe('mitigating');

    // Another agent's incident of the pattern is not a recurrence here.
    await report(2).then(async (id) => {
      const other = await app.http
        .post('/incidents')
        .set(auth(key))
        .send({
          errorType: 'OutOfMemoryError',
          message: 'Worker pod ingest-3 OOMKilled: container exceeded memory limit 2048Mi',
          agentId: 'agent-elsewhere',
          capability: 'ingest',
        })
        .expect(201);
      return [id, other.body.id];
    });
    const run = await eventually(async () => {
      const r = (await app.http.get(`/runs/${started.id}`).set(auth(key))).body;
      return r.phase === 'done' ? r : null;
    }, 'the recurrence to fail the run');
    expect(run.status).toBe('rolled_back');
    expect(run.reason).toMatch(/^recurrence: incident [0-9a-f-]{36} of the same pattern on the same agent/);
    expect(
      receiver.calls
        .filter((c) => c.json?.runId === run.id)
        .map((c) => c.json.params.action)
        .at(-1),
    ).toBe('restore_batch');
    expect((await app.http.get(`/incidents/${incidentId}`).set(auth(key))).body.status).toBe('open');
  });
});

describe('recovery runs: the run timeout', () => {
  let app: TestApp;
  const dataDir = mkdtempSync(join(tmpdir(), 'runs-timeout-'));

  beforeAll(async () => {
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_RUN_TIMEOUT_MS: '1000',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a run still waiting for a person after RECOVERY_RUN_TIMEOUT_MS ends timed_out with no verdict, nothing to roll back', async () => {
    const key = await app.keyFor('timeout', 'operator');
    const incidentId = (
      await app.http
        .post('/incidents')
        .set(auth(key))
        .send({
          errorType: 'OutOfMemoryError',
          message: 'Worker pod ingest-9 OOMKilled: container exceeded memory limit 2048Mi',
          agentId: 'agent-t',
        })
        .expect(201)
    ).body.id;
    const recovery = await eventually(
      async () => (await app.http.get(`/recoveries?incidentId=${incidentId}`).set(auth(key))).body.items[0],
      'the recovery',
    );
    // No actuator: the first step waits for an operator who never comes.
    const started = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(key)).send({}).expect(200))
      .body;
    const run = await eventually(async () => {
      const r = (await app.http.get(`/runs/${started.id}`).set(auth(key))).body;
      return r.phase === 'done' ? r : null;
    }, 'the run to time out');
    // It ran out of time waiting for a person who never came: that says nothing about the fix (ADR 0014).
    expect(run.reason).toMatch(
      /^timed_out: the run did not get through its steps and checks within 1000 ms: step clear_cache still waited for an operator; nobody answered, so this says nothing about the fix$/,
    );
    // Nothing was called and nobody answered: nothing to undo, so no person is asked to roll back; no verdict.
    expect(run).toMatchObject({ status: 'canceled', verdict: null });
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual([
      'timed_out',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('a run that times out waiting for a patch withdraws its work order, with no verdict', async () => {
    const key = await app.keyFor('timeout', 'operator');
    const triggered = await triggerEscalation(app, key);
    const run = await eventually(async () => {
      const r = (await app.http.get(`/runs/${triggered.runId}`).set(auth(key))).body;
      return r.phase === 'rollback' || r.phase === 'done' ? r : null;
    }, 'the escalated run to time out');
    // No coding agent answered: no verdict on the fix (ADR 0014).
    expect(run.verdict).toBeNull();
    expect(run.reason).toMatch(
      /^timed_out: .*: step fix_code still waited for its work order [0-9a-f-]{36}; nobody answered/,
    );
    const order = (await app.http.get(`/patches/work-orders/${triggered.workOrderId}`).set(auth(key)).expect(200)).body;
    expect(order).toMatchObject({ status: 'canceled', failureReason: expect.stringMatching(/^timed_out/) });
  });
});
