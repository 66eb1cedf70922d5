import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Socket } from 'node:net';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { DataSource } from 'typeorm';

/** One SQL statement and its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
  /**
   * For a deferred write whose RETURNING rows are wanted: called with them once the transaction
   * has committed, before its after-commit callbacks (which may use what it kept).
   */
  onRows?: (rows: Record<string, unknown>[]) => void;
}

/**
 * Turns the rows deferred in a transaction into the statements that write them (no I/O, no
 * further deferring). It runs at commit, so a row changed after it was deferred is written as it is then.
 * `last`: its statements go after every other writer's, just before the COMMIT (a writer that
 * takes a lock other transactions wait on, such as the audit chain's head, holds it the least).
 * It runs in the transaction's context: what it asks `afterCommit` to do happens once it committed.
 */
export interface DeferredWriter<R> {
  (rows: R[]): Statement[];
  last?: boolean;
}

interface OpenTransaction {
  client: PoolClient;
  afterCommit: Array<() => void>;
  afterRollback: Array<() => void>;
  /** Rows waiting for their writer, whose statements are sent with the COMMIT. */
  /** Each writer with the rows queued for it (a writer and its rows share their row type). */
  deferred: Map<DeferredWriter<unknown>, unknown[]>;
  /** The BEGIN, sent with the transaction's first statement; null while it has sent none. */
  begun: Promise<unknown> | null;
  /** What `once` loaded in this transaction, by slot and key. */
  kept: Map<symbol, Map<string, Promise<unknown>>>;
  /** Set once its deferred writers have run: a row deferred after that would never be written. */
  committing: boolean;
  /** The deferred writes' `onRows` with their answers, called once the COMMIT has succeeded. */
  answered: Array<() => void>;
}

const ignore = () => undefined;

/** The `once` slot of `TransactionHost.now()`. */
const TRANSACTION_NOW = Symbol('transaction now');

/**
 * PostgreSQL plans a prepared statement for its values (a custom plan) on its first five runs,
 * and then whenever that plan looks cheaper than the generic one, which for a statement taking
 * an array (`id = ANY($1)`, `unnest($1)`) is always: the generic plan assumes ten elements. So
 * the outbox's done-mark, the engine's reads and the loop trace's update were planned on every
 * call: planning took a quarter of PostgreSQL's time in statements at 50 loops/s with runs.
 * Transactions run the loop's and the engine's keyed reads and writes, whose best plan does not
 * depend on the values, so they use the plan made once per connection; statements outside a
 * transaction (read models, listings over time ranges) keep PostgreSQL's choice. ADR 0005.
 */
const BEGIN_WITH_GENERIC_PLANS = 'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan';

/** Distinct SQL texts prepared per connection; beyond this (generated SQL gone wild) they run unnamed. */
const MAX_PREPARED = 1000;
/** Connections for `queryOutside` from inside a transaction (see there). */
const RESERVE_POOL_SIZE = 4;

/**
 * The ambient database transaction. Code that must commit together (a state change, the
 * events it emits, an outbox consumption mark) runs inside `run()`; `query()` uses the
 * transaction's connection while one is open and the pool otherwise.
 *
 * It talks to node-postgres directly (TypeORM keeps the pool, the migrations and the config):
 * every distinct SQL text becomes a named prepared statement, so PostgreSQL parses it once
 * per connection instead of on every call; the loop runs the same few dozen statements all day.
 *
 * Round trips, not statements, are what the loop pays for (each one wakes a backend and the
 * app), so a transaction sends what it can together on its pipelined connection: BEGIN goes out
 * with the first statement, the deferred writes go out with the COMMIT, and every statement
 * issued in one burst of synchronous work (concurrent handlers of a batch) leaves in one write.
 * A transaction that only defers writes is sent as one statement, its writes joined as
 * data-modifying CTEs, with neither BEGIN nor COMMIT.
 */
@Injectable()
export class TransactionHost implements OnApplicationShutdown {
  private readonly storage = new AsyncLocalStorage<OpenTransaction>();
  private reservePool: Pool | null = null;
  private readonly statementNames = new Map<string, string>();
  private readonly corked = new WeakSet<Socket>();

  constructor(readonly dataSource: DataSource) {}

  /** TypeORM's pg pool (sized by DB_POOL_SIZE). */
  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /**
   * A few connections of their own, to the same database, for `queryOutside` from inside a
   * transaction: made on first use, closed at shutdown.
   */
  private get reserve(): Pool {
    if (!this.reservePool) {
      const main = this.pool as Pool & { options: PoolConfig };
      const PoolClass = main.constructor as new (config: PoolConfig) => Pool;
      this.reservePool = new PoolClass({ ...main.options, max: RESERVE_POOL_SIZE });
      // An idle connection the server dropped: the pool replaces it; nothing to do here.
      this.reservePool.on('error', ignore);
    }
    return this.reservePool;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reservePool?.end();
    this.reservePool = null;
  }

