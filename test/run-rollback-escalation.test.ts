import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { approvedRun, finishedRun, oomIncident } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * A rollback a coding agent is asked to do (an `escalate` step in a playbook's rollback list, which
 * the catalog allows): when the run ends without it, its work order is withdrawn, as a failed or
 * canceled run withdraws every order it raised (README). Real database, real HTTP, a real receiver.
 */
describe('a work order raised by a rollback step', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let operator: string;
  let agent: string;

  beforeAll(async () => {
    // reduce_batch always fails; the rest answers ok.
    receiver = await startWebhookReceiver((c, res) => {
      if (c.json?.params?.action === 'reduce_batch') return res.end('{"status":"failed","error":"no smaller batch"}');
      res.end('{"ok":true}');
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      PLAYBOOK_CATALOG_PATH: playbookCatalogWith((byId) => {
        byId('memory_cleanup').rollback = [
          {
            id: 'revert_by_agent',
            kind: 'escalate',
            instruction: 'Revert the change (a coding agent)',
            timeoutMs: 1500,
          },
        ];
      }),
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    const admin = await app.keyFor('rollback-escalation', 'admin');
    operator = await app.keyFor('rollback-escalation', 'operator');
    agent = await app.keyFor('rollback-escalation', 'agent');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('is withdrawn when the run ends without it (the rollback step timed out): no agent can take it after', async () => {
    const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
    const { runId } = await approvedRun(app.http, operator, oomIncident('r1'));
    // A person's run pauses on its failed step; the operator rolls it back.
    await eventually(async () => (await get(`/runs/${runId}`)).status === 'awaiting_operator', 'the pause');
    await app.http.post(`/runs/${runId}/rollback`).set(auth(operator)).send({}).expect(202);
    const run = await finishedRun(app.http, operator, runId);
    const revert = run.steps.find((s: { id: string }) => s.id === 'revert_by_agent');
    expect(revert).toMatchObject({ list: 'rollback', status: 'timed_out', workOrderId: expect.any(String) });
    expect(run.status).toBe('rollback_failed');
    const order = await get(`/patches/work-orders/${revert.workOrderId}`, agent);
    expect(order).toMatchObject({ status: 'canceled' });
    expect((await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(agent)).send({})).status).toBe(409);
  });

  it('counts, while it waits for its work order (awaiting_patch), as a failing run for `pillar-loop status`', async () => {
    // A tenant of its own: the first test's run fails too.
    await connectActuator(app.http, await app.keyFor('rollback-status', 'admin'), receiver, { timeoutMs: 2000 });
    const operator = await app.keyFor('rollback-status', 'operator');
    const get = async (path: string) => (await app.http.get(path).set(auth(operator)).expect(200)).body;
    const { runId } = await approvedRun(app.http, operator, oomIncident('r2'));
    await eventually(async () => (await get(`/runs/${runId}`)).status === 'awaiting_operator', 'the pause');
    await app.http.post(`/runs/${runId}/rollback`).set(auth(operator)).send({}).expect(202);
    await eventually(async () => (await get(`/runs/${runId}`)).status === 'awaiting_patch', 'the rollback work order');
    // The order gets time enough for the command to look while it waits.
    await app.sql(
      `UPDATE recovery_run_steps SET deadline_at = now() + interval '1 hour' WHERE run_id = $1 AND step_id = $2`,
      [runId, 'revert_by_agent'],
    );
    expect(await get(`/runs/${runId}`)).toMatchObject({
      status: 'awaiting_patch',
      phase: 'rollback',
      verdict: 'failed',
    });
    const home = mkdtempSync(path.join(tmpdir(), 'rollback-status-'));
    const child = spawn(process.execPath, [path.join(process.cwd(), 'bin', 'pillar-loop.js'), 'status', '--json'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        XDG_STATE_HOME: home,
        PILLAR_LOOP_URL: app.url,
        PILLAR_LOOP_KEY: operator,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const [code] = await once(child, 'close');
    const report = JSON.parse(out);
    expect({ code, verdict: report.verdict, failing: report.failingRuns.map((r: { id: string }) => r.id) }).toEqual({
      code: 1,
      verdict: 'degraded',
      failing: [runId],
    });
  });
});
