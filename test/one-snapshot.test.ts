import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const TENANT = 'snapshots';

/**
 * Reads that answer together read one snapshot (platform/database/one-snapshot.ts): a change that
 * commits between them shows whole or not at all. Each test lets one read go ahead and holds the
 * next until the change has committed, as separate connections could order them by chance.
 */
describe('reads in one snapshot (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let admin: string;
  const auth = () => ({ Authorization: `Bearer ${admin}` });
  const get = async (path: string) => (await app.http.get(path).set(auth()).expect(200)).body;

  /**
   * Runs `writes` in a transaction that holds `table`, starts `read`, and commits once a statement
   * of `read` like `waiting` waits for the table: what `read` read before that, it read before the commit.
   */
  async function commitDuring<T>(table: string, writes: string[], waiting: string, read: () => Promise<T>) {
    const writer = new pg.Client({ connectionString: app.database.url });
    await writer.connect();
    try {
      await writer.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      for (const sql of writes) await writer.query(sql);
      const done = read();
      const writerPid = (writer as unknown as { processID: number }).processID;
      await eventually(async () => {
        const [{ n }] = await app.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE $2`,
          [writerPid, `%${waiting}%`],
        );
        return n > 0;
      }, `a read to wait for ${table}`);
      await writer.query('COMMIT');
      return await done;
    } finally {
      await writer.end();
    }
  }

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '200' });
    admin = await app.keyFor(TENANT, 'admin');
  }, 60_000);
  afterAll(() => app.stop());

  it("the agent list reads agents and adjustments in one snapshot: a policy's application shows whole or not at all", async () => {
    await app.http
      .put('/routing/agents/lister')
      .set(auth())
      .send({ capabilities: ['ci'], baseConfidence: 0.75 })
      .expect(200);
    // As an application of a policy commits it: the agent gains the capability, and the policy's
    // penalty for it, together. The list's read of the agents goes ahead, its read of the adjustments waits.
    const agents = await commitDuring(
      'routing_adjustments',
      [
        `UPDATE agents SET capabilities = '{ci,deploy}', updated_at = now() WHERE tenant_id = '${TENANT}' AND id = 'lister'`,
        `INSERT INTO routing_adjustments (id, tenant_id, agent_id, capability, adjustment_type, magnitude, reason, source_policy_id)
         VALUES (gen_random_uuid(), '${TENANT}', 'lister', 'deploy', 'confidence_penalty', -0.1, 'warn', gen_random_uuid())`,
      ],
      'FROM routing_adjustments WHERE tenant_id = $1 AND is_active',
      () => get('/routing/agents'),
    );
    const lister = agents.items.find((a: { agentId: string }) => a.agentId === 'lister');
    const seen = lister.capabilities.includes('deploy');
    expect(lister).toMatchObject(
      seen
        ? { capabilities: ['ci', 'deploy'], activeAdjustments: 1, effectiveConfidence: 0.65 }
        : { capabilities: ['ci'], activeAdjustments: 0, effectiveConfidence: 0.75 },
    );
  });
});
