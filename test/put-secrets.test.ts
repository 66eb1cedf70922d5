import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../src/platform/crypto/secret-box.js';
import { verifyWebhook } from '../src/platform/crypto/webhook-signature.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

/**
 * A signing secret is shown once, in the answer to the PUT that stored it (DESIGN §12): through the
 * real app, a real PostgreSQL and a real local receiver, a secret shown must be the one that signs —
 * when two first PUTs of a channel race, and when the stored one was sealed under another
 * SECRETS_KEY (a PUT replaces it, as its dead letter says).
 */
describe('signing secrets shown by a PUT', () => {
  const secretsKey = randomBytes(32);
  const box = new SecretBox(secretsKey);
  /** Sealed under a key the app does not have: what a changed SECRETS_KEY leaves stored. */
  const foreignSealed = () => new SecretBox(randomBytes(32)).seal('whsec_sealed_elsewhere');
  let app: TestApp;
  let hook: Receiver;
  let admin: string;

  const put = (name: string, body: Record<string, unknown>) =>
    app.http.put(`/notifications/channels/${name}`).set(auth(admin)).send(body);

  /** Sends a test message to `name`; the delivery once settled, and the call the receiver got (if sent). */
  async function testMessage(name: string) {
    const { id } = (await app.http.post(`/notifications/channels/${name}/test`).set(auth(admin)).expect(202)).body;
    const delivery = await eventually(async () => {
      const d = (await app.http.get(`/notifications/deliveries/${id}`).set(auth(admin)).expect(200)).body;
      return (d.status === 'sent' || d.status === 'dead') && d;
    }, `delivery ${id} to settle`);
    return { delivery, call: hook.calls.find((c) => c.headers['webhook-id'] === id) };
  }

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      SECRETS_KEY: secretsKey.toString('hex'),
      OUTBOX_POLL_INTERVAL_MS: '100',
      NOTIFICATION_RETRY_BASE_MS: '50',
      NOTIFICATION_MAX_ATTEMPTS: '2',
    });
    admin = await app.keyFor('secrets', 'admin');
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await hook.close();
  });

  it('two concurrent first PUTs of a webhook channel: one creates it and shows the secret that signs, the other shows none', async () => {
    // Each pair races its reads before either commits more often than not; a few pairs make it sure.
    for (let i = 1; i <= 8; i++) {
      const name = `race-${i}`;
      const answers = await Promise.all([1, 2].map(() => put(name, { type: 'webhook', url: `${hook.url}/${name}` })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
      const shown = answers.map((a) => a.body.secret).filter((s) => s !== undefined);
      expect(shown).toEqual([answers.find((a) => a.status === 201)!.body.secret]);

      const { delivery, call } = await testMessage(name);
      expect(delivery.status).toBe('sent');
      expect(verifyWebhook(shown[0], call!.headers, call!.body)).toBe(true);
    }
  });

  it('a webhook channel whose secret cannot be opened dead-letters; a PUT without rotateSecret replaces it and shows the new one', async () => {
    const first = await put('elsewhere', { type: 'webhook', url: `${hook.url}/elsewhere` }).expect(201);
    await app.sql(
      `UPDATE notification_channels SET secret_sealed = $1 WHERE tenant_id = 'secrets' AND name = 'elsewhere'`,
      [foreignSealed()],
    );
    const dead = await testMessage('elsewhere');
    expect(dead.delivery.status).toBe('dead');
    expect(dead.delivery.error).toMatch(/cannot be opened .*PUT the channel again/);

    const again = await put('elsewhere', { type: 'webhook', url: `${hook.url}/elsewhere` }).expect(200);
    expect(again.body.secret).toMatch(/^whsec_/);
    expect(again.body.secret).not.toBe(first.body.secret);
    const { delivery, call } = await testMessage('elsewhere');
    expect(delivery.status).toBe('sent');
    expect(verifyWebhook(again.body.secret, call!.headers, call!.body)).toBe(true);

    // Once it opens, a PUT keeps it and shows nothing.
    const kept = await put('elsewhere', { type: 'webhook', url: `${hook.url}/elsewhere`, timeoutMs: 5000 }).expect(200);
    expect(kept.body.secret).toBeUndefined();
    const [entry] = await app.sql(
      `SELECT after FROM audit_entries WHERE tenant_id = 'secrets' AND subject_id = 'elsewhere'
        AND action = 'notification_channel.updated' ORDER BY seq LIMIT 1`,
    );
    expect(entry.after.secretRotated).toBe(true);
  });

  it('an actuator whose secret cannot be opened: a PUT without rotateSecret replaces it and shows the new one', async () => {
    const url = `${hook.url}/ops`;
    const first = await app.http.put('/actuators/ops').set(auth(admin)).send({ url }).expect(201);
    await app.sql(`UPDATE actuators SET secret_sealed = $1 WHERE tenant_id = 'secrets' AND name = 'ops'`, [
      foreignSealed(),
    ]);

    const again = await app.http.put('/actuators/ops').set(auth(admin)).send({ url }).expect(200);
    expect(again.body.secret).toMatch(/^whsec_/);
    expect(again.body.secret).not.toBe(first.body.secret);
    const [row] = await app.sql(`SELECT secret_sealed FROM actuators WHERE tenant_id = 'secrets' AND name = 'ops'`);
    expect(box.open(row.secret_sealed)).toBe(again.body.secret);

    const kept = await app.http.put('/actuators/ops').set(auth(admin)).send({ url }).expect(200);
    expect(kept.body.secret).toBeUndefined();
    const [after] = await app.sql(`SELECT secret_sealed FROM actuators WHERE tenant_id = 'secrets' AND name = 'ops'`);
    expect(after.secret_sealed).toBe(row.secret_sealed);
  });
});
