import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import pg from 'pg';
import { DeliveryRepository } from '../src/integration/notifications/deliveries/delivery.repository.js';
import { NotificationDispatcher } from '../src/integration/notifications/dispatch/notification-dispatcher.js';
import { ReviewWaitingSweeper } from '../src/integration/notifications/route-events/review-waiting.sweeper.js';
import { notificationTenant } from './support/notification-tenant.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const clock = (d: Date) => d.toISOString().slice(11, 16);
/** Quiet hours (UTC) that began an hour ago and end `hours` from now. */
const quietFor = (hours: number) => ({
  days: EVERY_DAY,
  from: clock(new Date(Date.now() - 3_600_000)),
  to: clock(new Date(Date.now() + hours * 3_600_000)),
  timeZone: 'UTC',
});

/**
 * What a change of a rule or channel does to the messages queued and not yet sent, and what the
 * repeat marks of review.waiting keep (DESIGN §12, ADR 0017), through the real app, a real
 * PostgreSQL and a real local webhook receiver. Each test has a tenant of its own.
 */
describe('notifications after a change of their rule or channel', () => {
  let app: TestApp;
  let hook: Receiver;
  let seq = 0;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      OUTBOX_POLL_INTERVAL_MS: '200',
      NOTIFICATION_SWEEP_MS: '200',
      SLACK_MIN_INTERVAL_MS: '0',
    });
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await hook.close();
  });

  /** A receiver that holds every call until the test answers it (`answers[i](status)`, in the calls' order). */
  async function heldReceiver() {
    const answers: Array<(status: number) => void> = [];
    const receiver = await startWebhookReceiver((_c, res) => {
      answers.push((status) => {
        res.statusCode = status;
        res.end('{"answer":"down"}');
      });
      return 'hang';
    });
    return { receiver, answers };
  }

  /** A tenant's admin with a channel `hook` (notificationTenant), and ways to hold its channel. */
  async function tenant(name: string) {
    const t = await notificationTenant(app, hook, name);
    /** Holds the channel as another replica's claim would: nothing goes to it until `free`. */
    const lease = () =>
      app.sql(`UPDATE notification_channels SET next_send_at = now() + interval '1 day' WHERE tenant_id = $1`, [name]);
    const free = () => app.sql(`UPDATE notification_channels SET next_send_at = now() WHERE tenant_id = $1`, [name]);
    /** A test message through `hook`, waited for: what was due on the channel before it has gone out by then. */
    const flush = async () => {
      const { id } = (await app.http.post('/notifications/channels/hook/test').set(auth(t.key)).expect(202)).body;
      await eventually(async () => (await t.delivery(id)).status === 'sent', 'the test message to go out');
    };
    /** The one message a change of agent-q's kill switch queued. */
    const killSwitch = async (on: boolean) => (await t.killSwitch(on))[0]!;
    return { ...t, lease, free, flush, killSwitch };
  }

  it('a deleted rule’s queued messages are dead-lettered: one held by quiet hours does not go when they end', async () => {
    const t = await tenant('chg-delete');
    const rule = { channel: 'hook', events: ['killswitch.changed'], repeatIntervalMs: 0 };
    await t.put('/notifications/rules/night', { ...rule, quietHours: quietFor(1) });
    await t.put('/notifications/rules/day', rule);
    await t.lease(); // the day rule's message waits, pending
    await t.killSwitch(true);
    const queued = await eventually(async () => {
      const all = await t.deliveries();
      return all.length === 2 ? all : null;
    }, 'both messages queued');
    expect(Object.fromEntries(queued.map((d) => [d.rule, d.status]))).toEqual({ night: 'held', day: 'pending' });

    await app.http.delete('/notifications/rules/night').set(auth(t.key)).expect(204);
    await app.http.delete('/notifications/rules/day').set(auth(t.key)).expect(204);
    for (const d of queued)
      expect(await t.delivery(d.id)).toMatchObject({
        status: 'dead',
        error: 'the rule was deleted',
        nextAttemptAt: null,
      });

    // The quiet hours end (the clock moved on by SQL) and the channel is free: nothing of the rules goes.
    await app.sql(
      `UPDATE notification_deliveries SET available_at = now() - interval '1 minute' WHERE tenant_id = $1`,
      ['chg-delete'],
    );
    await t.free();
    await t.flush();
    expect(t.calls('killswitch.changed')).toEqual([]);
    expect(t.calls('test')).toHaveLength(1);
  });

  it('a changed rule’s queued messages follow it: what it no longer takes, or sends elsewhere now, is dead-lettered', async () => {
    const t = await tenant('chg-put');
    await t.put('/notifications/channels/other', { type: 'webhook', url: `${hook.url}/chg-put/other` });
    const rule = { channel: 'hook', events: ['killswitch.changed'], repeatIntervalMs: 0 };
    await t.put('/notifications/rules/switches', rule);
    await t.lease();
    const on = await t.killSwitch(true); // high
    const off = await t.killSwitch(false); // medium
    expect([on.severity, on.status, off.severity, off.status]).toEqual(['high', 'pending', 'medium', 'pending']);

    // Only high and above now: the medium one is not sent; the high one still waits for the channel.
    await t.put('/notifications/rules/switches', { ...rule, minSeverity: 'high' }, 200);
    expect(await t.delivery(off.id)).toMatchObject({
      status: 'dead',
      error: 'the rule was changed: it no longer takes this message',
    });
    expect(await t.delivery(on.id)).toMatchObject({ status: 'pending', error: null });

    // Another channel now: the message made for the old one is not sent to it.
    await t.put('/notifications/rules/switches', { ...rule, minSeverity: 'high', channel: 'other' }, 200);
    expect(await t.delivery(on.id)).toMatchObject({
      status: 'dead',
      error: 'the rule was changed: it sends to channel other now',
    });

    await t.free();
    await t.flush();
    expect(t.calls('killswitch.changed')).toEqual([]);
  });

  it('a changed rule’s held messages are held by its quiet hours as they are now: longer, or not at all', async () => {
    const t = await tenant('chg-quiet');
    const rule = { channel: 'hook', events: ['killswitch.changed'], repeatIntervalMs: 0 };
    await t.put('/notifications/rules/night', { ...rule, quietHours: quietFor(1) });
    const held = await t.killSwitch(true);
    expect(held.status).toBe('held');
    const inAnHour = Date.parse(held.nextAttemptAt);

    // Quiet for two hours from now: held until they end.
    const longer = quietFor(2);
    await t.put('/notifications/rules/night', { ...rule, quietHours: longer }, 200);
    const later = await t.delivery(held.id);
    expect(later.status).toBe('held');
    expect(clock(new Date(later.nextAttemptAt))).toBe(longer.to);
    expect(Date.parse(later.nextAttemptAt)).toBeGreaterThan(inAnHour);

    // No quiet hours: it goes now.
    await t.put('/notifications/rules/night', rule, 200);
    await eventually(async () => (await t.delivery(held.id)).status === 'sent', 'the message once nothing holds it');
    expect(t.calls('killswitch.changed')).toHaveLength(1);
  });

  it('an event routed while its rule is being changed waits for the change, and follows it', async () => {
    const t = await tenant('chg-routing');
    await t.put('/notifications/rules/switches', {
      channel: 'hook',
      events: ['killswitch.changed'],
      repeatIntervalMs: 0,
    });
    // A PUT's transaction, not yet committed, has made the rule take critical messages only. (A DELETE
    // was already waited for: the repeat gate's mark refers to the rule.)
    const changing = new pg.Client({ connectionString: app.database.url });
    await changing.connect();
    try {
      await changing.query('BEGIN');
      await changing.query(
        `UPDATE notification_rules SET min_severity = 'critical' WHERE tenant_id = 'chg-routing' AND name = 'switches'`,
      );
      await app.http
        .post('/guard/killswitch')
        .set(auth(t.key))
        .send({ agentId: 'agent-q', reason: 'flaky' })
        .expect(200);
      const waits = async () =>
        (
          await app.sql(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM notification_rules%'`,
          )
        )[0].n > 0;
      // The routing waits for the rule; before, it read the rule as it was and queued a (high) message.
      expect(
        await eventually(
          async () => ((await t.deliveries()).length > 0 ? 'queued' : (await waits()) && 'waited'),
          'the routing to wait for the rule',
        ),
      ).toBe('waited');
      await changing.query('COMMIT');
    } finally {
      await changing.end();
    }
    await eventually(
      async () =>
        (
          await app.sql(
            `SELECT count(*)::int AS n FROM outbox_events
              WHERE tenant_id = 'chg-routing' AND handler = 'integration.notifications' AND processed_at IS NULL`,
          )
        )[0].n === 0,
      'the event to be handled',
    );
    expect(await t.deliveries()).toEqual([]);
  });

  it('a channel deleted during a call: its delivery keeps the channel’s answer (sent on 2xx), no claim is said to have lapsed', async () => {
    const { receiver, answers } = await heldReceiver();
    const dispatcher = app.app.get(NotificationDispatcher);
    const warnings: string[] = [];
    const warn = jest
      .spyOn((dispatcher as unknown as { logger: Logger }).logger, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
    try {
      const key = await app.keyFor('chg-midcall', 'admin');
      const ids: string[] = [];
      for (const name of ['takes', 'fails']) {
        await app.http
          .put(`/notifications/channels/${name}`)
          .set(auth(key))
          .send({ type: 'webhook', url: `${receiver.url}/${name}` })
          .expect(201);
        ids.push((await app.http.post(`/notifications/channels/${name}/test`).set(auth(key)).expect(202)).body.id);
      }
      const delivery = async (id: string) =>
        (await app.http.get(`/notifications/deliveries/${id}`).set(auth(key)).expect(200)).body;
      await eventually(async () => answers.length === 2, 'both calls to be out');
      const byPath = Object.fromEntries(receiver.calls.map((c: ReceivedCall, i) => [c.path, answers[i]]));

      // Both channels are deleted while their calls are out: nothing will send the messages again.
      for (const name of ['takes', 'fails'])
        await app.http.delete(`/notifications/channels/${name}`).set(auth(key)).expect(204);
      for (const id of ids)
        expect(await delivery(id)).toMatchObject({ status: 'dead', error: 'the channel was deleted' });

      // One receiver takes the message, the other fails: each delivery says what happened.
      byPath['/takes'](200);
      byPath['/fails'](503);
      const [took, failed] = await Promise.all(
        ids.map((id) =>
          eventually(async () => {
            const d = await delivery(id);
            return d.lastStatusCode !== null ? d : null;
          }, 'the answer recorded'),
        ),
      );
      expect(took).toMatchObject({ status: 'sent', error: null, lastStatusCode: 200, attempts: 1 });
      expect(took.sentAt).not.toBeNull();
      expect(failed).toMatchObject({ status: 'dead', lastStatusCode: 503, attempts: 1 });
      expect(failed.error).toMatch(/^the channel was deleted; the call out then: HTTP 503/);
      expect(receiver.calls).toHaveLength(2);
      expect(warnings.filter((w) => w.includes('lapsed'))).toEqual([]);
    } finally {
      warn.mockRestore();
      await receiver.close();
    }
  });

  it('a rule deleted during its call: a failed answer is not retried for it', async () => {
    const { receiver, answers } = await heldReceiver();
    try {
      const key = await app.keyFor('chg-rule-midcall', 'admin');
      await app.http
        .put('/notifications/channels/slow')
        .set(auth(key))
        .send({ type: 'webhook', url: `${receiver.url}/slow` })
        .expect(201);
      await app.http
        .put('/notifications/rules/switches')
        .set(auth(key))
        .send({ channel: 'slow', events: ['killswitch.changed'], repeatIntervalMs: 0 })
        .expect(201);
      await app.http.post('/guard/killswitch').set(auth(key)).send({ agentId: 'agent-q', reason: 'flaky' }).expect(200);
      await eventually(async () => answers.length === 1, 'the call to be out');
      const [out] = (await app.http.get('/notifications/deliveries').set(auth(key)).expect(200)).body.items;
      expect(out).toMatchObject({ rule: 'switches', status: 'sending' });

      await app.http.delete('/notifications/rules/switches').set(auth(key)).expect(204);
      answers[0](503);
      const failed = await eventually(async () => {
        const d = (await app.http.get(`/notifications/deliveries/${out.id}`).set(auth(key)).expect(200)).body;
        return d.lastStatusCode !== null ? d : null;
      }, 'the answer recorded');
      expect(failed).toMatchObject({ status: 'dead', lastStatusCode: 503, attempts: 1, nextAttemptAt: null });
      expect(failed.error).toMatch(/^the rule was deleted; the call out then: HTTP 503/);
    } finally {
      await receiver.close();
    }
  });

  it('review.waiting with repeat interval 0 tells once while a review waits, past a month too: that mark is not pruned', async () => {
    const t = await tenant('chg-once');
    await t.put('/notifications/rules/reviews', {
      channel: 'hook',
      events: ['review.waiting'],
      afterMs: 0,
      repeatIntervalMs: 0,
    });
    await t.put('/notifications/rules/switches', {
      channel: 'hook',
      events: ['killswitch.changed'],
      repeatIntervalMs: 0,
    });
    const operator = await app.keyFor('chg-once', 'operator');
    const incident = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({ errorType: 'BellowsLeak', message: `bellows ${++seq} leaked`, agentId: 'agent-o' })
      .expect(201);
    await eventually(async () => t.calls('review.waiting').length === 1, 'the review.waiting message');

    // The review waits on; its mark, and an interval-0 mark of another event, are 40 days old.
    await app.sql(
      `INSERT INTO notification_repeats (tenant_id, rule, subject_key, last_at)
       VALUES ('chg-once', 'switches', 'killswitch.changed tenant', now())`,
    );
    await app.sql(`UPDATE notification_repeats SET last_at = now() - interval '40 days' WHERE tenant_id = 'chg-once'`);
    await app.app.get(DeliveryRepository).pruneRepeats();
    const marks = await app.sql<{ rule: string }>(`SELECT rule FROM notification_repeats WHERE tenant_id = 'chg-once'`);
    expect(marks.map((m) => m.rule)).toEqual(['reviews']);

    await app.app.get(ReviewWaitingSweeper).sweep();
    expect(await t.deliveries('&rule=reviews')).toHaveLength(1);
    const recovery = (await app.http.get(`/recoveries?incidentId=${incident.body.id}`).set(auth(operator)).expect(200))
      .body.items[0];
    expect(recovery.status).toBe('pending_review'); // it still waits

    // A rule that no longer takes review.waiting is not swept for: its old marks are pruned as any.
    await t.put(
      '/notifications/rules/reviews',
      { channel: 'hook', events: ['killswitch.changed'], repeatIntervalMs: 0 },
      200,
    );
    await app.app.get(DeliveryRepository).pruneRepeats();
    expect(await app.sql(`SELECT rule FROM notification_repeats WHERE tenant_id = 'chg-once'`)).toEqual([]);
  });
});