  /**
   * False once the app has begun to shut the pool down: a pool that is ending refuses every query,
   * while the app counts as initialised until its last connection has closed.
   */
  get isOpen(): boolean {
    // The driver drops its pool (master) a moment before the data source counts as destroyed.
    const pool = (this.dataSource.driver as unknown as { master?: Pool & { ending?: boolean } }).master;
    return this.dataSource.isInitialized && pool !== undefined && !pool.ending;
  }

  get inTransaction(): boolean {
    return this.storage.getStore() !== undefined;
  }

  /** Runs `work` in a transaction, joining the current one if there is one. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const current = this.storage.getStore();
    if (current) return work();
    const client = await this.pool.connect();
    // A connection that dies while checked out (server shutdown, network) emits 'error': the
    // pending query rejects with it, so it only has to be noticed here, not crash the process.
    let lost: Error | null = null;
    const onError = (err: Error) => (lost = err);
    client.on('error', onError);
    const open: OpenTransaction = {
      client,
      afterCommit: [],
      afterRollback: [],
      deferred: new Map(),
      begun: null,
      kept: new Map(),
      committing: false,
      answered: [],
    };
    let result: T;
    try {
      result = await this.storage.run(open, work);
      await this.storage.run(open, () => this.commit(open));
    } catch (err) {
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      const broken =
        lost !== null ||
        (open.begun !== null &&
          (await client.query('ROLLBACK').then(
            () => false,
            () => true,
          )));
      client.off('error', onError);
      client.release(broken);
      // Each undoes its own part (a lease a stop waits for, a tenant's hold): one that throws must
      // not keep the others from running. The transaction's own error is the one thrown.
      runEach(open.afterRollback);
      throw err;
    }
    client.off('error', onError);
    client.release();
    // Committed. A callback that throws from here on must not make it look rolled back (its
    // after-rollback undoing what committed): every after-commit callback still runs, then the
    // first error is thrown.
    const errors = runEach([...open.answered, ...open.afterCommit]);
    if (errors.length > 0) throw errors[0];
    return result;
  }

  /**
   * Sends the deferred writes and the COMMIT together and waits for all of them. A write that
   * fails aborts the transaction on the server, so the COMMIT behind it rolls back (PostgreSQL
   * answers a COMMIT of a failed transaction with ROLLBACK), and its error is thrown here.
   */
  private async commit(open: OpenTransaction): Promise<void> {
    open.committing = true;
    const writers = [...open.deferred].sort(([a], [b]) => Number(a.last ?? false) - Number(b.last ?? false));
    const statements = writers.flatMap(([writer, rows]) => writer(rows));
    const returning = statements.filter((s) => s.onRows);
    if (open.begun === null && returning.length <= 1) {
      // Nothing sent yet: one statement is atomic by itself. It answers with its last part's
      // rows, so the one write whose rows are wanted goes last.
      const ordered = [...statements.filter((s) => !s.onRows), ...returning];
      if (ordered.length > 0) {
        const rows = await this.send<Record<string, unknown>>(open.client, ...asOneStatement(ordered));
        if (returning[0]) open.answered.push(() => returning[0].onRows!(rows));
      }
      return;
    }
    if (open.begun === null) open.begun = this.begin(open.client);
    await open.begun;
    const sent: Promise<unknown>[] = statements.map((s) =>
      this.send<Record<string, unknown>>(open.client, s.sql, s.params).then((rows) => {
        if (s.onRows) open.answered.push(() => s.onRows!(rows));
      }),
    );
    sent.push(this.send(open.client, 'COMMIT', []));
    const failed = (await Promise.allSettled(sent)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Queues `row` for `writer`, whose statements are sent with the current transaction's COMMIT,
   * once, for every row queued for it: one multi-row statement instead of one per row (an outbox
   * batch publishes dozens of events), and no round trip of its own. Only for rows nothing reads
   * back inside the transaction. Outside a transaction the row is written in one of its own.
   * `writer` must be one stable function: rows are grouped by it, and written in the order the
   * writers were first used.
   */
  async deferWrite<R>(writer: DeferredWriter<R>, row: R): Promise<void> {
    const current = this.storage.getStore();
    if (!current) return this.run(() => this.deferWrite(writer, row));
    if (current.committing) throw new Error('deferWrite() from a deferred writer: nothing would write the row');
    // The map forgets R; a writer only ever gets back the rows queued for it, which are R.
    const key = writer as DeferredWriter<unknown>;
    const rows = current.deferred.get(key);
    if (rows) rows.push(row);
    else current.deferred.set(key, [row]);
  }

  /**
   * `load()`, run once per `slot` and `key` in the current transaction: later calls get the same
   * promise, and it is gone with the transaction (commit or rollback). For what later work in the
   * transaction may use without reading it again, such as rows read under a lock it holds.
   */
  once<T>(slot: symbol, key: string, load: () => Promise<T>): Promise<T> {
    const current = this.storage.getStore();
    if (!current) throw new Error('TransactionHost.once() needs a transaction');
    let kept = current.kept.get(slot);
    if (!kept) current.kept.set(slot, (kept = new Map()));
    let value = kept.get(key) as Promise<T> | undefined;
    if (!value) kept.set(key, (value = load()));
    return value;
  }

  /**
   * The database's `now()` in the current transaction: when it began, the time every `now()` in
   * it reads, to the millisecond as a `timestamptz(3)` column stores it. For a time the app must
   * know before its commit (it goes into events or a response) that is to agree with times the
   * database sets and judges by `now()` (ADR 0008 §10): this host's clock may drift from it.
   * Read once per transaction, with a statement of its own: issue it with the transaction's
   * first statement (`Promise.all`) and it costs no round trip; alone, it costs one.
   */
  now(): Promise<Date> {
    return this.once(TRANSACTION_NOW, '', async () => {
      const [row] = await this.query<{ now: Date }>('SELECT now()::timestamptz(3) AS now');
      return row.now;
    });
  }

  /** Makes the next `once` for `slot` and `key` in the current transaction load again (outside one, nothing to do). */
  forget(slot: symbol, key: string): void {
    this.storage.getStore()?.kept.get(slot)?.delete(key);
  }

  /**
   * Runs `callback` once the current transaction has committed (never if it rolls back); at
   * once when there is no transaction. For signals that must not be sent before the data exists.
   * If one throws, the others still run and `run()` rejects with its error, though it committed.
   */
  afterCommit(callback: () => void): void {
    const current = this.storage.getStore();
    if (current) current.afterCommit.push(callback);
    else callback();
  }

  /**
   * Runs `callback` if the current transaction fails: rolled back, or its COMMIT's outcome unknown
   * (the connection lost meanwhile). For undoing what the app held for it. Outside one, nothing.
   */
  afterRollback(callback: () => void): void {
    this.storage.getStore()?.afterRollback.push(callback);
  }

  /** SQL on the ambient transaction, or on the pool outside one; the rows of a SELECT or a RETURNING clause. */
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const open = this.storage.getStore();
    if (!open) return this.send<R>(this.pool, sql, params);
    if (open.begun === null) {
      // Not awaited: it leaves with this statement (a failed BEGIN fails this one too).
      open.begun = this.begin(open.client);
      open.begun.catch(ignore);
    }
    return this.send<R>(open.client, sql, params);
  }

  /**
   * SQL outside any ambient transaction (its own connection from the pool). Called from inside a
   * transaction (a cache loading what it must not read through one), it takes a connection of the
   * reserve instead: from the pool it could wait forever, once transactions that wait for such a
   * load hold every connection.
   */
  async queryOutside<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.send<R>(this.storage.getStore() ? this.reserve : this.pool, sql, params);
  }

