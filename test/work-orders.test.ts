import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { CommandBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import pg from 'pg';
import { OutboxHandler } from '../src/platform/outbox/outbox-handler.decorator.js';
import { WorkOrderFinished } from '../src/self-healing/events/work-order-finished.event.js';
import { BuildWorkOrderContext } from '../src/self-healing/patches/build-work-order-context/build-work-order-context.query.js';
import { CreateWorkOrder } from '../src/self-healing/patches/create-work-order/create-work-order.command.js';
import {
  estimateComplexity,
  priorityFromSeverity,
  type WorkOrderView,
} from '../src/self-healing/patches/work-order.view.js';
import { openSse } from './support/sse.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** Stands in for the run engine's side of the contract: what it is told when a work order finishes. */
const finished: WorkOrderFinished[] = [];
@EventsHandler(WorkOrderFinished)
@OutboxHandler({ name: 'test.work-order-finished' })
class FinishedRecorder implements IEventHandler<WorkOrderFinished> {
  handle(e: WorkOrderFinished) {
    finished.push(e);
  }
}
@Module({ providers: [FinishedRecorder] })
class FinishedRecorderModule {}

/**
 * Long enough that no claim lapses while a test works on a slow machine; a test that wants one to
 * lapse ends its lease itself (the sweeper comes by every quarter lease).
 */
const CLAIM_MS = 20_000;

describe('work orders for coding agents (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let agentA: string;
  let agentB: string;
  let otherTenant: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  /** The order's claim lapses now (stored as now, time passing without the wait). */
  const lapse = (id: string) => app.sql(`UPDATE work_orders SET claim_expires_at = now() WHERE id = $1`, [id]);

  beforeAll(async () => {
    app = await startTestApp({ WORK_ORDER_CLAIM_MS: String(CLAIM_MS) }, [FinishedRecorderModule]);
    operator = await app.keyFor('wo', 'operator');
    viewer = await app.keyFor('wo', 'viewer');
    agentA = await app.keyFor('wo', 'agent');
    agentB = await app.keyFor('wo', 'agent');
    otherTenant = await app.keyFor('wo-other', 'agent');
  });
  afterAll(() => app.stop());

  const incident = async () => {
    const res = await app.http.post('/incidents').set(auth(operator)).send({
      errorType: 'pipeline_timeout',
      message: 'stage build of pipeline nightly timed out after 900 s',
      agentId: 'builder-1',
      capability: 'ci',
      severity: 'high',
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const create = async (incidentId: string | null = null, runId: string | null = null): Promise<WorkOrderView> => {
    const context = {
      incident: incidentId
        ? {
            id: incidentId,
            title: 'pipeline timeout',
            errorType: 'pipeline_timeout',
            severity: 'high',
            message: 'stage build timed out',
          }
        : null,
      pattern: {
        id: '0190a0a0-0000-7000-8000-000000000001',
        template: 'stage <*> of pipeline <*> timed out after <NUM> s',
        samples: ['stage build of pipeline nightly timed out after 900 s'],
      },
      affectedAgents: ['builder-1'],
      capabilities: ['ci'],
      lastErrors: ['check code_cause: true'],
      runId,
    };
    return app.app.get(CommandBus).execute(
      new CreateWorkOrder({
        tenantId: 'wo',
        runId,
        incidentId,
        stepId: runId ? 'escalate' : null,
        description: 'Fix the slow build stage',
        context,
        priority: priorityFromSeverity('high'),
        complexity: estimateComplexity(context),
      }),
    );
  };
  const post = (id: string, action: string, key: string, body: object = {}) =>
    app.http.post(`/patches/work-orders/${id}/${action}`).set(auth(key)).send(body);

  it('queues a work order with context, priority from severity and a complexity; lists it to an agent by status and run', async () => {
    const runId = '0190a0a0-0000-7000-8000-0000000000aa';
    const order = await create(await incident(), runId);
    expect(order).toMatchObject({
      status: 'queued',
      priority: 'high',
      complexity: 'small',
      runId,
      stepId: 'escalate',
      description: 'Fix the slow build stage',
    });
    expect(order.context.pattern!.samples).toHaveLength(1);
    const listed = (
      await app.http.get('/patches/work-orders').query({ status: 'queued', runId }).set(auth(agentA)).expect(200)
    ).body;
    expect(listed.items.map((w: WorkOrderView) => w.id)).toEqual([order.id]);
    const detail = (await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentA)).expect(200)).body;
    expect(detail.history).toEqual([expect.objectContaining({ from: null, to: 'queued', actor: `run ${runId}` })]);
    expect(
      (await app.http.get('/patches/work-orders').query({ status: 'bogus' }).set(auth(agentA))).body.fields.map(
        (f: { field: string }) => f.field,
      ),
    ).toEqual(['status']);
  });

  it('claim → progress → complete: every transition kept, the timeline, evidence and SSE show it, WorkOrderFinished reaches the run engine', async () => {
    const incidentId = await incident();
    const events: Array<{ change: string; workOrderId: string }> = [];
    const { opened, close } = openSse(`${app.url}/integration/stream`, auth(viewer), (event, data) => {
      if (event === 'work_order_progress') events.push(data);
    });
    try {
      await opened;
      const order = await create(incidentId, '0190a0a0-0000-7000-8000-0000000000bb');
      const claimed = (await post(order.id, 'claim', agentA).expect(200)).body;
      expect(claimed).toMatchObject({
        status: 'claimed',
        claimedBy: expect.stringContaining('wo agent'),
        claimToken: expect.stringMatching(/^woc_/),
      });
      const { claimToken } = claimed;
      // The token is shown to the claimant once: not on reads.
      expect(
        JSON.stringify((await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentA))).body),
      ).not.toContain(claimToken);
      // Progress and completion need the claim's token and the claimant's own key.
      expect((await post(order.id, 'progress', agentB, { claimToken, note: 'me too' })).status).toBe(409);
      expect((await post(order.id, 'progress', agentA, { note: 'no token' })).status).toBe(409);
      expect(
        (await post(order.id, 'progress', agentA, { claimToken, note: 'reproduced; fixing', percent: 40 })).body.status,
      ).toBe('in_progress');
      expect(
        (await post(order.id, 'complete', agentB, { claimToken, testsPassed: true, summary: 'not mine' })).status,
      ).toBe(409);
      const bad = await post(order.id, 'complete', agentA, {
        claimToken,
        testsPassed: 'yes',
        diffUrl: 'ftp://x.example/diff',
        filesChanged: 'a.ts',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
        'diffUrl',
        'filesChanged',
        'summary',
        'testsPassed',
      ]);
      // A diff URL is kept in the order, its history, the timeline and the audit log: no credentials in it.
      for (const diffUrl of [
        'https://user:s3cret@git.example.com/acme/ci/pull/7',
        'https://ghp_abc123@github.com/a/b/pull/2',
      ]) {
        const leaky = await post(order.id, 'complete', agentA, {
          claimToken,
          testsPassed: true,
          summary: 's',
          diffUrl,
        });
        expect([diffUrl, leaky.status, leaky.body.fields]).toEqual([
          diffUrl,
          400,
          [{ field: 'diffUrl', errors: [expect.stringContaining('without credentials')] }],
        ]);
      }
      const done = (
        await post(order.id, 'complete', agentA, {
          claimToken,
          testsPassed: true,
          filesChanged: ['ci/stages/build.ts'],
          diffUrl: 'https://git.example.com/acme/ci/pull/7',
          summary: 'cached the dependency install',
        }).expect(200)
      ).body;
      expect(done).toMatchObject({
        status: 'completed',
        result: { testsPassed: true, diffUrl: 'https://git.example.com/acme/ci/pull/7' },
        finishedAt: expect.any(String),
      });
      expect(done.history.map((h: { to: string }) => h.to)).toEqual(['queued', 'claimed', 'in_progress', 'completed']);
      // Finished is final.
      expect((await post(order.id, 'claim', agentB)).status).toBe(409);
      expect((await post(order.id, 'fail', agentA, { reason: 'late' })).status).toBe(409);

      const seen = await eventually(async () => {
        const mine = events.filter((e) => e.workOrderId === order.id).map((e) => e.change);
        return mine.includes('completed') ? mine : null;
      }, 'work order changes on the tenant stream');
      expect(seen).toEqual(['created', 'claimed', 'progress', 'completed']);
      const got = await eventually(
        async () => finished.find((f) => f.workOrderId === order.id),
        'WorkOrderFinished delivered',
      );
      expect(got).toMatchObject({
        runId: order.runId,
        stepId: 'escalate',
        testsPassed: true,
        outcome: 'completed',
        tenantId: 'wo',
      });

      const timeline = (await app.http.get(`/incidents/${incidentId}/timeline`).set(auth(viewer)).expect(200)).body;
      const patchItems = timeline.items.filter((i: { kind: string }) => i.kind === 'patch');
      expect(patchItems.map((i: { details: { change: string } }) => i.details.change)).toEqual([
        'created',
        'claimed',
        'progress',
        'completed',
      ]);
      const evidence = (await app.http.get(`/incidents/${incidentId}/evidence`).set(auth(viewer)).expect(200)).body;
      expect(evidence.timeline.items.filter((i: { kind: string }) => i.kind === 'patch')).toHaveLength(4);
    } finally {
      close();
    }
  });

  it('a failed work order tells the run engine testsPassed false', async () => {
    const order = await create(null, '0190a0a0-0000-7000-8000-0000000000cc');
    expect((await post(order.id, 'fail', agentA, { reason: 'not claimed yet' })).status).toBe(409);
    const { claimToken } = (await post(order.id, 'claim', agentA).expect(200)).body;
    expect(
      (await post(order.id, 'fail', agentA, { claimToken })).body.fields.map((f: { field: string }) => f.field),
    ).toEqual(['reason']);
    expect(
      (await post(order.id, 'fail', agentA, { claimToken, reason: 'needs a schema change' }).expect(200)).body,
    ).toMatchObject({ status: 'failed', failureReason: 'needs a schema change' });
    const got = await eventually(
      async () => finished.find((f) => f.workOrderId === order.id),
      'WorkOrderFinished delivered',
    );
    expect(got).toMatchObject({ testsPassed: false, outcome: 'failed' });
  });

  it('two concurrent claims: exactly one wins, the other gets 409', async () => {
    const order = await create();
    const answers = await Promise.all([post(order.id, 'claim', agentA), post(order.id, 'claim', agentB)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const [{ n }] = await app.sql(
      `SELECT count(*)::int AS n FROM work_order_transitions WHERE work_order_id = $1 AND to_status = 'claimed'`,
      [order.id],
    );
    expect(n).toBe(1);
  });

  it('a stale claim returns to the queue and says so in the history; then another agent may claim it', async () => {
    const order = await create();
    const { claimToken } = (await post(order.id, 'claim', agentA).expect(200)).body;
    expect((await post(order.id, 'claim', agentB)).status).toBe(409);
    // Nobody reads it meanwhile: the sweeper returns it (reads would too, see the next test).
    await lapse(order.id);
    await eventually(
      async () => (await app.sql(`SELECT status FROM work_orders WHERE id = $1`, [order.id]))[0].status === 'queued',
      'the claim to lapse',
      CLAIM_MS + 10_000,
    );
    const back = (await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentB)).expect(200)).body;
    expect(back.claimedBy).toBeNull();
    expect(back.history.at(-1)).toMatchObject({
      from: 'claimed',
      to: 'queued',
      actor: 'lease',
      note: null,
      details: { previousClaimant: expect.stringContaining('wo agent') },
    });
    // The first agent lost it: its report is refused, naming the order's state, and kept in the history; the second may claim.
    const late = await post(order.id, 'progress', agentA, { claimToken, note: 'still here' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      workOrderStatus: 'queued',
      message: expect.stringMatching(/is no longer current: the work order is queued/),
    });
    expect((await post(order.id, 'claim', agentB)).body.status).toBe('claimed');
  });

  it("two workers on one agent key: the one without the claim token gets 409; a lapsed claim's late completion is answered 409 naming the new state, and kept", async () => {
    const order = await create();
    const first = (await post(order.id, 'claim', agentA).expect(200)).body.claimToken;
    // The second worker holds the same key but not the claim.
    const noToken = await post(order.id, 'complete', agentA, { testsPassed: true, summary: 'not my claim' });
    expect(noToken.status).toBe(409);
    expect(noToken.body).toMatchObject({
      workOrderStatus: 'claimed',
      message: expect.stringMatching(/needs the claimToken that claim returned/),
    });
    expect(
      (await post(order.id, 'complete', agentA, { claimToken: 'woc_guessed', testsPassed: true, summary: 'guessed' }))
        .status,
    ).toBe(409);
    expect((await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentA))).body).toMatchObject({
      status: 'claimed',
      result: null,
    });

    // The first worker goes quiet; its claim lapses and the second claims the order.
    await lapse(order.id);
    await eventually(
      async () => (await app.sql(`SELECT status FROM work_orders WHERE id = $1`, [order.id]))[0].status === 'queued',
      'the claim to lapse',
      CLAIM_MS + 10_000,
    );
    const second = (await post(order.id, 'claim', agentA).expect(200)).body.claimToken;
    expect(second).not.toBe(first);
    const late = await post(order.id, 'complete', agentA, {
      claimToken: first,
      testsPassed: true,
      filesChanged: ['ci/build.ts'],
      summary: 'done, late',
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      workOrderStatus: 'claimed',
      message: expect.stringMatching(
        /no longer current: the work order is claimed by .*Your complete is kept in its history/,
      ),
    });
    const detail = (await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentA))).body;
    expect(detail).toMatchObject({ status: 'claimed', result: null });
    expect(detail.history.at(-1)).toMatchObject({
      from: 'claimed',
      to: 'claimed',
      note: 'done, late',
      details: { lateReport: 'complete', testsPassed: true, filesChanged: ['ci/build.ts'], summary: 'done, late' },
    });
    // The current claim decides it.
    expect(
      (await post(order.id, 'fail', agentA, { claimToken: second, reason: 'cannot reproduce' }).expect(200)).body
        .status,
    ).toBe('failed');
  });

  it("cancel is an operator's; a canceled order cannot be claimed; unknown and other tenants' orders are 404", async () => {
    const order = await create();
    expect((await post(order.id, 'cancel', agentA, { reason: 'x' })).status).toBe(403);
    expect((await post(order.id, 'cancel', viewer, { reason: 'x' })).status).toBe(403);
    expect(
      (await post(order.id, 'cancel', operator, { reason: 'duplicate of another order' }).expect(200)).body.status,
    ).toBe('canceled');
    expect((await post(order.id, 'claim', agentA)).status).toBe(409);
    expect((await app.http.get(`/patches/work-orders/${order.id}`).set(auth(otherTenant))).status).toBe(404);
    expect((await post(order.id, 'claim', otherTenant)).status).toBe(404);
    expect((await post('0190a0a0-0000-7000-8000-00000000ffff', 'claim', agentA)).status).toBe(404);
    expect((await app.http.get('/patches/work-orders/not-a-uuid').set(auth(agentA))).status).toBe(400);
  });

  it('stats count work orders by state and the mean patch time from stored rows', async () => {
    const stats = (await app.http.get('/patches/stats').set(auth(viewer)).expect(200)).body;
    const rows = await app.sql(
      `SELECT status, count(*)::int AS n FROM work_orders WHERE tenant_id = 'wo' GROUP BY status`,
    );
    for (const r of rows) expect(stats.workOrders[r.status]).toBe(r.n);
    expect(stats.workOrders.total).toBe(rows.reduce((a, r) => a + r.n, 0));
    expect(stats.workOrders.completed).toBe(1);
    const [{ minutes }] = await app.sql(
      `SELECT extract(epoch FROM finished_at - created_at) / 60 AS minutes FROM work_orders WHERE tenant_id = 'wo' AND status = 'completed'`,
    );
    // Rounded to two decimals: at most half a hundredth off (toBeCloseTo's "< 0.005" failed on a
    // patch time of exactly 300 ms, 0.005 minutes, shown as 0.01).
    expect(Math.abs(stats.averagePatchTimeMinutes - Number(minutes))).toBeLessThanOrEqual(0.005 + 1e-9);
  });

  it("builds a work order's context from the incident and its pattern: template, distinct samples, agents, capabilities, last errors, priority", async () => {
    const ids: string[] = [];
    for (const [agentId, secs] of [
      ['builder-1', 900],
      ['builder-2', 901],
      ['builder-2', 902],
      ['builder-1', 900],
    ] as const) {
      const res = await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({
          errorType: 'pipeline_timeout',
          message: `stage test of pipeline release timed out after ${secs} s`,
          agentId,
          capability: 'ci',
          severity: 'critical',
        });
      ids.push(res.body.id);
    }
    const last = ids.at(-1)!;
    await eventually(async () => {
      const rows = await app.sql(
        `SELECT count(*)::int AS n FROM incidents WHERE id = ANY($1::uuid[]) AND matched_pattern_id IS NOT NULL`,
        [ids],
      );
      return rows[0].n === ids.length;
    }, 'the incidents to join their pattern');
    const lastErrors = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
    const brief = await app.app.get(QueryBus).execute(
      new BuildWorkOrderContext({
        tenantId: 'wo',
        incidentId: last,
        runId: null,
        lastErrors,
        filePath: 'ci/stages/test.ts',
      }),
    );
    expect(brief).not.toBeNull();
    const order = await app.app.get(CommandBus).execute(
      new CreateWorkOrder({
        tenantId: 'wo',
        runId: null,
        incidentId: last,
        stepId: null,
        description: 'Make the test stage fit its timeout',
        ...brief!,
      }),
    );
    const detail = (await app.http.get(`/patches/work-orders/${order.id}`).set(auth(agentA)).expect(200)).body;
    expect(detail.priority).toBe('critical');
    expect(detail.complexity).toBe('small'); // two agents, one capability, a named file
    expect(detail.context).toMatchObject({
      incident: { id: last, errorType: 'pipeline_timeout', severity: 'critical' },
      pattern: { template: expect.stringContaining('timed out after') },
      affectedAgents: ['builder-1', 'builder-2'],
      capabilities: ['ci'],
      lastErrors: ['e2', 'e3', 'e4', 'e5', 'e6'],
      filePath: 'ci/stages/test.ts',
    });
    // Distinct messages, newest first, three at most.
    expect(detail.context.pattern.samples).toEqual([
      'stage test of pipeline release timed out after 900 s',
      'stage test of pipeline release timed out after 902 s',
      'stage test of pipeline release timed out after 901 s',
    ]);
    expect(
      await app.app
        .get(QueryBus)
        .execute(new BuildWorkOrderContext({ tenantId: 'wo-other', incidentId: last, runId: null })),
    ).toBeNull();
  });
});

