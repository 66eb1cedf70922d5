import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { approvedRun, oomIncident } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const BAD_RUNS = 4;

/**
 * Issue 24, ADR 0008 "Fair scheduling": one tenant's actuator hangs (it holds every call open);
 * another tenant's run starts, makes its calls and is verified while those calls are still in
 * flight. The engine has two turns only (RUN_ENGINE_CONCURRENCY=2): were a turn held for a whole
 * call, as before, the two hanging calls would stop every other run until they time out.
 */
describe('a tenant whose actuator hangs slows only itself', () => {
  let app: TestApp;
  let bad: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let good: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const open = new Set<ServerResponse>();
  /** What happened, in order: calls to the hanging actuator opening and ending, the healthy run verified. */
  const events: string[] = [];
  let seq = 0;

  const get = async (path: string, key: string) => (await app.http.get(path).set(auth(key)).expect(200)).body;

  /** An approved run of a new OutOfMemoryError incident, on an agent of its own. */
  const startRun = async (key: string) => ({ id: (await approvedRun(app.http, key, oomIncident(++seq))).runId });

  beforeAll(async () => {
    bad = await startWebhookReceiver((_call, res) => {
      open.add(res);
      events.push('hanging call opened');
      res.on('close', () => {
        open.delete(res);
        events.push('hanging call ended');
      });
      return 'hang';
    });
    good = await startWebhookReceiver(answerHealthy);
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RUN_ENGINE_CONCURRENCY: '2',
      RUN_ENGINE_TENANT_CALLS: '3',
      RUN_ENGINE_ACTUATOR_CALLS: '2',
    });
    for (const [tenant, receiver, timeoutMs] of [
      ['hangs', bad, 120_000],
      ['healthy', good, 5_000],
    ] as const) {
      const admin = await app.keyFor(tenant, 'admin');
      await connectActuator(app.http, admin, receiver, { timeoutMs });
    }
  });
  afterAll(async () => {
    await bad.close(); // the hanging calls end now, so the engine's shutdown need not wait for their timeout
    await app.stop();
    await good.close();
  });

  it('runs another tenant from start to verified while the hanging calls are still open', async () => {
    const hangs = await app.keyFor('hangs', 'operator');
    const healthy = await app.keyFor('healthy', 'operator');
    const badRuns: Array<{ id: string }> = [];
    for (let i = 0; i < BAD_RUNS; i++) badRuns.push(await startRun(hangs));
    // Two calls to the hanging actuator at once (its cap), as many as the engine has turns.
    await eventually(async () => open.size === 2, 'two hanging calls in flight');

    const run = await startRun(healthy);
    const done = await eventually(
      async () => {
        const r = await get(`/runs/${run.id}`, healthy);
        return r.phase === 'done' ? r : null;
      },
      'the healthy run to finish',
      45_000,
    );
    events.push('healthy run verified');

    expect(done.status).toBe('succeeded');
    expect(good.calls.filter((c) => c.json?.runId === run.id).map((c) => c.json.params.action)).toEqual([
      'clear_cache',
      'reduce_batch',
      'restart_worker',
      'memory_check',
    ]);
    // Order of events, not durations: no hanging call ended (answered or timed out) before the healthy run was verified.
    expect(events).toEqual(['hanging call opened', 'hanging call opened', 'healthy run verified']);
    expect(open.size).toBe(2);

    // The hanging tenant holds its own share: two calls in flight (the actuator's cap), a third run
    // waiting for a slot, and a fourth left queued in the database (the tenant's cap of three).
    const badStates = await Promise.all(badRuns.map(async (r) => (await get(`/runs/${r.id}`, hangs)).status as string));
    expect(badStates.sort()).toEqual(['queued', 'running', 'running', 'running']);
    expect(bad.calls).toHaveLength(2);
    expect(bad.calls.every((c) => c.verified)).toBe(true);
  });
});

/**
 * ADR 0008 §12: a run that waits for a slot on its actuator holds its lease for the wait. The calls
 * ahead of it end within the actuator's timeout, not within its own step's shorter one: a lease
 * reckoned from its own would lapse while it waits, and the run be taken over and its call counted
 * as interrupted.
 */
describe('a run queued for an actuator slot behind a longer call', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    receiver = await startWebhookReceiver((call, res) => {
      if (call.json?.params?.action === 'clear_cache') return void held.then(() => answerHealthy(call, res));
      answerHealthy(call, res);
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RUN_ENGINE_ACTUATOR_CALLS: '1',
      RUN_LEASE_MARGIN_MS: '100',
      PLAYBOOK_CATALOG_PATH: playbookCatalogWith((byId) => {
        byId('retry_with_backoff').steps[0].timeoutMs = 1_000;
      }),
    });
    await connectActuator(app.http, await app.keyFor('slots', 'admin'), receiver, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    release();
    await app.stop();
    await receiver.close();
  });

  it('holds its lease for the whole wait: its call is made once, none counted as interrupted', async () => {
    const key = await app.keyFor('slots', 'operator');
    const callsOf = (runId: string) => receiver.calls.filter((c) => c.json?.runId === runId);
    const first = await approvedRun(app.http, key, oomIncident('slots-1'));
    await eventually(async () => callsOf(first.runId).length === 1, 'the first call holding the only slot');
    const second = await approvedRun(app.http, key, {
      errorType: 'TimeoutError',
      message: 'upstream request to billing timed out after 30s',
      agentId: 'agent-slots-2',
      capability: 'ingest',
    });
    await eventually(async () => {
      const run = (await app.http.get(`/runs/${second.runId}`).set(auth(key)).expect(200)).body;
      return run.steps[0].id === 'retry_call' && run.steps[0].status === 'running';
    }, 'the second run planned its 1 s call and waits for the slot');
    // Longer than a lease reckoned from its own step (1 000 + 1 000 + 100 ms), shorter than the actuator's 10 s.
    // (The step's 1 s leaves a loaded machine room for the call's own round trip once the slot is free.)
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    release();
    const call = await eventually(async () => {
      const { steps } = (await app.http.get(`/runs/${second.runId}`).set(auth(key)).expect(200)).body;
      return steps[0].status === 'running' ? null : steps[0];
    }, "the second run's call to be answered");
    expect(call).toMatchObject({ id: 'retry_call', status: 'succeeded', attempts: 1, interruptedCalls: 0 });
    expect(callsOf(second.runId).filter((c) => c.json.stepId === 'retry_call')).toHaveLength(1);
  });
});
