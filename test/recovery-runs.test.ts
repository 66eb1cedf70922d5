import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const FINISHED = ['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled'];

/** Recovery runs (DESIGN §8, issue 12) against a real database, real HTTP and a real local receiver. */
describe('recovery runs', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let otherOperator: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'runs-'));
  let seq = 0;

  const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  const runOf = (id: string) => get(`/runs/${id}`);
  const finished = (id: string, what = `run ${id} to finish`) =>
    eventually(async () => {
      const run = await runOf(id);
      return FINISHED.includes(run.status) ? run : null;
    }, what);
  const actions = (calls: ReceivedCall[], runId: string) => calls.filter((c) => c.json?.runId === runId).map((c) => c.json.params.action);

  /** An incident of a fresh pattern; resolves to the incident and its pending recovery. */
  async function incident(tenantKey = operator, errorType = 'OutOfMemoryError', agentId = `agent-${++seq}`) {
    const res = await app.http.post('/incidents').set(auth(tenantKey))
      .send({ errorType, message: `Worker pod ingest-${seq} OOMKilled: container exceeded memory limit 2048Mi (case ${seq}z)`, agentId, capability: 'ingest' })
      .expect(201);
    const recovery = await eventually(async () => (await get(`/recoveries?incidentId=${res.body.id}`, tenantKey)).items[0], `a recovery for ${res.body.id}`);
    return { incidentId: res.body.id as string, recovery, agentId };
  }

  async function approve(recoveryId: string, key = operator) {
    const res = await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(key)).send({ note: 'go' }).expect(200);
    return res.body;
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({ DATA_DIR: dataDir, RECOVERY_VERIFY_WINDOW_MS: '300', RUN_RETRY_BASE_MS: '50', OUTBOX_POLL_INTERVAL_MS: '200' });
    admin = await app.keyFor('runs', 'admin');
    operator = await app.keyFor('runs', 'operator');
    otherOperator = await app.keyFor('runs-other', 'operator');
    const res = await app.http.put('/actuators/ops').set(auth(admin)).send({ url: `${receiver.url}/ops`, timeoutMs: 2000 }).expect(201);
    receiver.setSecret(res.body.secret);
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
    expect(started).toMatchObject({ recoveryId: recovery.id, incidentId, playbookId: 'memory_cleanup', automatic: false, recovery: { id: recovery.id, status: 'applied' } });
    expect(started.steps.map((s: { id: string }) => s.id)).toEqual(['clear_cache', 'reduce_batch', 'restart_worker', 'memory_ok', 'restore_batch']);

    const run = await finished(started.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['clear_cache', 'succeeded'], ['reduce_batch', 'succeeded'], ['restart_worker', 'succeeded'], ['memory_ok', 'succeeded'], ['restore_batch', 'pending'],
    ]);
    expect(actions(receiver.calls, run.id)).toEqual(['clear_cache', 'reduce_batch', 'restart_worker', 'memory_check']);
    const calls = receiver.calls.filter((c) => c.json?.runId === run.id);
    expect(calls.every((c) => c.verified)).toBe(true);
    expect(calls.map((c) => c.headers['webhook-id'])).toEqual(run.steps.slice(0, 4).map((s: { id: string }) => `${run.id}.${s.id}`));
    expect(calls[1].json.params).toMatchObject({ action: 'reduce_batch', factor: 0.5 });

    const inc = await get(`/incidents/${incidentId}`);
    expect(inc).toMatchObject({ status: 'resolved', resolvedBy: `run ${run.id}` });
    const timeline = (await get(`/incidents/${incidentId}/timeline`)).items ?? (await get(`/incidents/${incidentId}/timeline`));
    expect(JSON.stringify(timeline)).toContain(`run ${run.id} succeeded`);
    expect(run.transitions.length).toBeGreaterThan(8);
  });
});
