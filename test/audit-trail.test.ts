import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditTrail } from '../src/platform/audit/audit-trail.js';
import { entryOf, type AuditEntryRow } from '../src/platform/audit/audit.repository.js';
import { firstBrokenEntry, GENESIS } from '../src/platform/audit/chain/audit-chain.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** AuditTrail.record, the append API every module uses (issue 26 §1), on the real database. */
describe('AuditTrail.record (real PostgreSQL)', () => {
  let app: TestApp;
  let audit: AuditTrail;
  let tx: TransactionHost;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    audit = app.app.get(AuditTrail);
    tx = app.app.get(TransactionHost);
    await app.sql(`CREATE TABLE audited_things (id text PRIMARY KEY, v int NOT NULL)`);
  });
  afterAll(() => app.stop());

  const entries = async (tenantId: string) =>
    (await app.sql<AuditEntryRow>(`SELECT * FROM audit_entries WHERE tenant_id = $1 ORDER BY seq`, [tenantId])).map(
      entryOf,
    );
  const entry = (tenantId: string, n: number) => ({
    tenantId,
    actor: 'system',
    action: 'thing.changed',
    subject: { type: 'thing', id: `t${n}` },
    before: { v: n - 1 },
    after: { v: n },
  });

  it('writes the entry with the change it records, or not at all', async () => {
    await expect(
      tx.run(async () => {
        await tx.query(`INSERT INTO audited_things VALUES ('rolled', 1)`);
        await audit.record(entry('t-rollback', 1));
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    expect(await entries('t-rollback')).toEqual([]);

    const dbNow = Date.parse((await app.sql(`SELECT now() AS now`))[0].now);
    await tx.run(async () => {
      await tx.query(`INSERT INTO audited_things VALUES ('kept', 1)`);
      await audit.record({
        ...entry('t-commit', 1),
        actor: 'ops (0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee)',
        reason: 'because',
        before: undefined,
      });
    });
    const [first] = await entries('t-commit');
    expect(first).toMatchObject({
      seq: 1,
      actor: '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee',
      action: 'thing.changed',
      subject: { type: 'thing', id: 't1' },
      before: null,
      after: { v: 1 },
      reason: 'because',
      prevHash: '0'.repeat(64),
    });
    expect(Date.parse(first.at)).toBeGreaterThanOrEqual(dbNow - 1);
    expect(firstBrokenEntry([first], GENESIS).broken).toBeNull();
  });

  it('links the entries of one transaction and of several tenants in order (one-statement path too)', async () => {
    await tx.run(async () => {
      for (let n = 1; n <= 3; n++) {
        await audit.record(entry('t-b', n));
        await audit.record(entry('t-a', n));
      }
    });
    await audit.record(entry('t-a', 4)); // outside a transaction: its own
    const a = await entries('t-a');
    expect(a.map((e) => [e.seq, e.subject.id])).toEqual([
      [1, 't1'],
      [2, 't2'],
      [3, 't3'],
      [4, 't4'],
    ]);
    expect(firstBrokenEntry(a, GENESIS).broken).toBeNull();
    expect(firstBrokenEntry(await entries('t-b'), GENESIS)).toMatchObject({ broken: null, anchor: { seq: 3 } });
    expect((await app.sql(`SELECT seq::int AS seq FROM audit_heads WHERE tenant_id = 't-a'`))[0].seq).toBe(4);
  });

  it('keeps one unbroken chain when many transactions of one tenant commit at once', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        tx.run(async () => {
          await tx.query(`INSERT INTO audited_things VALUES ($1, $2)`, [`c${i}`, i]);
          await audit.record(entry('t-concurrent', i + 1));
        }),
      ),
    );
    const chain = await entries('t-concurrent');
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(firstBrokenEntry(chain, GENESIS).broken).toBeNull();
  });

  it('stores what the chain hashes: text PostgreSQL cannot hold is replaced, numbers read back equal', async () => {
    await audit.record({
      ...entry('t-odd', 1),
      after: { s: 'nul\u0000 and \uD800', big: 1e21, tiny: 5e-324, when: new Date(0) },
    });
    const [stored] = await entries('t-odd');
    expect(stored.after).toEqual({
      s: 'nul\uFFFD and \uFFFD',
      big: 1e21,
      tiny: 5e-324,
      when: '1970-01-01T00:00:00.000Z',
    });
    expect(firstBrokenEntry([stored], GENESIS).broken).toBeNull();
  });

  it('stores the texts it hashes too: a reason or subject cut in the middle of an emoji still verifies', async () => {
    const cut = 'assigned: disk full on node \uD83D'; // a title cut after the first half of a surrogate pair
    await audit.record({
      ...entry('t-odd-text', 1),
      subject: { type: 'inbox_item', id: 'item\u0000\uDC00' },
      reason: cut,
    });
    const [stored] = await entries('t-odd-text');
    expect(stored).toMatchObject({
      reason: 'assigned: disk full on node \uFFFD',
      subject: { type: 'inbox_item', id: 'item\uFFFD\uFFFD' },
    });
    expect(firstBrokenEntry([stored], GENESIS).broken).toBeNull();
  });

  it('refuses an action that does not read subject.verb', async () => {
    expect(() => audit.record({ ...entry('t-bad', 1), action: 'Changed' })).toThrow(/subject\.verb/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of entries and checkpoints (a trigger)', async () => {
    await audit.record(entry('t-frozen', 1));
    await expect(app.sql(`UPDATE audit_entries SET reason = 'edited' WHERE tenant_id = 't-frozen'`)).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(app.sql(`DELETE FROM audit_entries WHERE tenant_id = 't-frozen'`)).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    await expect(app.sql(`TRUNCATE audit_entries`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(app.sql(`TRUNCATE audit_checkpoints`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await entries('t-frozen')).toHaveLength(1);
  });
});
