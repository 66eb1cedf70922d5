import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { CreateWorkOrder } from '../src/self-healing/patches/create-work-order/create-work-order.command.js';
import type { WorkOrderView } from '../src/self-healing/patches/work-order.view.js';
import { RunEngine } from '../src/self-healing/runs/engine/run-engine.js';
import type { RunRow } from '../src/self-healing/runs/run.view.js';
import { RunsRepository } from '../src/self-healing/runs/runs.repository.js';
import { driftingClock, type DriftingClock } from './support/app-clock.js';
import { manualMemoryCleanup } from './support/runs.js';
import { openSse } from './support/sse.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/**
 * Replicas share one database, and their hosts' clocks may drift apart: what they store to be
 * compared with the database's `now()` (a lease, a due time, a deadline, an expiry) is set from
 * the database's clock, never the host's (ADR 0008 §10). The app under test runs in this process
 * with its Date drifted (support/app-clock.ts); every time is judged in SQL, against `now()`.
 */

/** A drift larger than any tolerance below, either way: a minute ahead, 40 s behind. */
const AHEAD_MS = 60_000;
const BEHIND_MS = -40_000;
/** What the check itself may take, between the write and the SQL that judges it. */
const SLACK_MS = 5_000;

/** Milliseconds from the database's now() to each time (negative: past). */
async function fromNow(app: TestApp, times: Record<string, Date | null>): Promise<Record<string, number | null>> {
  const names = Object.keys(times);
  const [row] = await app.sql(
    `SELECT ${names.map((n, i) => `(extract(epoch FROM $${i + 1}::timestamptz - now()) * 1000)::double precision AS "${n}"`).join(', ')}`,
    names.map((n) => times[n]),
  );
  return row;
}

/** The database's now, `ms` from it, as an ISO string. */
const dbTimeOf = async (app: TestApp, ms: number) =>
  (
    await app.sql<{ at: Date }>(`SELECT now() + make_interval(secs => $1::double precision / 1000) AS at`, [ms])
  )[0].at.toISOString();

