import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { Egress } from '../src/platform/egress/egress.js';
import { RunEngine } from '../src/self-healing/runs/engine/run-engine.js';
import { RunsRepository } from '../src/self-healing/runs/runs.repository.js';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { approvedRun, finishedRun, lateResult, manualMemoryCleanup, oomIncident } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * ADR 0008 §12: a run started on a replica whose engine has room is stored leased to that engine
 * and handed to it once committed, so it runs without a claim; a tenant at its cap, or a start
 * that rolled back, does not get (or keep) that room. A run asleep for less than a second naps in
 * its engine, while no run waits for its room.
 */

/** The ids of every run a claim of `app`'s engine returns from now on. */
function claimsOf(app: TestApp): Set<string> {
  const claimed = new Set<string>();
  const runs = app.app.get(RunsRepository);
  const claimDue = runs.claimDue.bind(runs);
  runs.claimDue = async (...args) => {
    const rows = await claimDue(...args);
    for (const row of rows) claimed.add(row.id);
    return rows;
  };
  return claimed;
}
describe('runs handed to their own replica’s engine', () => {
  let app: TestApp;
  let bad: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let good: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const open = new Set<ServerResponse>();
  /** Every run id a claim returned (a run asleep, as in its verify window, is claimed again later). */
  let claimed = new Set<string>();
  /** By run: whether a claim had returned it when its first call arrived. */
  const claimedAtFirstCall = new Map<string, boolean>();
  let seq = 0;

  const startRun = async (key: string) => (await approvedRun(app.http, key, oomIncident(++seq))).runId;
  const leaseOf = async (runId: string) =>
    (await app.sql(`SELECT lease_token FROM recovery_runs WHERE id = $1`, [runId]))[0].lease_token as string | null;

  beforeAll(async () => {
    bad = await startWebhookReceiver((_call, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      return 'hang';
    });
    good = await startWebhookReceiver((c, res) => {
      const runId = c.json?.runId as string | undefined;
      if (runId && !claimedAtFirstCall.has(runId)) claimedAtFirstCall.set(runId, claimed.has(runId));
      return answerHealthy(c, res);
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RUN_ENGINE_TENANT_CALLS: '2',
    });
    for (const [tenant, receiver, timeoutMs] of [
      ['hangs', bad, 120_000],
      ['healthy', good, 5_000],
      ['rolls-back', good, 5_000],
    ] as const) {
      const admin = await app.keyFor(tenant, 'admin');
      await connectActuator(app.http, admin, receiver, { timeoutMs });
    }
    claimed = claimsOf(app);
  });
  afterAll(async () => {
    await bad.close(); // the hanging calls end now, so the engine's shutdown need not wait for their timeout
    await app.stop();
    await good.close();
  });

  it('makes a new run’s first call without claiming it, and runs it to verified', async () => {
    const healthy = await app.keyFor('healthy', 'operator');
    const runId = await startRun(healthy);
    expect((await finishedRun(app.http, healthy, runId)).status).toBe('succeeded');
    expect(claimedAtFirstCall.get(runId)).toBe(false);
  });

  it('lets a run asleep for less than a second (its 200 ms verify window) nap in its engine, so no claim returns it', async () => {
    const healthy = await app.keyFor('healthy', 'operator');
    const runId = await startRun(healthy);
    const run = await finishedRun(app.http, healthy, runId);
    expect(run.status).toBe('succeeded');
    expect(run.verdict).toBe('succeeded');
    expect(claimed.has(runId)).toBe(false);
  });

  it('stores the run of a tenant at its cap due, for a claim, without a lease', async () => {
    const hangs = await app.keyFor('hangs', 'operator');
    const holding = [await startRun(hangs), await startRun(hangs)];
    await eventually(async () => open.size === 2, 'two hanging calls in flight');
    const third = await startRun(hangs);
    expect(await leaseOf(third)).toBeNull();
    // A healthy run done since is a sync point: the third was not claimed either, the tenant being at its cap.
    const healthy = await app.keyFor('healthy', 'operator');
    await finishedRun(app.http, healthy, await startRun(healthy));
    expect(claimed.has(third)).toBe(false);
    expect(holding.some((id) => claimed.has(id))).toBe(false);
  });

  it('gives back the room a start that rolled back had taken', async () => {
    const tx = app.app.get(TransactionHost);
    const commands = app.app.get(CommandBus);
    // More rolled-back starts than the tenant's cap (2): had they kept their room, the next run would wait for a claim.
    for (let i = 0; i < 3; i++)
      await expect(
        tx.run(async () => {
          await commands.execute(manualMemoryCleanup('rolls-back'));
          throw new Error('rolled back on purpose');
        }),
      ).rejects.toThrow('rolled back on purpose');
    const operator = await app.keyFor('rolls-back', 'operator');
    const runId = await startRun(operator);
    expect((await finishedRun(app.http, operator, runId)).status).toBe('succeeded');
    expect(claimedAtFirstCall.get(runId)).toBe(false);
  });
});

