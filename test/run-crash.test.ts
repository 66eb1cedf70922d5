import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { approve, suggestedRecovery } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * ADR 0008 §5: the service is SIGKILLed while a step's call is in flight; after a restart the
 * run completes, the step was called again with the same webhook-id, and no step that had
 * succeeded ran twice. The step allows a single attempt: a crash is not an attempt (issue 22).
 */
describe('a recovery run survives a crash mid-call', () => {
  let url: string;
  let http: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const children: ChildProcess[] = [];
  const SECRETS_KEY = randomBytes(32).toString('hex');
  // Restarting a worker is tried once: a crash mid-call must not use up that one attempt. A code
  // patch escalates at once (no manual reproduction first), so its run notifies the coding agent.
  // A canary step whose budget is spent long before a restarted service takes its run over.
  const CANARY_BUDGET_MS = 1000;
  const PLAYBOOK_CATALOG_PATH = playbookCatalogWith((p) => {
    p('memory_cleanup').steps.find((s: { id: string }) => s.id === 'restart_worker').attempts = 1;
    p('code_patch').steps = p('code_patch').steps.filter((s: { id: string }) => s.id !== 'reproduce');
    p('tune_config').steps[0].budgetMs = CANARY_BUDGET_MS;
  });
  let crashNow: () => void = () => undefined;
  let crashed = false;
  let canaryCrashed = false;
  let codingAgent: Awaited<ReturnType<typeof startWebhookReceiver>>;

  function spawnService() {
    const child = spawn(process.execPath, ['dist/test/support/app-child.js'], {
      env: {
        ...process.env,
        ...ALLOW_LOOPBACK,
        DATABASE_URL: url,
        SECRETS_KEY,
        PLAYBOOK_CATALOG_PATH,
        RECOVERY_VERIFY_WINDOW_MS: '100',
        RUN_LEASE_MARGIN_MS: '500',
        OUTBOX_POLL_INTERVAL_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    // Listened for from the start: a SIGKILLed child keeps exitCode null, and its 'exit' may already be past.
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => line.startsWith('READY') && resolve());
      child.once('exit', (code) => reject(new Error(`service child exited (${code}) before READY`)));
    });
    return { child, ready, exited };
  }

  beforeAll(async () => {
    url = await createTestDatabase();
    receiver = await startWebhookReceiver((c, res) => {
      const action = c.json?.params?.action;
      if (action === 'restart_worker' && !crashed) {
        crashNow();
        return 'hang'; // the answer never comes: the service dies first
      }
      if (action === 'canary_apply') {
        if (!canaryCrashed) {
          canaryCrashed = true;
          crashNow();
          return 'hang';
        }
        // Every candidate passes.
        return res.end(JSON.stringify({ p95_ms: 200, error_rate: 0 }));
      }
      if (action === 'latency_check') return res.end('{"healthy":true}');
      answerHealthy(c, res);
    });
    // Every notification of a new work order kills the service mid-call.
    codingAgent = await startWebhookReceiver(() => {
      crashNow();
      return 'hang';
    });
    // Serves HTTP only: runs and the loop are left to the child processes.
    http = await startTestApp(
      { ...ALLOW_LOOPBACK, OUTBOX_RELAY_ENABLED: 'false', SECRETS_KEY, PLAYBOOK_CATALOG_PATH },
      [],
      url,
    );
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await http.stop();
    await receiver.close();
    await codingAgent.close();
  });

  it('repeats the call in flight once with the same webhook-id, not counted as an attempt, and runs nothing twice', async () => {
    const first = spawnService();
    await first.ready;
    const operator = await http.keyFor('crash', 'operator');
    const admin = await http.keyFor('crash', 'admin');
    await connectActuator(http.http, admin, receiver, { timeoutMs: 1000 });

    const inc = await http.http
      .post('/incidents')
      .set(auth(operator))
      .send({
        errorType: 'OutOfMemoryError',
        message: 'Worker pod ingest-1 OOMKilled: container exceeded memory limit 2048Mi',
        agentId: 'agent-c',
        capability: 'ingest',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await http.http.get(`/recoveries?incidentId=${inc.body.id}`).set(auth(operator))).body.items[0],
      'the recovery',
    );
    const killed = new Promise<void>((resolve) => {
      crashNow = () => {
        crashed = true;
        first.child.kill('SIGKILL');
        resolve();
      };
    });
    const run = (await http.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await killed;
    await first.exited;
    const inFlight = (await http.http.get(`/runs/${run.id}`).set(auth(operator))).body;
    expect(inFlight.steps.find((s: { id: string }) => s.id === 'restart_worker')).toMatchObject({
      status: 'running',
      waitingFor: 'call',
      attempts: 1,
      maxAttempts: 1,
    });

    const second = spawnService();
    await second.ready;
    const done = await eventually(
      async () => {
        const r = (await http.http.get(`/runs/${run.id}`).set(auth(operator))).body;
        return r.phase === 'done' ? r : null;
      },
      'the run to complete after the restart',
      30_000,
    );
    expect(done.status).toBe('succeeded');
    const calls = receiver.calls.filter((c) => c.json?.runId === run.id);
    const byStep = (action: string) => calls.filter((c) => c.json.params.action === action);
    expect(byStep('restart_worker')).toHaveLength(2);
    expect(new Set(byStep('restart_worker').map((c) => c.headers['webhook-id']))).toEqual(
      new Set([`${run.id}.restart_worker`]),
    );
    for (const action of ['clear_cache', 'reduce_batch', 'memory_check']) expect(byStep(action)).toHaveLength(1);
    expect(calls.every((c) => c.verified)).toBe(true);
    expect(done.steps.find((s: { id: string }) => s.id === 'restart_worker')).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      interruptedCalls: 1,
    });
    expect(
      done.transitions.some(
        (t: { stepId: string; note: string }) =>
          t.stepId === 'restart_worker' && /not counted as an attempt/.test(t.note),
      ),
    ).toBe(true);
    expect((await http.http.get(`/incidents/${inc.body.id}`).set(auth(operator))).body.status).toBe('resolved');
    second.child.kill('SIGTERM');
    await second.exited;
  });

  /**
   * A canary's apply interrupted by a crash is repeated as the same call (ADR 0008 §5, ADR 0018),
   * even when the step's budget ran out while it was out: the candidate was applied to the canary,
   * so its measurement is what the trial needs. Recomputing the call from the clock made the repeat
   * a restore (no candidate judged yet) and marked the applied candidate not tried.
   */
  it("repeats a canary's interrupted apply as the same call, though the step's budget ran out while it was out", async () => {
    const operator = await http.keyFor('crash-canary', 'operator');
    const admin = await http.keyFor('crash-canary', 'admin');
    await connectActuator(http.http, admin, receiver, { timeoutMs: 1000 });
    const get = async (path: string) => (await http.http.get(path).set(auth(operator)).expect(200)).body;
    let service = spawnService();
    const killed = new Promise<void>((resolve) => {
      crashNow = () => {
        service.child.kill('SIGKILL');
        resolve();
      };
    });
    await service.ready;
    const { recoveryId } = await suggestedRecovery(http.http, operator, {
      errorType: 'LatencyRegression',
      message: 'p95 latency of search-api-7 regressed to 900 ms after a traffic shift',
      agentId: 'agent-k',
      capability: 'search',
    });
    const runId = await approve(http.http, operator, recoveryId);
    await killed;
    await service.exited;
    const canaryStep = (r: { steps: Array<{ id: string }> }) => r.steps.find((x) => x.id === 'tune_on_canary') as any;
    const inFlight = canaryStep(await get(`/runs/${runId}`));
    expect(inFlight).toMatchObject({ status: 'running', waitingFor: 'call', attempts: 1 });
    expect(inFlight.output.candidates.map((c: { result: string }) => c.result)).toEqual(Array(6).fill('untried'));
    // The budget is spent before another service takes the run over.
    const spentAt = Date.parse(inFlight.startedAt) + CANARY_BUDGET_MS + 200;
    await new Promise((r) => setTimeout(r, Math.max(0, spentAt - Date.now())));

    service = spawnService();
    await service.ready;
    const calls = () => receiver.calls.filter((c) => c.json?.runId === runId);
    // Done, or (before the fix) stuck after restoring the canary, waiting for a coding agent.
    const after = await eventually(
      async () => {
        const r = await get(`/runs/${runId}`);
        return r.phase === 'done' || calls().some((c) => c.json.params.action === 'canary_restore') ? r : null;
      },
      'the canary trial to go on after the restart',
      30_000,
    );
    const actions = calls().map((c) => c.json.params.action);
    expect(actions).toEqual(['canary_apply', 'canary_apply', 'promote_config', 'latency_check']);
    const applies = calls().filter((c) => c.json.params.action === 'canary_apply');
    expect(applies.map((c) => c.headers['webhook-id'])).toEqual(Array(2).fill(`${runId}.tune_on_canary.candidate-0`));
    expect(applies.map((c) => c.json.candidate)).toEqual(Array(2).fill(applies[0]!.json.candidate));
    expect(applies[1]!.json.params).toEqual(applies[0]!.json.params);
    expect(after.status).toBe('succeeded');
    const step = canaryStep(after);
    expect(step).toMatchObject({ status: 'succeeded', interruptedCalls: 1 });
    expect(step.output.candidates.map((c: { result: string }) => c.result)).toEqual([
      'passed',
      ...Array(5).fill('not_tried'),
    ]);
    expect(step.output).toMatchObject({ outcome: 'promoted', winner: { index: 0 } });
    expect(
      after.transitions.some(
        (t: { stepId: string; note: string }) =>
          t.stepId === 'tune_on_canary' && /applying candidate 0 has no stored answer/.test(t.note),
      ),
    ).toBe(true);
    service.child.kill('SIGTERM');
    await service.exited;
  }, 90_000);

  /**
   * A coding agent's notification is a call like a step's: a crash mid-call repeats it with the same
   * webhook-id, counted in the step's interruptedCalls, at most MAX_INTERRUPTED_CALLS times. Then
   * the notice is given up, as any failed notice is: the run waits for its work order, which stays
   * queued for coding agents to list and claim (ADR 0008 §5).
   */
  it("repeats a coding agent's notification interrupted by a crash at most 3 times, then waits for the work order without it", async () => {
    const operator = await http.keyFor('crash-notify', 'operator');
    const admin = await http.keyFor('crash-notify', 'admin');
    await connectActuator(http.http, admin, codingAgent, { name: 'coding-agent', path: '/work', timeoutMs: 1000 });
    let service = spawnService();
    crashNow = () => service.child.kill('SIGKILL');
    await service.ready;
    const get = async (path: string) => (await http.http.get(path).set(auth(operator)).expect(200)).body;
    const inc = await http.http
      .post('/incidents')
      .set(auth(operator))
      .send({
        errorType: 'TypeError',
        message: "Cannot read properties of undefined (reading 'id') in checkout handler",
        agentId: 'agent-n',
        capability: 'checkout',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${inc.body.id}`)).items[0],
      'the recovery',
    );
    expect(recovery).toMatchObject({ playbookId: 'code_patch', status: 'pending_review' });
    const run = (await http.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    const notices = () => codingAgent.calls.filter((c) => c.json?.runId === run.id);

    // The first notice and three repeats, each killing the service that made it; a new one each time.
    for (let n = 1; n <= 4; n++) {
      await eventually(async () => notices().length >= n, `notice ${n}`, 30_000);
      await service.exited;
      expect(notices()).toHaveLength(n);
      service = spawnService();
      await service.ready;
    }
    // The fifth service gives the notice up (or, without a cap, calls a fifth time).
    const settled = await eventually(
      async () => {
        const r = await get(`/runs/${run.id}`);
        const patch = r.steps.find((s: { id: string }) => s.id === 'patch');
        return patch.waitingFor !== 'notify' || notices().length > 4 ? { r, patch } : null;
      },
      'the notification to be given up',
      30_000,
    );
    expect(notices()).toHaveLength(4);
    expect(new Set(notices().map((c) => c.headers['webhook-id']))).toEqual(new Set([`${run.id}.patch.work-order`]));
    expect(notices().every((c) => c.verified && c.json.type === 'work_order.created')).toBe(true);
    const { r, patch } = settled;
    expect(r.status).toBe('awaiting_patch');
    expect(patch).toMatchObject({
      status: 'running',
      waitingFor: 'patch',
      interruptedCalls: 3,
      output: {
        notification: {
          outcome: 'interrupted',
          error: expect.stringContaining('no stored answer after 3 interrupted calls'),
        },
      },
    });
    expect(await get(`/patches/work-orders/${patch.workOrderId}`)).toMatchObject({ status: 'queued', runId: run.id });
    const notes = (await get(`/runs/${run.id}`)).transitions
      .filter((t: { stepId: string }) => t.stepId === 'patch')
      .map((t: { note: string }) => t.note);
    expect(notes.filter((n: string) => /notifying again with the same webhook-id/.test(n))).toHaveLength(3);
    expect(notes.some((n: string) => /coding agent not notified/.test(n))).toBe(true);
    service.child.kill('SIGTERM');
    await service.exited;
  }, 180_000); // five services start one after another, each in several seconds
});
