import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TransactionHost } from '../src/platform/database/transaction-host.js';
import { evidenceRead, LEARNING, type FixObservation } from '../src/self-healing/learning/fix-confidence.js';
import { FixEvidenceRepository } from '../src/self-healing/learning/fix-evidence.repository.js';
import { createTestDatabase } from './support/test-database.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MINUTE = 60_000;

/**
 * FixEvidenceRepository reads what the learning rule needs to judge each failure as it was when it
 * happened (evidenceRead is its contract): the newest verdicts, and the reviews around the oldest verdict
 * that counts. Its SQL against a real PostgreSQL, on histories of every shape, beside rows it must not read.
 */
describe('the evidence read for a fix', () => {
  let client: pg.Client;
  let repository: FixEvidenceRepository;
  const pattern = randomUUID();

  beforeAll(async () => {
    client = new pg.Client({ connectionString: await createTestDatabase() });
    await client.connect();
    // Only the columns the read looks at: the runs' and candidates' references to incidents are not checked here.
    await client.query(`SET session_replication_role = replica`);
    const host = { query: async (text: string, params: unknown[]) => (await client.query(text, params)).rows };
    repository = new FixEvidenceRepository(host as unknown as TransactionHost);
  });
  afterAll(() => client?.end());

  /** Stores a history (oldest first, one a minute) of fix `playbook`; returns it newest first. */
  async function store(tenant: string, playbook: string, kinds: string): Promise<FixObservation[]> {
    const history = [...kinds].map((c, i) => ({
      kind: c === 'S' || c === 'F' ? ('run' as const) : ('review' as const),
      succeeded: c === 'S' || c === 'a',
      at: new Date(T0 + i * MINUTE),
    }));
    for (const o of history)
      if (o.kind === 'run')
        await client.query(
          `INSERT INTO recovery_runs (id, tenant_id, pattern_id, playbook_id, automatic, started_by, status, phase,
                                      deadline_at, finished_at, verdict, verdict_at)
           VALUES ($1, $2, $3, $4, true, 'auto-apply', $5, 'done', $6, $6, $7, $6)`,
          [
            randomUUID(),
            tenant,
            pattern,
            playbook,
            o.succeeded ? 'succeeded' : 'failed',
            o.at,
            o.succeeded ? 'succeeded' : 'failed',
          ],
        );
      else await candidate(tenant, playbook, o.succeeded ? 'applied' : 'rejected', 'an operator', o.at);
    return history.reverse();
  }
  const candidate = (tenant: string, playbook: string, status: string, decidedBy: string | null, at: Date | null) =>
    client.query(
      `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action,
                                        suggestion_type, confidence, status, decided_by, decided_at)
       VALUES ($1, $2, $3, $4, $5, 'restart', 'template', 0.9, $6, $7, $8)`,
      [randomUUID(), tenant, randomUUID(), pattern, playbook, status, decidedBy, at],
    );

  /** A history of `runs` verdicts and `reviews` reviews interleaved at random (a fixed seed), oldest first. */
  function mixed(runs: number, reviews: number, seed: number): string {
    let s = seed;
    const random = () => (s = (s * 48271) % 2147483647) / 2147483647;
    const out: string[] = [];
    let [r, v] = [runs, reviews];
    while (r + v > 0) {
      const run = random() * (r + v) < r;
      if (run) r--;
      else v--;
      out.push(run ? (random() < 0.8 ? 'S' : 'F') : random() < 0.7 ? 'a' : 'r');
    }
    return out.join('');
  }

  it.each([
    ['more verdicts than are read, and reviews on both sides of the oldest one that counts', 130, 400],
    ['fewer verdicts than count: every review since the first, and the horizon before it', 30, 300],
    ['no verdict yet: the newest reviews that count', 0, 80],
    ['no review', 70, 0],
  ])('%s', async (_what, runs, reviews) => {
    const playbook = `fix-${runs}-${reviews}`;
    const history = await store('t-evidence', playbook, mixed(runs, reviews, runs * 1000 + reviews + 1));
    // Beside it: another fix's evidence, another tenant's, the auto-apply's own decisions, pending candidates.
    await store('t-evidence', `${playbook}-other`, 'SFSar');
    await store('t-evidence-other', playbook, 'SFSar');
    await candidate('t-evidence', playbook, 'applied', 'auto-apply', new Date(T0 + 5 * MINUTE + 30_000));
    await candidate('t-evidence', playbook, 'pending_review', null, null);

    const read = await repository.observations('t-evidence', pattern, playbook);
    expect(read).toEqual(evidenceRead(history));
    const counted = history.filter((o) => o.kind === 'run').slice(0, LEARNING.horizon);
    // Each failure among the verdicts that count has the horizon's worth of evidence before it, as it had then.
    for (const failure of counted.filter((o) => !o.succeeded)) {
      const before = (xs: FixObservation[], kind: string) => xs.filter((o) => o.kind === kind && o.at <= failure.at);
      for (const kind of ['run', 'review'])
        expect(before(read, kind).slice(0, LEARNING.horizon)).toEqual(before(history, kind).slice(0, LEARNING.horizon));
    }
  });
});