describe('a run napping in an engine that stops', () => {
  it('is handed back due at once, not left leased until its lease lapses', async () => {
    const receiver = await startWebhookReceiver(answerHealthy);
    // A verify window just under NAP_MAX_MS: the run naps through it.
    const app = await startTestApp({ ...ALLOW_LOOPBACK, RECOVERY_VERIFY_WINDOW_MS: '950' });
    try {
      const admin = await app.keyFor('naps', 'admin');
      await connectActuator(app.http, admin, receiver, { timeoutMs: 5_000 });
      const { runId } = await approvedRun(app.http, await app.keyFor('naps', 'operator'), oomIncident('nap'));
      const row = async () =>
        (
          await app.sql(`SELECT phase, lease_token, due_at <= now() AS due FROM recovery_runs WHERE id = $1`, [runId])
        )[0];
      // Checked, and watching for a recurrence through its window, still leased to the engine: napping, not released.
      await eventually(async () => {
        const r = await row();
        return r.phase === 'watch' && r.lease_token !== null;
      }, 'the run napping through its verify window');
      // The engine's own shutdown, while the database is up and the nap has most of its time left.
      await app.app.get(RunEngine).beforeApplicationShutdown();
      expect(await row()).toEqual({ phase: 'watch', lease_token: null, due: true });
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

describe('a new run stored leased to an engine that begins to stop before the run commits', () => {
  it('is waited for by the stop, and handed back due, with no lease, before the stop ends', async () => {
    const receiver = await startWebhookReceiver(answerHealthy);
    const app = await startTestApp({ ...ALLOW_LOOPBACK });
    try {
      await connectActuator(app.http, await app.keyFor('leased', 'admin'), receiver, { timeoutMs: 5_000 });
      const engine = app.app.get(RunEngine);
      let stopped = false;
      let stop: Promise<void> = Promise.resolve();
      const run = await app.app.get(TransactionHost).run(async () => {
        const started = await app.app.get(CommandBus).execute(manualMemoryCleanup('leased'));
        // The app begins to stop while this transaction, holding the new run's lease, is still open.
        engine.onModuleDestroy();
        stop = engine.beforeApplicationShutdown().then(() => {
          stopped = true;
        });
        await new Promise((done) => setTimeout(done, 200));
        expect(stopped).toBe(false); // it waits for this transaction
        return started;
      });
      await stop;
      const [row] = await app.sql(`SELECT lease_token, due_at <= now() AS due FROM recovery_runs WHERE id = $1`, [
        run.id,
      ]);
      expect(row).toEqual({ lease_token: null, due: true });
      expect(receiver.calls).toHaveLength(0);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

describe('a run asleep while its tenant is at its cap', () => {
  it('releases its lease and is claimed again: a nap would hold room that waiting runs need', async () => {
    const receiver = await startWebhookReceiver(answerHealthy);
    const app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      RUN_ENGINE_TENANT_CALLS: '1',
    });
    try {
      const claimed = claimsOf(app);
      await connectActuator(app.http, await app.keyFor('at-cap', 'admin'), receiver, { timeoutMs: 5_000 });
      const operator = await app.keyFor('at-cap', 'operator');
      const { runId } = await approvedRun(app.http, operator, oomIncident('cap'));
      expect((await finishedRun(app.http, operator, runId)).status).toBe('succeeded');
      expect(claimed.has(runId)).toBe(true);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

describe('a call planned but not made when the engine stops', () => {
  it('puts a step never called back to pending and not started, so a cancel has nothing of it to roll back', async () => {
    // One call to the actuator at a time: the second run's first call waits for the slot the first run's holds.
    const receiver = await startWebhookReceiver((call, res) =>
      call.json?.stepId === 'clear_cache' && call.json?.incident?.agentId === 'agent-slot-holder'
        ? 'hang'
        : answerHealthy(call, res),
    );
    const app = await startTestApp({ ...ALLOW_LOOPBACK, RUN_ENGINE_ACTUATOR_CALLS: '1' });
    try {
      const admin = await app.keyFor('unplanned', 'admin');
      // Long enough that the hanging call is still out at shutdown however slow the machine: the slot stays taken.
      await connectActuator(app.http, admin, receiver, { timeoutMs: 60_000 });
      const operator = await app.keyFor('unplanned', 'operator');
      const holder = await approvedRun(app.http, operator, oomIncident('slot-holder'));
      await eventually(
        async () => receiver.calls.some((c) => c.json?.runId === holder.runId),
        'the first call in flight',
      );
      const waiting = await approvedRun(app.http, operator, oomIncident('slot-waiter'));
      const step = async () =>
        (
          await app.sql(
            `SELECT status, attempts, started_at IS NOT NULL AS started FROM recovery_run_steps
              WHERE run_id = $1 AND step_id = 'clear_cache'`,
            [waiting.runId],
          )
        )[0];
      await eventually(async () => (await step()).status === 'running', 'the second run waiting for the slot');
      // Shutdown closes the slots at once (the waiting call is never made), then waits for the hanging
      // call, which ends when the receiver goes.
      const stopping = app.app.get(RunEngine).beforeApplicationShutdown();
      await receiver.close();
      await stopping;
      expect(receiver.calls.some((c) => c.json?.runId === waiting.runId)).toBe(false);
      expect(await step()).toEqual({ status: 'pending', attempts: 0, started: false });
    } finally {
      await app.stop();
      await receiver.close();
    }
  });

  it('takes back a notice to the coding agent it noted as sent but did not send, so the next holder does not count it as interrupted', async () => {
    // A code patch escalates at once; the coding agent takes one notice at a time, and hangs on it.
    const PLAYBOOK_CATALOG_PATH = playbookCatalogWith((p) => {
      p('code_patch').steps = p('code_patch').steps.filter((s: { id: string }) => s.id !== 'reproduce');
    });
    const receiver = await startWebhookReceiver(() => 'hang');
    const app = await startTestApp({ ...ALLOW_LOOPBACK, RUN_ENGINE_ACTUATOR_CALLS: '1', PLAYBOOK_CATALOG_PATH });
    try {
      const admin = await app.keyFor('unnotified', 'admin');
      await connectActuator(app.http, admin, receiver, { name: 'coding-agent', timeoutMs: 60_000 });
      const operator = await app.keyFor('unnotified', 'operator');
      const typeError = (n: number) => ({
        errorType: 'TypeError',
        message: `Cannot read properties of undefined (reading 'id') in handler ${n}`,
        agentId: `agent-${n}`,
        capability: 'api',
      });
      const holder = await approvedRun(app.http, operator, typeError(1));
      await eventually(
        async () => receiver.calls.some((c) => c.json?.runId === holder.runId),
        'the first notice in flight',
      );
      const waiting = await approvedRun(app.http, operator, typeError(2));
      const step = async () =>
        (
          await app.sql(
            `SELECT waiting_for, interrupted_calls, output FROM recovery_run_steps WHERE run_id = $1 AND step_id = 'patch'`,
            [waiting.runId],
          )
        )[0];
      await eventually(
        async () => (await step()).output?.notification?.outcome === 'sent',
        'the second notice noted as sent, waiting for the slot',
      );
      // Shutdown closes the slots at once (the waiting call is never made), then waits for the hanging
      // call, which ends when the receiver goes.
      const stopping = app.app.get(RunEngine).beforeApplicationShutdown();
      await receiver.close();
      await stopping;
      expect(receiver.calls.some((c) => c.json?.runId === waiting.runId)).toBe(false);
      expect(await step()).toEqual({ waiting_for: 'notify', interrupted_calls: 0, output: null });
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

/**
 * Replicas of one fresh database, each started by `start` with the same `env` (SHUTDOWN_TIMEOUT_MS 300 and
 * `extraEnv`), and on the first a run of `tenant` (`runId`) whose first call is out to an actuator that hangs:
 * for two minutes, so a stop that waited for it (or a claim that waited for its lease) would outlast the test.
 * `stopAll` stops every replica, then the receiver.
 */
async function firstCallHanging(tenant: string, extraEnv: Record<string, string> = {}) {
  const receiver = await startWebhookReceiver(() => 'hang');
  const url = await createTestDatabase();
  const env = {
    ...ALLOW_LOOPBACK,
    SECRETS_KEY: randomBytes(32).toString('hex'),
    SHUTDOWN_TIMEOUT_MS: '300',
    ...extraEnv,
  };
  const replicas: TestApp[] = [];
  const start = async () => {
    const app = await startTestApp(env, [], url);
    replicas.push(app);
    return app;
  };
  const stopAll = async () => {
    for (const app of replicas) await app.stop();
    await receiver.close();
  };
  try {
    const first = await start();
    const admin = await first.keyFor(tenant, 'admin');
    const operator = await first.keyFor(tenant, 'operator');
    await connectActuator(first.http, admin, receiver, { timeoutMs: 120_000 });
    const { runId } = await approvedRun(first.http, operator, oomIncident(tenant));
    await eventually(async () => receiver.calls.length === 1, 'the first call in flight');
    return { receiver, first, start, stopAll, admin, operator, runId };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

describe('a call still out when the stop has waited SHUTDOWN_TIMEOUT_MS', () => {
  it('is cut off and its run handed back at once: the next replica calls again (same webhook-id, no attempt counted) and runs it to verified', async () => {
    const { receiver, first, start, stopAll, operator, runId } = await firstCallHanging('cut-off', {
      RECOVERY_VERIFY_WINDOW_MS: '200',
    });
    try {
      // The whole stop, as SIGTERM runs it.
      await first.stop();
      receiver.answer(answerHealthy);
      const next = await start();
      expect((await finishedRun(next.http, operator, runId)).status).toBe('succeeded');
      const sameStep = receiver.calls.filter((c) => c.json?.stepId === receiver.calls[0].json?.stepId);
      expect(sameStep.map((c) => c.headers['webhook-id'])).toEqual([
        receiver.calls[0].headers['webhook-id'],
        receiver.calls[0].headers['webhook-id'],
      ]);
      const [step] = await next.sql(
        `SELECT status, attempts, interrupted_calls FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2`,
        [runId, receiver.calls[0].json?.stepId],
      );
      // A stop is not the step's fault: neither an attempt nor an interrupted call.
      expect(step).toEqual({ status: 'succeeded', attempts: 1, interrupted_calls: 0 });
      const notes = await next.sql(`SELECT note FROM recovery_run_transitions WHERE run_id = $1`, [runId]);
      expect(notes.map((n) => n.note)).toContain('call cut off: the service is stopping');
    } finally {
      await stopAll();
    }
  });

  it('is taken up at once by a replica already running: the stopping one wakes the others for what it handed back', async () => {
    // A poll of a minute: the other replica learns of the handed-back run from a NOTIFY, or not within the test.
    const { receiver, first, start, stopAll, runId } = await firstCallHanging('woken', {
      OUTBOX_POLL_INTERVAL_MS: '60000',
    });
    try {
      await start(); // running, and its claim at start found the run leased to the first
      await first.stop();
      await eventually(async () => receiver.calls.length === 2, 'the other replica to call again', 15_000);
      expect(receiver.calls.map((c) => c.json?.runId)).toEqual([runId, runId]);
    } finally {
      await stopAll();
    }
  });

  it('is not cut off by a stop’s deadline while its engine still claims runs: the deadline is armed by each engine once it stops', async () => {
    // Every call answers after 300 ms; the stop's deadline (as the app's close sets it) passes meanwhile.
    const receiver = await startWebhookReceiver((call, res) => {
      setTimeout(() => answerHealthy(call, res), 300);
    });
    const app = await startTestApp({ ...ALLOW_LOOPBACK, RECOVERY_VERIFY_WINDOW_MS: '200' });
    try {
      await connectActuator(app.http, await app.keyFor('not-cut', 'admin'), receiver, { timeoutMs: 5_000 });
      app.app.get(Egress).stopDeadline(50);
      const operator = await app.keyFor('not-cut', 'operator');
      const { runId } = await approvedRun(app.http, operator, oomIncident('not-cut'));
      expect((await finishedRun(app.http, operator, runId)).status).toBe('succeeded');
      const steps = await app.sql(`SELECT sum(interrupted_calls)::int AS n FROM recovery_run_steps WHERE run_id = $1`, [
        runId,
      ]);
      expect(steps).toEqual([{ n: 0 }]);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });

  it('takes back a notice to the coding agent cut off mid-call: not sent, not counted as interrupted', async () => {
    const PLAYBOOK_CATALOG_PATH = playbookCatalogWith((p) => {
      p('code_patch').steps = p('code_patch').steps.filter((s: { id: string }) => s.id !== 'reproduce');
    });
    const receiver = await startWebhookReceiver(() => 'hang');
    const app = await startTestApp({ ...ALLOW_LOOPBACK, PLAYBOOK_CATALOG_PATH, SHUTDOWN_TIMEOUT_MS: '300' });
    try {
      await connectActuator(app.http, await app.keyFor('notice-cut', 'admin'), receiver, {
        name: 'coding-agent',
        timeoutMs: 120_000,
      });
      const { runId } = await approvedRun(app.http, await app.keyFor('notice-cut', 'operator'), {
        errorType: 'TypeError',
        message: "Cannot read properties of undefined (reading 'id') in handler 1",
        agentId: 'agent-1',
        capability: 'api',
      });
      await eventually(async () => receiver.calls.some((c) => c.json?.runId === runId), 'the notice in flight');
      // Returns though the notice has two minutes left.
      await app.app.get(RunEngine).beforeApplicationShutdown();
      const [step] = await app.sql(
        `SELECT waiting_for, interrupted_calls, output FROM recovery_run_steps WHERE run_id = $1 AND step_id = 'patch'`,
        [runId],
      );
      expect(step).toEqual({ waiting_for: 'notify', interrupted_calls: 0, output: null });
      expect(
        await app.sql(`SELECT lease_token, due_at <= now() AS due FROM recovery_runs WHERE id = $1`, [runId]),
      ).toEqual([{ lease_token: null, due: true }]);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });

  it('counts a cut-off call as made: the step, taken over by a person once its actuator is removed, is rolled back on a cancel', async () => {
    const { first, start, stopAll, admin, operator, runId } = await firstCallHanging('cut-removed');
    try {
      await first.app.get(RunEngine).beforeApplicationShutdown(); // cut off, the step back to pending
      await first.http
        .delete('/actuators/ops')
        .set({ Authorization: `Bearer ${admin}` })
        .expect(204);
      await first.stop();
      const next = await start();
      const steps = async () =>
        (
          await next.http
            .get(`/runs/${runId}`)
            .set({ Authorization: `Bearer ${operator}` })
            .expect(200)
        ).body.steps as Array<{ id: string; status: string; attempts: number; cutOffCalls: number }>;
      const byId = async (id: string) => (await steps()).find((x) => x.id === id)!;
      await eventually(async () => (await byId('clear_cache')).status === 'awaiting_operator', 'a person to be asked');
      expect(await byId('clear_cache')).toMatchObject({ attempts: 0, cutOffCalls: 1 });
      await next.http
        .post(`/runs/${runId}/cancel`)
        .set({ Authorization: `Bearer ${operator}` })
        .send({})
        .expect(202);
      // The cut-off call may have cleared the cache: the rollback is not skipped as "nothing to undo".
      const rollback = await eventually(async () => {
        const step = await byId('restore_batch');
        return step.status === 'pending' ? null : step;
      }, 'the rollback step to be decided');
      expect(rollback.status).toBe('awaiting_operator');
    } finally {
      await stopAll();
    }
  });

  it('still takes the late result of a cut-off call once the next holder planned the call again and stopped before making it', async () => {
    // Every call hangs. Run X's first call is cut off; on the next replica run Y's call holds the actuator's one slot.
    const { receiver, first, start, stopAll, operator, runId } = await firstCallHanging('cut-twice', {
      RUN_ENGINE_ACTUATOR_CALLS: '1',
    });
    try {
      const { callback } = receiver.calls[0].json as { callback: { path: string; token: string } };
      await first.app.get(RunEngine).beforeApplicationShutdown(); // cut off
      // X falls due only once Y holds the slot (made due by hand then: a time would race a slow start).
      await first.sql(`UPDATE recovery_runs SET due_at = now() + interval '1 hour' WHERE id = $1`, [runId]);
      await first.stop();
      const next = await start();
      const y = await approvedRun(next.http, operator, oomIncident('cut-twice-y'));
      await eventually(async () => receiver.calls.some((c) => c.json?.runId === y.runId), "run Y's call in flight");
      await next.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [runId]);
      const step = async () =>
        (
          await next.sql(
            `SELECT status, started_at IS NOT NULL AS started FROM recovery_run_steps WHERE run_id = $1 AND step_id = 'clear_cache'`,
            [runId],
          )
        )[0];
      await eventually(async () => (await step()).status === 'running', 'run X planned, waiting for the slot');
      await next.app.get(RunEngine).beforeApplicationShutdown(); // X's call never made
      // Pending, but started: its first call was made, and its late result is taken.
      expect(await step()).toEqual({ status: 'pending', started: true });
      await lateResult(next.http, callback, { outcome: 'succeeded' }).expect(200);
      expect((await step()).status).toBe('succeeded');
    } finally {
      await stopAll();
    }
  });

  it('takes the late result of a call it cut off, though the step waits to be called again', async () => {
    const receiver = await startWebhookReceiver(() => 'hang');
    const app = await startTestApp({ ...ALLOW_LOOPBACK, SHUTDOWN_TIMEOUT_MS: '300' });
    try {
      await connectActuator(app.http, await app.keyFor('late', 'admin'), receiver, { timeoutMs: 120_000 });
      const { runId } = await approvedRun(app.http, await app.keyFor('late', 'operator'), oomIncident('late'));
      await eventually(async () => receiver.calls.length === 1, 'the first call in flight');
      await app.app.get(RunEngine).beforeApplicationShutdown();
      const { stepId, callback } = receiver.calls[0].json;
      const step = async () =>
        (
          await app.sql(`SELECT status, attempts FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2`, [
            runId,
            stepId,
          ])
        )[0];
      expect(await step()).toEqual({ status: 'pending', attempts: 0 });
      // The actuator did the work, and says so on the callback the cut-off call carried.
      await lateResult(app.http, callback, { outcome: 'succeeded' }).expect(200);
      expect((await step()).status).toBe('succeeded');
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
