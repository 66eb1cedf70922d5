import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/test-app.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Issue 20 item 4: throttling slows the guessing, not the people who hold keys. Every request
 * here comes from 127.0.0.1, as from one NAT or proxy.
 */
describe('failed-authentication throttling (one client address, default AUTH_FAILURE_LIMIT 20)', () => {
  let app: TestApp;
  let viewer: string;

  beforeAll(async () => {
    app = await startTestApp();
    viewer = await app.keyFor('throttle', 'viewer');
  });
  afterAll(() => app.stop());

  it('50 signed-out session checks and 50 wrong keys from one address, then a valid key from it: 200', async () => {
    // The console asks whether it is signed in on every load: no cookie, or one that has expired.
    for (let i = 0; i < 50; i++) {
      const res = await app.http.get('/auth/session').set(i % 2 ? { Cookie: `pl_session=expired-${i}` } : {});
      expect(res.status).toBe(401);
    }
    // None of those counted: the first wrong key is a plain 401.
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await app.http.get('/incidents').set(bearer(`plk_wrong-${i}`))).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(30).fill(429));

    // The guessing stays refused; whoever holds a key is not.
    expect((await app.http.get('/incidents').set(bearer('plk_wrong-again'))).status).toBe(429);
    expect((await app.http.post('/auth/session').send({ apiKey: 'plk_wrong-sign-in' })).status).toBe(429);
    expect((await app.http.get('/incidents').set(bearer(viewer))).status).toBe(200);
    expect((await app.http.get('/auth/session').set(bearer(ADMIN_KEY))).status).toBe(200);
    const signIn = await app.http.post('/auth/session').send({ apiKey: viewer });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers['set-cookie'][0].split(';')[0];
    expect((await app.http.get('/auth/session').set('Cookie', cookie)).status).toBe(200);
    // Alertmanager's intake, authenticated with a key, from the same address.
    const webhook = alertmanagerEnvelope(
      [
        {
          status: 'resolved',
          labels: { alertname: 'HighLatency', service: 'checkout', severity: 'critical' },
          annotations: { summary: 'p99 latency over 2 s' },
          startsAt: '2026-12-01T10:00:00.000Z',
          endsAt: '2026-12-01T10:05:00.000Z',
          generatorURL: 'http://prometheus:9090/graph',
          fingerprint: 'fp-throttle',
        },
      ],
      'resolved',
      '{}:{alertname="HighLatency"}',
    );
    expect((await app.http.post('/intake/alertmanager').set(bearer(ADMIN_KEY)).send(webhook)).status).toBe(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a blocked client cannot name another address', async () => {
    expect(
      (await app.http.get('/incidents').set(bearer('plk_wrong-forged')).set('X-Forwarded-For', '198.51.100.77')).status,
    ).toBe(429);
  });
});

describe('TRUST_PROXY=loopback: the client address is read from X-Forwarded-For through the proxy', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ TRUST_PROXY: 'loopback', AUTH_FAILURE_LIMIT: '3' });
  });
  afterAll(() => app.stop());

  const guess = (client: string, i: number) =>
    app.http
      .get('/incidents')
      .set(bearer(`plk_wrong-${i}`))
      .set('X-Forwarded-For', client);

  it('counts each client behind the proxy on its own, sign-in guesses included', async () => {
    const blocked = [];
    for (let i = 0; i < 5; i++) blocked.push((await guess('203.0.113.5', i)).status);
    expect(blocked).toEqual([401, 401, 401, 429, 429]);
    // A colleague behind the same proxy is not held to another client's failures.
    expect((await guess('203.0.113.6', 0)).status).toBe(401);
    const signIns = [];
    for (let i = 0; i < 4; i++)
      signIns.push(
        (
          await app.http
            .post('/auth/session')
            .set('X-Forwarded-For', '203.0.113.7')
            .send({ apiKey: `plk_wrong-${i}` })
        ).status,
      );
    expect(signIns).toEqual([401, 401, 401, 429]);
  });
});