describe('recovery runs started on a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  /** Each run as its INSERT stored it (the engine's first turn changes it at once). */
  const stored = new Map<string, RunRow>();
  const TIMEOUT_MS = 3_600_000;
  /** RunEngine's CLAIM_LEASE_MS: a claim's first lease, and a handed-over run's. */
  const CLAIM_LEASE_MS = 30_000;

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ RECOVERY_RUN_TIMEOUT_MS: String(TIMEOUT_MS) });
    const runs = app.app.get(RunsRepository);
    const insertRun = runs.insertRun.bind(runs);
    runs.insertRun = async (...args) => {
      const row = await insertRun(...args);
      stored.set(row.id, row);
      return row;
    };
    // The engine hands a new run over once it has caught up: its first claim found less than it asked for.
    let caughtUp = false;
    const claimDue = runs.claimDue.bind(runs);
    runs.claimDue = async (limit, ...rest) => {
      const claimed = await claimDue(limit, ...rest);
      if (claimed.length < limit) caughtUp = true;
      return claimed;
    };
    await eventually(async () => caughtUp, 'the engine’s first claim');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  /** A run of memory_cleanup (no actuator: its steps wait for an operator), started with the app's clock `skewMs` off. */
  const startRun = (skewMs: number): Promise<RunRow> => clock.during(skewMs, start);
  /** That run, started with the app's clock as it is. */
  const start = async (): Promise<RunRow> => {
    const run = await app.app.get(CommandBus).execute(manualMemoryCleanup('drift'));
    return stored.get(run.id)!;
  };

  it.each([
    ['a minute ahead', AHEAD_MS],
    ['40 s behind', BEHIND_MS],
  ])(
    'a run handed to the engine of a replica %s is leased for CLAIM_LEASE_MS of the database’s clock, and its deadline is RECOVERY_RUN_TIMEOUT_MS from it',
    async (_what, skewMs) => {
      const run = await startRun(skewMs);
      expect(run.lease_token).not.toBeNull(); // handed over: the engine had room
      const ms = await fromNow(app, { lease: run.lease_until, due: run.due_at, deadline: run.deadline_at });
      // Ahead, the old lease kept every other replica off the run for 30 s + the drift; behind, it had lapsed already.
      expect(ms.lease).toBeGreaterThan(CLAIM_LEASE_MS - SLACK_MS);
      expect(ms.lease).toBeLessThanOrEqual(CLAIM_LEASE_MS + 1); // timestamptz(3) rounds
      expect(ms.due).toBe(ms.lease); // due again when the lease lapses, as a claim leaves it
      expect(ms.deadline).toBeGreaterThan(TIMEOUT_MS - SLACK_MS);
      expect(ms.deadline).toBeLessThanOrEqual(TIMEOUT_MS + 1);
    },
  );

  it('a manual step a person completes on a replica a minute ahead is finished at the database’s clock, as the engine stamps steps', async () => {
    const operator = await app.keyFor('drift', 'operator');
    const run = await startRun(0);
    // memory_cleanup has no actuator here: its first step waits for an operator.
    const { step_id: stepId } = await eventually(
      async () =>
        (
          await app.sql<{ step_id: string }>(
            `SELECT step_id FROM recovery_run_steps WHERE run_id = $1 AND status = 'awaiting_operator'`,
            [run.id],
          )
        )[0],
      'a step waiting for an operator',
    );
    const done = await clock.during(AHEAD_MS, async () =>
      app.http
        .post(`/runs/${run.id}/steps/${stepId}/complete`)
        .set({ Authorization: `Bearer ${operator}` })
        .send({ outcome: 'succeeded', note: 'freed the cache by hand' }),
    );
    expect(done.status).toBe(200);
    // A minute in the future, by the host's clock; now (before the SQL that judges it), by the database's.
    const [{ ms }] = await app.sql<{ ms: number }>(
      `SELECT (extract(epoch FROM finished_at - now()) * 1000)::double precision AS ms
         FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2`,
      [run.id, stepId],
    );
    expect(ms).toBeLessThanOrEqual(0);
    expect(ms).toBeGreaterThan(-SLACK_MS);
  });

  it('a run’s history on a replica a minute ahead is stamped by the database’s clock, as its steps are: transitions and run_progress', async () => {
    const operator = await app.keyFor('drift', 'operator');
    const progress: Array<{ runId: string; at: string }> = [];
    const stream = openSse(
      `${app.url}/integration/stream`,
      { Authorization: `Bearer ${operator}` },
      (event, data) => event === 'run_progress' && progress.push(data),
    );
    clock.skew(AHEAD_MS); // the start, the engine's turns and the operator's completion alike
    try {
      expect(await stream.opened).toBe(200);
      const run = await start();
      const waiting = (stepId: string) =>
        eventually(
          async () =>
            (
              await app.sql(
                `SELECT 1 FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2 AND status = 'awaiting_operator'`,
                [run.id, stepId],
              )
            ).length === 1,
          `step ${stepId} waiting for an operator`,
        );
      await waiting('clear_cache');
      await app.http
        .post(`/runs/${run.id}/steps/clear_cache/complete`)
        .set({ Authorization: `Bearer ${operator}` })
        .send({ outcome: 'succeeded', note: 'freed the cache by hand' })
        .expect(200);
      await waiting('reduce_batch');

      const history = await app.sql<{
        step_id: string | null;
        from_status: string | null;
        to_status: string;
        created_at: Date;
        started_at: Date | null;
        finished_at: Date | null;
        past: boolean;
      }>(
        `SELECT t.step_id, t.from_status, t.to_status, t.created_at, s.started_at, s.finished_at, t.created_at <= now() AS past
           FROM recovery_run_transitions t LEFT JOIN recovery_run_steps s ON s.run_id = t.run_id AND s.step_id = t.step_id
          WHERE t.run_id = $1 ORDER BY t.seq`,
        [run.id],
      );
      const at = (step: string | null, to: string) => history.find((t) => t.step_id === step && t.to_status === to)!;
      // Nothing a minute ahead of the database's now, as the host's clock would have it.
      expect(history.filter((t) => !t.past)).toEqual([]);
      // Each change at the time its turn stamped the run and its steps with.
      expect(at(null, 'queued').created_at).toEqual(run.created_at);
      expect(at('clear_cache', 'awaiting_operator').created_at).toEqual(
        at('clear_cache', 'awaiting_operator').started_at,
      );
      expect(at('clear_cache', 'succeeded').created_at).toEqual(at('clear_cache', 'succeeded').finished_at);
      expect(at('reduce_batch', 'awaiting_operator').created_at).toEqual(
        at('reduce_batch', 'awaiting_operator').started_at,
      );
      const times = history.map((t) => t.created_at.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // The live stream tells each change at the time its history has.
      await eventually(
        async () => progress.filter((e) => e.runId === run.id).length >= history.length,
        'run_progress for each change',
      );
      expect(progress.filter((e) => e.runId === run.id).map((e) => e.at)).toEqual(
        history.map((t) => t.created_at.toISOString()),
      );
    } finally {
      clock.skew(0);
      stream.close();
    }
  });

  it('a run stored for a claim by a replica a minute ahead is due by the database’s clock at once, not in a minute', async () => {
    // An engine that stopped has no room: the run is stored due, for any replica's claim.
    await app.app.get(RunEngine).beforeApplicationShutdown();
    const run = await startRun(AHEAD_MS);
    expect(run.lease_token).toBeNull();
    expect(run.lease_until).toBeNull();
    const ms = await fromNow(app, { due: run.due_at, deadline: run.deadline_at });
    expect(ms.due).toBeLessThanOrEqual(0);
    expect(ms.due).toBeGreaterThan(-SLACK_MS);
    expect(ms.deadline).toBeGreaterThan(TIMEOUT_MS - SLACK_MS);
    expect(ms.deadline).toBeLessThanOrEqual(TIMEOUT_MS + 1);
    // What a claim asks of it: due by the database's clock.
    expect(await app.sql(`SELECT due_at <= now() AS due FROM recovery_runs WHERE id = $1`, [run.id])).toEqual([
      { due: true },
    ]);
  });
});

