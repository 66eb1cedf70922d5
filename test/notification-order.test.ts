import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeliveryRepository } from '../src/integration/notifications/deliveries/delivery.repository.js';
import { notificationTenant } from './support/notification-tenant.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const clock = (d: Date) => d.toISOString().slice(11, 16);
/** Quiet hours (UTC) that began an hour ago and end an hour from now. */
const quietNow = () => ({
  days: EVERY_DAY,
  from: clock(new Date(Date.now() - 3_600_000)),
  to: clock(new Date(Date.now() + 3_600_000)),
  timeZone: 'UTC',
});

/**
 * A channel sends its messages in the order they were queued (DESIGN §12, ADR 0017): a message
 * waiting for its retry holds back the ones queued after it, and a message held by a rule's quiet
 * hours holds back nothing. Through the real app, a real PostgreSQL and a real local webhook
 * receiver; retries are set a minute apart, and a retry falls due when the test moves its time by
 * SQL, so no timing decides the order. Each test has a tenant of its own.
 */
describe('the order of a channel’s notifications', () => {
  let app: TestApp;
  let hook: Receiver;
  /** Tenants whose first call the receiver answers 503 (no Retry-After). */
  const failFirst = new Set<string>();

  beforeAll(async () => {
    hook = await startWebhookReceiver((c, res) => {
      const tenant = c.path.split('/')[1]!;
      if (failFirst.delete(tenant)) {
        res.statusCode = 503;
        return res.end('overloaded');
      }
      res.end('{}');
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      OUTBOX_POLL_INTERVAL_MS: '200',
      // The first retry 30 to 60 s after a failure: it comes when the test moves its time.
      NOTIFICATION_RETRY_BASE_MS: '60000',
    });
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await hook.close();
  });

  const tenant = (name: string) => notificationTenant(app, hook, name);
  /** The delivery ids the receiver was called with for this tenant, in the order of the calls. */
  const idsCalled = (t: { calls: () => Array<{ headers: Record<string, unknown> }> }) =>
    t.calls().map((c) => c.headers['webhook-id']);

  it('a message waiting for its retry goes before the message queued after it: the channel’s last word is the latest', async () => {
    const t = await tenant('order-retry');
    await t.put('/notifications/rules/switches', {
      channel: 'hook',
      events: ['killswitch.changed'],
      repeatIntervalMs: 0,
    });
    failFirst.add('order-retry');
    const [on] = await t.killSwitch(true);
    // Answered 503 without Retry-After: pending again, its retry 30 s or more away.
    const waiting = await eventually(async () => {
      const d = await t.delivery(on!.id);
      return d.status === 'pending' && d.attempts === 1 ? d : null;
    }, 'the first attempt to fail');
    expect(waiting).toMatchObject({ lastStatusCode: 503 });
    expect(idsCalled(t)).toEqual([on!.id]);

    const [off] = await t.killSwitch(false);
    expect(off!.status).toBe('pending');
    // Due, but behind the retry: nothing of the channel is due before the retry is (no spinning on it).
    const ms = await app.app.get(DeliveryRepository).msUntilNextDue([]);
    expect(ms).toBeGreaterThan(20_000);

    // The retry falls due (its time moved by SQL): "on" goes, then "off".
    await app.sql(`UPDATE notification_deliveries SET available_at = now() WHERE id = $1`, [on!.id]);
    for (const d of [on!, off!])
      await eventually(async () => (await t.delivery(d.id)).status === 'sent', `${d.id} to be sent`);
    expect(idsCalled(t)).toEqual([on!.id, on!.id, off!.id]);
    expect(await t.delivery(on!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await t.delivery(off!.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a message held by its rule’s quiet hours holds back nothing: another rule’s message to the channel goes', async () => {
    const t = await tenant('order-held');
    const rule = { channel: 'hook', events: ['killswitch.changed'], repeatIntervalMs: 0 };
    await t.put('/notifications/rules/night', { ...rule, quietHours: quietNow() });
    const [held] = await t.killSwitch(true);
    expect(held).toMatchObject({ rule: 'night', status: 'held' });

    // Queued after the held one, to the same channel, by a rule without quiet hours: it goes.
    await t.put('/notifications/rules/day', rule);
    const queued = await t.killSwitch(false, 2);
    const day = queued.find((d) => d.rule === 'day')!;
    await eventually(async () => (await t.delivery(day.id)).status === 'sent', 'the day rule’s message to go out');
    expect(idsCalled(t)).toEqual([day.id]);
    for (const d of [held!, queued.find((d) => d.rule === 'night')!])
      expect(await t.delivery(d.id)).toMatchObject({ status: 'held', attempts: 0 });
  });
});