  /**
   * BEGIN, and generic plans for the transaction's prepared statements, in one simple-protocol
   * message (no statement of its own; SET LOCAL ends with the transaction).
   */
  private begin(client: PoolClient): Promise<unknown> {
    this.corkBurst(client);
    return client.query(BEGIN_WITH_GENERIC_PLANS);
  }

  private async send<R>(target: Pool | PoolClient, sql: string, params: unknown[]): Promise<R[]> {
    if ('release' in target) this.corkBurst(target);
    const result = await target.query({ name: this.nameOf(sql), text: sql, values: params });
    return result.rows as R[];
  }

  /**
   * Holds a transaction connection's outgoing bytes until the current burst of synchronous work
   * and its microtasks is over, so the statements issued in it leave in one socket write.
   */
  private corkBurst(client: PoolClient): void {
    const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
    if (!stream?.cork || this.corked.has(stream)) return;
    this.corked.add(stream);
    stream.cork();
    // A tick queued from a microtask runs once the microtask queue is empty.
    queueMicrotask(() =>
      process.nextTick(() => {
        this.corked.delete(stream);
        stream.uncork();
      }),
    );
  }

  private nameOf(sql: string): string | undefined {
    let name = this.statementNames.get(sql);
    if (name === undefined && this.statementNames.size < MAX_PREPARED) {
      name = `pl_${this.statementNames.size + 1}`;
      this.statementNames.set(sql, name);
    }
    return name;
  }
}

/** Rows of values turned into one array per column, the parameters of `INSERT … SELECT * FROM unnest($1::…[], $2::…[], …)`. */
export function columnsOf(rows: unknown[][]): unknown[][] {
  return rows[0].map((_, i) => rows.map((row) => row[i]));
}

/**
 * Statements joined into one: all but the last as data-modifying CTEs (PostgreSQL runs each
 * exactly once, all on one snapshot, atomically), their parameters renumbered. For writes to
 * different rows only: a CTE does not see the rows another one writes.
 */
function asOneStatement(statements: Statement[]): [sql: string, params: unknown[]] {
  const params: unknown[] = [];
  const texts = statements.map((s) => {
    const offset = params.length;
    params.push(...s.params);
    return offset === 0 ? s.sql : s.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  const last = texts.pop()!;
  return [texts.length === 0 ? last : `WITH ${texts.map((sql, i) => `w${i} AS (${sql})`).join(', ')} ${last}`, params];
}

/** Runs every callback, though one throws; what they threw, in order. */
function runEach(callbacks: Array<() => void>): unknown[] {
  const errors: unknown[] = [];
  for (const callback of callbacks) {
    try {
      callback();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}
