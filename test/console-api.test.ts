import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { resolvedByRun } from '../src/incidents/lifecycle/resolve-incident/resolve-incident.command.js';
import { uuidv7 } from '../src/platform/ids/uuid-v7.js';
import { latencyEscalation } from './support/signals.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

/** The server side of issue 25: superseded reviews, 409s, filters, names, evidence lifecycle, the loop-health series. */
describe('console API (issue 25)', () => {
  let app: TestApp;
  const auth = { Authorization: `Bearer ${ADMIN_KEY}` };
  const report = async (body: Record<string, unknown>) =>
    (await app.http.post('/incidents').set(auth).send(body).expect(201)).body as { id: string; createdAt: string };
  const pendingRecovery = (incidentId: string) =>
    eventually(
      async () => (await app.http.get('/recoveries').query({ incidentId }).set(auth).expect(200)).body.items[0],
      `a recovery for ${incidentId}`,
    );

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('a recovery waiting for review on an incident that gets resolved is superseded, recorded, and cannot be approved', async () => {
    const { id } = await report({
      errorType: 'SchemaMismatchError',
      message: 'schema mismatch on orders',
      agentId: 'agent-q',
      capability: 'orders',
    });
    const recovery = await pendingRecovery(id);
    expect(recovery).toMatchObject({
      status: 'pending_review',
      agentId: 'agent-q',
      capability: 'orders',
      playbookName: 'Data fix',
      incident: { title: expect.any(String), status: 'open' },
    });
    expect(recovery.patternTemplate).toContain('schema');

    await app.http.post(`/incidents/${id}/resolve`).set(auth).send({ note: 'fixed upstream' }).expect(200);
    const superseded = await eventually(async () => {
      const r = (await app.http.get(`/recoveries/${recovery.id}`).set(auth).expect(200)).body;
      return r.status === 'superseded' ? r : null;
    }, 'the recovery superseded');
    expect(superseded.decidedBy).toBe('incident resolved');
    const [action] = await app.sql(
      `SELECT action, actor, note FROM recovery_actions WHERE recovery_id = $1 AND action = 'superseded'`,
      [recovery.id],
    );
    expect(action.note).toMatch(/incident resolved by .* at /);
    const queue = (await app.http.get('/recoveries').query({ status: 'pending_review' }).set(auth).expect(200)).body
      .items;
    expect(queue.map((r: { id: string }) => r.id)).not.toContain(recovery.id);
    await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth).send({}).expect(409);
    const timeline = (await app.http.get(`/incidents/${id}/timeline`).set(auth).expect(200)).body.items;
    expect(timeline.some((t: { summary: string }) => /left the review queue/.test(t.summary))).toBe(true);
  });

  it('approving a recovery whose incident was just resolved (before the supersede ran) is a 409 naming why', async () => {
    const { id } = await report({
      errorType: 'SchemaMismatchError',
      message: 'schema mismatch on invoices',
      agentId: 'agent-q',
    });
    const recovery = await pendingRecovery(id);
    // Resolved in the database directly, so the outbox has not superseded it yet.
    await app.sql(
      `UPDATE incidents SET status = 'resolved', resolved_at = now(), resolved_by = 'monitoring' WHERE id = $1`,
      [id],
    );
    const answer = await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth).send({}).expect(409);
    expect(answer.body.message).toMatch(/resolved by monitoring/);
    // Only an approval asks after the incident: rejecting it is allowed, and recorded.
    const rejected = await app.http.post(`/recoveries/${recovery.id}/reject`).set(auth).send({}).expect(200);
    expect(rejected.body.status).toBe('rejected');
  });

  it('an approval racing a resolve of its incident is a 409 and starts no run', async () => {
    const { id } = await report({
      errorType: 'SchemaMismatchError',
      message: 'schema mismatch on shipments',
      agentId: 'agent-race',
    });
    const recovery = await pendingRecovery(id);
    await eventually(
      async () => (await app.sql(`SELECT count(*)::int AS n FROM outbox_events WHERE processed_at IS NULL`))[0].n === 0,
      'the outbox to drain',
    );
    // The resolve's decision is written at its COMMIT: holding writes to `decisions` keeps it
    // between its UPDATE of the incident and its commit, the incident's row locked and still open
    // to any read that does not wait for that lock.
    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE decisions IN SHARE ROW EXCLUSIVE MODE`);
      const blockerPid = (blocker as unknown as { processID: number }).processID;
      const waitingPids = async () =>
        (
          await app.sql<{ pid: number }>(
            `WITH RECURSIVE behind(pid) AS (
               SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))
               UNION SELECT a.pid FROM pg_stat_activity a, behind b WHERE b.pid = ANY(pg_blocking_pids(a.pid)))
             SELECT pid FROM behind`,
            [blockerPid],
          )
        ).map((r) => r.pid);
      // Both sent now (then), answered once the writes go.
      const resolveRequest = app.http
        .post(`/incidents/${id}/resolve`)
        .set(auth)
        .send({ note: 'fixed by hand' })
        .then((r) => r);
      await eventually(async () => {
        try {
          await app.sql(`SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE NOWAIT`, [id]);
          return false;
        } catch (e) {
          if ((e as { code?: string }).code !== '55P03') throw e;
          return true; // lock_not_available: the resolve holds the row
        }
      }, 'the resolve to hold the incident');
      const before = new Set(await waitingPids());
      const approveRequest = app.http
        .post(`/recoveries/${recovery.id}/approve`)
        .set(auth)
        .send({})
        .then((r) => r);
      // The approval has read what it reads and waits (on the incident, or on the writes held).
      await eventually(
        async () => (await waitingPids()).some((pid) => !before.has(pid)),
        'the approval to wait behind the resolve',
      );
      await blocker.query('COMMIT');
      const [resolved, approved] = await Promise.all([resolveRequest, approveRequest]);
      expect(resolved.status).toBe(200);
      expect(approved.status).toBe(409);
      expect(approved.body.message).toMatch(/was resolved by/);
    } finally {
      await blocker.end();
    }
    expect(await app.sql(`SELECT id FROM recovery_runs WHERE incident_id = $1`, [id])).toEqual([]);
    await eventually(
      async () => (await app.http.get(`/recoveries/${recovery.id}`).set(auth).expect(200)).body.status === 'superseded',
      'the recovery superseded',
    );
  });

  it('acknowledging a resolved incident is a 409', async () => {
    const { id } = await report({ errorType: 'TimeoutError', message: 'timeout calling search' });
    await app.http.post(`/incidents/${id}/resolve`).set(auth).send({}).expect(200);
    const answer = await app.http.post(`/incidents/${id}/acknowledge`).set(auth).send({}).expect(409);
    expect(answer.body.message).toMatch(/is resolved/);
  });

  it('filters recoveries and runs server-side by agent, capability, status and time', async () => {
    await report({
      errorType: 'SchemaMismatchError',
      message: 'schema mismatch on carts',
      agentId: 'agent-f',
      capability: 'carts',
    });
    const mine = await eventually(async () => {
      const items = (
        await app.http.get('/recoveries').query({ agentId: 'agent-f', capability: 'carts' }).set(auth).expect(200)
      ).body.items;
      return items.length === 1 ? items : null;
    }, 'the recovery of agent-f');
    expect(mine[0].agentId).toBe('agent-f');
    expect(
      (await app.http.get('/recoveries').query({ agentId: 'agent-f', capability: 'other' }).set(auth).expect(200)).body
        .items,
    ).toEqual([]);
    expect(
      (
        await app.http
          .get('/recoveries')
          .query({ since: new Date(Date.now() + 60_000).toISOString() })
          .set(auth)
          .expect(200)
      ).body.items,
    ).toEqual([]);
    const approved = (await app.http.post(`/recoveries/${mine[0].id}/approve`).set(auth).send({}).expect(200)).body;
    expect(approved.playbookName).toBe('Data fix');
    const runs = (await app.http.get('/runs').query({ capability: 'carts', trigger: 'manual' }).set(auth).expect(200))
      .body.items;
    expect(runs.map((r: { id: string }) => r.id)).toEqual([approved.id]);
    expect(runs[0]).toMatchObject({ playbookName: 'Data fix', cancelable: true, incidentTitle: expect.any(String) });
    expect(
      (await app.http.get('/runs').query({ capability: 'carts', trigger: 'automatic' }).set(auth).expect(200)).body
        .items,
    ).toEqual([]);
    await app.http.get('/runs').query({ trigger: 'sometimes' }).set(auth).expect(400);
  });

  it('the evidence says where the incident and its recovery stand now: lifecycle, time to resolve, the recovery applied', async () => {
    const { id } = await report({
      errorType: 'SchemaMismatchError',
      message: 'schema mismatch on payments',
      agentId: 'agent-e',
    });
    const recovery = await pendingRecovery(id);
    await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth).send({}).expect(200);
    await app.http.post(`/incidents/${id}/resolve`).set(auth).send({}).expect(200);
    const evidence = (await app.http.get(`/incidents/${id}/evidence`).set(auth).expect(200)).body;
    expect(evidence.lifecycle).toMatchObject({
      status: 'resolved',
      resolvedBy: expect.stringMatching(/bootstrap admin/),
    });
    expect(evidence.lifecycle.timeToResolveMs).toBeGreaterThanOrEqual(0);
    expect(evidence.recoveries).toEqual([
      expect.objectContaining({ id: recovery.id, status: 'applied', playbookName: 'Data fix' }),
    ]);
    await eventually(
      async () => (await app.http.get(`/integration/loop/${id}`).set(auth)).body.details?.recovery_suggested,
      'the recovery stage recorded',
    );
    const again = (await app.http.get(`/incidents/${id}/evidence`).set(auth).expect(200)).body;
    expect(again.loop.details.recovery_suggested.status).toBe('applied');
    const md = (await app.http.get(`/incidents/${id}/evidence?format=md`).set(auth).expect(200)).text;
    expect(md).toMatch(/\| Status \| resolved \|/);
    expect(md).toMatch(/\| Time to resolve \| \d+ ms/);
    expect(md).toMatch(/## Recoveries[\s\S]*\| applied \|/);
    expect(md).not.toMatch(/pending\\_review/);
  });

  it('GET /integration/stats/loop-health aggregates stored rows per bucket', async () => {
    // Stored data placed in known past buckets: two incidents 5 h ago (one resolved 10 min after it occurred), and an auto-applied run that failed 3 h ago.
    const hour = 3_600_000;
    const now = Date.now(); // once: an hour turning during the test must not shift the buckets
    const bucketStart = (hoursAgo: number) => new Date(Math.floor((now - hoursAgo * hour) / hour) * hour);
    const t5 = new Date(bucketStart(5).getTime() + 60_000);
    const a = await report({
      errorType: 'OutOfMemoryError',
      message: 'heap out of memory in ranker',
      agentId: 'agent-h',
    });
    const b = await report({
      errorType: 'OutOfMemoryError',
      message: 'heap out of memory in ranker',
      agentId: 'agent-h',
    });
    await app.sql(`UPDATE incidents SET created_at = $2, occurred_at = $2 WHERE id = ANY($1::uuid[])`, [
      [a.id, b.id],
      t5,
    ]);
    await app.sql(
      `UPDATE incidents SET status = 'resolved', resolved_at = $2::timestamptz + interval '10 minutes', resolved_by = 'monitoring' WHERE id = $1`,
      [a.id, t5],
    );
    const run = (await app.http.get('/runs').query({ limit: 1 }).set(auth).expect(200)).body.items[0];
    const t3 = new Date(bucketStart(3).getTime() + 60_000);
    // Its verdict came 3 h ago; its rollback, waiting for a person, finished an hour later: the verdict counts when it came.
    const t2 = new Date(bucketStart(2).getTime() + 60_000);
    await app.sql(
      `UPDATE recovery_runs SET automatic = true, status = 'rolled_back', verdict = 'failed', verdict_at = $2, phase = 'done', created_at = $2, finished_at = $3 WHERE id = $1`,
      [run.id, t3, t2],
    );

    const health = (await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(auth).expect(200))
      .body;
    expect(health.buckets).toHaveLength(24);
    const at = (d: Date) => health.buckets.find((x: { start: string }) => x.start === d.toISOString());
    expect(at(bucketStart(5))).toMatchObject({ incidents: 2, mttrP50Ms: 600_000, mttrP90Ms: 600_000 });
    expect(at(bucketStart(3))).toMatchObject({
      autoApplySuccessRate: 0,
      autoApplyVerdicts: 1,
      runs: expect.objectContaining({ rolled_back: 1 }),
    });
    expect(at(bucketStart(2))).toMatchObject({ autoApplySuccessRate: null, autoApplyVerdicts: 0 });
    expect(at(bucketStart(4))).toMatchObject({ incidents: 0, mttrP50Ms: null, autoApplySuccessRate: null });
    expect(health.autoApplySuccessTarget).toBe(0.9);
    await app.http.get('/integration/stats/loop-health').query({ range: '1y' }).set(auth).expect(400);
  });

  it('loop-health counts an escalation as resolved by a run only when a run resolved it, not an operator key named "run …"', async () => {
    const created = await app.http
      .post('/admin/api-keys')
      .set(auth)
      .send({ tenantId: 'desk', name: 'run desk', role: 'operator' })
      .expect(201);
    const desk = { Authorization: `Bearer ${created.body.key}` };
    const byKey = await latencyEscalation(app, created.body.key, 'agent-desk-1');
    const byRun = await latencyEscalation(app, created.body.key, 'agent-desk-2');
    const resolved = (await app.http.post(`/incidents/${byKey}/resolve`).set(desk).send({}).expect(200)).body;
    expect(resolved.resolvedBy).toMatch(/^run desk \(/);
    // As a verified automatic run no person acted in resolves one (resolvedBy `run <run id>`), at the same instant.
    await app.sql(
      `UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3, run_person_acted = false WHERE id = $1`,
      [byRun, resolved.resolvedAt, resolvedByRun(uuidv7())],
    );

    const health = (await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(desk).expect(200))
      .body;
    const at = Date.parse(resolved.resolvedAt);
    const bucket = health.buckets.find(
      (b: { start: string }) => Date.parse(b.start) <= at && at < Date.parse(b.start) + health.bucketMs,
    );
    // Of the two escalations resolved, one without a person: the run's.
    expect(bucket.escalationsWithoutPersonRate).toBe(0.5);
    const [{ to_fix }] = await app.sql(
      `SELECT extract(epoch FROM resolved_at - created_at) * 1000 AS to_fix FROM incidents WHERE id = $1`,
      [byRun],
    );
    expect(bucket.detectionToFixP50Ms).toBe(Math.round(Number(to_fix)));
  });

  it("counts repeats after policy while the pattern's policy is active, from an admin's activation to its disable", async () => {
    const admin = { Authorization: `Bearer ${await app.keyFor('repeats', 'admin')}` };
    const incident = async (n: number) => {
      const { id } = (
        await app.http
          .post('/incidents')
          .set(admin)
          .send({ errorType: 'QuotaError', message: `tenant quota exceeded on bucket b-${n}`, agentId: 'agent-rp' })
          .expect(201)
      ).body;
      return eventually(async () => {
        const loop = (await app.http.get(`/integration/loop/${id}`).set(admin).expect(200)).body;
        return loop.isComplete ? loop : null;
      }, `loop of incident ${n} to complete`);
    };
    const repeats = async () =>
      (
        await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(admin).expect(200)
      ).body.buckets.reduce(
        (n: number, b: { repeatIncidentsAfterPolicy: number }) => n + b.repeatIncidentsAfterPolicy,
        0,
      );

    const first = await incident(1);
    const { policyId } = first.details.policy_generated;
    expect(first.details.policy_generated.status).toBe('draft');
    await app.http.post(`/policies/${policyId}/activate`).set(admin).expect(200);
    const second = await incident(2);
    expect(second.details.pattern_matched.patternId).toBe(first.details.pattern_matched.patternId);
    expect(await repeats()).toBe(1);

    await app.http.post(`/policies/${policyId}/disable`).set(admin).expect(200);
    await incident(3);
    await incident(4);
    expect(await repeats()).toBe(1);
  });

  it('stops counting repeats after policy once the policy bridge 3 activated is disabled', async () => {
    const admin = { Authorization: `Bearer ${await app.keyFor('repeats-auto', 'admin')}` };
    const incident = async (n: number) => {
      const { id } = (
        await app.http
          .post('/incidents')
          .set(admin)
          .send({
            errorType: 'oom',
            message: `Worker pod ingest-${n}x7 OOMKilled: memory limit 2048Mi`,
            agentId: 'agent-ra',
          })
          .expect(201)
      ).body;
      return eventually(async () => {
        const loop = (await app.http.get(`/integration/loop/${id}`).set(admin).expect(200)).body;
        return loop.isComplete ? loop : null;
      }, `loop of incident ${n} to complete`);
    };
    const repeats = async () =>
      (
        await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(admin).expect(200)
      ).body.buckets.reduce(
        (n: number, b: { repeatIncidentsAfterPolicy: number }) => n + b.repeatIncidentsAfterPolicy,
        0,
      );

    const first = await incident(1);
    // A confident template, applied alone: bridge 3 makes the policy active at the third occurrence.
    await app.http
      .patch(`/catalog/patterns/${first.details.pattern_matched.patternId}`)
      .set(admin)
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    await incident(2);
    const third = await incident(3);
    expect(third.details.policy_generated.status).toBe('active');
    await incident(4);
    expect(await repeats()).toBe(1);

    await app.http.post(`/policies/${third.details.policy_generated.policyId}/disable`).set(admin).expect(200);
    await incident(5);
    expect(await repeats()).toBe(1);
  });
});
