import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/platform/database/embedded-postgres.js';
import { freePort } from './support/free-port.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** The app's own embedded PostgreSQL, stopped and started again under the running app. */
describe('a database outage under the running app', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-outage-'));
  let port: number;
  let db: EmbeddedDatabase;
  let app: TestApp;
  let key: string;

  beforeAll(async () => {
    port = await freePort();
    db = await startEmbeddedPostgres(path.join(dir, 'pg'), port);
    app = await startTestApp({ API_KEY_CACHE_MS: '0' }, [], db.url);
    key = await app.keyFor('acme', 'operator');
  });
  afterAll(async () => {
    await app.stop().catch(() => undefined);
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while the database is away, and recovers alone when it returns', async () => {
    const auth = { Authorization: `Bearer ${key}` };
    await app.http
      .post('/incidents')
      .set(auth)
      .send({ errorType: 'timeout', message: 'before the outage' })
      .expect(201);

    await db.stop();
    for (const res of [
      await app.http.get('/incidents').set(auth),
      await app.http
        .post('/incidents')
        .set(auth)
        .set('Idempotency-Key', 'during-outage')
        .send({ errorType: 'timeout', message: 'during the outage' }),
    ]) {
      expect(res.status).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    }
    expect((await app.http.get('/health/ready')).status).toBe(503);

    db = await startEmbeddedPostgres(path.join(dir, 'pg'), port);
    // No restart of the app: its pool reconnects, and the client's retry with its key succeeds once.
    const retried = await eventually(
      async () => {
        const res = await app.http
          .post('/incidents')
          .set(auth)
          .set('Idempotency-Key', 'during-outage')
          .send({ errorType: 'timeout', message: 'during the outage' });
        return res.status === 201 || res.status === 200 ? res : null;
      },
      'the app to answer again after the database returned',
      60_000,
    );
    expect(retried.body.message).toBe('during the outage');
    const list = await app.http.get('/incidents').set(auth).expect(200);
    expect(list.body.items.map((i: { message: string }) => i.message).sort()).toEqual([
      'before the outage',
      'during the outage',
    ]);
    await eventually(async () => (await app.http.get('/health/ready')).status === 200, 'readiness to return');
  });
});
