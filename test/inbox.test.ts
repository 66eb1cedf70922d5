import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { CreateWorkOrder } from '../src/self-healing/patches/create-work-order/create-work-order.command.js';
import { connectActuator } from './support/actuators.js';
import { openSse } from './support/sse.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const HOUR = 3_600_000;

type Item = Record<string, any>;

/**
 * The inbox (DESIGN §12, issue 26 §2) through the real app and a real PostgreSQL: each kind of
 * item appears with its cause and leaves when the cause stops waiting (resolved elsewhere
 * included), assignments and snoozes are kept and audited, the live count moves, and another
 * tenant sees none of it.
 */
describe('inbox', () => {
  let app: TestApp;
  let operator: string;
  let admin: string;
  let viewer: string;
  let agent: string;
  let otherOperator: string;
  let seq = 0;

  const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  /** Every item of the tenant's inbox (snoozed ones too), all pages. */
  async function everything(key = operator, query = 'snoozed=include'): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/inbox?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`, key);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }
  const find = async (id: string, key = operator) => (await everything(key)).find((i) => i.id === id) ?? null;
  const appears = (id: string) => eventually(() => find(id), `inbox item ${id} to appear`);
  const leaves = (id: string) => eventually(async () => (await find(id)) === null, `inbox item ${id} to leave`);
  /** A work order raised through the command, as a run's escalation raises one (no run here). */
  const raiseWorkOrder = (
    tenantId: string,
    incidentId: string | null,
    description: string,
    o: { priority?: CreateWorkOrder['priority']; agents?: string[]; capabilities?: string[] } = {},
  ): Promise<{ id: string }> =>
    app.app.get(CommandBus).execute(
      new CreateWorkOrder({
        tenantId,
        runId: null,
        incidentId,
        stepId: null,
        description,
        priority: o.priority ?? 'high',
        complexity: 'small',
        context: {
          incident: null,
          pattern: null,
          affectedAgents: o.agents ?? [],
          capabilities: o.capabilities ?? [],
          lastErrors: [],
          runId: null,
        },
      }),
    );

  async function report(errorType: string, message: string, more: Record<string, unknown> = {}, key = operator) {
    const res = await app.http
      .post('/incidents')
      .set(auth(key))
      .send({ errorType, message, ...more })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${res.body.id}`, key)).items[0],
      'a recovery',
    );
    return { incidentId: res.body.id as string, recovery };
  }
  const complete = (runId: string, stepId: string, outcome: 'succeeded' | 'failed') =>
    app.http
      .post(`/runs/${runId}/steps/${stepId}/complete`)
      .set(auth(operator))
      .send({ outcome, note: 'done by hand' })
      .expect(200);
  const waitingStep = (runId: string, stepId: string) =>
    eventually(
      async () =>
        (await get(`/runs/${runId}`)).steps.find((s: Item) => s.id === stepId)?.status === 'awaiting_operator',
      `step ${stepId} to wait`,
    );

  beforeAll(async () => {
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      OUTBOX_POLL_INTERVAL_MS: '200',
      WORK_ORDER_CLAIM_MS: '1500',
      // Longer than any test: what the stream says came from an event, not from a refresh.
      INBOX_REFRESH_MS: '3600000',
    });
    operator = await app.keyFor('inbox', 'operator');
    admin = await app.keyFor('inbox', 'admin');
    viewer = await app.keyFor('inbox', 'viewer');
    agent = await app.keyFor('inbox', 'agent');
    otherOperator = await app.keyFor('inbox-other', 'operator');
  }, 60_000);
  afterAll(() => app.stop());

  it('review: the recoveries of one pattern awaiting review are one item, which leaves once they are decided', async () => {
    const first = await report('GizmoJam', 'gizmo 1 jammed in the feeder');
    const id = `review:${first.recovery.patternId}`;
    const item = await appears(id);
    expect(item).toMatchObject({
      kind: 'review',
      subject: { type: 'pattern', id: first.recovery.patternId },
      priority: 'medium',
      link: `/console/patterns/${first.recovery.patternId}`,
      assignee: null,
      snoozedUntil: null,
    });
    expect(item.title).toBe('Review 1 recovery for gizmojam: gizmo <NUM> jammed in the feeder');
    // A recovery awaiting review expires after RECOVERY_REVIEW_TTL_MS (7 days by default)...
    expect(Date.parse(item.deadline) - Date.parse(item.createdAt)).toBe(7 * 24 * HOUR);
    // ...or when an operator says: the item's deadline is the recovery's own.
    const expiresAt = new Date(Date.now() + 2 * HOUR).toISOString();
    await app.http.patch(`/recoveries/${first.recovery.id}`).set(auth(operator)).send({ expiresAt }).expect(200);
    expect((await find(id))?.deadline).toBe(expiresAt);

    // A group's priority is the highest severity of its open incidents.
    const second = await report('GizmoJam', 'gizmo 2 jammed in the feeder', { severity: 'high' });
    expect(second.recovery.patternId).toBe(first.recovery.patternId);
    await eventually(async () => (await find(id))?.title.startsWith('Review 2 recoveries'), 'the group to count two');
    expect((await find(id))?.priority).toBe('high');
    const third = await report('GizmoJam', 'gizmo 3 jammed in the feeder', { severity: 'low' });
    await eventually(async () => (await find(id))?.title.startsWith('Review 3 recoveries'), 'the group to count three');
    expect((await find(id))?.priority).toBe('high');
    // The high one resolved, its recovery no longer waits, and the group is as urgent as the rest.
    await app.http.post(`/incidents/${second.incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    await eventually(async () => (await find(id))?.title.startsWith('Review 2 recoveries'), 'the group to count two');
    expect((await find(id))?.priority).toBe('medium');
    await app.http.post(`/recoveries/${third.recovery.id}/reject`).set(auth(operator)).send({}).expect(200);

    await app.http.post(`/recoveries/${first.recovery.id}/reject`).set(auth(operator)).send({}).expect(200);
    await leaves(id);
    const fourth = await report('GizmoJam', 'gizmo 4 jammed in the feeder', { severity: 'critical' });
    await eventually(async () => (await find(id))?.priority === 'critical', 'the group to wait, critical');
    await app.http.post(`/recoveries/${fourth.recovery.id}/reject`).set(auth(operator)).send({}).expect(200);
    await leaves(id);
  });

  it('operator_step: each manual step waiting for its operator is an item, a rollback step too (more urgent), and leaves when done', async () => {
    // No actuator named ops in this tenant: every step of the playbook waits for a person.
    const { recovery } = await report(
      'OutOfMemoryError',
      'Worker pod ingest-7 OOMKilled: container exceeded memory limit 2048Mi',
      { severity: 'low' },
    );
    expect(recovery.playbookId).toBe('memory_cleanup');
    const run = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await leaves(`review:${recovery.patternId}`);

    const first = await appears(`operator_step:${run.id}:clear_cache`);
    expect(first).toMatchObject({
      kind: 'operator_step',
      subject: { type: 'run', id: run.id },
      priority: 'low',
      link: `/console/runs/${run.id}`,
    });
    expect(first.title).toMatch(/^Manual step clear_cache of memory_cleanup: /);
    // Waiting for its operator, but on a step for a person to do, not paused on a failure: the 409 says so.
    const retry = await app.http
      .post(`/runs/${run.id}/steps/clear_cache/retry`)
      .set(auth(operator))
      .send({})
      .expect(409);
    expect(retry.body.message).toContain('it waits for a person to do step clear_cache');

    await complete(run.id, 'clear_cache', 'succeeded');
    await leaves(`operator_step:${run.id}:clear_cache`);
    await waitingStep(run.id, 'reduce_batch');
    await appears(`operator_step:${run.id}:reduce_batch`);

    // The step fails: the run rolls back, and its rollback step waits for the operator too.
    await complete(run.id, 'reduce_batch', 'failed');
    const rollback = await appears(`operator_step:${run.id}:restore_batch`);
    expect(rollback.title).toMatch(/^Rollback step restore_batch of memory_cleanup: /);
    expect(rollback.priority).toBe('high');
    expect(await find(`operator_step:${run.id}:reduce_batch`)).toBeNull();

    await complete(run.id, 'restore_batch', 'succeeded');
    await eventually(async () => (await get(`/runs/${run.id}`)).status === 'rolled_back', 'the run to be rolled back');
    expect((await everything()).filter((i) => i.subject.id === run.id)).toEqual([]);
  });

  it('guardrail_hold: a trusted recovery a guardrail sent to review is held (not a plain review), and leaves once decided', async () => {
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send({ maxAutomaticRunsPerHour: 1 }).expect(200);
    const seed = await report('HeapExhausted', 'heap of cache node 1 exhausted', { agentId: 'cache-1' });
    await app.http
      .patch(`/catalog/patterns/${seed.recovery.patternId}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    const allowed = await report('HeapExhausted', 'heap of cache node 2 exhausted', { agentId: 'cache-2' });
    expect(allowed.recovery.status).toBe('applied');
    const held = await report('HeapExhausted', 'heap of cache node 3 exhausted', {
      agentId: 'cache-3',
      severity: 'critical',
    });
    expect(held.recovery.status).toBe('pending_review');

    const item = await appears(`guardrail_hold:${held.recovery.id}`);
    expect(item).toMatchObject({
      kind: 'guardrail_hold',
      subject: { type: 'recovery', id: held.recovery.id },
      // Its incident's severity.
      priority: 'critical',
      link: `/console/recoveries/${held.recovery.id}`,
    });
    expect(item.title).toContain('runs_per_hour');
    // The pattern's plain review is the seed's alone: a held recovery is not counted twice.
    expect((await find(`review:${held.recovery.patternId}`))?.title).toMatch(/^Review 1 recovery /);

    await app.http.post(`/recoveries/${held.recovery.id}/reject`).set(auth(operator)).send({}).expect(200);
    await leaves(item.id);
    await app.http.post(`/recoveries/${seed.recovery.id}/reject`).set(auth(operator)).send({}).expect(200);
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send({}).expect(200);
  });

  it('guardrail_hold: an automatic run the kill switch paused, until it is switched off', async () => {
    const tenantAdmin = await app.keyFor('inbox-ks', 'admin');
    const tenantOperator = await app.keyFor('inbox-ks', 'operator');
    const held: ServerResponse[] = [];
    const receiver = await startWebhookReceiver((call, res) => {
      if (call.json?.params?.action === 'drop_connection') held.push(res);
      else res.end('{"healthy":true}');
    });
    try {
      await connectActuator(app.http, tenantAdmin, receiver);
      const seed = await report('LinkReset', 'link to broker 1 reset by peer', { agentId: 'broker-1' }, tenantOperator);
      await app.http
        .patch(`/catalog/patterns/${seed.recovery.patternId}`)
        .set(auth(tenantAdmin))
        .send({ recoveryTemplate: { playbookId: 'reconnect', confidence: 0.95 }, autoApplyRecovery: true })
        .expect(200);
      const auto = await report('LinkReset', 'link to broker 2 reset by peer', { agentId: 'broker-2' }, tenantOperator);
      expect(auto.recovery.status).toBe('applied');
      const [run] = (await get(`/runs?incidentId=${auto.incidentId}`, tenantOperator)).items;
      // While its first call is out, the kill switch goes on; when the call returns, the run pauses.
      await eventually(async () => held.length === 1, 'the run to call its actuator');
      await app.http.post('/guard/killswitch').set(auth(tenantAdmin)).send({ reason: 'maintenance' }).expect(200);
      held[0].end('{}');
      const item = await eventually(
        () => find(`guardrail_hold:${run.id}`, tenantOperator),
        'the paused run in the inbox',
      );
      expect(item).toMatchObject({
        kind: 'guardrail_hold',
        subject: { type: 'run', id: run.id },
        link: `/console/runs/${run.id}`,
      });
      expect(item.title).toBe('Automatic run of reconnect paused by the kill switch');
      // Snoozed, it stays snoozed while it stays paused: the engine looking again now and then
      // (it rewrites the run) is no new waiting.
      const until = new Date(Date.now() + HOUR).toISOString();
      await app.http
        .post(`/inbox/guardrail_hold:${run.id}/snooze`)
        .set(auth(tenantOperator))
        .send({ until })
        .expect(200);
      const [{ updated_at: before }] = await app.sql(`SELECT updated_at FROM recovery_runs WHERE id = $1`, [run.id]);
      await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [run.id]);
      await eventually(async () => {
        const [{ updated_at }] = await app.sql(`SELECT updated_at FROM recovery_runs WHERE id = $1`, [run.id]);
        return updated_at > before;
      }, 'the engine to look at the paused run again');
      expect(await find(`guardrail_hold:${run.id}`, tenantOperator)).toMatchObject({
        snoozedUntil: until,
        createdAt: item.createdAt,
      });

      await app.http.delete('/guard/killswitch').set(auth(tenantAdmin)).expect(200);
      await eventually(
        async () => (await find(`guardrail_hold:${run.id}`, tenantOperator)) === null,
        'the run to leave the inbox once it goes on',
      );
    } finally {
      for (const res of held) if (!res.writableEnded) res.end('{}');
      await receiver.close();
    }
  });

  it('work_order: a snooze set on a lapsed claim before the sweeper returned the order still holds after it', async () => {
    // A tenant of its own: the snooze stays, and the other tests count the snoozed items of theirs.
    const [lapseOperator, lapseAgent] = [
      await app.keyFor('inbox-lapse', 'operator'),
      await app.keyFor('inbox-lapse', 'agent'),
    ];
    const order = await raiseWorkOrder('inbox-lapse', null, 'fix the tokenizer', { priority: 'medium' });
    const id = `work_order:${order.id}`;
    await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(lapseAgent)).send({}).expect(200);
    // The order's row locked: the sweeper skips it, so the lapsed claim stays unswept while it is snoozed.
    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE', [order.id]);
      await eventually(() => find(id, lapseOperator), 'the lapsed claim to show as stuck');
      const until = new Date(Date.now() + 24 * HOUR).toISOString();
      await app.http.post(`/inbox/${id}/snooze`).set(auth(lapseOperator)).send({ until }).expect(200);
      expect(await find(id, lapseOperator)).toMatchObject({ snoozedUntil: until });
      await blocker.query('COMMIT');
      await eventually(
        async () => (await app.sql(`SELECT status FROM work_orders WHERE id = $1`, [order.id]))[0].status === 'queued',
        'the sweeper to return the order to the queue',
      );
      // The same waiting (the same lapse), so the same snooze.
      expect(await find(id, lapseOperator)).toMatchObject({
        snoozedUntil: until,
        title: 'Work order stuck (its claim lapsed): fix the tokenizer',
      });
    } finally {
      await blocker.end();
    }
  });

  it('work_order: stuck once a claim lapsed, failed once it failed, gone once its incident is resolved', async () => {
    const incident = (
      await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType: 'CodeBug', message: `null deref in parser ${++seq}` })
        .expect(201)
    ).body;
    const order = await raiseWorkOrder('inbox', incident.id, 'fix the parser', {
      agents: ['parser-agent'],
      capabilities: ['parse'],
    });
    const id = `work_order:${order.id}`;
    // Queued for a coding agent: nobody's to do yet.
    expect(await find(id)).toBeNull();
    await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(agent)).send({}).expect(200);
    // No progress within WORK_ORDER_CLAIM_MS: the claim lapses and the order is back in the queue, stuck.
    const stuck = await eventually(() => find(id), 'the lapsed claim to show as stuck');
    expect(stuck).toMatchObject({
      kind: 'work_order',
      priority: 'high',
      subject: { type: 'work_order', id: order.id },
      link: `/console/work-orders/${order.id}`,
    });
    expect(stuck.title).toBe('Work order stuck (its claim lapsed): fix the parser');
    // Snoozed while it is stuck: the snooze is about that, not about what happens to the order next.
    const until = new Date(Date.now() + 24 * HOUR).toISOString();
    await app.http.post(`/inbox/${id}/snooze`).set(auth(operator)).send({ until }).expect(200);
    expect(await find(id)).toMatchObject({ snoozedUntil: until });

    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(agent)).send({}).expect(200)
    ).body;
    expect(await find(id)).toBeNull(); // claimed again: an agent has it
    await app.http
      .post(`/patches/work-orders/${order.id}/fail`)
      .set(auth(agent))
      .send({ claimToken, reason: 'needs a schema change' })
      .expect(200);
    const failed = await appears(id);
    expect(failed.title).toBe('Work order failed: fix the parser');
    expect(failed.snoozedUntil).toBeNull(); // news since the snooze: in the inbox, not hidden
    expect((await everything(operator, 'snoozed=exclude')).map((i) => i.id)).toContain(id);

    await app.http
      .post(`/incidents/${incident.id}/resolve`)
      .set(auth(operator))
      .send({ note: 'fixed by hand' })
      .expect(200);
    await leaves(id);
  });

  it("work_order: a failed one without an incident (a POST /patches/trigger run's) leaves once its run has finished", async () => {
    const triggered = (
      await app.http
        .post('/patches/trigger')
        .set(auth(operator))
        .send({ errorType: 'verification_failed', description: `output failed verification: ${++seq} tests failed` })
        .expect(201)
    ).body;
    expect(triggered).toMatchObject({ escalatedToCoding: true, workOrderId: expect.any(String) });
    expect((await get(`/patches/work-orders/${triggered.workOrderId}`, agent)).incidentId).toBeNull();
    const id = `work_order:${triggered.workOrderId}`;
    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${triggered.workOrderId}/claim`).set(auth(agent)).send({}).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${triggered.workOrderId}/fail`)
      .set(auth(agent))
      .send({ claimToken, reason: 'cannot reproduce the failing verification' })
      .expect(200);
    // Failure fails the run (DESIGN §9): it rolls back, by hand here (the tenant has no actuator named
    // ops). Until the run has finished, the failure still waits to be dealt with.
    await waitingStep(triggered.runId, 'revert_deploy');
    expect((await find(id))?.title).toMatch(/^Work order failed: /);
    await complete(triggered.runId, 'revert_deploy', 'succeeded');
    await eventually(
      async () => (await get(`/runs/${triggered.runId}`)).status === 'rolled_back',
      'the run to be rolled back',
    );
    // Finished, nothing waits on it: it has no incident to resolve, and a failed order can be
    // neither claimed again nor canceled.
    expect(await find(id)).toBeNull();
    await app.http.post(`/patches/work-orders/${triggered.workOrderId}/claim`).set(auth(agent)).send({}).expect(409);
    await app.http
      .post(`/patches/work-orders/${triggered.workOrderId}/cancel`)
      .set(auth(operator))
      .send({ reason: 'dismiss' })
      .expect(409);
  });

  it('draft_policy: a draft waits for activation, and leaves once activated', async () => {
    const policy = (
      await app.http
        .post('/policies')
        .set(auth(admin))
        .send({
          name: 'block flaky agent',
          category: 'safety',
          action: 'warn',
          scope: 'tenant',
          condition: 'request.agentId == "flaky"',
        })
        .expect(201)
    ).body;
    const item = await appears(`draft_policy:${policy.id}`);
    expect(item).toMatchObject({
      kind: 'draft_policy',
      priority: 'low',
      subject: { type: 'policy', id: policy.id },
      link: `/console/policies/${policy.id}`,
      deadline: null,
    });
    expect(item.title).toBe('Draft policy waits for activation: block flaky agent');
    await app.http.post(`/policies/${policy.id}/activate`).set(auth(admin)).send({}).expect(200);
    await leaves(item.id);
  });

  it('escalation: an armed degradation escalation waits until its incident is resolved', async () => {
    const t0 = Date.now() - 171 * HOUR;
    const at = (h: number) => new Date(t0 + h * HOUR).toISOString();
    const week = Array.from({ length: 168 }, (_, i) => ({
      metric: 'latency_ms',
      agentId: 'esc-agent',
      capability: 'summarise',
      value: 100 + ((i * 7) % 5) - 2,
      at: at(i),
    }));
    await app.http.post('/signals/metrics').set(auth(operator)).send({ samples: week }).expect(200);
    const spikes = [168, 169, 170].map((h) => ({
      metric: 'latency_ms',
      agentId: 'esc-agent',
      capability: 'summarise',
      value: 160,
      at: at(h),
    }));
    const res = (await app.http.post('/signals/metrics').set(auth(operator)).send({ samples: spikes }).expect(200))
      .body;
    expect(res.escalations).toHaveLength(1);
    const escalation = res.escalations[0];
    const item = await appears(`escalation:${escalation.id}`);
    expect(item).toMatchObject({
      kind: 'escalation',
      priority: 'high',
      deadline: escalation.expiresAt,
      link: `/console/incidents/${escalation.incidentId}`,
      title: 'Degradation of latency_ms on esc-agent / summarise (3 symptoms)',
    });
    await app.http.post(`/incidents/${escalation.incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    await leaves(item.id);
  });

  it('work_order: failed orders of a resolved incident, however many, are neither counted nor hide an older one that still waits', async () => {
    // A tenant of its own: the one that still waits failed 10 hours ago on an open incident; then a
    // storm of 510 failures, an hour ago, on an incident resolved since (nothing left to do about them).
    const key = await app.keyFor('inbox-wo-storm', 'operator');
    const incident = async (message: string) =>
      (await app.http.post('/incidents').set(auth(key)).send({ errorType: 'CodeBug', message }).expect(201)).body
        .id as string;
    const open = await incident('null deref in the parser, still open');
    const fixed = await incident('overflow in the lexer, fixed by hand');
    const failed = (incidentId: string, count: number, minutesAgo: number) =>
      app.sql<{ id: string }>(
        `INSERT INTO work_orders (id, tenant_id, incident_id, description, priority, complexity, status, failure_reason,
                                  created_at, updated_at, finished_at)
         SELECT gen_random_uuid(), 'inbox-wo-storm', $1, 'fix it ' || i, 'high', 'small', 'failed', 'needs a schema change',
                t, t, t
           FROM generate_series(1, $2::int) i, LATERAL (SELECT now() - make_interval(mins => $3::int, secs => -i) AS t) at
         RETURNING id`,
        [incidentId, count, minutesAgo],
      );
    const [waits] = await failed(open, 1, 600);
    await failed(fixed, 510, 60);
    expect((await get('/inbox/summary', key)).byKind.work_order).toBe(511);

    await app.http.post(`/incidents/${fixed}/resolve`).set(auth(key)).send({ note: 'fixed' }).expect(200);
    // Once the resolution has reached self-healing, its orders wait no more, wherever they stood.
    await eventually(
      async () => (await get('/inbox/summary', key)).byKind.work_order === 1,
      'the resolved incident’s failed orders to stop waiting',
    );
    expect((await everything(key, 'snoozed=include&kind=work_order')).map((i) => i.id)).toEqual([
      `work_order:${waits.id}`,
    ]);
    // Still itself: an order raised on the resolved incident afterwards is settled from the start.
    const late = await raiseWorkOrder('inbox-wo-storm', fixed, 'fix the lexer again');
    await app.sql(
      `UPDATE work_orders SET status = 'failed', failure_reason = 'no', finished_at = now() WHERE id = $1`,
      [late.id],
    );
    expect((await get('/inbox/summary', key)).byKind.work_order).toBe(1);
  });

  it('work_order: one raised while its incident is being resolved is settled too (the resolution waits for it)', async () => {
    const key = await app.keyFor('inbox-wo-race', 'operator');
    const incidentId = (
      await app.http.post('/incidents').set(auth(key)).send({ errorType: 'CodeBug', message: 'race' }).expect(201)
    ).body.id as string;
    // The order's transaction (as a run's turn or POST /patches/trigger raises one) stays open...
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let orderId = '';
    const raising = app.app.get(TransactionHost).run(async () => {
      orderId = (await raiseWorkOrder('inbox-wo-race', incidentId, 'fix the race')).id;
      await gate;
    });
    await eventually(async () => orderId !== '', 'the order to be raised, uncommitted');
    // ...while the incident is resolved: the resolution either waits on the order's hold or (unheld) goes first.
    const resolving = app.http.post(`/incidents/${incidentId}/resolve`).set(auth(key)).send({});
    let done = false;
    const resolved = resolving.then((res) => ((done = true), res));
    await eventually(async () => {
      if (done) return true;
      const [{ n }] = await app.sql(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE incidents%'`,
      );
      return n > 0;
    }, 'the resolution to wait for the order, or to finish');
    release();
    await raising;
    expect((await resolved).status).toBe(200);
    await eventually(
      async () =>
        (await app.sql(`SELECT incident_resolved_at FROM work_orders WHERE id = $1`, [orderId]))[0]
          .incident_resolved_at !== null,
      'the order to be settled by the resolution',
    );
  });

  it('escalation: escalations of a resolved incident, however many, are neither counted nor hide an older one that still waits', async () => {
    const key = await app.keyFor('inbox-esc-storm', 'operator');
    // Escalations and their incidents as degradation detection leaves them (it raises its incidents
    // with source 'degradation', and intake hears only those incidents' resolutions).
    const incident = async (message: string) => {
      const { id } = (
        await app.http.post('/incidents').set(auth(key)).send({ errorType: 'Degradation', message }).expect(201)
      ).body;
      await app.sql(`UPDATE incidents SET source = 'degradation' WHERE id = $1`, [id]);
      return id as string;
    };
    const open = await incident('latency of the summariser, still degraded');
    const fixed = await incident('latency of the translator, fixed');
    const armed = (incidentId: string, count: number, minutesAgo: number) =>
      app.sql<{ id: string }>(
        `INSERT INTO signal_escalations (id, tenant_id, metric, agent_id, capability, armed_at, expires_at, symptom_ids, incident_id)
         SELECT gen_random_uuid(), 'inbox-esc-storm', 'latency_ms', 'agent-' || i, 'summarise',
                now() - make_interval(mins => $3::int, secs => -i), now() + interval '20 hours', '{}', $1
           FROM generate_series(1, $2::int) i RETURNING id`,
        [incidentId, count, minutesAgo],
      );
    const [waits] = await armed(open, 1, 600);
    await armed(fixed, 510, 60);
    expect((await get('/inbox/summary', key)).byKind.escalation).toBe(511);

    await app.http.post(`/incidents/${fixed}/resolve`).set(auth(key)).send({}).expect(200);
    await eventually(
      async () => (await get('/inbox/summary', key)).byKind.escalation === 1,
      'the resolved incident’s escalations to stop waiting',
    );
    expect((await everything(key, 'snoozed=include&kind=escalation')).map((i) => i.id)).toEqual([
      `escalation:${waits.id}`,
    ]);
  });

  describe('assign and snooze', () => {
    let itemId: string;
    beforeAll(async () => {
      const policy = (
        await app.http
          .post('/policies')
          .set(auth(admin))
          .send({
            name: 'assign me',
            category: 'operational',
            action: 'warn',
            scope: 'tenant',
            condition: 'request.agentId == "x"',
          })
          .expect(201)
      ).body;
      itemId = `draft_policy:${policy.id}`;
      await appears(itemId);
    });

    it('an item is given to a person, listed by assignee, and back to nobody', async () => {
      const assigned = await app.http
        .post(`/inbox/${itemId}/assign`)
        .set(auth(operator))
        .send({ assignee: 'dana@example.com' })
        .expect(200);
      expect(assigned.body).toMatchObject({ id: itemId, assignee: 'dana@example.com' });
      expect((await everything(operator, 'assignee=dana%40example.com')).map((i) => i.id)).toEqual([itemId]);
      expect((await everything(operator, 'assignee=none')).map((i) => i.id)).not.toContain(itemId);
      await app.http.post(`/inbox/${itemId}/assign`).set(auth(viewer)).send({ assignee: 'eve' }).expect(403);
      await app.http.post(`/inbox/${itemId}/assign`).set(auth(operator)).send({}).expect(400);
    });

    it('a snoozed item is hidden until then, listed on asking, and counted apart', async () => {
      const before = await get('/inbox/summary');
      const until = new Date(Date.now() + HOUR).toISOString();
      const snoozed = await app.http.post(`/inbox/${itemId}/snooze`).set(auth(operator)).send({ until }).expect(200);
      expect(snoozed.body).toMatchObject({ id: itemId, snoozedUntil: until, assignee: 'dana@example.com' });
      expect((await everything(operator, 'kind=draft_policy')).map((i) => i.id)).not.toContain(itemId);
      expect((await everything(operator, 'snoozed=only')).map((i) => i.id)).toEqual([itemId]);
      const after = await get('/inbox/summary');
      expect(after.snoozed).toBe(before.snoozed + 1);
      expect(after.byKind.draft_policy).toBe(before.byKind.draft_policy - 1);

      for (const bad of [
        new Date(Date.now() - 1000).toISOString(),
        new Date(Date.now() + 100 * 24 * HOUR).toISOString(),
        'tomorrow',
      ]) {
        const res = await app.http.post(`/inbox/${itemId}/snooze`).set(auth(operator)).send({ until: bad }).expect(400);
        expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(['until']);
      }
      await app.http.post(`/inbox/${itemId}/snooze`).set(auth(operator)).send({ until: null }).expect(200);
      expect((await everything(operator, 'kind=draft_policy')).map((i) => i.id)).toContain(itemId);
    });

    it('what does not wait cannot be assigned or snoozed (404)', async () => {
      for (const id of ['review:0190a0a0-0000-7000-8000-0000000000ff', 'nonsense', 'draft_policy:../../etc']) {
        await app.http
          .post(`/inbox/${encodeURIComponent(id)}/assign`)
          .set(auth(operator))
          .send({ assignee: 'dana' })
          .expect(404);
      }
    });

    it('assignments and snoozes are in the audit log, by whom', async () => {
      const entries = (await get('/audit?subjectType=inbox_item', admin)).items.filter(
        (e: Item) => e.subject.id === itemId,
      );
      expect(entries.map((e: Item) => e.action).sort()).toEqual([
        'inbox_item.assigned',
        'inbox_item.snoozed',
        'inbox_item.snoozed',
      ]);
      expect(entries.every((e: Item) => e.actor !== 'system')).toBe(true);
      const assigned = entries.find((e: Item) => e.action === 'inbox_item.assigned');
      expect(assigned).toMatchObject({ before: { assignee: null }, after: { assignee: 'dana@example.com' } });
    });
  });

  it('an item past the newest 500 of its kind (the oldest hold of a guardrail storm) is assigned and snoozed, and 404 once it no longer waits', async () => {
    // A tenant of its own: 511 holds would crowd the others' pages.
    const [stormAdmin, stormOperator] = [
      await app.keyFor('inbox-storm', 'admin'),
      await app.keyFor('inbox-storm', 'operator'),
    ];
    await app.http
      .put('/self-healing/guardrails')
      .set(auth(stormAdmin))
      .send({ maxAutomaticRunsPerHour: 1 })
      .expect(200);
    const seed = await report('DiskFull', 'disk of store node 1 full', { agentId: 'store-1' }, stormOperator);
    await app.http
      .patch(`/catalog/patterns/${seed.recovery.patternId}`)
      .set(auth(stormAdmin))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    expect(
      (await report('DiskFull', 'disk of store node 2 full', { agentId: 'store-2' }, stormOperator)).recovery.status,
    ).toBe('applied');
    const oldest = (await report('DiskFull', 'disk of store node 3 full', { agentId: 'store-3' }, stormOperator))
      .recovery;
    expect(oldest.status).toBe('pending_review');
    // The storm: 510 more holds, each newer than the first (copies of it, as a burst of alerts would file them).
    await app.sql(
      `INSERT INTO recovery_candidates
       SELECT (jsonb_populate_record(r, jsonb_build_object('id', gen_random_uuid(),
               'created_at', r.created_at + make_interval(secs => i / 1000.0)))).*
         FROM recovery_candidates r, generate_series(1, 510) i WHERE r.id = $1`,
      [oldest.id],
    );
    const id = `guardrail_hold:${oldest.id}`;
    expect((await get('/inbox/summary', stormOperator)).byKind.guardrail_hold).toBe(511);
    const listed = await everything(stormOperator, 'snoozed=include&kind=guardrail_hold');
    expect(listed).toHaveLength(500);
    expect(listed.map((i) => i.id)).not.toContain(id);

    const assigned = await app.http
      .post(`/inbox/${id}/assign`)
      .set(auth(stormOperator))
      .send({ assignee: 'dana@example.com' })
      .expect(200);
    expect(assigned.body).toMatchObject({
      id,
      kind: 'guardrail_hold',
      subject: { type: 'recovery', id: oldest.id },
      assignee: 'dana@example.com',
      snoozedUntil: null,
    });
    expect(assigned.body.createdAt).toBe(oldest.createdAt);
    const until = new Date(Date.now() + HOUR).toISOString();
    const snoozed = await app.http.post(`/inbox/${id}/snooze`).set(auth(stormOperator)).send({ until }).expect(200);
    expect(snoozed.body).toMatchObject({ id, assignee: 'dana@example.com', snoozedUntil: until });
    const audited = (await get(`/audit?subjectType=inbox_item&subjectId=${id}`, stormAdmin)).items;
    expect(audited.map((e: Item) => e.action).sort()).toEqual(['inbox_item.assigned', 'inbox_item.snoozed']);

    // Decided, it no longer waits: 404, however far back it was.
    await app.http.post(`/recoveries/${oldest.id}/reject`).set(auth(stormOperator)).send({}).expect(200);
    await app.http.post(`/inbox/${id}/assign`).set(auth(stormOperator)).send({ assignee: 'eve' }).expect(404);
    await app.http.post(`/inbox/${id}/snooze`).set(auth(stormOperator)).send({ until: null }).expect(404);
  });

  it('the summary counts a snoozed item past the newest 500 of its kind as snoozed, not waiting', async () => {
    // A tenant of its own, and holds made directly: 511 recoveries a guardrail held, the oldest 2 hours ago.
    const key = await app.keyFor('inbox-snooze-storm', 'operator');
    const held = async (count: number, ago: string) =>
      (
        await app.sql<{ id: string }>(
          `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action,
                                            suggestion_type, confidence, status, held_by, created_at)
           SELECT gen_random_uuid(), 'inbox-snooze-storm', gen_random_uuid(), gen_random_uuid(), 'memory_cleanup',
                  'restart', 'template', 0.9, 'pending_review', 'blast radius: too many agents at once', now() - ${ago}
             FROM generate_series(1, $1::int) i RETURNING id`,
          [count],
        )
      ).map((r) => r.id);
    const [oldest] = await held(1, `interval '2 hours'`);
    await held(510, `make_interval(secs => i)`);
    const id = `guardrail_hold:${oldest}`;
    const summary = () => get('/inbox/summary', key);
    expect(await summary()).toEqual({
      total: 511,
      byKind: expect.objectContaining({ guardrail_hold: 511 }),
      snoozed: 0,
    });
    expect((await everything(key, 'snoozed=include&kind=guardrail_hold')).map((i) => i.id)).not.toContain(id);

    const until = new Date(Date.now() + HOUR).toISOString();
    await app.http.post(`/inbox/${id}/snooze`).set(auth(key)).send({ until }).expect(200);
    // Snoozed, it no longer waits: one fewer, though the inbox does not list it.
    expect(await summary()).toEqual({
      total: 510,
      byKind: expect.objectContaining({ guardrail_hold: 510 }),
      snoozed: 1,
    });
    // A snooze of one listed too: both counted apart.
    const [newest] = await everything(key, 'kind=guardrail_hold');
    await app.http.post(`/inbox/${newest.id}/snooze`).set(auth(key)).send({ until }).expect(200);
    expect(await summary()).toEqual({
      total: 509,
      byKind: expect.objectContaining({ guardrail_hold: 509 }),
      snoozed: 2,
    });
    // Decided, the snoozed one no longer waits at all: neither waiting nor snoozed.
    await app.sql(`UPDATE recovery_candidates SET status = 'rejected' WHERE id = $1`, [oldest]);
    expect(await summary()).toEqual({
      total: 509,
      byKind: expect.objectContaining({ guardrail_hold: 509 }),
      snoozed: 1,
    });
  });

  it('the tenant stream says inbox_changed, with the new count, when the inbox moves; another tenant hears none of it', async () => {
    const heard: Item[] = [];
    const otherHeard: Item[] = [];
    const stream = openSse(
      `${app.url}/integration/stream`,
      auth(viewer),
      (event, data) => event === 'inbox_changed' && heard.push(data),
    );
    const otherStream = openSse(
      `${app.url}/integration/stream`,
      auth(otherOperator),
      (event, data) => event === 'inbox_changed' && otherHeard.push(data),
    );
    try {
      await Promise.all([stream.opened, otherStream.opened]);
      // A new review (the loop's news): the count goes up. Read once its loop is done (the draft
      // policy after the review moves the count too), as the stream has told it.
      const { incidentId: first, recovery } = await report('WidgetStall', 'widget 9 stalled on belt');
      await eventually(async () => (await get(`/integration/loop/${first}`)).isComplete, 'its loop to complete');
      const grown = await get('/inbox/summary');
      expect(grown.byKind.review).toBeGreaterThanOrEqual(1);
      await eventually(
        async () => JSON.stringify(heard.at(-1)) === JSON.stringify(grown),
        'inbox_changed with the new review',
      );
      // A snooze (an explicit signal, no loop news): the count goes down and the snoozed count up.
      await app.http
        .post(`/inbox/review:${recovery.patternId}/snooze`)
        .set(auth(operator))
        .send({ until: new Date(Date.now() + HOUR).toISOString() })
        .expect(200);
      await eventually(
        async () => heard.some((s) => s.snoozed === grown.snoozed + 1 && s.total === grown.total - 1),
        'inbox_changed after the snooze',
      );
      // A rejection (a person's decision, no run): the review leaves the count.
      const { incidentId, recovery: rejected } = await report('WidgetSkew', 'widget 4 skewed on belt');
      await eventually(async () => (await get(`/integration/loop/${incidentId}`)).isComplete, 'its loop to complete');
      // The stream has told the count as it is now: nothing of the loop is left to move it.
      const before = await get('/inbox/summary');
      await eventually(
        async () => JSON.stringify(heard.at(-1)) === JSON.stringify(before),
        'inbox_changed with the second review',
      );
      await app.http.post(`/recoveries/${rejected.id}/reject`).set(auth(operator)).send({}).expect(200);
      await eventually(
        async () => heard.some((s) => s.total === before.total - 1 && s.byKind.review === before.byKind.review - 1),
        'inbox_changed after the rejection',
      );
      expect(otherHeard.every((s) => s.total === 0)).toBe(true);
    } finally {
      stream.close();
      otherStream.close();
    }
  });

  it('pages with a cursor: the most urgent first, then the longest waiting', async () => {
    const all = await everything();
    const pages: Item[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Item[]; nextCursor: string | null } = await get(
        `/inbox?snoozed=include&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      pages.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((i) => i.id)).toEqual(all.map((i) => i.id));
    const rank = ['low', 'medium', 'high', 'critical'];
    for (let i = 1; i < pages.length; i++) {
      const [a, b] = [pages[i - 1], pages[i]];
      expect(
        rank.indexOf(a.priority) > rank.indexOf(b.priority) ||
          (a.priority === b.priority && a.createdAt <= b.createdAt),
      ).toBe(true);
    }
    const bad = await app.http.get('/inbox?cursor=bm9wZQ').set(auth(operator)).expect(400);
    expect(bad.body.fields[0].field).toBe('cursor');
    // A cursor of our shape whose priority is not an index (an array's own property names included) is refused too.
    const forged = (p: unknown) =>
      Buffer.from(JSON.stringify({ p, at: pages[0]!.createdAt, id: pages[0]!.id })).toString('base64url');
    await app.http
      .get(`/inbox?snoozed=include&cursor=${forged(0)}`)
      .set(auth(operator))
      .expect(200);
    for (const p of ['constructor', 'length', 1.5, '1'])
      expect((await app.http.get(`/inbox?cursor=${forged(p)}`).set(auth(operator))).status).toBe(400);
  });

  it("another tenant's items are never listed, and cannot be assigned", async () => {
    const mine = await everything();
    expect(mine.length).toBeGreaterThan(0);
    const theirs = await everything(otherOperator);
    const ids = new Set(mine.map((i) => i.subject.id));
    expect(theirs.filter((i) => ids.has(i.subject.id))).toEqual([]);
    await app.http
      .post(`/inbox/${mine[0].id}/assign`)
      .set(auth(otherOperator))
      .send({ assignee: 'mallory' })
      .expect(404);
    expect((await get('/inbox/summary', otherOperator)).total).toBe(0);
  });
});