describe('work-order claims on a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  /** Shorter than either drift: a claim set or judged by a drifted clock has lapsed, or is not near lapsing. */
  const CLAIM_MS = 30_000;
  let agentA: string;
  let agentB: string;
  let viewer: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ WORK_ORDER_CLAIM_MS: String(CLAIM_MS) });
    viewer = await app.keyFor('drift', 'viewer');
    agentA = await app.keyFor('drift', 'agent');
    agentB = await app.keyFor('drift', 'agent');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  const create = (): Promise<WorkOrderView> =>
    app.app.get(CommandBus).execute(
      new CreateWorkOrder({
        tenantId: 'drift',
        runId: null,
        incidentId: null,
        stepId: null,
        description: 'Fix the slow build stage',
        context: {
          incident: null,
          pattern: null,
          affectedAgents: ['builder-1'],
          capabilities: ['ci'],
          lastErrors: [],
          runId: null,
        },
        priority: 'high',
        complexity: 'small',
      }),
    );
  /** A request made with the app's clock `skewMs` off. */
  const post = (skewMs: number, id: string, action: string, key: string, body: object = {}) =>
    clock.during(skewMs, async () => app.http.post(`/patches/work-orders/${id}/${action}`).set(auth(key)).send(body));
  /** Milliseconds from the database's now() to a time the API answered. */
  const msFromNow = async (iso: string) => (await fromNow(app, { at: new Date(Date.parse(iso)) })).at!;

  it.each([
    ['a minute ahead', AHEAD_MS],
    ['40 s behind', BEHIND_MS],
  ])(
    'a claim, and its renewal by progress, on a replica %s lasts WORK_ORDER_CLAIM_MS of the database’s clock',
    async (_what, skewMs) => {
      const order = await create();
      const claimed = await post(skewMs, order.id, 'claim', agentA);
      expect(claimed.status).toBe(200);
      // Ahead, the old lease lasted a minute longer; behind, it had lapsed when it was stored.
      const claimMs = await msFromNow(claimed.body.claimExpiresAt);
      expect(claimMs).toBeGreaterThan(CLAIM_MS - SLACK_MS);
      expect(claimMs).toBeLessThanOrEqual(CLAIM_MS + 1);
      const progress = await post(skewMs, order.id, 'progress', agentA, {
        claimToken: claimed.body.claimToken,
        note: 'reproduced it',
      });
      expect(progress.status).toBe(200);
      const renewedMs = await msFromNow(progress.body.claimExpiresAt);
      expect(renewedMs).toBeGreaterThan(CLAIM_MS - SLACK_MS);
      expect(renewedMs).toBeLessThanOrEqual(CLAIM_MS + 1);
      // Not stuck by the inbox's reading (claim_expires_at <= now()), and not another agent's to take.
      const inbox = (await app.http.get('/inbox').query({ kind: 'work_order' }).set(auth(viewer)).expect(200)).body;
      expect(inbox.items?.map((i: { id: string }) => i.id) ?? []).not.toContain(`work_order:${order.id}`);
      expect((await post(0, order.id, 'claim', agentB)).status).toBe(409);
    },
  );

  it('a replica a minute ahead does not release a claim its lease still holds: the claimant’s progress is taken, a second agent’s claim refused', async () => {
    const order = await create();
    const claimed = await post(0, order.id, 'claim', agentA);
    expect(claimed.status).toBe(200);
    // Before every action the replica releases the tenant's lapsed claims: by its own clock, this one had lapsed.
    const progress = await post(AHEAD_MS, order.id, 'progress', agentA, {
      claimToken: claimed.body.claimToken,
      note: 'halfway',
    });
    expect(progress.status).toBe(200);
    expect(progress.body.status).toBe('in_progress');
    const second = await post(AHEAD_MS, order.id, 'claim', agentB);
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/already claimed/);
    const history = await app.sql(
      `SELECT to_status, actor FROM work_order_transitions WHERE work_order_id = $1 ORDER BY created_at, id`,
      [order.id],
    );
    expect(history.map((h) => h.actor)).not.toContain('lease');
  });
});