describe('work-order leases on a replica without the relay', () => {
  it('the lease sweeper runs there too (OUTBOX_RELAY_ENABLED=false): a lapsed claim is back in the queue, seen by a read', async () => {
    const app = await startTestApp({ WORK_ORDER_CLAIM_MS: '300', OUTBOX_RELAY_ENABLED: 'false' });
    try {
      const agent = await app.keyFor('wo-lazy', 'agent');
      const order = await app.app.get(CommandBus).execute(
        new CreateWorkOrder({
          tenantId: 'wo-lazy',
          runId: null,
          incidentId: null,
          stepId: null,
          description: 'd',
          priority: 'low',
          complexity: 'small',
          context: { incident: null, pattern: null, affectedAgents: [], capabilities: [], lastErrors: [], runId: null },
        }),
      );
      await app.http.post(`/patches/work-orders/${order.id}/claim`).set('Authorization', `Bearer ${agent}`).expect(200);
      const back = await eventually(async () => {
        const w = (
          await app.http.get(`/patches/work-orders/${order.id}`).set('Authorization', `Bearer ${agent}`).expect(200)
        ).body;
        return w.status === 'queued' ? w : null;
      }, 'the sweeper to release the lapsed claim');
      expect(back.history.map((h: { to: string }) => h.to)).toEqual(['queued', 'claimed', 'queued']);
    } finally {
      await app.stop();
    }
  });
});

