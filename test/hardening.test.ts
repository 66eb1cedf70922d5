import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import http, { type Server } from 'node:http';
import net from 'node:net';
import pg from 'pg';
import { LoopProgressHub } from '../src/integration/loop-progress/loop-progress.hub.js';
import { watchStreamRequests } from './support/sse.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Opens an SSE stream and resolves with its status once the headers are in; `close` ends it. */
function openStream(url: string, key: string): Promise<{ status: number; retryAfter?: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: bearer(key) }, (res) => {
      resolve({
        status: res.statusCode!,
        retryAfter: res.headers['retry-after'] as string | undefined,
        close: () => req.destroy(),
      });
      res.resume();
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}

describe('hardening: hostile input, abuse limits, security headers', () => {
  let app: TestApp;
  let admin: string;
  let viewer: string;
  let otherAdmin: string;

  beforeAll(async () => {
    app = await startTestApp({
      AUTH_FAILURE_LIMIT: '10',
      UNKNOWN_KEY_CACHE_MS: '600000',
      SSE_MAX_STREAMS_PER_KEY: '2',
      SSE_MAX_STREAMS_PER_TENANT: '3',
    });
    admin = await app.keyFor('acme', 'admin');
    viewer = await app.keyFor('acme', 'viewer');
    otherAdmin = await app.keyFor('globex', 'admin');
  });
  afterAll(() => app.stop());

  const incident = (over: Record<string, unknown>) => ({
    errorType: 'timeout',
    message: 'upstream timed out',
    ...over,
  });
  const fieldsOf = (body: { fields?: Array<{ field: string }> }) => (body.fields ?? []).map((f) => f.field);

  it('answers 400, not 500, to JSON nested thousands of levels deep, on every JSON route', async () => {
    const deep = `{"errorType":"timeout","message":"m","context":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    for (const path of ['/incidents', '/catalog/match', '/policies/evaluate']) {
      const res = await app.http.post(path).set(bearer(admin)).set('Content-Type', 'application/json').send(deep);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/invalid fields: context(\.a)+/);
      expect(res.body.fields[0].errors[0]).toMatch(/nested deeper than 16 levels/);
    }
    const wide = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .send(incident({ context: { list: Array.from({ length: 1001 }, () => 1) } }));
    expect(wide.status).toBe(400);
    expect(fieldsOf(wide.body)).toEqual(['context.list']);
  });

  it('rejects NUL and lone surrogates with 400 naming the field (body, query, header)', async () => {
    const nul = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .send(incident({ message: 'a\u0000b' }));
    expect(nul.status).toBe(400);
    expect(nul.body.fields).toEqual([{ field: 'message', errors: ['message must not contain a NUL character'] }]);
    const surrogate = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .send(incident({ context: { note: 'x\ud800' } }));
    expect(surrogate.status).toBe(400);
    expect(fieldsOf(surrogate.body)).toEqual(['context.note']);
    const query = await app.http.get('/incidents').query({ agentId: 'a\u0000' }).set(bearer(viewer));
    expect(query.status).toBe(400);
    expect(fieldsOf(query.body)).toEqual(['query.agentId']);
    expect(await app.sql(`SELECT count(*)::int AS n FROM incidents WHERE message LIKE 'a%b'`)).toEqual([{ n: 0 }]);
  });

  it('a write route that takes no body refuses one, naming what was sent, and changes nothing', async () => {
    // A tenant of its own: its incident's loop writes a policy that would match the other tests' evaluations.
    const key = await app.keyFor('no-body', 'admin');
    const { id } = (await app.http.post('/incidents').set(bearer(key)).send(incident({})).expect(201)).body;
    const note = await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(key)).send({ note: 'on it' });
    expect(note.status).toBe(400);
    expect(note.body.fields).toEqual([{ field: 'note', errors: ['note is not accepted: this route takes no body'] }]);
    const policy = await app.http
      .post('/policies')
      .set(bearer(key))
      .send({ name: 'no body', category: 'custom', action: 'warn', scope: 'tenant', condition: 'true' })
      .expect(201);
    const activate = await app.http.post(`/policies/${policy.body.id}/activate`).set(bearer(key)).send([1]);
    expect(activate.status).toBe(400);
    expect(fieldsOf(activate.body)).toEqual(['body']);
    expect((await app.http.get(`/policies/${policy.body.id}`).set(bearer(key)).expect(200)).body.status).toBe(
      policy.body.status,
    );
    expect((await app.http.get(`/incidents/${id}`).set(bearer(key)).expect(200)).body.status).toBe('open');
    // An empty body, or none, is no body.
    await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(key)).send({}).expect(200);
    await app.http.post(`/policies/${policy.body.id}/activate`).set(bearer(key)).expect(200);
  });

  it('rejects a number too large for JSON (1e400 parses as Infinity) with 400 naming the field, storing nothing', async () => {
    const huge = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .set('content-type', 'application/json')
      .send('{"errorType":"HugeNumber","message":"a number past the doubles","context":{"reading":{"n":1e400}}}');
    expect(huge.status).toBe(400);
    expect(huge.body.fields).toEqual([
      { field: 'context.reading.n', errors: ['context.reading.n must be a finite number (it is too large for JSON)'] },
    ]);
    expect(await app.sql(`SELECT count(*)::int AS n FROM incidents WHERE error_type = 'HugeNumber'`)).toEqual([
      { n: 0 },
    ]);
  });

  it('rejects bodies carrying __proto__ or constructor keys instead of dropping them', async () => {
    const proto = await app.http
      .post('/guard/killswitch')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send('{"__proto__":{"agentId":"a1"},"reason":"x"}');
    expect(proto.status).toBe(400);
    expect(fieldsOf(proto.body)).toEqual(['__proto__']);
    const ctor = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .send(incident({ context: { constructor: { prototype: 1 } } }));
    expect(ctor.status).toBe(400);
    expect(fieldsOf(ctor.body)).toEqual(['context.constructor']);
    expect((await app.http.get('/guard/killswitch').set(bearer(admin))).body).toMatchObject({
      tenant: null,
      agents: [],
    }); // nothing was switched off
  });

  it('rejects impossible dates and week dates in filters and bodies, and cursors that decode to a bad id or time', async () => {
    for (const since of ['2020-02-30', '0000-01-01', '2020-W01', '2021-02-29T10:00:00Z', '2020-01-01T24:00:00Z']) {
      const res = await app.http.get('/incidents').query({ since }).set(bearer(viewer));
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['since']);
    }
    expect(
      (
        await app.http
          .get('/incidents')
          .query({ since: '2020-02-29', until: '2999-12-31T23:59:59.999Z' })
          .set(bearer(viewer))
      ).status,
    ).toBe(200);
    const until = await app.http.get('/policies/evaluations').query({ until: '0000-01-01' }).set(bearer(viewer));
    expect(fieldsOf(until.body)).toEqual(['until']);
    const week = await app.http
      .post('/incidents')
      .set(bearer(admin))
      .send(incident({ occurredAt: '2020-W01-1' }));
    expect(week.status).toBe(400);
    expect(fieldsOf(week.body)).toEqual(['occurredAt']);
    for (const cursor of [
      cursorOf({ at: '2020-01-01T00:00:00Z', id: 'not-a-uuid' }),
      cursorOf({ at: '0000-01-01', id: '0192f7a0-0000-7000-8000-000000000000' }),
      cursorOf({ at: '2020-02-30T00:00:00Z', id: '0192f7a0-0000-7000-8000-000000000000' }),
      cursorOf(null),
    ]) {
      for (const path of [
        '/incidents',
        '/policies',
        '/catalog/patterns',
        '/recoveries',
        '/routing/adjustments',
        '/policies/evaluations',
      ]) {
        const res = await app.http.get(path).query({ cursor }).set(bearer(viewer));
        expect([path, res.status]).toEqual([path, 400]);
        expect(fieldsOf(res.body)).toEqual(['cursor']);
      }
    }
  });

  it('refuses a hostile CEL condition at creation with the reason', async () => {
    const list = '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]';
    const hostile = `${list}.all(a, ${list}.all(b, ${list}.all(c, ${list}.all(d, ${list}.all(e, a + b + c + d + e >= 0)))))`;
    const res = await app.http
      .post('/policies')
      .set(bearer(admin))
      .send({ name: 'slow', category: 'custom', action: 'warn', scope: 'tenant', condition: hostile });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([
      { field: 'condition', errors: [expect.stringContaining('nests more than 2 macros')] },
    ]);
    const costly = await app.http.post('/policies').set(bearer(admin)).send({
      name: 'slow',
      category: 'custom',
      action: 'warn',
      scope: 'tenant',
      condition: 'request.context.a.all(x, request.context.b.all(y, x != y))',
    });
    expect(costly.status).toBe(400);
    expect(costly.body.fields[0].errors[0]).toMatch(/too costly/);
  });

  it('skips a costly condition that slipped in (stored before the bounds) at evaluation, and another tenant is answered meanwhile', async () => {
    const created = await app.http
      .post('/policies')
      .set(bearer(admin))
      .send({
        name: 'backtracking',
        category: 'custom',
        action: 'block',
        scope: 'tenant',
        condition: 'request.context.s == "x"',
      })
      .expect(201);
    await app.http.post(`/policies/${created.body.id}/activate`).set(bearer(admin)).expect(200);
    // As a row written before the bounds existed: the attacker's nested macros (10^5 iterations).
    const l = '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]';
    const slow = `${l}.all(a, ${l}.all(b, ${l}.all(c, ${l}.all(d, ${l}.all(e, a + b + c + d + e >= 0 || request.context.s == "x")))))`;
    await app.sql(`UPDATE policy_rules SET condition = $2 WHERE id = $1`, [created.body.id, slow]);
    await app.http.post(`/policies/${created.body.id}/disable`).set(bearer(admin)).expect(200);
    await app.http.post(`/policies/${created.body.id}/activate`).set(bearer(admin)).expect(200); // drops the cached index
    const hostile = { context: { s: 'x' } };
    const burst = Array.from({ length: 10 }, () =>
      app.http.post('/policies/evaluate').set(bearer(viewer)).send(hostile),
    );
    const other = app.http
      .post('/policies/evaluate')
      .set(bearer(otherAdmin))
      .send({ context: { s: 'x' } });
    const [otherRes, ...burstRes] = await Promise.all([other, ...burst]);
    expect(otherRes.status).toBe(200);
    expect(burstRes.map((r) => [r.status, r.body.decision])).toEqual(burstRes.map(() => [200, 'allow']));
    // Skipped, not run: even an input it would match does not match.
    expect(burstRes.map((r) => r.body.matched)).toEqual(burstRes.map(() => []));
  });

  it('sends security headers and Cache-Control: no-store, without X-Powered-By', async () => {
    for (const res of [await app.http.get('/incidents').set(bearer(viewer)), await app.http.get('/health/live')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(['DENY', 'SAMEORIGIN']).toContain(res.headers['x-frame-options']);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'self'/);
      // No inline script runs: an injected <script> or event handler would be refused by the browser.
      expect(res.headers['content-security-policy']).toMatch(/(^|;)script-src 'self'(;|$)/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('needs a key for /docs outside development', async () => {
    expect((await app.http.get('/docs-json')).status).toBe(401);
    expect((await app.http.get('/docs')).status).toBe(401);
    // Express routes ignore letter case, so the check must too.
    for (const path of ['/DOCS-JSON', '/Docs-json', '/DOCS-YAML', '/DOCS', '/Docs/', '/DOCS/swagger-ui-init.js']) {
      expect([path, (await app.http.get(path)).status]).toEqual([path, 401]);
    }
    const docs = await app.http.get('/docs-json').set(bearer(viewer));
    expect(docs.status).toBe(200);
    expect(docs.body.info.title).toBe('pillar-loop');
  });

  it('answers an unknown key from memory after the first time, until keys change', async () => {
    const guessed = 'plk_guessed-key-that-an-attacker-tries-0123456789';
    expect((await app.http.get('/incidents').set(bearer(guessed))).status).toBe(401);
    // The key now exists in the database, but the replica still answers from its negative cache:
    // no query was made for it.
    await app.sql(
      `INSERT INTO api_keys (id, tenant_id, name, role, platform_admin, key_hash, key_prefix)
       VALUES (gen_random_uuid(), 'acme', 'inserted', 'viewer', false, $1, 'plk_gues')`,
      [createHash('sha256').update(guessed).digest('hex')],
    );
    expect((await app.http.get('/incidents').set(bearer(guessed))).status).toBe(401);
    // Creating a key through the API forgets the unknown keys too.
    await app.keyFor('acme', 'viewer');
    expect((await app.http.get('/incidents').set(bearer(guessed))).status).toBe(200);
  });

  it('caps concurrent SSE streams per key and per tenant with 429', async () => {
    const url = `${app.url}/integration/stream`;
    const a1 = await openStream(url, viewer);
    const a2 = await openStream(url, viewer);
    const a3 = await openStream(url, viewer);
    expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 429]);
    expect(Number(a3.retryAfter)).toBeGreaterThan(0);
    const b1 = await openStream(url, admin); // same tenant, another key: the tenant's third
    const b2 = await openStream(url, admin); // the tenant's fourth: over its cap
    expect([b1.status, b2.status]).toEqual([200, 429]);
    const other = await openStream(url, otherAdmin);
    expect(other.status).toBe(200); // another tenant has its own count
    a1.close();
    // Closing a stream gives its place back.
    let again = await openStream(url, viewer);
    for (let i = 0; again.status !== 200 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = await openStream(url, viewer);
    }
    expect(again.status).toBe(200);
    for (const s of [a2, b1, other, again]) s.close();
  });

  it('gives a stream’s place back when its client left while it was being authenticated', async () => {
    const key = await app.keyFor('initech', 'viewer');
    const watch = watchStreamRequests(app.app.getHttpServer() as Server);
    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    try {
      // Authentication waits for the key table while the client asks for its stream, and leaves.
      await blocker.query('BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
      const client = net.connect(Number(new URL(app.url).port), '127.0.0.1');
      await new Promise((resolve) => client.once('connect', resolve));
      client.write(`GET /integration/stream HTTP/1.1\r\nHost: pillar-loop\r\nAuthorization: Bearer ${key}\r\n\r\n`);
      await eventually(async () => watch.seen.length === 1, 'the request to arrive');
      client.end();
      await eventually(async () => !watch.seen[0].isOpen(), 'the server to see the client go');
      await blocker.query('COMMIT');
      await eventually(async () => watch.seen[0].status() !== null, 'the stream to be authenticated and opened');
    } finally {
      await blocker.end();
      watch.stop();
    }
    // The key's two places are free: the stream of the client that left is not held (nor subscribed).
    expect(app.app.get(LoopProgressHub).tenantStreamCount('initech')).toBe(0);
    const url = `${app.url}/integration/stream`;
    const streams = [await openStream(url, key), await openStream(url, key)];
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    for (const s of streams) s.close();
  });

  it('throttles failed authentication per client address: 429 with Retry-After for the guesses, never for a valid key (issue 20)', async () => {
    let res;
    for (let i = 0; i < 11; i++) {
      res = await app.http.get('/incidents').set(bearer(`plk_wrong-${i}`));
      if (res.status === 429) break;
      expect(res.status).toBe(401);
    }
    expect(res!.status).toBe(429);
    expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
    expect(res!.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect((await app.http.get('/incidents').set(bearer('plk_wrong-again'))).status).toBe(429);
    expect((await app.http.get('/incidents').set(bearer(ADMIN_KEY))).status).toBe(200);
  });
});
