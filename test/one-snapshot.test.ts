import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueryBus } from '@nestjs/cqrs';
import pg from 'pg';
import { ListDraftPolicies } from '../src/governance/policies/list-draft-policies/list-draft-policies.query.js';
import { PoliciesRepository } from '../src/governance/policies/policies.repository.js';
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
      'FROM routing_adjustments WHERE tenant_id = $1 AND (is_active',
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

  it('the inbox reads every kind in one snapshot: a sweep that expires a review and a held recovery shows whole or not at all', async () => {
    const report = async (message: string, agentId: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth())
        .send({ errorType: 'HeapExhausted', message, agentId })
        .expect(201);
      return eventually(async () => (await get(`/recoveries?incidentId=${res.body.id}`)).items[0], 'a recovery');
    };
    // A plain review, and a trusted recovery a guardrail held (inbox.test.ts says how).
    await app.http.put('/self-healing/guardrails').set(auth()).send({ maxAutomaticRunsPerHour: 1 }).expect(200);
    const seed = await report('heap of cache node 1 exhausted', 'cache-1');
    await app.http
      .patch(`/catalog/patterns/${seed.patternId}`)
      .set(auth())
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    expect((await report('heap of cache node 2 exhausted', 'cache-2')).status).toBe('applied');
    const held = await report('heap of cache node 3 exhausted', 'cache-3');
    expect(held.status).toBe('pending_review');
    const review = `review:${seed.patternId}`;
    const hold = `guardrail_hold:${held.id}`;
    const listed = async () =>
      ((await get('/inbox?snoozed=include&limit=200')).items as Array<{ id: string }>).map((i) => i.id);
    await eventually(async () => {
      const ids = await listed();
      return ids.includes(review) && ids.includes(hold);
    }, 'the review and the hold to wait');

    // As the review expiry sweep commits it: both expire in one statement. The inbox's read of the
    // held recoveries goes ahead, its read of the plain reviews (which joins their patterns) waits.
    const ids = await commitDuring(
      'failure_patterns',
      [
        `UPDATE recovery_candidates SET status = 'expired', decided_by = 'review expiry', decided_at = now()
          WHERE id IN ('${seed.id}', '${held.id}')`,
      ],
      `'review' AS kind`,
      listed,
    );
    expect({ review: ids.includes(review), hold: ids.includes(hold) }).toEqual(
      ids.includes(hold) ? { review: true, hold: true } : { review: false, hold: false },
    );
  });

  it('the draft policies and their count are read in one snapshot: an activation shows whole or not at all', async () => {
    const draft = async (name: string) =>
      (
        await app.http
          .post('/policies')
          .set(auth())
          .send({ name, category: 'safety', action: 'warn', scope: 'tenant', condition: 'request.agentId == "x"' })
          .expect(201)
      ).body.id as string;
    const first = await draft('first draft');
    await draft('second draft');
    // Both reads are of one table, which no lock can hold apart: the list is held in the app until
    // the count has been read and an activation has committed.
    const policies = app.app.get(PoliciesRepository);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let counted!: () => void;
    const count = new Promise<void>((resolve) => (counted = resolve));
    const { list, countWithStatus } = policies;
    policies.list = async (...args) => {
      if (args[0] === TENANT) await released;
      return list.apply(policies, args);
    };
    policies.countWithStatus = async (...args) => {
      const n = await countWithStatus.apply(policies, args);
      if (args[0] === TENANT) counted();
      return n;
    };
    try {
      const drafts = app.app.get(QueryBus).execute(new ListDraftPolicies({ tenantId: TENANT, limit: 500 }));
      await count;
      await app.http.post(`/policies/${first}/activate`).set(auth()).send({}).expect(200);
      release();
      const { items, total } = await drafts;
      expect(total).toBe(items.length);
      expect(items.map((p) => p.id)).toContain(first); // the count was read before the activation
    } finally {
      release();
      policies.list = list;
      policies.countWithStatus = countWithStatus;
    }
  });
});
