import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const incident = { errorType: 'timeout', message: 'upstream timed out', agentId: 'agent-001' };

/** IDEMPOTENCY_KEY_TTL_HOURS (24 by default): a claim older than it is forgotten, and pruned. */
describe('Idempotency-Key claims expire', () => {
  describe('with nothing pruning (the relay off)', () => {
    let app: TestApp;
    let operator: string;

    beforeAll(async () => {
      app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
      operator = await app.keyFor('acme', 'operator');
    });
    afterAll(() => app.stop());

    const post = (key: string, body: object = incident) =>
      app.http.post('/incidents').set(bearer(operator)).set('Idempotency-Key', key).send(body).expect(201);
    /** As if the key had been claimed `hours` ago. */
    const age = (key: string, hours: number) =>
      app.sql(
        `UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2) WHERE tenant_id = 'acme' AND key = $1`,
        [key, hours],
      );
    const incidents = async () => Number((await app.sql(`SELECT count(*) AS n FROM incidents`))[0].n);

    it('a key claimed longer ago than the TTL is claimed anew: a new incident, which its retries replay', async () => {
      const first = await post('ttl-1');
      await age('ttl-1', 25);
      const before = await incidents();

      const again = await post('ttl-1');
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.id).not.toBe(first.body.id);
      expect(await incidents()).toBe(before + 1);
      const [row] = await app.sql(`SELECT resource_id, created_at > now() - interval '1 minute' AS fresh
                                     FROM idempotency_keys WHERE tenant_id = 'acme' AND key = 'ttl-1'`);
      expect(row).toEqual({ resource_id: again.body.id, fresh: true });

      const retry = await post('ttl-1');
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body.id).toBe(again.body.id);
      expect(await incidents()).toBe(before + 1);
    });

    it('within the TTL a key still replays, and an expired one takes another body without a 422', async () => {
      const first = await post('ttl-2');
      await age('ttl-2', 23);
      const replay = await post('ttl-2');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.id).toBe(first.body.id);

      await age('ttl-2', 25);
      const other = await post('ttl-2', { ...incident, message: 'another request' });
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(other.body).toMatchObject({ message: 'another request' });
      expect(other.body.id).not.toBe(first.body.id);
    });
  });

  describe('with the relay on (its replicas prune)', () => {
    let app: TestApp;
    let operator: string;

    beforeAll(async () => {
      app = await startTestApp({ PRUNE_FIRST_DELAY_MS: '0', PRUNE_INTERVAL_MS: '200' });
      operator = await app.keyFor('acme', 'operator');
    });
    afterAll(() => app.stop());

    it('prunes claims older than the TTL, more than a batch of them, and keeps the others', async () => {
      const fresh = await app.http
        .post('/incidents')
        .set(bearer(operator))
        .set('Idempotency-Key', 'fresh')
        .send(incident)
        .expect(201);
      await app.sql(
        `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id, created_at)
         SELECT 'acme', 'POST /incidents', 'old-' || g, 'h', gen_random_uuid(), now() - make_interval(hours => $2)
           FROM generate_series(1, $1) g`,
        [5003, 25],
      );
      await app.sql(
        `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id, created_at)
         VALUES ('acme', 'POST /incidents', 'nearly', 'h', gen_random_uuid(), now() - interval '23 hours')`,
      );

      await eventually(
        async () => Number((await app.sql(`SELECT count(*) AS n FROM idempotency_keys`))[0].n) === 2,
        'the expired claims pruned',
      );
      expect((await app.sql(`SELECT key FROM idempotency_keys ORDER BY key`)).map((r) => r.key)).toEqual([
        'fresh',
        'nearly',
      ]);
      const replay = await app.http
        .post('/incidents')
        .set(bearer(operator))
        .set('Idempotency-Key', 'fresh')
        .send(incident)
        .expect(201);
      expect(replay.body.id).toBe(fresh.body.id);
    });
  });
});
