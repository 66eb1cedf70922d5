import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_KEY, ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

interface Delivery {
  id: string;
  handler: string;
  eventType: string;
  incidentId: string | null;
  loopStage: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
}

/**
 * Every dead letter of the outbox can be retried, not only those of a loop stage of an incident
 * (`POST /integration/loop/:incidentId/retry/:stage`): `GET /integration/outbox/deliveries` lists
 * them and `POST …/:id/retry` re-queues one. One attempt per delivery, so a refused write
 * dead-letters at once. Real HTTP, real PostgreSQL.
 */
describe('outbox dead letters: list and retry any of them', () => {
  let app: TestApp;
  let admin: string;
  let operator: string;
  let viewer: string;
  let otherOperator: string;
  const TENANT = 'dl';

  beforeAll(async () => {
    app = await startTestApp({ ...ALLOW_LOOPBACK, OUTBOX_MAX_ATTEMPTS: '1', OUTBOX_POLL_INTERVAL_MS: '100' });
    admin = await app.keyFor(TENANT, 'admin');
    operator = await app.keyFor(TENANT, 'operator');
    viewer = await app.keyFor(TENANT, 'viewer');
    otherOperator = await app.keyFor('dl-other', 'operator');
  });
  afterAll(() => app.stop());

  const deadLetters = async (key = viewer): Promise<Delivery[]> =>
    (await app.http.get('/integration/outbox/deliveries?status=dead').set(auth(key)).expect(200)).body.items;
  const untilDeadOf = (handler: string, eventType: string) =>
    eventually(
      async () => (await deadLetters()).find((d) => d.handler === handler && d.eventType === eventType),
      `a dead letter of ${handler} (${eventType})`,
    );
  const untilDone = (id: string) =>
    eventually(async () => {
      const d = (await app.http.get(`/integration/outbox/deliveries/${id}`).set(auth(viewer)).expect(200)).body;
      return d.status === 'done' ? (d as Delivery) : null;
    }, `delivery ${id} to be done`);

  it("retries bridge 4's dead PolicyActivated of a manual activation (no incident): the active policy's adjustments stop expiring", async () => {
    const reported = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({ errorType: 'timeout', message: 'upstream timed out after 30s', agentId: 'agent-a' })
      .expect(201);
    const incidentId = reported.body.id as string;
    await eventually(
      async () => (await app.http.get(`/integration/loop/${incidentId}`).set(auth(viewer))).body.isComplete,
      'the loop to complete',
    );
    const [policy] = await app.sql<{ id: string; status: string }>(
      `SELECT id, status FROM policy_rules WHERE tenant_id = $1`,
      [TENANT],
    );
    expect(policy.status).toBe('draft'); // a first incident: a draft, whose adjustments expire
    const adjustments = () =>
      app.sql<{ expires_at: Date | null }>(`SELECT expires_at FROM routing_adjustments WHERE source_policy_id = $1`, [
        policy.id,
      ]);
    expect((await adjustments()).length).toBeGreaterThan(0);
    expect((await adjustments()).every((a) => a.expires_at !== null)).toBe(true);

    // Bridge 4 cannot write what a manual activation asks (a transient refusal of the database).
    await app.sql(`CREATE FUNCTION dl_refuse_routing() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN RAISE EXCEPTION 'routing refused for the test'; END $$`);
    await app.sql(`CREATE TRIGGER dl_refuse_routing BEFORE INSERT ON decisions FOR EACH ROW
                   WHEN (NEW.tenant_id = 'dl' AND NEW.kind = 'routing' AND NEW.incident_id IS NULL)
                   EXECUTE FUNCTION dl_refuse_routing()`);
    let dead: Delivery;
    try {
      await app.http.post(`/policies/${policy.id}/activate`).set(auth(admin)).expect(200);
      dead = await untilDeadOf('bridge_4.policy-to-routing', 'PolicyActivated');
    } finally {
      await app.sql(`DROP TRIGGER dl_refuse_routing ON decisions; DROP FUNCTION dl_refuse_routing()`);
    }
    expect(dead).toMatchObject({
      incidentId: null,
      loopStage: null,
      status: 'dead',
      attempts: 1,
      lastError: 'routing refused for the test',
    });
    // The loop's retry cannot reach it: the dead letter has no incident.
    await app.http.post(`/integration/loop/${incidentId}/retry/routing_adjusted`).set(auth(operator)).expect(409);
    expect((await adjustments()).every((a) => a.expires_at !== null)).toBe(true);

    const retried = await app.http
      .post(`/integration/outbox/deliveries/${dead.id}/retry`)
      .set(auth(operator))
      .expect(200);
    expect(retried.body).toMatchObject({ id: dead.id, status: 'pending', attempts: 0, lastError: null });
    await untilDone(dead.id);
    expect(await adjustments()).not.toEqual([]);
    expect((await adjustments()).map((a) => a.expires_at)).toEqual((await adjustments()).map(() => null));
    expect((await deadLetters()).map((d) => d.id)).not.toContain(dead.id);

    // The retry is a person's decision, in the audit log; it names no error text.
    const keys = (await app.http.get('/admin/api-keys').set(auth(ADMIN_KEY)).expect(200)).body.items as Array<{
      id: string;
      keyPrefix: string;
    }>;
    const audited = (
      await app.http.get(`/audit?action=outbox_delivery.retried&subjectId=${dead.id}`).set(auth(viewer)).expect(200)
    ).body.items;
    expect(audited).toEqual([
      expect.objectContaining({
        actor: keys.find((k) => operator.startsWith(k.keyPrefix))!.id,
        action: 'outbox_delivery.retried',
        subject: { type: 'outbox_delivery', id: dead.id },
        before: {
          status: 'dead',
          attempts: 1,
          handler: 'bridge_4.policy-to-routing',
          eventType: 'PolicyActivated',
          incidentId: null,
        },
        after: { status: 'pending', attempts: 0, loopStage: null },
      }),
    ]);
    expect(JSON.stringify(audited)).not.toContain('refused for the test');
  });

  it('retries a dead letter of a handler of no loop stage (integration.notifications), which then does its work', async () => {
    await app.http
      .put('/notifications/channels/dl-hook')
      .set(auth(admin))
      .send({ type: 'webhook', url: 'http://127.0.0.1:9/events' })
      .expect(201);
    await app.http
      .put('/notifications/rules/dl-kill')
      .set(auth(admin))
      .send({ channel: 'dl-hook', events: ['killswitch.changed'], repeatIntervalMs: 0 })
      .expect(201);
    await app.sql(`CREATE FUNCTION dl_refuse_notice() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN RAISE EXCEPTION 'notice refused for the test'; END $$`);
    await app.sql(`CREATE TRIGGER dl_refuse_notice BEFORE INSERT ON notification_deliveries FOR EACH ROW
                   WHEN (NEW.tenant_id = 'dl') EXECUTE FUNCTION dl_refuse_notice()`);
    let dead: Delivery;
    try {
      await app.http
        .post('/guard/killswitch')
        .set(auth(admin))
        .send({ agentId: 'agent-z', reason: 'drill' })
        .expect(200);
      dead = await untilDeadOf('integration.notifications', 'KillSwitchChanged');
    } finally {
      await app.sql(`DROP TRIGGER dl_refuse_notice ON notification_deliveries; DROP FUNCTION dl_refuse_notice()`);
    }
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 1,
      loopStage: null,
      lastError: 'notice refused for the test',
    });
    const notices = () =>
      app.sql(`SELECT event FROM notification_deliveries WHERE tenant_id = $1 AND rule = 'dl-kill'`, [TENANT]);
    expect(await notices()).toEqual([]);

    await app.http.post(`/integration/outbox/deliveries/${dead.id}/retry`).set(auth(operator)).expect(200);
    await untilDone(dead.id);
    expect(await notices()).toEqual([{ event: 'killswitch.changed' }]);
    // Done, it is no dead letter any more: a second retry is refused.
    const again = await app.http
      .post(`/integration/outbox/deliveries/${dead.id}/retry`)
      .set(auth(operator))
      .expect(409);
    expect(again.body.message).toContain('is done');
  });

  it("a dead letter of a loop stage shows pending again on the incident's loop when retried here, and the loop completes", async () => {
    const key = await app.keyFor('dl-stage', 'operator');
    await app.sql(`CREATE FUNCTION dl_refuse_stage() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN RAISE EXCEPTION 'stage refused for the test'; END $$`);
    await app.sql(`CREATE TRIGGER dl_refuse_stage BEFORE INSERT ON decisions FOR EACH ROW
                   WHEN (NEW.tenant_id = 'dl-stage' AND NEW.kind = 'routing') EXECUTE FUNCTION dl_refuse_stage()`);
    let incidentId: string;
    let dead: Delivery;
    try {
      incidentId = (
        await app.http
          .post('/incidents')
          .set(auth(key))
          .send({ errorType: 'quota', message: 'quota exceeded for project p-17', agentId: 'agent-q' })
          .expect(201)
      ).body.id;
      dead = await eventually(async () => {
        const items = (await app.http.get('/integration/outbox/deliveries?status=dead').set(auth(key)).expect(200)).body
          .items as Delivery[];
        return items.find((d) => d.incidentId === incidentId);
      }, 'the dead letter of bridge 4');
      await eventually(
        async () => (await app.http.get(`/integration/loop/${incidentId}`).set(auth(key))).body.state === 'failed',
        'the loop to be failed',
      );
    } finally {
      await app.sql(`DROP TRIGGER dl_refuse_stage ON decisions; DROP FUNCTION dl_refuse_stage()`);
    }
    expect(dead).toMatchObject({
      handler: 'bridge_4.policy-to-routing',
      loopStage: 'routing_adjusted',
      status: 'dead',
    });
    await app.http.post(`/integration/outbox/deliveries/${dead.id}/retry`).set(auth(key)).expect(200);
    const loop = await eventually(async () => {
      const status = (await app.http.get(`/integration/loop/${incidentId}`).set(auth(key)).expect(200)).body;
      return status.isComplete ? status : null;
    }, 'the loop to complete');
    expect(loop.state).toBe('complete');
    const audited = (
      await app.http.get(`/audit?action=outbox_delivery.retried&subjectId=${dead.id}`).set(auth(key)).expect(200)
    ).body.items;
    expect(audited[0].after).toEqual({ status: 'pending', attempts: 0, loopStage: 'routing_adjusted' });
  });

  it("answers 404 for another tenant's or an unknown delivery, 409 for one not dead, 403 to a viewer, 400 naming a bad id", async () => {
    const [mine] = await app.sql<{ id: string }>(
      `SELECT id::text FROM outbox_events WHERE tenant_id = $1 AND status = 'done' ORDER BY id LIMIT 1`,
      [TENANT],
    );
    const [dead] = await app.sql<{ id: string }>(
      `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, payload, status, attempts, last_error, processed_at)
       VALUES (gen_random_uuid(), 'PolicyActivated', 'bridge_4.policy-to-routing', $1, '{}', 'dead', 5, 'boom', now())
       RETURNING id::text`,
      [TENANT],
    );
    // Another tenant sees neither, and cannot retry them.
    await app.http.get(`/integration/outbox/deliveries/${dead.id}`).set(auth(otherOperator)).expect(404);
    await app.http.post(`/integration/outbox/deliveries/${dead.id}/retry`).set(auth(otherOperator)).expect(404);
    expect(
      (await app.http.get('/integration/outbox/deliveries?status=dead').set(auth(otherOperator)).expect(200)).body
        .items,
    ).toEqual([]);
    await app.http.post('/integration/outbox/deliveries/999999999999/retry').set(auth(operator)).expect(404);
    // A viewer reads, and may not retry.
    await app.http.get(`/integration/outbox/deliveries/${dead.id}`).set(auth(viewer)).expect(200);
    await app.http.post(`/integration/outbox/deliveries/${dead.id}/retry`).set(auth(viewer)).expect(403);
    // Not dead: 409.
    const done = await app.http.post(`/integration/outbox/deliveries/${mine.id}/retry`).set(auth(operator)).expect(409);
    expect(done.body.message).toContain('only a dead letter can be retried');
    // A bad id or cursor: 400 naming the field.
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await app.http.post(`/integration/outbox/deliveries/${bad}/retry`).set(auth(operator)).expect(400);
      expect(res.body.fields).toEqual([{ field: 'id', errors: [expect.any(String)] }]);
    }
    const badGet = await app.http.get('/integration/outbox/deliveries/abc').set(auth(viewer)).expect(400);
    expect(badGet.body.fields.map((f: { field: string }) => f.field)).toEqual(['id']);
    const badStatus = await app.http.get('/integration/outbox/deliveries?status=gone').set(auth(viewer)).expect(400);
    expect(badStatus.body.fields.map((f: { field: string }) => f.field)).toEqual(['status']);
    const badCursor = await app.http.get('/integration/outbox/deliveries?cursor=e30').set(auth(viewer)).expect(400);
    expect(badCursor.body.fields.map((f: { field: string }) => f.field)).toEqual(['cursor']);
    // Nothing refused was audited.
    const audited = (
      await app.http.get(`/audit?action=outbox_delivery.retried&subjectId=${dead.id}`).set(auth(viewer)).expect(200)
    ).body.items;
    expect(audited).toEqual([]);
    expect((await app.sql(`SELECT status FROM outbox_events WHERE id = $1`, [dead.id]))[0].status).toBe('dead');
  });

  it('lists the stuck deliveries only (dead by default, or held), newest first with a cursor, by handler too', async () => {
    const tenant = 'dl-page';
    const pageViewer = await app.keyFor(tenant, 'viewer');
    const handlers = ['bridge_4.policy-to-routing', 'integration.notifications'];
    for (const [i, status] of ['dead', 'dead', 'held', 'dead', 'dead', 'held', 'dead'].entries())
      await app.sql(
        `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, payload, status, attempts, last_error, processed_at)
         VALUES (gen_random_uuid(), 'PolicyActivated', $1, $2, '{}', $3, 1, 'boom', CASE WHEN $3 = 'dead' THEN now() END)`,
        [handlers[i % 2], tenant, status],
      );
    const list = async (query: string): Promise<{ items: Delivery[]; nextCursor: string | null }> =>
      (await app.http.get(`/integration/outbox/deliveries${query}`).set(auth(pageViewer)).expect(200)).body;
    const dead = (await list('?limit=200')).items;
    expect(dead.map((d) => d.status)).toEqual(['dead', 'dead', 'dead', 'dead', 'dead']);
    const ids = dead.map((d) => BigInt(d.id));
    expect([...ids].sort((x, y) => (x < y ? 1 : x > y ? -1 : 0))).toEqual(ids);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Delivery[]; nextCursor: string | null } = await list(
        cursor ? `?limit=2&cursor=${cursor}` : '?limit=2',
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(dead.map((d) => d.id));
    expect((await list('?status=held')).items.map((d) => d.status)).toEqual(['held', 'held']);
    const bridge4 = (await list('?handler=bridge_4.policy-to-routing')).items;
    expect(bridge4.map((d) => [d.handler, d.status])).toEqual([
      ['bridge_4.policy-to-routing', 'dead'],
      ['bridge_4.policy-to-routing', 'dead'],
      ['bridge_4.policy-to-routing', 'dead'],
    ]);
    // Handled and pending deliveries are the relay's business (and too many to list by tenant): a 400.
    for (const status of ['done', 'pending']) {
      const refused = await app.http.get(`/integration/outbox/deliveries?status=${status}`).set(auth(pageViewer));
      expect(refused.status).toBe(400);
      expect(refused.body.fields.map((f: { field: string }) => f.field)).toEqual(['status']);
    }
  });
});
