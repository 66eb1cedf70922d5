/**
 * In-process runs only: counts the app's SQL statements by wrapping `pg.Client.prototype.query`
 * (statements, not round trips: a transaction sends several together, see ADR 0005)
 * (counting only; behaviour unchanged). The bench's own clients are tagged and not counted.
 *
 * Cost centres: work the bench wraps in `inCostCentre(name, …)` (the run engine's claims and
 * turns) is also counted apart, by the centre active when each statement is sent: its statements
 * (by SQL text too), and its transactions — a BEGIN … COMMIT on one connection belongs to the
 * centre that sent the BEGIN, a statement outside one is a transaction of its own. A transaction
 * counts as writing when one of its statements writes or locks rows (INSERT, UPDATE, DELETE,
 * FOR UPDATE, NOTIFY): what makes PostgreSQL assign it a transaction id.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import pg from 'pg';

let count = 0;
let installed = false;
const BENCH_CLIENT = Symbol.for('pillar-loop.bench-client');

/** Marks one of the bench's own clients (not counted) and keeps a dropped connection from crashing the run. */
export function tagBenchClient<T extends pg.Client>(client: T): T {
  (client as unknown as Record<symbol, unknown>)[BENCH_CLIENT] = true;
  client.on('error', () => undefined); // the next query on it fails and is handled there
  return client;
}

export interface CentreCounts {
  statements: number;
  transactions: number;
  writingTransactions: number;
  /** Statements by SQL text (its first 100 characters, whitespace folded). */
  byText: Map<string, number>;
}

const centre = new AsyncLocalStorage<string>();
const centres = new Map<string, CentreCounts>();
const openTx = new WeakMap<object, { centre: string | undefined; writes: boolean }>();
const WRITES = /\b(INSERT|UPDATE|DELETE|NOTIFY|pg_notify)\b/i;

/** Runs `work` (and everything it starts) in the named cost centre. */
export function inCostCentre<T>(name: string, work: () => T): T {
  return centre.run(name, work);
}

function counts(name: string): CentreCounts {
  let c = centres.get(name);
  if (!c) centres.set(name, (c = { statements: 0, transactions: 0, writingTransactions: 0, byText: new Map() }));
  return c;
}

function tally(client: object, text: string): void {
  const name = centre.getStore();
  const head = text.trimStart().slice(0, 8).toUpperCase();
  if (name) {
    const c = counts(name);
    c.statements++;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 100);
    c.byText.set(key, (c.byText.get(key) ?? 0) + 1);
  }
  const open = openTx.get(client);
  if (head.startsWith('BEGIN')) {
    openTx.set(client, { centre: name, writes: false });
  } else if (head.startsWith('COMMIT') || head.startsWith('ROLLBACK')) {
    if (open) {
      openTx.delete(client);
      if (open.centre) {
        const c = counts(open.centre);
        c.transactions++;
        if (open.writes) c.writingTransactions++;
      }
    }
  } else if (open) {
    open.writes ||= WRITES.test(text);
  } else if (name) {
    const c = counts(name);
    c.transactions++;
    if (WRITES.test(text)) c.writingTransactions++;
  }
}

export function installQueryCounter(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: Record<symbol, unknown>, ...args: unknown[]) {
    if (!this[BENCH_CLIENT]) {
      count++;
      const q = args[0];
      const text =
        typeof q === 'string'
          ? q
          : typeof q === 'object' && q !== null && 'text' in q
            ? String((q as { text: unknown }).text)
            : '';
      tally(this, text);
    }
    return original.apply(this, args);
  };
  // pool.query() waits for a free client with a callback that a release calls: bound here, so
  // its statement counts for the centre that sent it, not for the one that released the client.
  const pool = pg.Pool.prototype as unknown as { connect: (...args: unknown[]) => unknown };
  const connect = pool.connect;
  pool.connect = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'function') args[0] = AsyncResource.bind(args[0] as (...a: unknown[]) => unknown);
    return connect.apply(this, args);
  };
}

export const queryCount = (): number => count;

/** A copy of every centre's counts so far (subtract two to get an interval's). */
export function costCentres(): Map<string, CentreCounts> {
  return new Map([...centres].map(([k, c]) => [k, { ...c, byText: new Map(c.byText) }]));
}

/** `after − before`, centre by centre. */
export function centresBetween(
  before: Map<string, CentreCounts>,
  after: Map<string, CentreCounts>,
): Map<string, CentreCounts> {
  const out = new Map<string, CentreCounts>();
  for (const [name, a] of after) {
    const b = before.get(name);
    const byText = new Map(
      [...a.byText].map(([k, n]) => [k, n - (b?.byText.get(k) ?? 0)]).filter(([, n]) => (n as number) > 0) as Array<
        [string, number]
      >,
    );
    out.set(name, {
      statements: a.statements - (b?.statements ?? 0),
      transactions: a.transactions - (b?.transactions ?? 0),
      writingTransactions: a.writingTransactions - (b?.writingTransactions ?? 0),
      byText,
    });
  }
  return out;
}
