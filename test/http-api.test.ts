import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withWritesHeld } from './support/held-writes.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

describe('HTTP API: auth, tenants, bad input, idempotency', () => {
  let app: TestApp;
  let acmeOperator: string;
  let acmeViewer: string;
  let acmeAdmin: string;
  let globexOperator: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const incident = {
    errorType: 'timeout',
    message: 'upstream 10.0.0.7:8443 timed out after 30000 ms',
    agentId: 'agent-001',
  };

  beforeAll(async () => {
    // The relay is off: these tests are about what the HTTP layer writes.
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    acmeOperator = await app.keyFor('acme', 'operator');
    acmeViewer = await app.keyFor('acme', 'viewer');
    acmeAdmin = await app.keyFor('acme', 'admin');
    globexOperator = await app.keyFor('globex', 'operator');
  });
  afterAll(() => app.stop());

  const counts = async () => {
    const [row] =
      await app.sql(`SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM outbox_events)::int AS events,
      (SELECT count(*) FROM loop_traces)::int AS traces, (SELECT count(*) FROM idempotency_keys)::int AS keys`);
    return row;
  };

  describe('auth', () => {
    it('answers 401 without a key or with an unknown one', async () => {
      const none = await app.http.get('/incidents').expect(401);
      expect(none.body.message).toMatch(/missing API key/);
      await app.http.get('/incidents').set(bearer('plk_not-a-real-key')).expect(401);
      await app.http.get('/incidents').set({ Authorization: 'Basic abc' }).expect(401);
    });

    it('leaves health probes open', async () => {
      await app.http.get('/health/live').expect(200);
      const ready = await app.http.get('/health/ready').expect(200);
      expect(ready.body.info.database.status).toBe('up');
    });

    it('answers 403 when the role is too low', async () => {
      const res = await app.http.post('/incidents').set(bearer(acmeViewer)).send(incident).expect(403);
      expect(res.body.message).toMatch(/operator role/);
      await app.http.get('/incidents').set(bearer(acmeViewer)).expect(200);
      await app.http
        .put('/integration/flags/bridge_2')
        .set(bearer(acmeOperator))
        .send({ enabled: false, scope: 'tenant' })
        .expect(403);
      await app.http.get('/admin/api-keys').set(bearer(acmeAdmin)).expect(403);
    });

    it('lets a platform admin create, list and revoke keys; keys are stored hashed', async () => {
      const created = await app.http
        .post('/admin/api-keys')
        .set(bearer(ADMIN_KEY))
        .send({ tenantId: 'initech', name: 'ci', role: 'viewer' })
        .expect(201);
      expect(created.body.key).toMatch(/^plk_/);
      const stored = await app.sql(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.body.id]);
      expect(stored[0].key_hash).not.toContain(created.body.key);
      const list = await app.http.get('/admin/api-keys').set(bearer(ADMIN_KEY)).expect(200);
      expect(list.body.items.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({
        tenantId: 'initech',
        role: 'viewer',
        revokedAt: null,
      });
      expect(JSON.stringify(list.body)).not.toContain(created.body.key);
      // ADMIN_API_KEY is chosen by the operator and may be short: none of it is stored or listed in the clear.
      const bootstrap = list.body.items.find((k: { name: string }) => k.name === 'bootstrap admin (ADMIN_API_KEY)');
      expect(bootstrap.keyPrefix).toBe('ADMIN_API_KEY');
      const prefixes = await app.sql<{ key_prefix: string }>(`SELECT key_prefix FROM api_keys`);
      for (const { key_prefix } of prefixes) expect(ADMIN_KEY.startsWith(key_prefix)).toBe(false);
      await app.http.get('/incidents').set(bearer(created.body.key)).expect(200);
      await app.http.delete(`/admin/api-keys/${created.body.id}`).set(bearer(ADMIN_KEY)).expect(204);
      await app.http.get('/incidents').set(bearer(created.body.key)).expect(401);
      await app.http.delete('/admin/api-keys/00000000-0000-4000-8000-000000000000').set(bearer(ADMIN_KEY)).expect(404);
      await app.http
        .post('/admin/api-keys')
        .set(bearer(ADMIN_KEY))
        .send({ tenantId: 'Bad Tenant', name: '', role: 'root' })
        .expect(400);
    });
  });

  describe('incidents and tenants', () => {
    it('creates an incident with its loop trace and IncidentCreated event in one go', async () => {
      const res = await app.http
        .post('/incidents')
        .set(bearer(acmeOperator))
        .send({ ...incident, severity: 'high', context: { region: 'eu-west-1' } })
        .expect(201);
      expect(res.body).toMatchObject({
        errorType: 'timeout',
        severity: 'high',
        agentId: 'agent-001',
        matchedPatternId: null,
        context: { region: 'eu-west-1' },
      });
      // Ids are time-ordered (UUID version 7), so new rows land at the end of their primary key.
      expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const events = await app.sql(
        `SELECT event_type, tenant_id, incident_id FROM outbox_events WHERE incident_id = $1`,
        [res.body.id],
      );
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.event_type === 'IncidentCreated' && e.tenant_id === 'acme')).toBe(true);
      const loop = await app.http.get(`/integration/loop/${res.body.id}`).set(bearer(acmeViewer)).expect(200);
      expect(loop.body).toMatchObject({
        incidentId: res.body.id,
        state: 'running',
        currentStage: 'incident_created',
        stagesCompleted: ['incident_created'],
        totalStages: 5,
        completionPct: 20,
        isComplete: false,
        completedAt: null,
        durationMs: null,
      });
      const detail = await app.http.get(`/incidents/${res.body.id}`).set(bearer(acmeViewer)).expect(200);
      expect(detail.body.loop.stagesCompleted).toEqual(['incident_created']);
    });

    it("answers 404 for another tenant's incident", async () => {
      const mine = await app.http.post('/incidents').set(bearer(acmeOperator)).send(incident).expect(201);
      await app.http.get(`/incidents/${mine.body.id}`).set(bearer(globexOperator)).expect(404);
      await app.http.get(`/integration/loop/${mine.body.id}`).set(bearer(globexOperator)).expect(404);
      const theirs = await app.http.get('/incidents').set(bearer(globexOperator)).expect(200);
      expect(theirs.body.items.map((i: { id: string }) => i.id)).not.toContain(mine.body.id);
      await app.http.get('/incidents/not-a-uuid').set(bearer(acmeViewer)).expect(400);
    });

    it('lists with filters and cursor pagination, newest first', async () => {
      for (let i = 0; i < 5; i++) {
        await app.http
          .post('/incidents')
          .set(bearer(globexOperator))
          .send({ errorType: 'oom', message: `worker ${i} ran out of memory`, capability: 'embed' })
          .expect(201);
      }
      await app.http
        .post('/incidents')
        .set(bearer(globexOperator))
        .send({ errorType: 'dns', message: 'lookup failed', severity: 'low' })
        .expect(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: {
          body: { items: Array<{ id: string; errorType: string; message: string }>; nextCursor: string | null };
        } = await app.http
          .get('/incidents')
          .query({ errorType: 'oom', limit: 2, ...(cursor ? { cursor } : {}) })
          .set(bearer(globexOperator))
          .expect(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        expect(page.body.items.every((i) => i.errorType === 'oom')).toBe(true);
        seen.push(...page.body.items.map((i) => i.message));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `worker ${i} ran out of memory`));
      const low = await app.http.get('/incidents').query({ severity: 'low' }).set(bearer(globexOperator)).expect(200);
      expect(low.body.items.map((i: { errorType: string }) => i.errorType)).toEqual(['dns']);
      await app.http.get('/incidents').query({ cursor: 'garbage' }).set(bearer(globexOperator)).expect(400);
      await app.http.get('/incidents').query({ limit: 1000 }).set(bearer(globexOperator)).expect(400);
    });
  });

  describe('bad input gets a clear answer and writes nothing', () => {
    const cases: Array<[string, object | string, string[]]> = [
      ['a missing required field', { message: 'x' }, ['errorType']],
      ['a blank errorType (spaces only)', { errorType: '   ', message: 'x' }, ['errorType']],
      ['a blank message', { errorType: 'timeout', message: ' \t\n ' }, ['message']],
      ['a blank title', { errorType: 'timeout', message: 'x', title: '  ' }, ['title']],
      ['a wrong type', { errorType: 42, message: 'x' }, ['errorType']],
      ['an out-of-range enum', { errorType: 'timeout', message: 'x', severity: 'apocalyptic' }, ['severity']],
      ['an unknown field', { errorType: 'timeout', message: 'x', colour: 'red' }, ['colour']],
      ['a bad date', { errorType: 'timeout', message: 'x', occurredAt: 'yesterday' }, ['occurredAt']],
      ['a context that is not an object', { errorType: 'timeout', message: 'x', context: [1, 2] }, ['context']],
    ];
    it.each(cases)('answers 400 naming the field for %s', async (_name, body, fields) => {
      const before = await counts();
      const res = await app.http.post('/incidents').set(bearer(acmeOperator)).send(body).expect(400);
      expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(fields);
      expect(await counts()).toEqual(before);
    });

    it('answers 400 naming the path parameter to an id that is not a UUID, as any other invalid field', async () => {
      const routes: Array<[string, string, string, string]> = [
        ['get', '/notifications/deliveries/nope', acmeAdmin, 'id'],
        ['post', '/notifications/deliveries/nope/retry', acmeOperator, 'id'],
        ['get', '/integration/loop/nope', acmeViewer, 'incidentId'],
        ['post', '/incidents/nope/resolve', acmeOperator, 'id'],
        ['get', '/patches/work-orders/0190a5a0-0000-7000-8000-00000000000', acmeOperator, 'id'],
        ['post', '/policies/nope/activate', acmeAdmin, 'id'],
      ];
      for (const [method, path, key, field] of routes) {
        const res = await (app.http as any)[method](path).set(bearer(key)).send({});
        expect([path, res.status, res.body]).toEqual([
          path,
          400,
          {
            statusCode: 400,
            error: 'Bad Request',
            message: `invalid fields: ${field}`,
            fields: [{ field, errors: [`${field} must be a UUID`] }],
            requestId: expect.any(String),
          },
        ]);
      }
    });

    it('answers 400 naming since or cursor to a time zone offset PostgreSQL does not take (beyond ±15:59)', async () => {
      const named = (body: { fields?: Array<{ field: string }> }) => body.fields?.map((f) => f.field);
      for (const since of ['2026-12-01T10:00:00+16:00', '2026-12-01T10:00:00-20:00', '2026-12-01T10:00+2359']) {
        const res = await app.http.get('/incidents').query({ since }).set(bearer(acmeViewer));
        expect([since, res.status, named(res.body)]).toEqual([since, 400, ['since']]);
      }
      await app.http
        .get('/incidents')
        .query({ since: '2026-12-01T10:00:00+15:59' })
        .set(bearer(acmeViewer))
        .expect(200);
      const cursorAt = (at: string) =>
        Buffer.from(JSON.stringify({ at, id: '0192f7a0-0000-7000-8000-000000000000' })).toString('base64url');
      const far = await app.http
        .get('/incidents')
        .query({ cursor: cursorAt('2026-12-01T10:00:00+16:00') })
        .set(bearer(acmeViewer));
      expect([far.status, named(far.body)]).toEqual([400, ['cursor']]);
      await app.http
        .get('/incidents')
        .query({ cursor: cursorAt('2026-12-01T10:00:00-15:59') })
        .set(bearer(acmeViewer))
        .expect(200);
    });

    it('answers 400 to malformed JSON and 413 to a body over 256 KiB', async () => {
      const before = await counts();
      const bad = await app.http
        .post('/incidents')
        .set(bearer(acmeOperator))
        .set('Content-Type', 'application/json')
        .send('{"errorType": "timeout",')
        .expect(400);
      expect(bad.body.message).toMatch(/malformed JSON/);
      const big = await app.http
        .post('/incidents')
        .set(bearer(acmeOperator))
        .send({ errorType: 'timeout', message: 'x', context: { blob: 'a'.repeat(300 * 1024) } })
        .expect(413);
      expect(big.body.statusCode).toBe(413);
      expect(await counts()).toEqual(before);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the same incident to concurrent identical requests, and creates one', async () => {
      const before = await counts();
      const responses = await Promise.all(
        Array.from({ length: 12 }, () =>
          app.http.post('/incidents').set(bearer(acmeOperator)).set('Idempotency-Key', 'order-42').send(incident),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201));
      const ids = new Set(responses.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
      const after = await counts();
      expect(after.incidents - before.incidents).toBe(1);
      expect(after.traces - before.traces).toBe(1);
      expect(after.keys - before.keys).toBe(1);
      const [{ n }] = await app.sql(
        `SELECT count(DISTINCT event_id)::int AS n FROM outbox_events WHERE incident_id = $1`,
        [[...ids][0]],
      );
      expect(n).toBe(1);
    });

    it('refuses the same key with a different body (422), and scopes keys per tenant', async () => {
      await app.http
        .post('/incidents')
        .set(bearer(acmeOperator))
        .set('Idempotency-Key', 'k-1')
        .send(incident)
        .expect(201);
      const res = await app.http
        .post('/incidents')
        .set(bearer(acmeOperator))
        .set('Idempotency-Key', 'k-1')
        .send({ ...incident, message: 'other' })
        .expect(422);
      expect(res.body.message).toMatch(/different request body/);
      const other = await app.http
        .post('/incidents')
        .set(bearer(globexOperator))
        .set('Idempotency-Key', 'k-1')
        .send(incident)
        .expect(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('flags', () => {
    it('lets a tenant admin override for its tenant only, platform admins set global values, and records every change', async () => {
      const res = await app.http
        .put('/integration/flags/bridge_3')
        .set(bearer(acmeAdmin))
        .send({ enabled: false, scope: 'tenant' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'bridge_3', enabled: false, tenantOverride: false, globalEnabled: true });
      await app.http
        .put('/integration/flags/bridge_3')
        .set(bearer(acmeAdmin))
        .send({ enabled: false, scope: 'global' })
        .expect(403);
      await app.http
        .put('/integration/flags/bridge_9')
        .set(bearer(acmeAdmin))
        .send({ enabled: false, scope: 'tenant' })
        .expect(404);
      await app.http
        .put('/integration/flags/bridge_3')
        .set(bearer(acmeAdmin))
        .send({ enabled: 'no', scope: 'tenant' })
        .expect(400);
      const globex = await app.http.get('/integration/flags').set(bearer(globexOperator)).expect(200);
      expect(globex.body.items.find((f: { name: string }) => f.name === 'bridge_3').enabled).toBe(true);
      await app.http
        .put('/integration/flags/bridge_4')
        .set(bearer(ADMIN_KEY))
        .send({ enabled: false, scope: 'global' })
        .expect(200);
      const acme = await app.http.get('/integration/flags').set(bearer(acmeViewer)).expect(200);
      expect(acme.body.items.map((f: { name: string; enabled: boolean }) => [f.name, f.enabled])).toEqual([
        ['integration_loop', true],
        ['bridge_1', true],
        ['bridge_2', true],
        ['bridge_3', false],
        ['bridge_4', false],
        ['bridge_5', true],
      ]);
      expect(acme.body.history[0]).toMatchObject({
        name: 'bridge_4',
        scope: 'global',
        oldEnabled: null,
        newEnabled: false,
        changedBy: 'a platform admin',
      });
      // The platform admin's key name and id are not shown to tenants; the admin's own audit log has them.
      const platformKey = (
        await app.sql<{ id: string; name: string }>(`SELECT id, name FROM api_keys WHERE platform_admin`)
      )[0]!;
      for (const secretish of [platformKey.id, platformKey.name])
        expect(JSON.stringify(acme.body)).not.toContain(secretish);
      expect(acme.body.items.find((f: { name: string }) => f.name === 'bridge_4').updatedBy).toBe('a platform admin');
      expect(acme.body.history[1]).toMatchObject({
        name: 'bridge_3',
        scope: 'tenant',
        oldEnabled: null,
        newEnabled: false,
      });
      expect(acme.body.history[1].changedBy).toMatch(/acme admin/);
    });

    it('records two first changes of a flag made at once one after the other: the second knows what the first set', async () => {
      const admin = await app.keyFor('flag-race', 'admin');
      const put = () =>
        app.http.put('/integration/flags/bridge_5').set(bearer(admin)).send({ enabled: false, scope: 'tenant' });
      const changes = await withWritesHeld(app, 'feature_flags', 2, () => Promise.all([put(), put()]));
      for (const res of changes) expect(res.status).toBe(200);
      const history = (await app.http.get('/integration/flags').set(bearer(admin)).expect(200)).body.history;
      const ours = history.filter(
        (h: { name: string; scope: string }) => h.name === 'bridge_5' && h.scope === 'tenant',
      );
      expect(ours.map((h: { oldEnabled: boolean | null }) => h.oldEnabled)).toEqual([false, null]);
      // One change to audit, not two.
      const [{ n }] = await app.sql(
        `SELECT count(*)::int AS n FROM audit_entries WHERE tenant_id = 'flag-race' AND action = 'flag.changed'`,
      );
      expect(n).toBe(1);
    });
  });

  describe('operations', () => {
    it('serves Prometheus metrics and the OpenAPI document', async () => {
      await app.http.get('/metrics').expect(401);
      // Platform-wide counters: a tenant's key, even an admin's, must not watch the other tenants.
      await app.http.get('/metrics').set(bearer(acmeViewer)).expect(403);
      await app.http
        .get('/metrics')
        .set(bearer(await app.keyFor('acme', 'admin')))
        .expect(403);
      const scraper = await app.http
        .post('/admin/api-keys')
        .set(bearer(ADMIN_KEY))
        .send({ tenantId: 'ops', name: 'prometheus', role: 'viewer', platformAdmin: true })
        .expect(201);
      const metrics = await app.http.get('/metrics').set(bearer(scraper.body.key)).expect(200);
      expect(metrics.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/incidents"/);
      expect(metrics.text).toMatch(/outbox_depth\{status="pending"\} \d+/);
      expect(metrics.text).toMatch(/outbox_oldest_due_age_seconds \d/);
      const docs = await app.http.get('/docs-json').set(bearer(acmeViewer)).expect(200);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining(['/incidents', '/integration/loop/{incidentId}', '/admin/api-keys']),
      );
    });

    it('echoes a request id', async () => {
      const res = await app.http.get('/health/live').set('X-Request-Id', 'trace-123').expect(200);
      expect(res.headers['x-request-id']).toBe('trace-123');
    });
  });

  describe('API keys on two replicas', () => {
    it('serves known keys from memory, and a revocation on one replica reaches the other through NOTIFY', async () => {
      // Both replicas cache keys for an hour: only the NOTIFY can make the second one forget.
      const url = await createTestDatabase();
      const env = { OUTBOX_RELAY_ENABLED: 'false', API_KEY_CACHE_MS: '3600000' };
      const a = await startTestApp(env, [], url);
      const b = await startTestApp(env, [], url);
      try {
        const created = await a.http
          .post('/admin/api-keys')
          .set(bearer(ADMIN_KEY))
          .send({ tenantId: 'acme', name: 'replicas', role: 'viewer' })
          .expect(201);
        const key = created.body.key as string;
        await a.http.get('/incidents').set(bearer(key)).expect(200);
        await b.http.get('/incidents').set(bearer(key)).expect(200);

        // Revoked behind the service's back (no NOTIFY): the replicas still know the key.
        await a.sql(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [created.body.id]);
        await b.http.get('/incidents').set(bearer(key)).expect(200);
        await a.sql(`UPDATE api_keys SET revoked_at = NULL WHERE id = $1`, [created.body.id]);

        await a.http.delete(`/admin/api-keys/${created.body.id}`).set(bearer(ADMIN_KEY)).expect(204);
        await a.http.get('/incidents').set(bearer(key)).expect(401);
        await eventually(
          async () => (await b.http.get('/incidents').set(bearer(key))).status === 401,
          'the other replica to refuse the revoked key',
        );
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  });
});
