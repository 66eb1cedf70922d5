import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { FailurePatternRepository } from '../src/self-healing/catalog/failure-pattern.repository.js';
import { GetPattern } from '../src/self-healing/catalog/get-pattern/get-pattern.query.js';
import { GetSurvivingPattern } from '../src/self-healing/catalog/get-surviving-pattern/get-surviving-pattern.query.js';
import {
  MatchIncidentToCatalog,
  type CatalogMatch,
} from '../src/self-healing/catalog/match-incident/match-incident.command.js';
import { extractSignature, MAX_MESSAGE_LENGTH } from '../src/self-healing/catalog/signature.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/**
 * Bridge 1 files a whole outbox batch in one transaction: each bucket is read once, under its
 * lock, and each pattern is written once, at commit, with the sum of the batch's changes.
 */
describe('filing several incidents in one transaction (real PostgreSQL)', () => {
  let app: TestApp;
  let tx: TransactionHost;
  let commands: CommandBus;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    tx = app.app.get(TransactionHost);
    commands = app.app.get(CommandBus);
  });
  afterAll(() => app.stop());

  const match = (tenant: string, message: string, agent: string | null, capability: string | null) =>
    commands.execute(
      new MatchIncidentToCatalog({
        tenantId: tenant,
        incidentId: crypto.randomUUID(),
        errorType: 'timeout',
        message,
        agentId: agent,
        capability,
      }),
    );
  const sent = (calls: unknown[][], pattern: RegExp) => calls.filter((call) => pattern.test(String(call[0]))).length;

  it('reads a bucket once, counts and generalises in memory, and writes the patterns at commit', async () => {
    const spy = jest.spyOn(tx, 'query');
    try {
      const results = await tx.run(async () => {
        const filed: CatalogMatch[] = [];
        filed.push(
          await match(
            'cat-a',
            'upstream payments timed out after 30 s on host 10.0.0.7 during charge',
            'agent-1',
            'billing',
          ),
        );
        filed.push(
          await match(
            'cat-a',
            'upstream payments timed out after 45 s on host 10.0.0.9 during charge',
            'agent-2',
            'billing',
          ),
        );
        // A host the masker reads as an id, not an IP: the slot generalises to <*>.
        filed.push(
          await match(
            'cat-a',
            'upstream payments timed out after 12 s on host 4f3a9c during charge',
            'agent-1',
            'ledger',
          ),
        );
        filed.push(await match('cat-a', 'queue consumer lagging behind by 1200 messages', null, null));
        // No pattern write has been sent yet: they leave with the commit.
        expect(sent(spy.mock.calls, /(INSERT INTO|UPDATE) failure_patterns/)).toBe(0);
        return filed;
      });
      expect(results.map((r) => [r.isNew, r.occurrenceCount])).toEqual([
        [true, 1],
        [false, 2],
        [false, 3],
        [true, 1],
      ]);
      expect(new Set(results.slice(0, 3).map((r) => r.patternId)).size).toBe(1);
      expect(sent(spy.mock.calls, /FROM failure_patterns WHERE tenant_id = \$1 AND error_type = \$2/)).toBe(2); // two buckets, whatever the number of incidents
    } finally {
      spy.mockRestore();
    }
    const rows = await app.sql(
      `SELECT template, occurrence_count, affected_agents, capabilities FROM failure_patterns WHERE tenant_id = 'cat-a' ORDER BY occurrence_count DESC`,
    );
    expect(rows).toEqual([
      {
        template: 'upstream payments timed out after <NUM> on host <*> during charge',
        occurrence_count: 3,
        affected_agents: ['agent-1', 'agent-2'],
        capabilities: ['billing', 'ledger'],
      },
      {
        template: 'queue consumer lagging behind by <NUM> messages',
        occurrence_count: 1,
        affected_agents: [],
        capabilities: [],
      },
    ]);
  });

  it('adds to a stored pattern: the count grows, agents and capabilities are appended once each', async () => {
    await tx.run(() => match('cat-b', 'upstream payments-api timed out after 30 s', 'agent-1', 'billing'));
    const [again, third] = await tx.run(async () => [
      await match('cat-b', 'upstream payments-api timed out after 31 s', 'agent-1', 'billing'),
      await match('cat-b', 'upstream payments-api timed out after 32 s', 'agent-3', 'billing'),
    ]);
    expect([again.isNew, again.occurrenceCount, third.occurrenceCount]).toEqual([false, 2, 3]);
    const [row] = await app.sql(
      `SELECT occurrence_count, affected_agents, capabilities FROM failure_patterns WHERE tenant_id = 'cat-b'`,
    );
    expect(row).toEqual({ occurrence_count: 3, affected_agents: ['agent-1', 'agent-3'], capabilities: ['billing'] });
  });

  it('files a long message cut across an emoji under one pattern, however often it repeats', async () => {
    // The limit falls between the halves of the emoji: half of it must not become a stored word
    // (PostgreSQL would store U+FFFD, and the next repeat would not match what was stored).
    const message = 'worker crashed: '.padEnd(MAX_MESSAGE_LENGTH - 1, 'y') + '😀 tail';
    const filed: CatalogMatch[] = [];
    for (let i = 0; i < 3; i++) filed.push(await match('cat-long', message, 'agent-1', null));
    expect(filed.map((r) => r.isNew)).toEqual([true, false, false]);
    expect(new Set(filed.map((r) => r.patternId)).size).toBe(1);
    const rows = await app.sql<{ n: number; tokens: string[] }>(
      `SELECT occurrence_count AS n, template_tokens AS tokens FROM failure_patterns WHERE tenant_id = 'cat-long'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.n).toBe(3);
    expect(rows[0]!.tokens).toEqual(extractSignature('timeout', message).tokens);
  });

  it('writes nothing when the transaction rolls back', async () => {
    await expect(
      tx.run(async () => {
        await match('cat-c', 'upstream payments-api timed out after 30 s', 'agent-1', 'billing');
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(await app.sql(`SELECT 1 FROM failure_patterns WHERE tenant_id = 'cat-c'`)).toHaveLength(0);
    // The next transaction reads the bucket afresh and founds the pattern.
    const next = await tx.run(() => match('cat-c', 'upstream payments-api timed out after 30 s', 'agent-1', 'billing'));
    expect([next.isNew, next.occurrenceCount]).toEqual([true, 1]);
  });

  it('reads a pattern once per transaction, so the deliveries of a batch that name it share one read', async () => {
    const { patternId } = await tx.run(() =>
      match('cat-d', 'upstream payments timed out after 30 s on host 10.0.0.7 during charge', 'agent-1', 'billing'),
    );
    const queries = app.app.get(QueryBus);
    const spy = jest.spyOn(tx, 'query');
    try {
      const [first, second] = await tx.run(() =>
        Promise.all([
          queries.execute(new GetPattern({ tenantId: 'cat-d', patternId })),
          queries.execute(new GetPattern({ tenantId: 'cat-d', patternId })),
        ]),
      );
      expect(first?.id).toBe(patternId);
      expect(second).toEqual(first);
      const readsById = () => sent(spy.mock.calls, /FROM failure_patterns WHERE tenant_id = \$1 AND id = \$2/);
      expect(readsById()).toBe(1);
      // Outside a transaction every call reads.
      await queries.execute(new GetPattern({ tenantId: 'cat-d', patternId }));
      await queries.execute(new GetPattern({ tenantId: 'cat-d', patternId }));
      expect(readsById()).toBe(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('reads a pattern again after the transaction changes it', async () => {
    const { patternId } = await tx.run(() =>
      match('cat-e', 'upstream payments timed out after 30 s on host 10.0.0.7 during charge', 'agent-1', 'billing'),
    );
    const queries = app.app.get(QueryBus);
    const after = await tx.run(async () => {
      expect((await queries.execute(new GetPattern({ tenantId: 'cat-e', patternId })))?.autoApplyRecovery).toBe(false);
      await app.app.get(FailurePatternRepository).update('cat-e', patternId, { autoApplyRecovery: true });
      return queries.execute(new GetPattern({ tenantId: 'cat-e', patternId }));
    });
    expect(after?.autoApplyRecovery).toBe(true);
  });

  describe('a merge and work on the patterns it absorbs (a bridge reads the survivor)', () => {
    const user = (tenant: string, name: string) =>
      tx.run(() => match(tenant, `unknown user ${name} from gw-west`, 'agent-1', 'login'));
    /** Three patterns, p1 < p2 < p3; a fourth user merges p2 and p3 into p1. */
    const family = async (tenant: string) => {
      const ids = [];
      for (const name of ['deploy', 'maria', 'oracle']) ids.push((await user(tenant, name)).patternId);
      expect(new Set(ids).size).toBe(3);
      return ids as [string, string, string];
    };
    /** Resolves once a statement of the test database waits for a lock, or 'done' if `work` ends first. */
    const blocksOn = (work: Promise<unknown>) =>
      Promise.race([
        work.then(() => 'done'),
        eventually(async () => {
          const [row] = await app.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return row!.n > 0 && 'waiting';
        }, 'a statement waiting for a lock'),
      ]);
    const gate = () => {
      let open!: () => void;
      return { opened: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    const queries = () => app.app.get(QueryBus);

    it('a merge waits for a transaction holding an absorbed pattern, then moves the recovery it wrote', async () => {
      const [p1, p2] = await family('cat-m1');
      const held = gate();
      const resolved = gate();
      const bridge = tx.run(async () => {
        const pattern = await queries().execute(new GetSurvivingPattern({ tenantId: 'cat-m1', patternId: p2 }));
        expect(pattern?.id).toBe(p2); // not merged yet
        resolved.open();
        await held.opened;
        await tx.query(
          `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action, suggestion_type, confidence, status)
           VALUES ($1, 'cat-m1', $2, $3, 'memory_cleanup', 'clean', 'template', 0.9, 'pending_review')`,
          [crypto.randomUUID(), crypto.randomUUID(), p2],
        );
      });
      await resolved.opened;
      const merge = user('cat-m1', 'admin');
      const waited = await blocksOn(merge);
      held.open();
      await bridge;
      expect(waited).toBe('waiting');
      expect((await merge).patternId).toBe(p1);
      expect(
        await app.sql(`SELECT DISTINCT source_pattern_id FROM recovery_candidates WHERE tenant_id = 'cat-m1'`),
      ).toEqual([{ source_pattern_id: p1 }]);
    });

    it('work that reads an absorbed pattern while the merge is under way waits for it, and gets the survivor', async () => {
      const [p1, , p3] = await family('cat-m2');
      const held = gate();
      const merged = gate();
      const merge = tx.run(async () => {
        const m = await match('cat-m2', 'unknown user admin from gw-west', 'agent-1', 'login');
        merged.open();
        await held.opened;
        return m;
      });
      await merged.opened;
      const bridge = tx.run(() => queries().execute(new GetSurvivingPattern({ tenantId: 'cat-m2', patternId: p3 })));
      const waited = await blocksOn(bridge);
      held.open();
      expect(waited).toBe('waiting');
      expect((await merge).patternId).toBe(p1);
      expect((await bridge)?.id).toBe(p1);
      // The survivor resolves to itself.
      expect(
        (await tx.run(() => queries().execute(new GetSurvivingPattern({ tenantId: 'cat-m2', patternId: p1 }))))?.id,
      ).toBe(p1);
    });
  });
});
