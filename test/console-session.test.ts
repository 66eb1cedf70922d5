import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOOPS_PER_BUCKET_SQL } from '../src/integration/loop-stats.read-model.js';
import { openSse } from './support/sse.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

/** Session-cookie auth, the console's static serving, and the routes the console added. */
describe('console sessions and routes', () => {
  let app: TestApp;
  const cookieOf = (res: { headers: Record<string, any> }) =>
    String(res.headers['set-cookie']?.[0] ?? '').split(';')[0];

  async function signIn(key: string) {
    const res = await app.http.post('/auth/session').send({ apiKey: key }).expect(201);
    return { cookie: cookieOf(res), res };
  }

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('exchanges a key for an HttpOnly SameSite=Strict cookie, storing only its hash', async () => {
    const { cookie, res } = await signIn(ADMIN_KEY);
    const header = res.headers['set-cookie'][0] as string;
    expect(header).toMatch(/^pl_session=[\w-]{43};/);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).not.toMatch(/Secure/); // plain HTTP here
    expect(res.body).toMatchObject({ tenantId: 'default', role: 'admin', platformAdmin: true });
    const token = cookie.split('=')[1];
    const rows = await app.sql(`SELECT token_hash FROM console_sessions`);
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
    expect((await app.http.get('/auth/session').set('Cookie', cookie).expect(200)).body.role).toBe('admin');
  });

  it('marks the cookie Secure behind HTTPS', async () => {
    const res = await app.http
      .post('/auth/session')
      .set('X-Forwarded-Proto', 'https')
      .send({ apiKey: ADMIN_KEY })
      .expect(201);
    expect(res.headers['set-cookie'][0]).toMatch(/; Secure/);
  });

  it('refuses a bad key and a missing one with the field named', async () => {
    await app.http.post('/auth/session').send({ apiKey: 'nope' }).expect(401);
    const res = await app.http.post('/auth/session').send({}).expect(400);
    expect(JSON.stringify(res.body)).toMatch(/apiKey/);
  });

  it('accepts cookie writes only from this origin (CSRF), while Bearer keeps working', async () => {
    const { cookie } = await signIn(ADMIN_KEY);
    const body = { errorType: 'TimeoutError', message: 'csrf probe' };
    await app.http.post('/incidents').set('Cookie', cookie).send(body).expect(403);
    await app.http.post('/incidents').set('Cookie', cookie).set('Origin', 'http://evil.example').send(body).expect(403);
    const host = new URL(app.url).host;
    await app.http.post('/incidents').set('Cookie', cookie).set('Origin', `http://${host}`).send(body).expect(201);
    await app.http
      .post('/incidents')
      .set('Cookie', cookie)
      .set('Referer', `http://${host}/console/incidents`)
      .send(body)
      .expect(201);
    await app.http.post('/incidents').set('Authorization', `Bearer ${ADMIN_KEY}`).send(body).expect(201);
  });

  it('ends a session with its key, at expiry, and at sign-out', async () => {
    const operator = await app.keyFor('default', 'operator');
    const { cookie } = await signIn(operator);
    await app.http.get('/incidents').set('Cookie', cookie).expect(200);
    const [{ id }] = await app.sql(
      `SELECT k.id FROM api_keys k JOIN console_sessions s ON s.key_id = k.id WHERE k.role = 'operator'`,
    );
    await app.http.delete(`/admin/api-keys/${id}`).set('Authorization', `Bearer ${ADMIN_KEY}`).expect(204);
    await app.http.get('/incidents').set('Cookie', cookie).expect(401);
    expect(await app.sql(`SELECT 1 FROM console_sessions WHERE key_id = $1`, [id])).toHaveLength(0);

    const expiring = await signIn(ADMIN_KEY);
    await app.sql(
      `UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
      [expiring.cookie.split('=')[1]],
    );
    await app.http.get('/incidents').set('Cookie', expiring.cookie).expect(401);

    const ending = await signIn(ADMIN_KEY);
    const out = await app.http
      .delete('/auth/session')
      .set('Cookie', ending.cookie)
      .set('Origin', `http://${new URL(app.url).host}`)
      .expect(204);
    expect(out.headers['set-cookie'][0]).toMatch(/pl_session=;/);
    await app.http.get('/incidents').set('Cookie', ending.cookie).expect(401);
  });

  it('signs out with the cookie only from this origin (CSRF), like every other cookie write', async () => {
    const { cookie } = await signIn(ADMIN_KEY);
    await app.http.delete('/auth/session').set('Cookie', cookie).set('Origin', 'https://evil.example').expect(403);
    await app.http.delete('/auth/session').set('Cookie', cookie).expect(403); // no Origin nor Referer
    await app.http.get('/incidents').set('Cookie', cookie).expect(200); // still signed in
    const host = new URL(app.url).host;
    await app.http.delete('/auth/session').set('Cookie', cookie).set('Origin', `http://${host}`).expect(204);
    await app.http.get('/incidents').set('Cookie', cookie).expect(401);
    await app.http.delete('/auth/session').expect(204); // without a cookie there is nothing to end
  });

  describe('open SSE streams end with their credential (ADR 0011)', () => {
    const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
    const tokenHash = `encode(sha256($1::bytea), 'hex')`;
    /** A stream of the tenant's updates, and the incident ids it heard. */
    function stream(headers: Record<string, string>) {
      const heard: string[] = [];
      let ended = false;
      const sse = openSse(`${app.url}/integration/stream`, headers, (_event, data: { incidentId?: string }) => {
        if (data.incidentId) heard.push(data.incidentId);
      });
      void sse.ended.then(() => (ended = true));
      return { ...sse, heard, isEnded: () => ended };
    }
    const report = async (key: string) =>
      (
        await app.http
          .post('/incidents')
          .set(bearer(key))
          .send({ errorType: 'TimeoutError', message: 'after the credential went' })
          .expect(201)
      ).body.id as string;

    it('a key revoked by DELETE /admin/api-keys/:id: its stream ends and hears nothing more', async () => {
      const [viewer, operator] = [await app.keyFor('sse-key', 'viewer'), await app.keyFor('sse-key', 'operator')];
      const revoked = stream(bearer(viewer));
      const control = stream(bearer(operator)); // same tenant, key not revoked
      expect(await Promise.all([revoked.opened, control.opened])).toEqual([200, 200]);
      const [{ id }] = await app.sql(`SELECT id FROM api_keys WHERE key_hash = ${tokenHash}`, [viewer]);
      await app.http.delete(`/admin/api-keys/${id}`).set(bearer(ADMIN_KEY)).expect(204);
      await eventually(async () => revoked.isEnded(), 'the revoked key’s stream to end');

      const incidentId = await report(operator);
      await eventually(async () => control.heard.includes(incidentId), 'the control stream to hear the incident');
      expect(revoked.heard).not.toContain(incidentId);
      expect(control.isEnded()).toBe(false);
      control.close();
    });

    it('a session signed out by DELETE /auth/session: its stream ends, another session’s stays', async () => {
      const operator = await app.keyFor('sse-session', 'operator');
      const [ending, staying] = [await signIn(operator), await signIn(operator)];
      const ended = stream({ Cookie: ending.cookie });
      const control = stream({ Cookie: staying.cookie });
      expect(await Promise.all([ended.opened, control.opened])).toEqual([200, 200]);
      await app.http
        .delete('/auth/session')
        .set('Cookie', ending.cookie)
        .set('Origin', `http://${new URL(app.url).host}`)
        .expect(204);
      await eventually(async () => ended.isEnded(), 'the signed-out session’s stream to end');

      const incidentId = await report(operator);
      await eventually(async () => control.heard.includes(incidentId), 'the control stream to hear the incident');
      expect(ended.heard).not.toContain(incidentId);
      expect(control.isEnded()).toBe(false);
      control.close();
    });

    it('a session that expires while its stream is open: the stream ends', async () => {
      const { cookie } = await signIn(await app.keyFor('sse-expiry', 'viewer'));
      // Seconds to live: enough to open the stream, which then must end by itself.
      await app.sql(
        `UPDATE console_sessions SET expires_at = now() + interval '6 seconds' WHERE token_hash = ${tokenHash}`,
        [cookie.split('=')[1]],
      );
      const expiring = stream({ Cookie: cookie });
      expect(await expiring.opened).toBe(200);
      await eventually(async () => expiring.isEnded(), 'the expired session’s stream to end');
    });
  });

  it('answers a session cookie that does not decode as a bad session (401), not 500', async () => {
    const res = await app.http.get('/incidents').set('Cookie', 'pl_session=%E0%A4%A');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/session expired or ended/); // a failed session, counted by the throttle
  });

  it('serves the console at /console with a fallback for client routes; / redirects there', async () => {
    await app.http.get('/').expect(302).expect('Location', '/console/');
    const index = await app.http.get('/console/').expect(200);
    expect(index.text).toMatch(/<div id="root">/);
    const route = await app.http.get('/console/incidents/some-id').expect(200);
    expect(route.text).toBe(index.text);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index.text)![1];
    await app.http
      .get(asset)
      .expect(200)
      .expect('Content-Type', /javascript/);
    await app.http.get('/console/assets/missing.js').expect(404);
  });

  it('buckets loops over time for the overview charts', async () => {
    const auth = { Authorization: `Bearer ${ADMIN_KEY}` };
    const other = await app.keyFor('other', 'viewer');
    const res = await app.http
      .get('/integration/stats/timeseries')
      .query({ hours: 1, buckets: 6 })
      .set(auth)
      .expect(200);
    expect(res.body.bucketMs).toBe(600_000);
    expect(res.body.buckets).toHaveLength(6);
    const total = res.body.buckets.reduce((n: number, b: { incidents: number }) => n + b.incidents, 0);
    const [{ count }] = await app.sql(
      `SELECT count(*)::int AS count FROM loop_traces WHERE tenant_id = 'default' AND started_at >= now() - interval '1 hour'`,
    );
    expect(total).toBe(count);
    expect(total).toBeGreaterThan(0);
    const theirs = await app.http
      .get('/integration/stats/timeseries')
      .set({ Authorization: `Bearer ${other}` })
      .expect(200);
    expect(theirs.body.buckets.every((b: { incidents: number }) => b.incidents === 0)).toBe(true);
    await app.http.get('/integration/stats/timeseries').query({ buckets: 0 }).set(auth).expect(400);
  });

  it("buckets every loop the stats count: one started at the window's start too", async () => {
    const operator = await app.keyFor('window-edge', 'operator');
    const auth = { Authorization: `Bearer ${operator}` };
    const created = await app.http
      .post('/incidents')
      .set(auth)
      .send({ errorType: 'timeout', message: 'upstream timed out at the edge of the window' })
      .expect(201);
    // Started 24 h less 30 s ago: in the last 24 h, before the hour-aligned buckets the old code drew.
    await app.sql(
      `UPDATE loop_traces SET started_at = now() - interval '24 hours' + interval '30 seconds' WHERE incident_id = $1`,
      [created.body.id],
    );
    const stats = await app.http.get('/integration/stats').query({ hours: 24 }).set(auth).expect(200);
    const series = await app.http
      .get('/integration/stats/timeseries')
      .query({ hours: 24, buckets: 24 })
      .set(auth)
      .expect(200);
    expect(series.body.buckets).toHaveLength(24);
    const total = series.body.buckets.reduce((n: number, b: { incidents: number }) => n + b.incidents, 0);
    expect([stats.body.totalIncidents, total]).toEqual([1, 1]);
    expect(series.body.buckets[0].incidents).toBe(1);
  });

  it('reads each loop of the window once for the timeseries, however many buckets it asks for', async () => {
    // A join on "started within this bucket" compared every loop with every bucket (500 buckets: 3 s).
    const [{ 'QUERY PLAN': plan }] = await app.sql(`EXPLAIN (FORMAT JSON) ${LOOPS_PER_BUCKET_SQL}`, [
      'window-edge',
      8760,
      63_072_000,
      500,
    ]);
    const text = JSON.stringify(plan);
    expect(text).not.toContain('Join Filter');
    expect(text.match(/"Relation Name":"loop_traces"/g)).toHaveLength(1);
  });

  it('validates a CEL condition without saving anything', async () => {
    const auth = { Authorization: `Bearer ${await app.keyFor('default', 'viewer')}` };
    expect(
      (await app.http.post('/policies/validate').set(auth).send({ condition: 'request.agentId == "a"' }).expect(200))
        .body,
    ).toEqual({ ok: true });
    const bad = (
      await app.http.post('/policies/validate').set(auth).send({ condition: 'request.agentId ==' }).expect(200)
    ).body;
    expect(bad.ok).toBe(false);
    expect(bad.error).toEqual(expect.any(String));
    const res = await app.http.post('/policies/validate').set(auth).send({}).expect(400);
    expect(JSON.stringify(res.body)).toMatch(/condition/);
  });
});
