import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PgNotifications } from '../src/platform/database/pg-notifications.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

/**
 * A time a filter gives without an offset is UTC, whatever TimeZone the server or the database
 * sets: PostgreSQL reads such a time in the session's zone, and every connection the app opens
 * starts its session in UTC.
 */
describe('session time zone: offset-less times are UTC', () => {
  let app: TestApp;
  const auth = { Authorization: `Bearer ${ADMIN_KEY}` };
  const utcWithoutOffset = (ms: number) => new Date(ms).toISOString().replace('Z', '');

  beforeAll(async () => {
    const url = await createTestDatabase();
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    try {
      const [{ db }] = (await owner.query<{ db: string }>('SELECT current_database() AS db')).rows;
      await owner.query(`ALTER DATABASE ${pg.escapeIdentifier(db)} SET timezone = 'America/New_York'`);
    } finally {
      await owner.end();
    }
    app = await startTestApp({}, [], url);
  });
  afterAll(() => app?.stop());

  it('GET /incidents?since=…&until=… without an offset finds an incident by its UTC createdAt', async () => {
    // The database's own sessions (this test's direct connection) are in New York time.
    expect((await app.sql('SHOW TimeZone'))[0].TimeZone).toBe('America/New_York');
    const incident = (
      await app.http.post('/incidents').set(auth).send({ errorType: 'timeout', message: 'zone check' }).expect(201)
    ).body;
    const at = Date.parse(incident.createdAt);
    const listed = await app.http
      .get('/incidents')
      .query({ since: utcWithoutOffset(at - 1000), until: utcWithoutOffset(at + 1000) })
      .set(auth)
      .expect(200);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([incident.id]);
  });

  it('GET /audit?since=…&until=… without an offset finds an entry by its UTC time', async () => {
    const viewer = { Authorization: `Bearer ${await app.keyFor('zone', 'viewer')}` };
    const audit = (query: Record<string, string>) =>
      app.http
        .get('/audit')
        .query({ action: 'api_key.created', ...query })
        .set(viewer)
        .expect(200);
    const [entry] = (await audit({})).body.items;
    const at = Date.parse(entry.at);
    const listed = await audit({ since: utcWithoutOffset(at - 1000), until: utcWithoutOffset(at + 1000) });
    expect(listed.body.items.map((e: { seq: number }) => e.seq)).toEqual([entry.seq]);
  });

  it("every connection the app opens is in UTC: the pool's, the reserve pool's and the LISTEN connection's", async () => {
    const tx = app.app.get(TransactionHost);
    expect((await tx.query<{ TimeZone: string }>('SHOW TimeZone'))[0].TimeZone).toBe('UTC');
    const reserve = await tx.run(() => tx.queryOutside<{ TimeZone: string }>('SHOW TimeZone'));
    expect(reserve[0].TimeZone).toBe('UTC');
    const listener = (app.app.get(PgNotifications) as unknown as { client: pg.Client }).client;
    expect((await listener.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0].TimeZone).toBe('UTC');
  });
});
