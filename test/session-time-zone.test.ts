import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import request from 'supertest';
import { PgNotifications } from '../src/platform/database/pg-notifications.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
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

/**
 * A time a body gives without an offset is UTC too: PATCH /recoveries/:id `expiresAt`,
 * POST /inbox/:id/snooze `until` and POST /signals/metrics `at` are read by the app, not
 * PostgreSQL, and `new Date(s)` reads such a time in the Node process's zone. The service runs in a process of its own whose TZ is
 * Asia/Kathmandu (+05:45, no daylight saving time), as a host set to its local zone would.
 */
describe('a replica whose Node process is in another time zone', () => {
  let child: ChildProcess;
  let http: ReturnType<typeof request>;
  let databaseUrl: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  /** A UTC time `ms` from now, written without an offset. */
  const utcWithoutOffset = (ms: number) => new Date(Date.now() + ms).toISOString().replace('Z', '');

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    child = spawn(process.execPath, ['dist/test/support/app-child.js'], {
      env: { ...process.env, TZ: 'Asia/Kathmandu', DATABASE_URL: databaseUrl, ADMIN_API_KEY: ADMIN_KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('READY ')) resolve(line.slice('READY '.length));
      });
      child.once('exit', (code) => reject(new Error(`service child exited (${code}) before READY`)));
    });
    http = request(url);
  });
  afterAll(async () => {
    if (child?.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('PATCH /recoveries/:id and POST /inbox/:id/snooze read an expiresAt and an until without an offset as UTC', async () => {
    const created = await http
      .post('/admin/api-keys')
      .set(auth(ADMIN_KEY))
      .send({ tenantId: 'zone', name: 'zone operator', role: 'operator' })
      .expect(201);
    const operator = created.body.key as string;
    const incident = (
      await http
        .post('/incidents')
        .set(auth(operator))
        .send({
          errorType: 'schema',
          message: 'Column "zone_ref" of relation "orders" does not exist',
          agentId: 'agent-z',
        })
        .expect(201)
    ).body;
    const recovery = await eventually(
      async () =>
        (await http.get('/recoveries').query({ incidentId: incident.id }).set(auth(operator))).body.items?.[0],
      'the recovery to be suggested',
    );
    expect(recovery.status).toBe('pending_review');

    // A day ahead in UTC; read in Kathmandu's zone it would be 5 h 45 min earlier.
    const expiresAt = utcWithoutOffset(86_400_000);
    const patched = await http.patch(`/recoveries/${recovery.id}`).set(auth(operator)).send({ expiresAt });
    expect(patched.status).toBe(200);
    expect(patched.body.expiresAt).toBe(`${expiresAt}Z`);

    const item = await eventually(
      async () => (await http.get('/inbox').query({ kind: 'review' }).set(auth(operator))).body.items?.[0],
      'the review in the inbox',
    );
    // An hour ahead in UTC: in Kathmandu's zone, 4 h 45 min ago (refused as past).
    const until = utcWithoutOffset(3_600_000);
    const snoozed = await http.post(`/inbox/${item.id}/snooze`).set(auth(operator)).send({ until });
    expect(snoozed.status).toBe(200);
    expect(snoozed.body.snoozedUntil).toBe(`${until}Z`);
  });

  it('POST /signals/metrics stores a sample whose at has no offset at that time in UTC', async () => {
    const operator = (
      await http
        .post('/admin/api-keys')
        .set(auth(ADMIN_KEY))
        .send({ tenantId: 'zone-signals', name: 'zone signals', role: 'operator' })
        .expect(201)
    ).body.key as string;
    // An hour ago in UTC; read in Kathmandu's zone it would be 6 h 45 min ago.
    const at = utcWithoutOffset(-3_600_000);
    await http
      .post('/signals/metrics')
      .set(auth(operator))
      .send({ samples: [{ metric: 'latency_ms', agentId: 'agent-z', value: 120, at }] })
      .expect(200);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ at: Date }>(`SELECT at FROM signal_samples WHERE tenant_id = 'zone-signals'`);
      expect(rows.map((r) => r.at.toISOString())).toEqual([`${at}Z`]);
    } finally {
      await db.end();
    }
  });
});
