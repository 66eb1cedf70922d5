import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('TransactionHost (real PostgreSQL)', () => {
  let app: TestApp;
  let tx: TransactionHost;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    tx = app.app.get(TransactionHost);
    await app.sql(`CREATE TABLE deferred_rows (v text NOT NULL, written_with integer NOT NULL)`);
  });
  afterAll(() => app.stop());

  const calls: string[][] = [];
  const writeRows = async (rows: string[]) => {
    calls.push(rows);
    await tx.query(`INSERT INTO deferred_rows (v, written_with) SELECT unnest($1::text[]), $2`, [rows, rows.length]);
  };
  const stored = async (prefix: string) =>
    (await app.sql(`SELECT v, written_with FROM deferred_rows WHERE v LIKE $1 ORDER BY v`, [`${prefix}%`])).map((r) => [r.v, r.written_with]);

  it('writes the rows deferred in a transaction once, together, just before it commits', async () => {
    calls.length = 0;
    const seenInside = await tx.run(async () => {
      await tx.deferWrite(writeRows, 'a1');
      await tx.deferWrite(writeRows, 'a2');
      await tx.run(() => tx.deferWrite(writeRows, 'a3')); // a joined transaction defers to the outer commit
      return (await tx.query(`SELECT count(*)::int AS n FROM deferred_rows WHERE v LIKE 'a%'`))[0].n;
    });
    expect(seenInside).toBe(0);
    expect(calls).toEqual([['a1', 'a2', 'a3']]);
    expect(await stored('a')).toEqual([['a1', 3], ['a2', 3], ['a3', 3]]);
  });

  it('writes nothing when the transaction rolls back, and fails the commit when the writer fails', async () => {
    calls.length = 0;
    await expect(
      tx.run(async () => {
        await tx.deferWrite(writeRows, 'b1');
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(calls).toEqual([]);

    const failing = async () => {
      throw new Error('writer failed');
    };
    await expect(
      tx.run(async () => {
        await tx.query(`INSERT INTO deferred_rows (v, written_with) VALUES ('b2', 0)`);
        await tx.deferWrite(failing, 'x');
      }),
    ).rejects.toThrow('writer failed');
    expect(await stored('b')).toEqual([]);
  });

  it('flushes rows a writer defers for another writer, and writes at once outside a transaction', async () => {
    calls.length = 0;
    const chained = async (rows: string[]) => {
      for (const row of rows) await tx.deferWrite(writeRows, `${row}-chained`);
    };
    await tx.run(() => tx.deferWrite(chained, 'c1'));
    expect(await stored('c')).toEqual([['c1-chained', 1]]);

    await tx.deferWrite(writeRows, 'd1');
    expect(await stored('d')).toEqual([['d1', 1]]);
  });
});