describe('approval requests on a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  const TTL_MS = 3_600_000;
  let operator: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ RECOVERY_REVIEW_TTL_MS: String(TTL_MS) });
    operator = await app.keyFor('drift', 'operator');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  /** A recovery sent to review, suggested (by bridge 2, in this process) with the app's clock `skewMs` off. */
  const queuedRecovery = (agentId: string, skewMs = 0) =>
    clock.during(skewMs, async () => {
      const incident = (
        await app.http
          .post('/incidents')
          .set(auth(operator))
          .send({ errorType: 'schema', message: `Column "${agentId}" of relation "orders" does not exist`, agentId })
          .expect(201)
      ).body;
      const recovery = await eventually(
        async () =>
          (await app.http.get('/recoveries').query({ incidentId: incident.id }).set(auth(operator))).body.items?.[0],
        'the recovery to be suggested',
      );
      expect(recovery.status).toBe('pending_review');
      return recovery as { id: string; expiresAt: string };
    });

  it('a recovery suggested on a replica a minute ahead expires RECOVERY_REVIEW_TTL_MS after it was stored, by the database’s clock', async () => {
    const recovery = await queuedRecovery('agent-ahead', AHEAD_MS);
    const [row] = await app.sql(
      `SELECT (extract(epoch FROM expires_at - created_at) * 1000)::double precision AS after_created,
              (extract(epoch FROM expires_at - now()) * 1000)::double precision AS from_now
         FROM recovery_candidates WHERE id = $1`,
      [recovery.id],
    );
    expect(row.after_created).toBe(TTL_MS);
    expect(row.from_now).toBeGreaterThan(TTL_MS - SLACK_MS);
    expect(row.from_now).toBeLessThanOrEqual(TTL_MS);
  });

  /** A recovery whose expiresAt passed a second ago by the database's clock (time passing, without the wait), not yet swept. */
  const expiredByTheDatabase = async (agentId: string) => {
    const recovery = await queuedRecovery(agentId);
    await app.sql(`UPDATE recovery_candidates SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      recovery.id,
    ]);
    return recovery;
  };

  it('a replica 40 s behind does not approve a recovery the database’s clock has expired: 409, and no run', async () => {
    const recovery = await expiredByTheDatabase('agent-late');
    const approve = await clock.during(BEHIND_MS, () =>
      app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}),
    );
    expect(approve.status).toBe(409);
    expect(approve.body.message).toMatch(/already expired/);
    expect(await app.sql(`SELECT id FROM recovery_runs WHERE recovery_id = $1`, [recovery.id])).toEqual([]);
  });

  it('a replica 40 s behind does not give a recovery the database’s clock has expired a new expiresAt', async () => {
    const recovery = await expiredByTheDatabase('agent-revived');
    const revived = await clock.during(BEHIND_MS, async () =>
      app.http
        .patch(`/recoveries/${recovery.id}`)
        .set(auth(operator))
        .send({ expiresAt: await dbTimeOf(app, 3_600_000) }),
    );
    expect(revived.status).toBe(409);
    expect(revived.body.message).toMatch(/already expired/);
  });

  it('PATCH /recoveries/:id takes an expiresAt in the future by the database’s clock, whatever the replica’s says', async () => {
    const recovery = await queuedRecovery('agent-patched');
    const patch = (skewMs: number, expiresAt: string) =>
      clock.during(skewMs, () => app.http.patch(`/recoveries/${recovery.id}`).set(auth(operator)).send({ expiresAt }));
    // 20 s ago by the database, 20 s ahead by a replica 40 s behind: refused, or the sweep would expire it at once.
    const past = await patch(BEHIND_MS, await dbTimeOf(app, -20_000));
    expect(past.status).toBe(400);
    expect(past.body.fields.map((f: { field: string }) => f.field)).toEqual(['expiresAt']);
    // 30 s ahead by the database, 30 s ago by a replica a minute ahead: taken.
    const soon = await dbTimeOf(app, 30_000);
    const taken = await patch(AHEAD_MS, soon);
    expect(taken.status).toBe(200);
    expect(taken.body.expiresAt).toBe(soon);
  });
});

describe('incidents and alert repeats received by a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  let key: string;
  let seq = 0;
  const auth = () => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '100' });
    key = await app.keyFor('drift', 'admin');
    // No engine turns the runs these tests put in a watch: what judges them here is the alert repeat's handler.
    await app.app.get(RunEngine).beforeApplicationShutdown();
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  const report = (skewMs: number, body: Record<string, unknown> = {}) =>
    clock.during(skewMs, () =>
      app.http
        .post('/incidents')
        .set(auth())
        .send({ errorType: 'TimeoutError', message: `Upstream call ${++seq} timed out after 30s`, ...body })
        .expect(201),
    );
  const msFromNow = async (iso: string) => (await fromNow(app, { at: new Date(Date.parse(iso)) })).at!;

  it.each([
    ['a minute ahead', AHEAD_MS],
    ['40 s behind', BEHIND_MS],
  ])(
    'an incident reported on a replica %s is received (createdAt, the default occurredAt) at the database’s now',
    async (_what, skewMs) => {
      const { body } = await report(skewMs);
      // Old code: this host's clock, the drift from now.
      const ms = await msFromNow(body.createdAt);
      expect(ms).toBeLessThanOrEqual(0);
      expect(ms).toBeGreaterThan(-SLACK_MS);
      expect(body.occurredAt).toBe(body.createdAt);
      // Stored as answered, and the loop's trace starts then too.
      const [row] = await app.sql(
        `SELECT i.created_at, i.occurred_at, t.started_at FROM incidents i JOIN loop_traces t ON t.incident_id = i.id
          WHERE i.id = $1`,
        [body.id],
      );
      expect(row.created_at.toISOString()).toBe(body.createdAt);
      expect(row.occurred_at.toISOString()).toBe(body.occurredAt);
      expect(row.started_at.toISOString()).toBe(body.createdAt);
    },
  );

  it('an occurredAt 30 s ahead of the database’s clock, from a replica a minute ahead, is the receipt time: resolved at once, MTTR is not negative', async () => {
    // 30 s ago by the replica's clock, so it took it as given.
    const { body } = await report(AHEAD_MS, { occurredAt: await dbTimeOf(app, 30_000) });
    expect(body.occurredAt).toBe(body.createdAt);
    expect(await msFromNow(body.occurredAt)).toBeLessThanOrEqual(0);
    const resolved = (await app.http.post(`/incidents/${body.id}/resolve`).set(auth()).send({}).expect(200)).body;
    expect(Date.parse(resolved.resolvedAt)).toBeGreaterThanOrEqual(Date.parse(resolved.occurredAt));
  });

  /** More than the clock skew POST /incidents tolerates (5 min), either way. */
  const TEN_MINUTES = 10 * 60_000;
  const MINUTE = 60_000;
  const DAY = 86_400_000;
  /** A report's answer, sent with the app's clock `skewMs` off. */
  const send = (skewMs: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    clock.during(skewMs, () =>
      app.http
        .post('/incidents')
        .set({ ...auth(), ...headers })
        .send(body),
    );

  it.each([
    ['now', '10 min behind', -TEN_MINUTES, 0],
    ['30 days less 5 min ago', '10 min ahead', TEN_MINUTES, -(30 * DAY - 5 * MINUTE)],
  ])(
    'an occurredAt of %s by the database’s clock, reported on a replica %s, is within its bounds: taken as given',
    async (_when, _what, skewMs, fromNowMs) => {
      const occurredAt = await dbTimeOf(app, fromNowMs);
      const res = await send(skewMs, {
        errorType: 'TimeoutError',
        message: `Upstream call ${++seq} timed out after 30s`,
        occurredAt,
      });
      // Old code: judged by this host's clock, 400 (behind: "more than 5 minutes in the future"; ahead: "more than 30 days in the past").
      expect({ status: res.status, fields: res.body.fields }).toEqual({ status: 201, fields: undefined });
      expect(res.body.occurredAt).toBe(occurredAt);
      const [row] = await app.sql(
        `SELECT occurred_at, occurred_at <= created_at AS before_receipt FROM incidents WHERE id = $1`,
        [res.body.id],
      );
      expect(row).toEqual({ occurred_at: new Date(occurredAt), before_receipt: true });
    },
  );

  it.each([
    ['10 min behind', -TEN_MINUTES, -(30 * DAY + 5 * MINUTE), 'occurredAt must not be more than 30 days in the past'],
    ['10 min ahead', TEN_MINUTES, 6 * MINUTE, 'occurredAt must not be more than 5 minutes in the future (clock skew)'],
  ])(
    'an occurredAt out of its bounds by the database’s clock, reported on a replica %s, is the validation 400 naming it; nothing is written, its Idempotency-Key not used',
    async (_what, skewMs, fromNowMs, why) => {
      const body = {
        errorType: 'TimeoutError',
        message: `Upstream call ${++seq} timed out after 30s`,
        occurredAt: await dbTimeOf(app, fromNowMs),
      };
      const key = { 'Idempotency-Key': `occurred-at-${seq}` };
      const refused = await send(skewMs, body, key);
      // Old code: 201, this host's clock let it through and the receipt time replaced it without a word.
      const invalid = {
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'invalid fields: occurredAt',
          fields: [{ field: 'occurredAt', errors: [why] }],
          requestId: expect.any(String),
        },
      };
      expect({ status: refused.status, body: refused.body }).toEqual(invalid);
      // As the global validation pipe answers an occurredAt it refuses (one without an offset): the same fields.
      const byPipe = await send(skewMs, { ...body, occurredAt: body.occurredAt.replace('Z', '') });
      expect({ status: byPipe.status, fields: Object.keys(byPipe.body).sort() }).toEqual({
        status: 400,
        fields: Object.keys(refused.body).sort(),
      });
      expect(byPipe.body).toMatchObject({ message: 'invalid fields: occurredAt', fields: [{ field: 'occurredAt' }] });
      const written = async () =>
        (
          await app.sql<{ incidents: number; keys: number }>(
            `SELECT (SELECT count(*)::int FROM incidents WHERE message = $1) AS incidents,
                    (SELECT count(*)::int FROM idempotency_keys WHERE key = $2) AS keys`,
            [body.message, key['Idempotency-Key']],
          )
        )[0];
      expect(await written()).toEqual({ incidents: 0, keys: 0 });
      // The key's claim was rolled back: the same request is judged again (no replay of an incident, no 422),
      // and the key is free for the corrected report.
      const again = await send(skewMs, body, key);
      expect({ status: again.status, body: again.body }).toEqual(invalid);
      const corrected = await send(skewMs, { ...body, occurredAt: await dbTimeOf(app, -MINUTE) }, key);
      expect(corrected.status).toBe(201);
      expect(corrected.headers['idempotent-replayed']).toBeUndefined();
      expect(await written()).toEqual({ incidents: 1, keys: 1 });
    },
  );

  /** A firing alert of its own fingerprint; `startsAt` a minute ago by the database. */
  const alertFor = async (name: string) => ({
    status: 'firing',
    labels: { alertname: 'OutOfMemoryError', service: name, capability: 'ingest', severity: 'critical' },
    annotations: { summary: `OutOfMemoryError on ${name}` },
    startsAt: await dbTimeOf(app, -60_000),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `fp-drift-${name}`,
  });
  const sendAlert = (skewMs: number, alert: object) =>
    clock.during(
      skewMs,
      async () =>
        (
          await app.http
            .post('/intake/alertmanager')
            .set(auth())
            .send(alertmanagerEnvelope([alert]))
            .expect(200)
        ).body,
    );

  /**
   * The alert's incident, and a run for it whose fix was applied and whose watch window is
   * [now + fromMs, now + untilMs) by the database's clock, as the engine leaves it (no engine here moves it on).
   */
  const watchedIncident = async (name: string, fromMs: number, untilMs: number) => {
    const alert = await alertFor(name);
    const incidentId = (await sendAlert(0, alert)).alerts[0].incidentId as string;
    const run = await app.app.get(CommandBus).execute(manualMemoryCleanup('drift', incidentId));
    await app.sql(
      `UPDATE recovery_runs SET phase = 'watch', status = 'verifying',
              verify_from = now() + make_interval(secs => $2::double precision / 1000),
              verify_until = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1`,
      [run.id, fromMs, untilMs],
    );
    return { alert, incidentId, runId: run.id as string };
  };
  /** Once the alert repeat's handler has taken the repeat: the run's recurrence, and the incident's last_seen_at from now. */
  const afterRepeat = async (incidentId: string, runId: string) => {
    await eventually(
      async () =>
        (
          await app.sql(
            `SELECT 1 FROM outbox_events WHERE handler = 'self-healing.note-alert-repeat' AND incident_id = $1 AND status = 'done'`,
            [incidentId],
          )
        ).length > 0,
      'the alert repeat to be handled',
    );
    const [row] = await app.sql(
      `SELECT r.recurrence_incident_id, r.recurrence_reason,
              (extract(epoch FROM i.last_seen_at - now()) * 1000)::double precision AS seen_ms
         FROM recovery_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.id = $1`,
      [runId],
    );
    return row;
  };

  it('an alert repeat received by a replica 40 s behind, 20 s into a run’s watch window, fails the fix', async () => {
    const { alert, incidentId, runId } = await watchedIncident('agent-inside', -20_000, 3_600_000);
    const again = await sendAlert(BEHIND_MS, alert);
    expect(again).toMatchObject({ deduplicated: 1, alerts: [{ incidentId }] });
    // Old code: seen 40 s ago, before the window began: the fix went on to be verified.
    const row = await afterRepeat(incidentId, runId);
    expect(row.recurrence_incident_id).toBe(incidentId);
    expect(row.recurrence_reason).toMatch(/^recurrence: the incident's alert fired again at/);
    expect(row.seen_ms).toBeLessThanOrEqual(0);
    expect(row.seen_ms).toBeGreaterThan(-SLACK_MS);
  });

  it('an alert repeat received by a replica 40 s behind, 20 s after a run’s watch window ended, does not fail the fix', async () => {
    const { alert, incidentId, runId } = await watchedIncident('agent-after', -3_600_000, -20_000);
    const again = await sendAlert(BEHIND_MS, alert);
    expect(again).toMatchObject({ deduplicated: 1, alerts: [{ incidentId }] });
    // Old code: seen 40 s ago, inside the window: the fix failed by a repeat after it.
    const row = await afterRepeat(incidentId, runId);
    expect(row.recurrence_incident_id).toBeNull();
    expect(row.seen_ms).toBeLessThanOrEqual(0);
    expect(row.seen_ms).toBeGreaterThan(-SLACK_MS);
  });

  it('a policy’s status changes made on a replica a minute ahead are recorded at the database’s now, as incidents are received', async () => {
    const policy = (
      await clock.during(AHEAD_MS, () =>
        app.http
          .post('/policies')
          .set(auth())
          .send({
            name: 'drift',
            category: 'operational',
            action: 'warn',
            scope: 'tenant',
            condition: 'request.agentId == "drift"',
          })
          .expect(201),
      )
    ).body;
    await clock.during(AHEAD_MS, () =>
      app.http.post(`/policies/${policy.id}/activate`).set(auth()).send({}).expect(200),
    );
    const changes = await app.sql(
      `SELECT status, (extract(epoch FROM changed_at - now()) * 1000)::double precision AS ms
         FROM policy_status_changes WHERE policy_id = $1 ORDER BY id`,
      [policy.id],
    );
    expect(changes.map((c) => c.status)).toEqual(['draft', 'active']);
    // Old code: a minute ahead, so an incident reported in that minute was not counted after the activation.
    for (const c of changes) {
      expect(c.ms).toBeLessThanOrEqual(0);
      expect(c.ms).toBeGreaterThan(-SLACK_MS);
    }
  });
});

describe('inbox snoozes on a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  let key: string;
  let seq = 0;
  const auth = () => ({ Authorization: `Bearer ${key}` });
  const DAY_MS = 24 * 3_600_000;

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ INBOX_REFRESH_MS: '60000' });
    key = await app.keyFor('drift', 'admin');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  /** An inbox item: a draft policy waiting for an admin. */
  const draftPolicyItem = async () => {
    const policy = (
      await app.http
        .post('/policies')
        .set(auth())
        .send({
          name: `snooze ${++seq}`,
          category: 'operational',
          action: 'warn',
          scope: 'tenant',
          condition: `request.agentId == "snooze-${seq}"`,
        })
        .expect(201)
    ).body;
    return `draft_policy:${policy.id}`;
  };
  const snooze = (skewMs: number, itemId: string, until: string | null) =>
    clock.during(skewMs, () => app.http.post(`/inbox/${itemId}/snooze`).set(auth()).send({ until }));
  /** The item as GET /inbox lists it (snoozed ones too), with the app's clock `skewMs` off. */
  const listed = async (skewMs: number, itemId: string) =>
    (
      await clock.during(skewMs, () =>
        app.http.get('/inbox').query({ snoozed: 'include', limit: 200 }).set(auth()).expect(200),
      )
    ).body.items.find((i: { id: string }) => i.id === itemId);

  it('a snooze until 20 s ago by the database is refused from a replica 40 s behind', async () => {
    const itemId = await draftPolicyItem();
    const past = await snooze(BEHIND_MS, itemId, await dbTimeOf(app, -20_000));
    // Old code: 20 s ahead by its clock, taken (and hidden by no one).
    expect(past.status).toBe(400);
    expect(past.body.fields.map((f: { field: string }) => f.field)).toEqual(['until']);
  });

  it('a snooze until 30 s ahead by the database is taken from a replica a minute ahead, and shown snoozed there', async () => {
    const itemId = await draftPolicyItem();
    const until = await dbTimeOf(app, 30_000);
    const taken = await snooze(AHEAD_MS, itemId, until);
    // Old code: 30 s ago by its clock, 400.
    expect(taken.status).toBe(200);
    expect(taken.body.snoozedUntil).toBe(until);
    expect((await listed(AHEAD_MS, itemId))?.snoozedUntil).toBe(until);
    const summary = (await clock.during(AHEAD_MS, () => app.http.get('/inbox/summary').set(auth()).expect(200))).body;
    expect(summary.snoozed).toBe(1);
  });

  it('a snooze reaches at most 90 days ahead of the database’s clock, whatever the replica’s', async () => {
    const itemId = await draftPolicyItem();
    // 90 days less 30 s by a replica a minute ahead: old code took it.
    const tooFar = await snooze(AHEAD_MS, itemId, await dbTimeOf(app, 90 * DAY_MS + 30_000));
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.fields.map((f: { field: string }) => f.field)).toEqual(['until']);
    // 90 days and 10 s by a replica 40 s behind: old code refused it.
    const justIn = await snooze(BEHIND_MS, itemId, await dbTimeOf(app, 90 * DAY_MS - 30_000));
    expect(justIn.status).toBe(200);
    await snooze(0, itemId, null);
  });

  it('a snooze the database’s clock has ended is not shown from a replica 40 s behind', async () => {
    const itemId = await draftPolicyItem();
    // Assigned, so its marks are read after the snooze ends too.
    await app.http.post(`/inbox/${itemId}/assign`).set(auth()).send({ assignee: 'dana@example.com' }).expect(200);
    expect((await snooze(0, itemId, await dbTimeOf(app, 3_600_000))).status).toBe(200);
    // Time passing, without the wait: it ended 20 s ago by the database.
    await app.sql(`UPDATE inbox_marks SET snoozed_until = now() - interval '20 seconds' WHERE item_id = $1`, [itemId]);
    // Old code: 20 s ahead by its clock, still snoozed (hidden from the inbox).
    expect(await listed(BEHIND_MS, itemId)).toMatchObject({ assignee: 'dana@example.com', snoozedUntil: null });
    const inbox = (await clock.during(BEHIND_MS, () => app.http.get('/inbox').set(auth()).expect(200))).body;
    expect(inbox.items.map((i: { id: string }) => i.id)).toContain(itemId);
  });
});
