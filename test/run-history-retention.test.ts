import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RunHistoryPruner } from '../src/self-healing/runs/prune-history/run-history.pruner.js';
import { connectActuator } from './support/actuators.js';
import { approvedRun, finishedRun, oomIncident } from './support/runs.js';
import { ALLOW_LOOPBACK, startTestApp, type TestApp } from './support/test-app.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Issue 24: a finished run's transitions are deleted RUN_HISTORY_RETENTION_DAYS after it finished; the run itself stays. */
describe('retention of finished runs’ transitions', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let operator: string;
  let seq = 0;

  const get = async (path: string) => (await app.http.get(path).set(auth(operator)).expect(200)).body;

  /** A new incident's run, approved and done: its id. */
  async function doneRun(): Promise<string> {
    const { runId } = await approvedRun(app.http, operator, oomIncident(++seq));
    await finishedRun(app.http, operator, runId);
    return runId;
  }

  /** As if the run had finished `days` ago: its finish time, and its transitions' ids (UUID v7, which carry when they were written). */
  async function age(runId: string, days: number): Promise<void> {
    await app.sql(`UPDATE recovery_runs SET finished_at = now() - make_interval(days => $2) WHERE id = $1`, [
      runId,
      days,
    ]);
    await app.sql(
      `UPDATE recovery_run_transitions
          SET id = (lpad(to_hex((extract(epoch FROM now() - make_interval(days => $2, mins => 1)) * 1000)::bigint), 12, '0')
                    || substr(replace(id::text, '-', ''), 13))::uuid
        WHERE run_id = $1`,
      [runId, days],
    );
  }

  const transitions = async (runId: string) =>
    Number((await app.sql(`SELECT count(*) AS n FROM recovery_run_transitions WHERE run_id = $1`, [runId]))[0]!.n);

  beforeAll(async () => {
    receiver = await startWebhookReceiver(answerHealthy);
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '100',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RUN_HISTORY_RETENTION_DAYS: '7',
    });
    operator = await app.keyFor('retention', 'operator');
    const admin = await app.keyFor('retention', 'admin');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('deletes the transitions of runs finished longer ago than the retention, and keeps the runs and everything newer', async () => {
    const [old, recent, fresh] = [await doneRun(), await doneRun(), await doneRun()];
    await age(old, 8);
    await age(recent, 6);
    const before = { old: await transitions(old), recent: await transitions(recent), fresh: await transitions(fresh) };
    expect(before.old).toBeGreaterThan(8);

    expect(await app.app.get(RunHistoryPruner).pruneAll()).toBe(before.old);

    expect({ old: await transitions(old), recent: await transitions(recent), fresh: await transitions(fresh) }).toEqual(
      { ...before, old: 0 },
    );
    // The run keeps its verdict and its steps' final state; only the step-by-step history is gone.
    const run = await get(`/runs/${old}`);
    expect(run).toMatchObject({ status: 'succeeded', transitions: [] });
    expect(run.steps.find((s: { id: string }) => s.id === 'memory_ok')).toMatchObject({ status: 'succeeded' });
    expect(await app.app.get(RunHistoryPruner).pruneAll()).toBe(0);
  });
});