describe('a claimant’s report whose lease lapsed while it waited for the order’s lock', () => {
  // The lease (WORK_ORDER_CLAIM_MS, 1 h by default) is set by the tests themselves; the sweeper,
  // every minute, skips an order another transaction holds, as the release before each action does.
  let app: TestApp;
  let agentA: string;
  let agentB: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    app = await startTestApp();
    agentA = await app.keyFor('wo-held', 'agent');
    agentB = await app.keyFor('wo-held', 'agent');
  });
  afterAll(() => app.stop());

  const claimed = async () => {
    const order: WorkOrderView = await app.app.get(CommandBus).execute(
      new CreateWorkOrder({
        tenantId: 'wo-held',
        runId: null,
        incidentId: null,
        stepId: null,
        description: 'Fix the slow build stage',
        priority: 'high',
        complexity: 'small',
        context: { incident: null, pattern: null, affectedAgents: [], capabilities: [], lastErrors: [], runId: null },
      }),
    );
    const res = await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(agentA)).expect(200);
    return { id: order.id, claimToken: res.body.claimToken as string };
  };
  const reports = {
    progress: (claimToken: string) => ({ claimToken, note: 'halfway' }),
    complete: (claimToken: string) => ({ claimToken, testsPassed: true, summary: 'fixed' }),
    fail: (claimToken: string) => ({ claimToken, reason: 'cannot reproduce' }),
  };

  /**
   * Another transaction holds the order (`hold`, its statement, keeps it locked) while `report` is
   * made: the report's release of lapsed claims skips the order, and the report waits for its lock.
   * Once it waits, and `lapsed` says the lease has run out, the holder commits.
   */
  async function whileHeld<T>(id: string, hold: string, report: () => PromiseLike<T>, lapsed = async () => true) {
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(hold, [id]);
      const holderPid = (holder as unknown as { processID: number }).processID;
      const answer = (async () => report())();
      await eventually(async () => {
        const [{ n }] = await app.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
          [holderPid],
        );
        return n > 0;
      }, 'the report to wait for the order’s lock');
      await eventually(lapsed, 'the lease to lapse');
      await holder.query('COMMIT');
      return await answer;
    } finally {
      await holder.end();
    }
  }

  /** The report was refused as one under a lost claim, and kept; the order is back in the queue, another's to claim. */
  async function expectRefusedAndRequeued(id: string, kind: string, res: { status: number; body: any }) {
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      workOrderStatus: 'queued',
      message: expect.stringMatching(new RegExp(`no longer current: the work order is queued. Your ${kind} is kept`)),
    });
    const detail = (await app.http.get(`/patches/work-orders/${id}`).set(auth(agentB)).expect(200)).body;
    expect(detail).toMatchObject({ status: 'queued', claimedBy: null, result: null, failureReason: null });
    expect(detail.history.slice(-2)).toMatchObject([
      { from: 'claimed', to: 'queued', actor: 'lease' },
      { from: 'queued', to: 'queued', details: { lateReport: kind } },
    ]);
    expect((await app.http.post(`/patches/work-orders/${id}/claim`).set(auth(agentB)).expect(200)).body.status).toBe(
      'claimed',
    );
  }

  it.each(['progress', 'complete', 'fail'] as const)(
    'a %s whose lease another transaction ran out while holding the order is refused 409, and the order requeued',
    async (kind) => {
      const { id, claimToken } = await claimed();
      const res = await whileHeld(
        id,
        `UPDATE work_orders SET claim_expires_at = now() - interval '1 second' WHERE id = $1`,
        () => app.http.post(`/patches/work-orders/${id}/${kind}`).set(auth(agentA)).send(reports[kind](claimToken)),
      );
      await expectRefusedAndRequeued(id, kind, res);
    },
  );

  it('a complete whose lease ran out while it waited behind a transaction that only locked the order is refused 409, by the time the lock was held', async () => {
    const { id, claimToken } = await claimed();
    await app.sql(`UPDATE work_orders SET claim_expires_at = now() + interval '1 second' WHERE id = $1`, [id]);
    const res = await whileHeld(
      id,
      `SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE`,
      () => app.http.post(`/patches/work-orders/${id}/complete`).set(auth(agentA)).send(reports.complete(claimToken)),
      async () =>
        (await app.sql(`SELECT claim_expires_at <= now() AS lapsed FROM work_orders WHERE id = $1`, [id]))[0].lapsed,
    );
    await expectRefusedAndRequeued(id, 'complete', res);
  });
});
