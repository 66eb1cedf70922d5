import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectActuator } from './support/actuators.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Escalation to a coding agent (DESIGN §9, issue 13) end to end: real database, HTTP and a local receiver. */
describe('escalation to a coding agent', () => {
  let app: TestApp;
  let ops: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let codingAgent: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let agentKey: string;
  let cause = 'code';
  const dataDir = mkdtempSync(join(tmpdir(), 'escalation-'));
  const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  /** The actions the ops actuator was called with for this run, in order. */
  const actionsOf = (runId: string): string[] =>
    ops.calls.filter((c) => c.json?.runId === runId).map((c) => c.json.params.action);
  const done = (runId: string) =>
    eventually(async () => {
      const r = await get(`/runs/${runId}`);
      return r.phase === 'done' ? r : null;
    }, `run ${runId} to finish`);

  beforeAll(async () => {
    ops = await startWebhookReceiver((c, res) => {
      const action = c.json?.params?.action;
      if (action === 'diagnose_pipeline') return res.end(JSON.stringify({ cause }));
      res.end('{"healthy":true,"passed":true}');
    });
    codingAgent = await startWebhookReceiver((_c, res) => res.end('{}'));
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    admin = await app.keyFor('esc', 'admin');
    operator = await app.keyFor('esc', 'operator');
    agentKey = await app.keyFor('esc', 'agent');
    await connectActuator(app.http, admin, ops);
    await connectActuator(app.http, admin, codingAgent, { name: 'coding-agent', path: '/work' });
    await app.http
      .put('/routing/agents/builder-1')
      .set(auth(admin))
      .send({ capabilities: ['ci'], baseConfidence: 0.75 })
      .expect(200);
    for (const agent of ['builder-2', 'builder-3'])
      await app.http
        .put(`/routing/agents/${agent}`)
        .set(auth(admin))
        .send({ capabilities: ['ci'], baseConfidence: 0.75 })
        .expect(200);
  });
  afterAll(async () => {
    await app.stop();
    await ops.close();
    await codingAgent.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function pipelineTimeout(agentId: string) {
    const inc = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({
        errorType: 'PipelineTimeout',
        message: `stage build of pipeline nightly-${agentId} timed out after 900 s`,
        agentId,
        capability: 'ci',
        severity: 'high',
      })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${inc.body.id}`)).items[0],
      'the recovery',
    );
    expect(recovery.playbookId).toBe('pipeline_timeout_fix');
    const run = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    const waiting = await eventually(async () => {
      const r = await get(`/runs/${run.id}`);
      return r.status === 'awaiting_patch' && r.steps.find((s: { id: string }) => s.id === 'fix_code').workOrderId
        ? r
        : null;
    }, 'the run to escalate');
    return {
      incidentId: inc.body.id as string,
      run: waiting,
      workOrderId: waiting.steps.find((s: { id: string }) => s.id === 'fix_code').workOrderId as string,
    };
  }

  it("the seed's scenario: hybrid playbook → code cause → work order → agent patches → run verifies → incident resolved, trust up", async () => {
    cause = 'code';
    const { incidentId, run, workOrderId } = await pipelineTimeout('builder-1');
    expect(run.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['diagnose', 'succeeded'],
      ['extend_stage_timeout', 'skipped'],
      ['rerun_stage', 'skipped'],
      ['fix_code', 'running'],
      ['pipeline_healthy', 'pending'],
      ['restore_stage_timeout', 'pending'],
    ]);
    // The coding agent hears of it, signed.
    const notice = await eventually(
      async () => codingAgent.calls.find((c) => c.json?.workOrderId === workOrderId),
      'the coding-agent notification',
    );
    expect(notice.verified).toBe(true);
    expect(notice.json).toMatchObject({ type: 'work_order.created', runId: run.id, incidentId });

    const listed = await get('/patches/work-orders?status=queued', agentKey);
    expect(listed.items.map((w: { id: string }) => w.id)).toContain(workOrderId);
    const order = await get(`/patches/work-orders/${workOrderId}`, agentKey);
    expect(order).toMatchObject({ runId: run.id, incidentId, stepId: 'fix_code', status: 'queued', priority: 'high' });
    expect(order.context.incident.errorType).toMatch(/^pipeline_?timeout$/i);
    expect(
      (await get(`/patches/runs?status=awaiting_patch`)).items.find((r: { id: string }) => r.id === run.id),
    ).toMatchObject({ escalatedToCoding: true, workOrderId });

    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${workOrderId}/claim`).set(auth(agentKey)).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${workOrderId}/progress`)
      .set(auth(agentKey))
      .send({ claimToken, note: 'found the N+1 query', percent: 50 })
      .expect(200);
    await app.http
      .post(`/patches/work-orders/${workOrderId}/complete`)
      .set(auth(agentKey))
      .send({
        claimToken,
        testsPassed: true,
        filesChanged: ['src/pipeline/build.ts'],
        diffUrl: 'https://git.example.com/acme/app/pull/7',
        summary: 'batched the slow query',
      })
      .expect(200);

    const finished = await done(run.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.steps.find((s: { id: string }) => s.id === 'fix_code')).toMatchObject({
      status: 'succeeded',
      output: { body: { testsPassed: true } },
    });
    expect(actionsOf(run.id)).toEqual(['diagnose_pipeline', 'pipeline_check']);
    expect(await get(`/incidents/${incidentId}`)).toMatchObject({ status: 'resolved', resolvedBy: `run ${run.id}` });

    const trust = await eventually(async () => {
      const a = await get('/routing/agents/builder-1');
      return a.trustHistory.length > 0 ? a : null;
    }, 'trust to move');
    expect(trust.trustHistory[0]).toMatchObject({ runId: run.id, previousTrust: 0.75, outcome: 'succeeded' });
    expect(trust.trustByCapability.ci).toBeGreaterThan(0.75);

    const timeline = JSON.stringify(await get(`/incidents/${incidentId}/timeline`));
    for (const text of [
      'escalated to a coding agent',
      'resumed: the work order finished',
      `work order ${workOrderId} claimed`,
      `work order ${workOrderId} completed`,
      `run ${run.id} succeeded`,
    ]) {
      expect(timeline).toContain(text);
    }
    const stats = await get('/patches/stats');
    expect(stats).toMatchObject({
      totalPlaybookRuns: 1,
      escalatedRuns: 1,
      escalationRate: 1,
      autoFixRate: 0,
      workOrders: { completed: 1 },
    });
    expect(stats.averagePatchTimeMinutes).toBeGreaterThanOrEqual(0);
  });

  it('a failed patch fails the run, runs its rollback and lowers trust', async () => {
    cause = 'code';
    const { run, workOrderId } = await pipelineTimeout('builder-2');
    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${workOrderId}/claim`).set(auth(agentKey)).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${workOrderId}/complete`)
      .set(auth(agentKey))
      .send({ claimToken, testsPassed: false, summary: 'tests still red' })
      .expect(200);
    const finished = await done(run.id);
    expect(finished).toMatchObject({ status: 'rolled_back', reason: expect.stringContaining('fix_code failed') });
    expect(actionsOf(run.id).at(-1)).toBe('restore_timeout');
    const trust = await eventually(async () => {
      const a = await get('/routing/agents/builder-2');
      return a.trustHistory.length > 0 ? a : null;
    }, 'trust to move');
    expect(trust.trustHistory[0]).toMatchObject({ runId: run.id, outcome: 'rolled_back' });
    expect(trust.trustByCapability.ci).toBeLessThan(0.75);
  });

  it("an operator's cancel of a work order cancels its run: no verdict, its rollback runs, trust unchanged", async () => {
    cause = 'code';
    const { incidentId, run, workOrderId } = await pipelineTimeout('builder-3');
    await app.http
      .post(`/patches/work-orders/${workOrderId}/cancel`)
      .set(auth(operator))
      .send({ reason: 'fixed by hand' })
      .expect(200);
    const finished = await done(run.id);
    // The operator canceled it, as a cancel of the run itself would say (the audit's actor); the history says how.
    expect(finished).toMatchObject({
      status: 'canceled',
      verdict: null,
      reason: expect.stringMatching(/^canceled by /),
    });
    expect(JSON.stringify(finished.transitions)).toContain(`who canceled work order ${workOrderId}`);
    const canceledBy = (await get(`/patches/work-orders/${workOrderId}`)).history.find(
      (h: { to: string }) => h.to === 'canceled',
    ).actor;
    const audited = await get(`/audit?action=run.canceled&subjectId=${run.id}`, admin);
    // The audit names the operator's key, as for a cancel of the run itself.
    expect(audited.items).toHaveLength(1);
    expect(canceledBy).toBe(`esc operator (${audited.items[0].actor})`);
    expect(finished.steps.find((s: { id: string }) => s.id === 'fix_code').status).toBe('skipped');
    // What it did (diagnose) is undone: the rollback restores the stage's timeout.
    expect(actionsOf(run.id).at(-1)).toBe('restore_timeout');
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');

    // The next run of the agent moves its trust from where it was: the cancel changed nothing.
    const next = await pipelineTimeout('builder-3');
    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${next.workOrderId}/claim`).set(auth(agentKey)).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${next.workOrderId}/complete`)
      .set(auth(agentKey))
      .send({ claimToken, testsPassed: true, summary: 'fixed' })
      .expect(200);
    expect((await done(next.run.id)).status).toBe('succeeded');
    const trust = await eventually(async () => {
      const a = await get('/routing/agents/builder-3');
      return a.trustHistory.some((h: { runId: string }) => h.runId === next.run.id) ? a : null;
    }, 'trust to move');
    expect(trust.trustHistory.map((h: { runId: string }) => h.runId)).toEqual([next.run.id]);
    expect(trust.trustHistory[0]).toMatchObject({ previousTrust: 0.75, outcome: 'succeeded' });
  });

  it("POST /patches/trigger: the seed's three checks", async () => {
    const trigger = (errorType: string, description: string) =>
      app.http.post('/patches/trigger').set(auth(operator)).send({ errorType, description, filePath: 'src/app.ts' });
    const db = (
      await trigger('database_connection', 'could not connect to server: connection pool exhausted').expect(201)
    ).body;
    expect(db).toMatchObject({ playbookId: 'database_reconnect', escalatedToCoding: false, workOrderId: null });
    expect((await done(db.runId)).status).toBe('succeeded');

    const verification = (
      await trigger('verification_failed', 'output failed verification: 3 tests failed').expect(201)
    ).body;
    expect(verification).toMatchObject({
      playbookId: 'verification_fix',
      status: 'awaiting_patch',
      escalatedToCoding: true,
      workOrderId: expect.any(String),
    });
    const order = await get(`/patches/work-orders/${verification.workOrderId}`, agentKey);
    expect(order.context.filePath).toBe('src/app.ts');
    expect(order.description).toContain('output failed verification');

    cause = 'code';
    const pipeline = (await trigger('pipeline_timeout', 'stage build timed out after 900 s').expect(201)).body;
    expect(pipeline).toMatchObject({
      playbookId: 'pipeline_timeout_fix',
      escalatedToCoding: true,
      workOrderId: expect.any(String),
    });
    cause = 'environment';
    const config = (await trigger('pipeline_timeout', 'stage build timed out after 900 s').expect(201)).body;
    expect(config).toMatchObject({ playbookId: 'pipeline_timeout_fix', escalatedToCoding: false, workOrderId: null });
    const configRun = await done(config.runId);
    expect(configRun.steps.map((s: { id: string; status: string }) => [s.id, s.status]).slice(0, 4)).toEqual([
      ['diagnose', 'succeeded'],
      ['extend_stage_timeout', 'succeeded'],
      ['rerun_stage', 'succeeded'],
      ['fix_code', 'skipped'],
    ]);

    const bad = await app.http.post('/patches/trigger').set(auth(operator)).send({ description: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('invalid fields: description, errorType');
    expect(
      (await app.http.post('/patches/trigger').set(auth(agentKey)).send({ errorType: 'x', description: 'y' })).status,
    ).toBe(403);
    // An operator withdraws the verification work order: its run stops waiting, canceled.
    await app.http
      .post(`/patches/work-orders/${verification.workOrderId}/cancel`)
      .set(auth(operator))
      .send({ reason: 'fixed by hand' })
      .expect(200);
    const canceled = await done(verification.runId);
    expect(canceled.status).toBe('canceled');
    expect(JSON.stringify(canceled.transitions)).toContain(`who canceled work order ${verification.workOrderId}`);
  });
});
