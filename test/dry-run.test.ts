import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { connectActuator } from './support/actuators.js';
import { driftingClock } from './support/app-clock.js';
import { finishedRun } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Dry runs (DESIGN §13, issue 27): the plan of a run, from a recovery or a reported problem,
 * without calling anything or changing anything: every table keeps its row count, the receiver
 * hears nothing, and the calls the plan lists are the ones a real run then makes.
 */
describe('dry run', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let viewer: string;

  const get = async (path: string, k = operator) => (await app.http.get(path).set(auth(k)).expect(200)).body;
  /** Every table of the schema with its row count. */
  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await app.sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const counts = await app.sql<{ t: string; n: number }>(
      tables.map((t) => `SELECT '${t.table_name}' AS t, count(*)::int AS n FROM "${t.table_name}"`).join(' UNION ALL '),
    );
    return Object.fromEntries(counts.map((r) => [r.t, r.n]));
  }
  /** Waits until the outbox has nothing left to deliver, so counts are taken at rest. */
  const quiet = () =>
    eventually(
      async () => (await app.sql(`SELECT count(*)::int AS n FROM outbox_events WHERE processed_at IS NULL`))[0].n === 0,
      'the outbox to drain',
    );

  beforeAll(async () => {
    // The checks find the agent healthy; tune_config's canary measures every candidate as passing.
    receiver = await startWebhookReceiver((c, res) => {
      const action = c.json?.params?.action;
      if (action === 'canary_apply') return res.end('{"p95_ms":150,"error_rate":0}');
      res.end(action === 'memory_check' || action === 'latency_check' ? '{"healthy":true}' : '{"ok":true}');
    });
    app = await startTestApp({ ...ALLOW_LOOPBACK, RECOVERY_VERIFY_WINDOW_MS: '300', OUTBOX_POLL_INTERVAL_MS: '200' });
    admin = await app.keyFor('dry', 'admin');
    operator = await app.keyFor('dry', 'operator');
    viewer = await app.keyFor('dry', 'viewer');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 2000 });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it("a recovery's dry run answers the plan, changes no table, calls nothing, and lists the calls the run then makes", async () => {
    const incident = (
      await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({
          errorType: 'OutOfMemoryError',
          message: 'Worker pod ingest-7 OOMKilled: container exceeded memory limit 2048Mi',
          agentId: 'agent-d1',
          capability: 'ingest',
        })
        .expect(201)
    ).body;
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${incident.id}`)).items[0],
      'a recovery',
    );
    // A guardrail that would hold it as an automatic run: a maintenance window that is never open now.
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 3) % 7];
    const holding = { maintenanceWindows: [{ days: [day], start: '00:00', end: '00:01', timeZone: 'UTC' }] };
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send(holding).expect(200);
    await quiet();
    const before = await rowCounts();
    const heard = receiver.calls.length;

    const plan = (await app.http.post(`/recoveries/${recovery.id}/dry-run`).set(auth(viewer)).send({}).expect(200))
      .body;
    expect(plan).toMatchObject({
      dryRun: true,
      playbookId: 'memory_cleanup',
      recoveryId: recovery.id,
      incidentId: incident.id,
      agentId: 'agent-d1',
      capability: 'ingest',
      onFailure: 'pause',
      killSwitch: false,
      guardrails: [
        { guardrail: 'maintenance_window', reason: expect.stringContaining('no maintenance window is open') },
      ],
    });
    expect(plan.steps.map((s: any) => [s.id, s.list, s.runsAs, s.actuator, s.actuatorConfigured])).toEqual([
      ['clear_cache', 'steps', 'webhook', 'ops', true],
      ['reduce_batch', 'steps', 'webhook', 'ops', true],
      ['restart_worker', 'steps', 'webhook', 'ops', true],
      ['memory_ok', 'verify', 'check', 'ops', true],
      ['restore_batch', 'rollback', 'webhook', 'ops', true],
    ]);
    expect(plan.steps[1].params).toEqual({ action: 'reduce_batch', factor: 0.5 });
    expect(plan.notes.join(' ')).toMatch(/guardrails hold automatic runs only: .*; approving it runs it now/);

    await app.http
      .post('/patches/trigger')
      .set(auth(operator))
      .send({
        description: 'nightly pipeline stage build timed out after 900 s',
        errorType: 'pipeline_timeout',
        dryRun: true,
      })
      .expect(200);
    await quiet();
    expect(await rowCounts()).toEqual(before);
    expect(receiver.calls.length).toBe(heard);
    expect((await get(`/recoveries/${recovery.id}`)).status).toBe('pending_review');

    // The run the plan described makes the calls it listed, in its order.
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send({}).expect(200);
    const run = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await eventually(async () => (await get(`/runs/${run.id}`)).phase === 'done', 'the run to finish');
    const made = receiver.calls.filter((c) => c.json?.runId === run.id).map((c) => [c.json.stepId, c.json.params]);
    const planned = plan.calls.filter((c: any) => c.onlyIf === null).map((c: any) => [c.stepId, c.params]);
    expect(made).toEqual(planned);

    // Applied, it can no longer be approved: the guardrail's note does not say approving runs it.
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send(holding).expect(200);
    const after = (await app.http.post(`/recoveries/${recovery.id}/dry-run`).set(auth(viewer)).send({}).expect(200))
      .body;
    // In the approve's own words (one judgement, approvalRefusal): what it refuses the dry run says.
    const refused = await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(409);
    expect(refused.body.message).toBe(`recovery ${recovery.id} is already applied`);
    expect(after.notes).toEqual(
      expect.arrayContaining([
        `${refused.body.message}: it can no longer be approved`,
        expect.stringMatching(
          /^guardrails hold automatic runs only: maintenance_window would send it to review if it were auto-applied$/,
        ),
      ]),
    );
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send({}).expect(200);
  });

  it('POST /patches/trigger with dryRun answers the plan for the problem: when conditions left to the run, the escalation, and no run', async () => {
    await quiet();
    const before = await rowCounts();
    const res = await app.http
      .post('/patches/trigger')
      .set(auth(operator))
      .send({
        description: 'nightly pipeline stage build timed out after 900 s',
        errorType: 'pipeline_timeout',
        dryRun: true,
      })
      .expect(200);
    expect(res.body).toMatchObject({
      dryRun: true,
      playbookId: 'pipeline_timeout_fix',
      recoveryId: null,
      incidentId: null,
      onFailure: 'pause',
    });
    expect(res.body.steps.find((s: any) => s.id === 'fix_code')).toMatchObject({
      kind: 'escalate',
      when: { result: 'unknown', reason: 'decided when the run gets there: it reads what step diagnose answers' },
    });
    expect(res.body.calls.map((c: any) => [c.stepId, c.params.action ?? null])).toEqual([
      ['diagnose', 'diagnose_pipeline'],
      ['extend_stage_timeout', 'extend_timeout'],
      ['rerun_stage', 'rerun_stage'],
      ['pipeline_healthy', 'pipeline_check'],
      ['restore_stage_timeout', 'restore_timeout'],
    ]);
    await quiet();
    expect(await rowCounts()).toEqual(before);
    // A viewer may not trigger (dry or not); another tenant's recovery is not found.
    await app.http
      .post('/patches/trigger')
      .set(auth(viewer))
      .send({ description: 'x', errorType: 'y', dryRun: true })
      .expect(403);
    const stranger = await app.keyFor('dry-other', 'operator');
    const mine = (await get('/recoveries')).items[0];
    await app.http.post(`/recoveries/${mine.id}/dry-run`).set(auth(stranger)).send({}).expect(404);
  });

  it('plans a recovery past its expiresAt, or whose incident is resolved, as no longer approvable before the sweep or the supersede marks it', async () => {
    const suggested = async (column: string) => {
      const incident = (
        await app.http
          .post('/incidents')
          .set(auth(operator))
          .send({ errorType: 'schema', message: `Column "${column}" of relation "orders" does not exist` })
          .expect(201)
      ).body;
      const recovery = await eventually(
        async () => (await get(`/recoveries?incidentId=${incident.id}`)).items[0],
        `a recovery for ${incident.id}`,
      );
      expect(recovery.status).toBe('pending_review');
      return { incident, recovery };
    };
    const dryRun = async (id: string) =>
      (await app.http.post(`/recoveries/${id}/dry-run`).set(auth(operator)).send({}).expect(200)).body;
    const approve = (id: string) => app.http.post(`/recoveries/${id}/approve`).set(auth(operator)).send({});
    // Another transaction holds the recovery's row, so neither the sweep nor the supersede marks it
    // while the dry run reads it: the sweep (FOR UPDATE SKIP LOCKED) passes over a row held even
    // by a key-share lock, and the supersede's UPDATE of its status waits behind a share lock.
    const holding = async <T>(id: string, mode: 'KEY SHARE' | 'SHARE', work: () => Promise<T>): Promise<T> => {
      const holder = new pg.Client({ connectionString: app.database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM recovery_candidates WHERE id = $1 FOR ${mode}`, [id]);
        return await work();
      } finally {
        await holder.query('COMMIT');
        await holder.end();
      }
    };

    const late = (await suggested('late_fee')).recovery;
    await holding(late.id, 'KEY SHARE', async () => {
      // Its expiresAt passes (stored in the past: time passing, without the wait), by the database's clock.
      const [{ expires_at }] = await app.sql(
        `UPDATE recovery_candidates SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING expires_at`,
        [late.id],
      );
      // Judged by the database's clock, as approve judges it: an app host whose clock is an hour behind says so too.
      const clock = driftingClock();
      const plan = await clock.during(-3_600_000, () => dryRun(late.id)).finally(() => clock.restore());
      expect((await get(`/recoveries/${late.id}`)).status).toBe('pending_review');
      expect(plan.notes).toContain(
        `recovery ${late.id} is already expired (expiresAt ${expires_at.toISOString()}): it can no longer be approved`,
      );
    });
    expect((await approve(late.id)).body.message).toMatch(/already expired/);

    const { incident, recovery } = await suggested('refund_ref');
    await holding(recovery.id, 'SHARE', async () => {
      const resolved = (
        await app.http.post(`/incidents/${incident.id}/resolve`).set(auth(operator)).send({}).expect(200)
      ).body;
      const plan = await dryRun(recovery.id);
      expect((await get(`/recoveries/${recovery.id}`)).status).toBe('pending_review');
      expect(plan.notes).toContain(
        `incident ${incident.id} was resolved by ${resolved.resolvedBy} at ${resolved.resolvedAt}: recovery ${recovery.id} is superseded, nothing to run: it can no longer be approved`,
      );
    });
    expect((await approve(recovery.id)).status).toBe(409);
  });

  it('says when the kill switch would pause it', async () => {
    const recovery = (await get('/recoveries')).items[0];
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: 'dry run test' }).expect(200);
    try {
      const plan = (await app.http.post(`/recoveries/${recovery.id}/dry-run`).set(auth(operator)).send({}).expect(200))
        .body;
      expect(plan.killSwitch).toBe(true);
      expect(plan.notes.join(' ')).toMatch(/kill switch/);
    } finally {
      await app.http.delete('/guard/killswitch').set(auth(admin)).expect(200);
    }
  });

  it("answers without the tenant's guardrail lock, which a decision to auto-apply holds (a viewer cannot hold those up)", async () => {
    const recovery = (await get('/recoveries')).items[0];
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('self-healing:guardrails:dry', 0))`);
      let answered = false;
      const response = app.http
        .post(`/recoveries/${recovery.id}/dry-run`)
        .set(auth(viewer))
        .send({})
        .then((r) => ((answered = true), r));
      const waitingOnLock = async () =>
        (await app.sql(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))[0].n > 0;
      // It answers; before, it was seen waiting for the lock.
      expect(
        await eventually(async () => (answered ? 'answered' : (await waitingOnLock()) && 'waited'), 'an answer'),
      ).toBe('answered');
      expect((await response).status).toBe(200);
    } finally {
      await holder.end(); // the lock goes with the session
    }
  });

  it('lists the canary guardrails that would hold a playbook with a canary step', async () => {
    const latency = async (n: number) => {
      const incident = (
        await app.http
          .post('/incidents')
          .set(auth(operator))
          .send({
            errorType: 'LatencyRegression',
            message: `p95 latency of search-api-${n} regressed to ${800 + n} ms after a traffic shift`,
            agentId: 'agent-dry',
            capability: 'search',
          })
          .expect(201)
      ).body;
      const recovery = await eventually(
        async () => (await get(`/recoveries?incidentId=${incident.id}`)).items[0],
        `a recovery for ${incident.id}`,
      );
      expect(recovery.playbookId).toBe('tune_config');
      return recovery;
    };
    // A tune_config run on the agent, approved and done: the default canary cooldown (6 h) now holds the next one.
    const first = await latency(1);
    const run = (await app.http.post(`/recoveries/${first.id}/approve`).set(auth(operator)).send({}).expect(200)).body;
    expect((await finishedRun(app.http, operator, run.id)).status).toBe('succeeded');
    const second = await latency(2);
    expect(second.patternId).toBe(first.patternId);

    const plan = (await app.http.post(`/recoveries/${second.id}/dry-run`).set(auth(operator)).send({}).expect(200))
      .body;
    expect(plan.guardrails).toContainEqual({
      guardrail: 'canary_cooldown',
      reason: expect.stringContaining(`the last canary run of pattern ${first.patternId} on agent agent-dry`),
    });
  });
});
