import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const TENANT = 'walk';
const HEADER_SECRET = 'Bearer header-value-7f3a';

interface Entry {
  seq: number;
  actor: string;
  action: string;
  subject: { type: string; id: string };
  before: any;
  after: any;
  reason: string | null;
}

/**
 * Issue 26 §1, "every action produces an entry": each decision that changes what the system does
 * is taken through the real API (a local receiver plays the actuator), and its entry is looked up
 * in the tenant's audit log: action, subject, actor, before → after. The chain then verifies.
 */
describe('every decision is in the audit log', () => {
  let app: TestApp;
  let ops: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'audit-walk-'));
  const keys: Record<'admin' | 'operator' | 'viewer' | 'agent', string> = {
    admin: '',
    operator: '',
    viewer: '',
    agent: '',
  };
  const keyIds: Record<string, string> = {};
  const seen: string[] = [];

  const get = async (path: string, key = keys.operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  const log = async (key = keys.viewer): Promise<Entry[]> => {
    const entries: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Entry[]; nextCursor: string | null } = await get(
        `/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        key,
      );
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return entries;
  };
  /** The first entry of `action` on `subject`; waits for it (the relay and the run engine take decisions too). */
  const entryOf = async (action: string, subjectId?: string, key = keys.viewer): Promise<Entry> => {
    seen.push(action);
    return eventually(
      async () =>
        (await log(key))
          .reverse()
          .find((e) => e.action === action && (subjectId === undefined || e.subject.id === subjectId)),
      `audit entry ${action} ${subjectId ?? ''}`,
    );
  };
  const done = (runId: string) =>
    eventually(async () => {
      const r = await get(`/runs/${runId}`);
      return r.phase === 'done' ? r : null;
    }, `run ${runId} to finish`);
  /** A key's id; ADMIN_API_KEY's, which keeps none of itself in the clear, by its bootstrap name. */
  const keyIdOf = async (key: string) => {
    const listed = (await get('/admin/api-keys', ADMIN_KEY)).items as Array<{
      id: string;
      name: string;
      keyPrefix: string;
    }>;
    return listed.find((k) =>
      key === ADMIN_KEY ? k.name === 'bootstrap admin (ADMIN_API_KEY)' : key.startsWith(k.keyPrefix),
    )!.id;
  };

  beforeAll(async () => {
    ops = await startWebhookReceiver((_c, res) => res.end('{"healthy":true,"passed":true}'));
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '200',
      OUTBOX_POLL_INTERVAL_MS: '200',
      RECOVERY_REVIEW_TTL_MS: '0',
    });
    for (const role of ['admin', 'operator', 'viewer', 'agent'] as const) {
      keys[role] = await app.keyFor(TENANT, role);
      keyIds[role] = await keyIdOf(keys[role]);
    }
  });
  afterAll(async () => {
    await app.stop();
    await ops.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('API keys created and revoked, by the platform admin', async () => {
    const admin = await keyIdOf(ADMIN_KEY);
    expect(await entryOf('api_key.created', keyIds.viewer)).toMatchObject({
      actor: admin,
      after: { role: 'viewer', revoked: false },
    });
    const spare = await app.keyFor(TENANT, 'viewer');
    const spareId = await keyIdOf(spare);
    await app.http.delete(`/admin/api-keys/${spareId}`).set(auth(ADMIN_KEY)).expect(204);
    expect(await entryOf('api_key.revoked', spareId)).toMatchObject({
      actor: admin,
      before: { revoked: false },
      after: { revoked: true },
    });
  });

  it('console sessions created and ended', async () => {
    const signIn = await app.http.post('/auth/session').send({ apiKey: keys.operator }).expect(201);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    const created = await entryOf('session.created');
    expect(created).toMatchObject({ actor: keyIds.operator, subject: { type: 'session' } });
    await app.http
      .delete('/auth/session')
      .set('Cookie', cookie)
      .set('Origin', new URL(app.url).origin) // as a browser sends it: a cookie write needs this server's Origin
      .expect(204);
    expect(await entryOf('session.ended', created.subject.id)).toMatchObject({ actor: keyIds.operator });
  });

  it("flags (a global one in the platform admin's tenant), the kill switch, guardrails, signal settings", async () => {
    await app.http
      .put('/integration/flags/bridge_5')
      .set(auth(keys.admin))
      .send({ enabled: false, scope: 'tenant' })
      .expect(200);
    await app.http
      .put('/integration/flags/bridge_5')
      .set(auth(keys.admin))
      .send({ enabled: true, scope: 'tenant' })
      .expect(200);
    expect(await entryOf('flag.changed', 'bridge_5')).toMatchObject({
      actor: keyIds.admin,
      before: { scope: 'tenant', enabled: null },
      after: { scope: 'tenant', enabled: false },
    });
    await app.http
      .put('/integration/flags/bridge_4')
      .set(auth(ADMIN_KEY))
      .send({ enabled: true, scope: 'global' })
      .expect(200);
    expect(await entryOf('flag.changed', 'bridge_4', ADMIN_KEY)).toMatchObject({
      after: { scope: 'global', enabled: true },
    });

    await app.http
      .post('/guard/killswitch')
      .set(auth(keys.admin))
      .send({ agentId: 'agent-k', reason: 'duplicate refunds' })
      .expect(200);
    await app.http.delete('/guard/killswitch?agentId=agent-k&reason=fixed').set(auth(keys.admin)).expect(200);
    expect(await entryOf('killswitch.activated', 'agent-k')).toMatchObject({
      actor: keyIds.admin,
      before: null,
      after: { active: true, reason: 'duplicate refunds' },
    });
    expect(await entryOf('killswitch.deactivated', 'agent-k')).toMatchObject({
      before: { active: true },
      after: { active: false, reason: 'fixed' },
    });

    await app.http
      .put('/self-healing/guardrails')
      .set(auth(keys.admin))
      .send({ maxAutomaticRunsPerHour: 50 })
      .expect(200);
    expect(await entryOf('guardrails.changed', TENANT)).toMatchObject({
      actor: keyIds.admin,
      before: null,
      after: { maxAutomaticRunsPerHour: 50 },
    });

    await app.http.put('/signals/settings').set(auth(keys.admin)).send({ symptomCount: 4 }).expect(200);
    expect(await entryOf('signal_settings.changed', TENANT)).toMatchObject({
      before: { symptomCount: 3 },
      after: { symptomCount: 4 },
    });
  });

  it('actuators created, updated and deleted, never with their secret or header values', async () => {
    const created = (
      await app.http
        .put('/actuators/ops')
        .set(auth(keys.admin))
        .send({ url: `${ops.url}/ops?token=q-secret`, headers: { authorization: HEADER_SECRET } })
        .expect(201)
    ).body;
    ops.setSecret(created.secret);
    await app.http
      .put('/actuators/ops')
      .set(auth(keys.admin))
      .send({ url: `${ops.url}/ops`, timeoutMs: 5000 })
      .expect(200);
    await app.http
      .put('/actuators/spare')
      .set(auth(keys.admin))
      .send({ url: `${ops.url}/spare` })
      .expect(201);
    await app.http.delete('/actuators/spare').set(auth(keys.admin)).expect(204);
    expect(await entryOf('actuator.created', 'ops')).toMatchObject({
      actor: keyIds.admin,
      after: { urlOrigin: ops.url, headerNames: ['authorization'], secretRotated: true },
    });
    const updated = await entryOf('actuator.updated', 'ops');
    expect(updated).toMatchObject({
      after: { timeoutMs: 5000, headerNames: ['authorization'], secretRotated: false, urlReplaced: true },
    });
    // The URL is fingerprinted with its query's values masked: viewers read the log, and a short
    // token could be guessed back from a hash of it.
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(updated.before.urlSha256).toBe(sha256(`${ops.url}/ops?token=…`));
    expect(updated.before.urlSha256).not.toBe(sha256(`${ops.url}/ops?token=q-secret`));
    expect(await entryOf('actuator.deleted', 'spare')).toMatchObject({ before: { urlOrigin: ops.url } });
    const text = JSON.stringify(await log(keys.admin));
    for (const secret of [HEADER_SECRET, created.secret, 'q-secret']) expect(text).not.toContain(secret);
  });

  it('recoveries (all but expired), a run verdict, trust, policies generated, routing adjusted; incidents acknowledged and resolved', async () => {
    await app.http
      .put('/routing/agents/agent-w1')
      .set(auth(keys.admin))
      .send({ capabilities: ['ingest'], baseConfidence: 0.75 })
      .expect(200);
    await app.http
      .put('/routing/agents/agent-w1')
      .set(auth(keys.admin))
      .send({ capabilities: ['ingest'], baseConfidence: 0.7 })
      .expect(200);
    expect(await entryOf('agent.registered', 'agent-w1')).toMatchObject({
      actor: keyIds.admin,
      after: { baseConfidence: 0.75 },
    });
    expect(await entryOf('agent.updated', 'agent-w1')).toMatchObject({
      before: { baseConfidence: 0.75 },
      after: { baseConfidence: 0.7 },
    });

    const oom = (agentId: string, n: number) =>
      app.http
        .post('/incidents')
        .set(auth(keys.operator))
        .send({
          errorType: 'OutOfMemoryError',
          message: `Worker pod ingest-${n} OOMKilled: container exceeded memory limit 2048Mi`,
          agentId,
          capability: 'ingest',
        })
        .expect(201);
    const first = (await oom('agent-w1', 1)).body.id;
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${first}`)).items[0],
      'the recovery',
    );
    expect(await entryOf('recovery.suggested', recovery.id)).toMatchObject({
      actor: 'system',
      after: { incidentId: first, status: 'pending_review', playbookId: 'memory_cleanup' },
      reason: expect.stringMatching(/queued for review/),
    });
    const policy = await entryOf('policy.generated');
    expect(policy).toMatchObject({ actor: 'system', subject: { type: 'policy' }, after: { status: 'draft' } });
    expect(await entryOf('routing.adjusted', policy.subject.id)).toMatchObject({
      after: { adjustments: [expect.objectContaining({ agentId: 'agent-w1' })] },
    });

    const run = (
      await app.http
        .post(`/recoveries/${recovery.id}/approve`)
        .set(auth(keys.operator))
        .send({ note: 'looks right' })
        .expect(200)
    ).body;
    expect(await entryOf('recovery.approved', recovery.id)).toMatchObject({
      actor: keyIds.operator,
      before: { status: 'pending_review' },
      after: { status: 'applied', runId: run.id },
      reason: 'looks right',
    });
    expect((await done(run.id)).status).toBe('succeeded');
    expect(await entryOf('run.succeeded', run.id)).toMatchObject({
      actor: 'system',
      after: { recoveryId: recovery.id, agentId: 'agent-w1' },
    });
    // The verified run resolved its incident: that is its verdict's entry, not one of its own.
    expect((await app.http.get(`/incidents/${first}`).set(auth(keys.viewer)).expect(200)).body.status).toBe('resolved');
    expect((await log(keys.viewer)).filter((e) => e.action === 'incident.resolved' && e.subject.id === first)).toEqual(
      [],
    );
    expect(await entryOf('trust.changed', 'agent-w1')).toMatchObject({
      before: { capability: 'ingest', trust: 0.7 },
      after: { capability: 'ingest', evidence: { runId: run.id, outcome: 'succeeded' } },
      reason: expect.stringContaining(run.id),
    });

    await app.http
      .patch(`/catalog/patterns/${recovery.patternId}`)
      .set(auth(keys.admin))
      .send({ autoApplyRecovery: true, recoveryTemplate: { playbookId: 'memory_cleanup' } })
      .expect(200);
    expect(await entryOf('pattern.updated', recovery.patternId)).toMatchObject({
      actor: keyIds.admin,
      before: { autoApplyRecovery: false, recoveryTemplate: null },
      after: { autoApplyRecovery: true, recoveryTemplate: { playbookId: 'memory_cleanup' } },
    });
    const second = (await oom('agent-w2', 2)).body.id;
    const applied = await eventually(
      async () => (await get(`/recoveries?incidentId=${second}`)).items[0],
      'the second recovery',
    );
    expect(applied.status).toBe('applied');
    expect(await entryOf('recovery.applied', applied.id)).toMatchObject({
      actor: 'auto-apply',
      after: { status: 'applied', runId: expect.any(String) },
    });

    const timeout = (
      await app.http
        .post('/incidents')
        .set(auth(keys.operator))
        .send({ errorType: 'TimeoutError', message: 'upstream call timed out after 30000 ms', agentId: 'agent-w3' })
        .expect(201)
    ).body.id;
    const other = await eventually(
      async () => (await get(`/recoveries?incidentId=${timeout}`)).items[0],
      'the timeout recovery',
    );
    await app.http
      .post(`/recoveries/${other.id}/reject`)
      .set(auth(keys.operator))
      .send({ note: 'not this one' })
      .expect(200);
    expect(await entryOf('recovery.rejected', other.id)).toMatchObject({
      actor: keyIds.operator,
      after: { status: 'rejected' },
      reason: 'not this one',
    });

    const limited = (
      await app.http
        .post('/incidents')
        .set(auth(keys.operator))
        .send({
          errorType: 'RateLimitError',
          message: 'rate limit exceeded: 429 from billing-api',
          agentId: 'agent-w5',
        })
        .expect(201)
    ).body.id;
    const pending = await eventually(
      async () => (await get(`/recoveries?incidentId=${limited}`)).items[0],
      'the rate-limit recovery',
    );
    await app.http.post(`/incidents/${limited}/acknowledge`).set(auth(keys.operator)).expect(200);
    expect(await entryOf('incident.acknowledged', limited)).toMatchObject({
      actor: keyIds.operator,
      before: { status: 'open', acknowledgedAt: null },
      after: { status: 'open', acknowledgedAt: expect.any(String) },
      reason: null,
    });
    await app.http.post(`/incidents/${limited}/acknowledge`).set(auth(keys.operator)).expect(409);
    await app.http
      .post(`/incidents/${limited}/resolve`)
      .set(auth(keys.operator))
      .send({ note: 'went away' })
      .expect(200);
    expect(await entryOf('incident.resolved', limited)).toMatchObject({
      actor: keyIds.operator,
      before: null,
      after: { status: 'resolved', resolvedAt: expect.any(String), mttrMs: expect.any(Number) },
      reason: expect.stringMatching(/^resolved by .+: went away$/),
    });
    await app.http.post(`/incidents/${limited}/resolve`).set(auth(keys.operator)).send({}).expect(409);
    // Each once: what was refused (acknowledged or resolved twice) is not in the log.
    expect(
      (await get(`/audit?subjectType=incident&subjectId=${limited}`, keys.viewer)).items.map((e: Entry) => e.action),
    ).toEqual(['incident.resolved', 'incident.acknowledged']);
    expect(await entryOf('recovery.superseded', pending.id)).toMatchObject({
      actor: 'system',
      before: { status: 'pending_review' },
      after: { status: 'superseded' },
      reason: expect.stringMatching(/incident resolved by/),
    });
  });

  it('policies created, activated and disabled by an admin', async () => {
    const policy = (
      await app.http
        .post('/policies')
        .set(auth(keys.admin))
        .send({
          name: 'no refunds',
          category: 'safety',
          action: 'block',
          scope: 'tenant',
          condition: 'request.capability == "refunds"',
        })
        .expect(201)
    ).body;
    await app.http.post(`/policies/${policy.id}/activate`).set(auth(keys.admin)).expect(200);
    await app.http.post(`/policies/${policy.id}/disable`).set(auth(keys.admin)).expect(200);
    expect(await entryOf('policy.created', policy.id)).toMatchObject({
      actor: keyIds.admin,
      after: { name: 'no refunds', status: 'draft' },
    });
    expect(await entryOf('policy.activated', policy.id)).toMatchObject({
      actor: keyIds.admin,
      before: { status: 'draft' },
      after: { status: 'active' },
    });
    expect(await entryOf('policy.disabled', policy.id)).toMatchObject({
      actor: keyIds.admin,
      before: { status: 'active' },
      after: { status: 'disabled' },
    });
  });

  it('work orders created, claimed, completed, failed, canceled; runs failed, rolled back, canceled', async () => {
    const trigger = async () =>
      (
        await app.http
          .post('/patches/trigger')
          .set(auth(keys.operator))
          .send({ errorType: 'verification_failed', description: 'output failed verification' })
          .expect(201)
      ).body;
    const fixed = await trigger();
    expect(await entryOf('work_order.created', fixed.workOrderId)).toMatchObject({
      actor: 'system',
      before: null,
      after: { status: 'queued', runId: fixed.runId },
    });
    const claim = async (id: string) =>
      (await app.http.post(`/patches/work-orders/${id}/claim`).set(auth(keys.agent)).expect(200)).body
        .claimToken as string;
    let token = await claim(fixed.workOrderId);
    expect(await entryOf('work_order.claimed', fixed.workOrderId)).toMatchObject({
      actor: keyIds.agent,
      before: { status: 'queued' },
      after: { status: 'claimed' },
    });
    await app.http
      .post(`/patches/work-orders/${fixed.workOrderId}/complete`)
      .set(auth(keys.agent))
      .send({ claimToken: token, testsPassed: true, filesChanged: ['src/app.ts'], summary: 'fixed the check' })
      .expect(200);
    expect(await entryOf('work_order.completed', fixed.workOrderId)).toMatchObject({
      actor: keyIds.agent,
      after: { status: 'completed', testsPassed: true, filesChanged: ['src/app.ts'] },
    });
    expect((await done(fixed.runId)).status).toBe('succeeded');

    const failing = await trigger();
    token = await claim(failing.workOrderId);
    await app.http
      .post(`/patches/work-orders/${failing.workOrderId}/fail`)
      .set(auth(keys.agent))
      .send({ claimToken: token, reason: 'cannot reproduce' })
      .expect(200);
    expect(await entryOf('work_order.failed', failing.workOrderId)).toMatchObject({
      actor: keyIds.agent,
      after: { status: 'failed' },
      reason: expect.stringContaining('cannot reproduce'),
    });
    expect((await done(failing.runId)).status).toBe('rolled_back');
    expect(await entryOf('run.failed', failing.runId)).toMatchObject({ actor: 'system', after: { status: 'failed' } });
    expect(await entryOf('run.rolled_back', failing.runId)).toMatchObject({
      before: { status: 'failed' },
      after: { status: 'rolled_back' },
    });

    const dropped = await trigger();
    await app.http.post(`/runs/${dropped.runId}/cancel`).set(auth(keys.operator)).expect(202);
    expect((await done(dropped.runId)).status).toBe('canceled');
    expect(await entryOf('run.cancel_requested', dropped.runId)).toMatchObject({
      actor: keyIds.operator,
      after: { cancelRequestedBy: expect.stringContaining(keyIds.operator) },
    });
    expect(await entryOf('run.canceled', dropped.runId)).toMatchObject({ actor: keyIds.operator });
    expect(await entryOf('work_order.canceled', dropped.workOrderId)).toMatchObject({
      actor: 'system',
      after: { status: 'canceled' },
    });
  });

  it('runs a person starts by hand (POST /patches/trigger), and the manual steps a person completes', async () => {
    const description = 'flux capacitor of unit 7 drifted';
    const started = (
      await app.http
        .post('/patches/trigger')
        .set(auth(keys.operator))
        .send({ errorType: 'QuarkDrift', description })
        .expect(201)
    ).body;
    expect(started).toMatchObject({ playbookId: 'investigate', status: 'awaiting_operator' });
    const ofRun = async () =>
      ((await get(`/audit?subjectType=run&subjectId=${started.runId}`, keys.viewer)).items as Entry[]).map(
        ({ actor, action, before, after, reason }) => ({ actor, action, before, after, reason }),
      );
    const runStarted = {
      actor: keyIds.operator,
      action: 'run.started',
      before: null,
      after: {
        status: 'queued',
        playbookId: 'investigate',
        params: {},
        problem: { description, errorType: 'QuarkDrift', filePath: null },
      },
      reason: description,
    };
    expect(await entryOf('run.started', started.runId)).toMatchObject(runStarted);
    expect(await ofRun()).toEqual([runStarted]);

    await app.http
      .post(`/runs/${started.runId}/steps/collect/complete`)
      .set(auth(keys.operator))
      .send({ outcome: 'succeeded', note: 'logs attached' })
      .expect(200);
    expect(await entryOf('run.step_completed', started.runId)).toMatchObject({ actor: keyIds.operator });
    // Newest first; the run now waits for its next manual step, so nothing else is written meanwhile.
    expect(await ofRun()).toEqual([
      {
        actor: keyIds.operator,
        action: 'run.step_completed',
        before: { status: 'awaiting_operator', stepId: 'collect', stepStatus: 'awaiting_operator' },
        after: { stepId: 'collect', outcome: 'succeeded', stepStatus: 'succeeded', error: null },
        reason: 'logs attached',
      },
      runStarted,
    ]);
  });

  it('recoveries that waited too long expire (another replica, with a review TTL, sweeps them)', async () => {
    const incident = (
      await app.http
        .post('/incidents')
        .set(auth(keys.operator))
        .send({ errorType: 'ConnectionError', message: 'connection refused by db-7 port 5432', agentId: 'agent-w4' })
        .expect(201)
    ).body.id;
    const waiting = await eventually(
      async () => (await get(`/recoveries?incidentId=${incident}`)).items[0],
      'the connection recovery',
    );
    expect(waiting.status).toBe('pending_review');
    const sweeper = await startTestApp(
      { RECOVERY_REVIEW_TTL_MS: '300', OUTBOX_RELAY_ENABLED: 'false', DATA_DIR: dataDir },
      [],
      app.database.url,
    );
    try {
      expect(await entryOf('recovery.expired', waiting.id)).toMatchObject({
        actor: 'system',
        before: { status: 'pending_review' },
        after: { status: 'expired' },
        reason: expect.stringMatching(/RECOVERY_REVIEW_TTL_MS/),
      });
    } finally {
      await sweeper.stop();
    }
  });

  it('walked every action the issue lists, and the chain verifies', async () => {
    const issue26 = [
      'recovery.suggested',
      'recovery.applied',
      'recovery.approved',
      'recovery.rejected',
      'recovery.expired',
      'recovery.superseded',
      'run.succeeded',
      'run.failed',
      'run.rolled_back',
      'run.canceled',
      'trust.changed',
      'pattern.updated',
      'policy.generated',
      'policy.created',
      'policy.activated',
      'policy.disabled',
      'routing.adjusted',
      'killswitch.activated',
      'killswitch.deactivated',
      'flag.changed',
      'guardrails.changed',
      'actuator.created',
      'actuator.updated',
      'actuator.deleted',
      'api_key.created',
      'api_key.revoked',
      'session.created',
      'session.ended',
      'work_order.created',
      'work_order.claimed',
      'work_order.completed',
      'work_order.failed',
      'work_order.canceled',
      'agent.registered',
      'agent.updated',
      'signal_settings.changed',
    ];
    // And the decisions found unrecorded since (a person starting or steering a run, …).
    const since = [
      'run.started',
      'run.step_completed',
      'run.cancel_requested',
      'incident.acknowledged',
      'incident.resolved',
    ];
    expect([...issue26, ...since].filter((a) => !seen.includes(a))).toEqual([]);
    expect(await get('/audit/verify', keys.viewer)).toMatchObject({ ok: true });
    expect(await get('/audit/verify', ADMIN_KEY)).toMatchObject({ ok: true });
  });
});
