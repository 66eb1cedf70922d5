import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ANSWER_BYTES } from '../src/self-healing/actuators/call-actuator/actuator-answer.js';
import {
  CallActuator,
  type ActuatorCallResult,
} from '../src/self-healing/actuators/call-actuator/call-actuator.command.js';
import { ADMIN_KEY, ALLOW_LOOPBACK, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

describe('actuators and the Standard Webhooks caller', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let otherAdmin: string;
  let secret: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'actuators-'));
  const call = (webhookId: string, payload: unknown = { hello: 'world' }, timeoutMs?: number, actuatorName = 'ops') =>
    app.app
      .get(CommandBus)
      .execute(
        new CallActuator({ tenantId: 'acme', actuatorName, webhookId, payload, timeoutMs }),
      ) as Promise<ActuatorCallResult>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({ ...ALLOW_LOOPBACK, DATA_DIR: dataDir });
    admin = await app.keyFor('acme', 'admin');
    operator = await app.keyFor('acme', 'operator');
    otherAdmin = await app.keyFor('globex', 'admin');
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('PUT creates an actuator and shows its whsec_ secret once; it is stored sealed', async () => {
    const res = await app.http
      .put('/actuators/ops')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: `${receiver.url}/hook`, headers: { 'x-team': 'sre' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'ops',
      url: `${receiver.url}/hook`,
      headers: { 'x-team': 'sre' },
      timeoutMs: 30_000,
    });
    secret = res.body.secret;
    expect(secret).toMatch(/^whsec_/);
    receiver.setSecret(secret);

    const get = await app.http.get('/actuators/ops').set('Authorization', `Bearer ${admin}`);
    expect(get.status).toBe(200);
    expect(get.body.secret).toBeUndefined();
    // Header values are shown once too: afterwards only their names.
    expect(get.body.headers).toBeUndefined();
    expect(get.body.headerNames).toEqual(['x-team']);
    const [row] = await app.sql(
      `SELECT secret_sealed, headers_sealed FROM actuators WHERE tenant_id = 'acme' AND name = 'ops'`,
    );
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(secret.slice(6));
    expect(row.headers_sealed['x-team']).toMatch(/^v1\./);

    // Headers left out of a PUT are kept (their values cannot be read back to send again).
    const update = await app.http
      .put('/actuators/ops')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: `${receiver.url}/hook`, timeoutMs: 5000 });
    expect(update.status).toBe(200);
    expect(update.body.secret).toBeUndefined();
    expect(update.body.timeoutMs).toBe(5000);
    expect(update.body).toMatchObject({ headerNames: ['x-team'] });
    expect(update.body.headers).toBeUndefined();
    const list = await app.http.get('/actuators').set('Authorization', `Bearer ${admin}`);
    expect(list.body.items.map((a: { name: string }) => a.name)).toEqual(['ops']);
  });

  it("shows the values of its URL's query once, in the PUT's answer (a token may sit there), and keeps calling with them", async () => {
    const url = `${receiver.url}/hook?team=sre&token=q-4d1e`;
    const put = await app.http.put('/actuators/spare').set('Authorization', `Bearer ${admin}`).send({ url });
    expect(put.status).toBe(201);
    expect(put.body.url).toBe(url);
    const masked = `${receiver.url}/hook?team=…&token=…`;
    expect((await app.http.get('/actuators/spare').set('Authorization', `Bearer ${admin}`)).body.url).toBe(masked);
    const list = (await app.http.get('/actuators').set('Authorization', `Bearer ${admin}`)).text;
    expect(list).toContain(masked);
    expect(list).not.toContain('q-4d1e');
    // Stored as sent: calls go to the whole URL.
    const [row] = await app.sql(`SELECT url FROM actuators WHERE tenant_id = 'acme' AND name = 'spare'`);
    expect(row.url).toBe(url);
    await app.http.delete('/actuators/spare').set('Authorization', `Bearer ${admin}`).expect(204);
  });

  it('is admin only, tenant-scoped, and validates the URL, name and headers', async () => {
    expect((await app.http.get('/actuators/ops').set('Authorization', `Bearer ${operator}`)).status).toBe(403);
    expect((await app.http.get('/actuators/ops').set('Authorization', `Bearer ${otherAdmin}`)).status).toBe(404);
    expect((await app.http.delete('/actuators/ops').set('Authorization', `Bearer ${otherAdmin}`)).status).toBe(404);
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      const bad = await app.http.put('/actuators/x').set('Authorization', `Bearer ${admin}`).send({ url });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/url/);
    }
    const badName = await app.http
      .put('/actuators/Bad%20Name')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: receiver.url });
    expect(badName.status).toBe(400);
    expect(JSON.stringify(badName.body)).toMatch(/name/);
    const badHeader = await app.http
      .put('/actuators/x')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: receiver.url, headers: { 'webhook-id': 'forged' } });
    expect(badHeader.status).toBe(400);
    expect(JSON.stringify(badHeader.body)).toMatch(/headers\.webhook-id/);
    // Values Node would refuse to send on every call are refused when saved.
    for (const value of ['abc\u0001def', 'a\u007fb', '€ 5']) {
      const unsendable = await app.http
        .put('/actuators/x')
        .set('Authorization', `Bearer ${admin}`)
        .send({ url: receiver.url, headers: { 'X-Token': value } });
      expect(unsendable.status).toBe(400);
      expect(unsendable.body.fields).toEqual([
        { field: 'headers.X-Token', errors: ['must hold only printable ASCII, tabs and Latin-1 characters'] },
      ]);
    }
    const latin1 = await app.http
      .put('/actuators/x')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: receiver.url, headers: { 'X-Token': 'caf\u00e9\tok' } });
    expect(latin1.status).toBe(201);
    await app.http.delete('/actuators/x').set('Authorization', `Bearer ${admin}`).expect(204);
  });

  it('a call is signed per Standard Webhooks and a retry carries the same webhook-id', async () => {
    receiver.calls.length = 0;
    receiver.answer((_c, res) => res.end('{"ok":true}'));
    const first = await call('run-1:step-a', { runId: 'run-1' });
    const again = await call('run-1:step-a', { runId: 'run-1' });
    expect(first).toMatchObject({ outcome: 'succeeded', status: 200, body: { ok: true }, error: null });
    expect(again.outcome).toBe('succeeded');
    expect(receiver.calls).toHaveLength(2);
    for (const c of receiver.calls) {
      expect(c.verified).toBe(true);
      expect(c.headers['webhook-id']).toBe('run-1:step-a');
      expect(c.headers['webhook-signature']).toMatch(/^v1,/);
      expect(c.headers['x-team']).toBe('sre');
      expect(c.json).toEqual({ runId: 'run-1' });
    }
  });

  it('classifies answers: failed body, 202, Retry-After, other 4xx, redirects not followed', async () => {
    receiver.answer((_c, res) => res.end('{"status":"failed"}'));
    expect((await call('w-1')).outcome).toBe('failed');
    receiver.answer((_c, res) => {
      res.statusCode = 202;
      res.end();
    });
    expect((await call('w-2')).outcome).toBe('accepted');
    receiver.answer((_c, res) => {
      res.writeHead(503, { 'retry-after': '2' });
      res.end('busy');
    });
    expect(await call('w-3')).toMatchObject({ outcome: 'retryable', status: 503, retryAfterMs: 2000 });
    receiver.answer((_c, res) => {
      res.statusCode = 422;
      res.end('{"error":"no"}');
    });
    expect(await call('w-4')).toMatchObject({ outcome: 'failed', status: 422 });
    receiver.calls.length = 0;
    receiver.answer((c, res) => {
      if (c.path === '/elsewhere') return void res.end('{}');
      res.writeHead(307, { location: '/elsewhere' });
      res.end();
    });
    const redirected = await call('w-5');
    expect(redirected).toMatchObject({ outcome: 'failed', status: 307 });
    expect(receiver.calls.map((c) => c.path)).toEqual(['/hook']);
  });

  it('a hanging actuator times out (retryable), a huge body is read only up to the cap, garbage is kept as text', async () => {
    receiver.answer(() => 'hang');
    expect(await call('w-6', {}, 200)).toMatchObject({ outcome: 'retryable', status: null, error: 'timed out' });
    receiver.answer((_c, res) => {
      res.write('x'.repeat(MAX_ANSWER_BYTES));
      res.write('y'.repeat(MAX_ANSWER_BYTES));
      res.end('z'.repeat(10 * MAX_ANSWER_BYTES));
    });
    const huge = await call('w-7');
    expect(huge.outcome).toBe('succeeded');
    expect((huge.body as string).length).toBe(MAX_ANSWER_BYTES);
    receiver.answer((_c, res) => res.end('<html>not json'));
    expect(await call('w-8')).toMatchObject({ outcome: 'succeeded', body: '<html>not json' });
  });

  it('a network error is retryable; an unknown actuator is not_configured; DELETE removes it', async () => {
    await app.http
      .put('/actuators/closed')
      .set('Authorization', `Bearer ${admin}`)
      .send({ url: 'http://127.0.0.1:1/' })
      .expect(201);
    // Said without the address or port.
    expect(await call('w-9', {}, 2000, 'closed')).toMatchObject({
      outcome: 'retryable',
      status: null,
      error: 'connection refused',
    });
    expect((await call('w-10', {}, 2000, 'nobody')).outcome).toBe('not_configured');
    expect((await app.http.delete('/actuators/closed').set('Authorization', `Bearer ${admin}`)).status).toBe(204);
    expect((await app.http.get('/actuators/closed').set('Authorization', `Bearer ${admin}`)).status).toBe(404);
  });

  it('/metrics shows actuator call latency by outcome', async () => {
    const text = (await app.http.get('/metrics').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200)).text;
    expect(text).toMatch(/actuator_call_duration_seconds_count\{outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/actuator_call_duration_seconds_count\{outcome="retryable"\} [1-9]/);
    expect(text).not.toMatch(/outcome="not_configured"/);
  });
});
