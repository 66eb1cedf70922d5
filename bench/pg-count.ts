/**
 * In-process runs only: counts the app's SQL statements by wrapping `pg.Client.prototype.query`
 * (statements, not round trips: a transaction sends several together, see ADR 0005)
 * (counting only; behaviour unchanged). The bench's own clients are tagged and not counted.
 */
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

export function installQueryCounter(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: Record<symbol, unknown>, ...args: unknown[]) {
    if (!this[BENCH_CLIENT]) count++;
    return original.apply(this, args);
  };
}

export const queryCount = (): number => count;
