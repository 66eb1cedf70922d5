import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { TransactionHost, type Statement } from '../src/platform/database/transaction-host.js';
import { socketWrites } from './support/socket-writes.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

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
  const writeRows = (rows: Array<string | null>): Statement[] => {
    calls.push(rows as string[]);
    return [
      { sql: `INSERT INTO deferred_rows (v, written_with) SELECT unnest($1::text[]), $2`, params: [rows, rows.length] },
    ];
  };
  const stored = async (prefix: string) =>
    (await app.sql(`SELECT v, written_with FROM deferred_rows WHERE v LIKE $1 ORDER BY v`, [`${prefix}%`])).map((r) => [
      r.v,
      r.written_with,
    ]);

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
    expect(await stored('a')).toEqual([
      ['a1', 3],
      ['a2', 3],
      ['a3', 3],
    ]);
  });

  it('writes nothing when the transaction rolls back, or when building the deferred statements fails', async () => {
    calls.length = 0;
    await expect(
      tx.run(async () => {
        await tx.deferWrite(writeRows, 'b1');
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(calls).toEqual([]);

    const failing = (): Statement[] => {
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

  it('rolls back everything when a deferred statement fails in the database, though the COMMIT was already sent', async () => {
    await expect(
      tx.run(async () => {
        await tx.query(`INSERT INTO deferred_rows (v, written_with) VALUES ('e1', 0)`);
        await tx.deferWrite(writeRows, 'e2');
        await tx.deferWrite(writeRows, null); // violates NOT NULL
      }),
    ).rejects.toThrow(/null value/);
    expect(await stored('e')).toEqual([]);
    // The connection is clean for the next transaction.
    await tx.run(() => tx.deferWrite(writeRows, 'e3'));
    expect(await stored('e')).toEqual([['e3', 1]]);
  });

  it('sends a writer marked last after every other writer, whatever the order they were used in', async () => {
    const order: string[] = [];
    const first = Object.assign((rows: string[]): Statement[] => (order.push('last'), writeRows(rows)), { last: true });
    const second = (rows: string[]): Statement[] => (order.push('plain'), writeRows(rows));
    await tx.run(async () => {
      await tx.deferWrite(first, 'l1');
      await tx.deferWrite(second, 'l2');
    });
    expect(order).toEqual(['plain', 'last']);
    expect(await stored('l')).toEqual([
      ['l1', 1],
      ['l2', 1],
    ]);
  });

  it('runs the after-rollback callbacks when the transaction rolls back, and only then', async () => {
    const ran: string[] = [];
    await tx.run(async () => {
      tx.afterRollback(() => ran.push('committed'));
      await tx.deferWrite(writeRows, 'r1');
    });
    await expect(
      tx.run(async () => {
        tx.afterRollback(() => ran.push('rolled back'));
        await tx.deferWrite(writeRows, null); // violates NOT NULL at commit
      }),
    ).rejects.toThrow(/null value/);
    expect(ran).toEqual(['rolled back']);
  });

  it('runs every after-rollback callback though one throws, and throws the transaction’s own error', async () => {
    const ran: string[] = [];
    await expect(
      tx.run(async () => {
        tx.afterRollback(() => {
          ran.push('first');
          throw new Error('a callback failed');
        });
        tx.afterRollback(() => ran.push('second'));
        await tx.deferWrite(writeRows, null); // violates NOT NULL at commit
      }),
    ).rejects.toThrow(/null value/);
    expect(ran).toEqual(['first', 'second']);
  });

  it('hands a write its rows only once committed: a callback that throws then leaves it committed, not rolled back', async () => {
    const returningWriter =
      (fail: boolean) =>
      (rows: string[]): Statement[] => [
        {
          sql: `INSERT INTO deferred_rows (v, written_with) SELECT unnest($1::text[]), 1 RETURNING v`,
          params: [rows],
          onRows: (answer) => {
            seen.push(answer.map((r) => r.v as string).join());
            if (fail) throw new Error('onRows failed');
          },
        },
      ];
    const seen: string[] = [];
    const ran: string[] = [];
    // Nothing sent before the COMMIT (one statement), and after a statement (BEGIN … COMMIT).
    for (const [prefix, readFirst] of [
      ['o1', false],
      ['o2', true],
    ] as const) {
      await expect(
        tx.run(async () => {
          if (readFirst) await tx.query('SELECT 1');
          tx.afterCommit(() => ran.push(`${prefix} committed`));
          tx.afterRollback(() => ran.push(`${prefix} rolled back`));
          await tx.deferWrite(returningWriter(true), prefix);
        }),
      ).rejects.toThrow('onRows failed');
      expect(await stored(prefix)).toEqual([[prefix, 1]]);
    }
    expect(seen).toEqual(['o1', 'o2']);
    expect(ran).toEqual(['o1 committed', 'o2 committed']);

    // A write that fails: the rows written before it are never handed on.
    seen.length = 0;
    await expect(
      tx.run(async () => {
        await tx.query('SELECT 1');
        await tx.deferWrite(returningWriter(false), 'o3');
        await tx.deferWrite(writeRows, null); // violates NOT NULL at commit
      }),
    ).rejects.toThrow(/null value/);
    expect(seen).toEqual([]);
    expect(await stored('o3')).toEqual([]);
  });

  it('writes at once outside a transaction', async () => {
    await tx.deferWrite(writeRows, 'd1');
    expect(await stored('d')).toEqual([['d1', 1]]);
  });

  it('sends BEGIN with the first statements and the deferred writes with the COMMIT: two socket writes in all', async () => {
    await tx.run(() => tx.query(`SELECT 1`)); // a warm connection, its statements prepared
    const writes = await socketWrites(() =>
      tx.run(async () => {
        // Issued together (concurrent handlers of a batch do this), they leave together with BEGIN.
        const [[one], [two]] = await Promise.all([tx.query(`SELECT 1 AS n`), tx.query(`SELECT 2 AS n`)]);
        expect([one.n, two.n]).toEqual([1, 2]);
        await tx.deferWrite(writeRows, 'f1');
      }),
    );
    expect(writes).toBe(2);
    expect(await stored('f')).toEqual([['f1', 1]]);
  });

  it('now() is the database’s now() of the transaction, read once, with the statements issued alongside it', async () => {
    await tx.run(async () => {
      await tx.now();
      await tx.query(`SELECT 1`);
    }); // a warm connection, its statements prepared
    let seen: { now: Date; again: Date; inside: Date } | null = null;
    const writes = await socketWrites(() =>
      tx.run(async () => {
        const [now] = await Promise.all([tx.now(), tx.query(`SELECT 1`)]);
        const again = await tx.now(); // kept: nothing sent
        const [{ inside }] = await tx.query<{ inside: Date }>(`SELECT now()::timestamptz(3) AS inside`);
        seen = { now, again, inside };
      }),
    );
    // BEGIN with the first two, then the last SELECT, then the COMMIT.
    expect(writes).toBe(3);
    expect(seen!.again).toBe(seen!.now);
    expect(seen!.inside.toISOString()).toBe(seen!.now.toISOString());
    expect(() => tx.now()).toThrow(/needs a transaction/);
  });

  it('sends a transaction that only defers writes as one statement, without BEGIN and COMMIT, still all or nothing', async () => {
    const other = (rows: Array<string | null>): Statement[] => [
      { sql: `INSERT INTO deferred_rows (v, written_with) SELECT unnest($1::text[]), 0`, params: [rows] },
    ];
    await tx.run(() => tx.deferWrite(other, 'warm')); // a warm connection
    const writes = await socketWrites(() =>
      tx.run(async () => {
        await tx.deferWrite(writeRows, 'g1');
        await tx.deferWrite(other, 'g2');
      }),
    );
    expect(writes).toBe(1);
    expect(await stored('g')).toEqual([
      ['g1', 1],
      ['g2', 0],
    ]);

    await expect(
      tx.run(async () => {
        await tx.deferWrite(writeRows, 'h1');
        await tx.deferWrite(other, null); // violates NOT NULL
      }),
    ).rejects.toThrow(/null value/);
    expect(await stored('h')).toEqual([]);
  });

  it('plans a transaction’s statements once, generically, even those PostgreSQL would plan for every array; not outside one', async () => {
    // An array parameter makes PostgreSQL prefer a custom plan on every run (ADR 0005).
    const byArray = `SELECT count(*)::int AS n FROM deferred_rows WHERE v = ANY($1::text[])`;
    const plans = await tx.run(async () => {
      for (let i = 1; i <= 8; i++) await tx.query(byArray, [Array.from({ length: i }, (_, j) => `a${j + 1}`)]);
      expect((await tx.query(`SELECT current_setting('plan_cache_mode') AS mode`))[0].mode).toBe('force_generic_plan');
      return (
        await tx.query<{ generic_plans: string; custom_plans: string }>(
          `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
          [byArray],
        )
      )[0];
    });
    expect({ generic: Number(plans.generic_plans) > 0, custom: Number(plans.custom_plans) }).toEqual({
      generic: true,
      custom: 0,
    });
    // SET LOCAL: the connection goes back to the pool with PostgreSQL's own choice.
    expect((await tx.query(`SELECT current_setting('plan_cache_mode') AS mode`))[0].mode).toBe('auto');
  });
});

describe('TransactionHost with a small pool (real PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false', DB_POOL_SIZE: '2' });
  });
  afterAll(() => app.stop());

  it('serves a query outside the transaction, made from inside one, though transactions hold every pooled connection', async () => {
    const tx = app.app.get(TransactionHost);
    let inside = 0;
    let allInside!: () => void;
    const everyConnectionHeld = new Promise<void>((resolve) => (allInside = resolve));
    // As a bridge batch does when its flags' cache has expired: it holds its connection and waits for the load.
    const transaction = () =>
      tx.run(async () => {
        await tx.query('SELECT 1');
        if (++inside === 2) allInside();
        await everyConnectionHeld;
        const [row] = await tx.queryOutside<{ n: number }>('SELECT 42 AS n');
        return row.n;
      });
    // Without connections of its own the load waits for the pool forever: fail with a message instead.
    const deadlocked = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('deadlocked: the load waits for a pooled connection')), 20_000).unref(),
    );
    expect(await Promise.race([Promise.all([transaction(), transaction()]), deadlocked])).toEqual([42, 42]);
  });
});

describe('TransactionHost.isOpen through a shutdown', () => {
  it('is false, never a throw, while the pool ends and once the driver has dropped it', async () => {
    const ds = new DataSource({ type: 'postgres', url: await createTestDatabase() });
    await ds.initialize();
    const tx = new TransactionHost(ds);
    const driver = ds.driver as unknown as { master: (pg.Pool & { ending: boolean }) | undefined };
    const pool = driver.master!;
    expect(tx.isOpen).toBe(true);
    try {
      // The driver drops its pool a moment before the data source counts as destroyed.
      driver.master = undefined;
      expect(ds.isInitialized).toBe(true);
      expect(tx.isOpen).toBe(false);
      driver.master = pool;
      const held = await pool.connect(); // keeps the end from finishing: the pool is ending meanwhile
      const ending = pool.end();
      expect(pool.ending).toBe(true);
      expect(tx.isOpen).toBe(false);
      held.release();
      await ending;
    } finally {
      driver.master = undefined; // ended above: the data source has nothing left to close
      await ds.destroy().catch(() => undefined);
    }
  });
});
