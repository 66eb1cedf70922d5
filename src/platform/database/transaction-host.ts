import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';

type Writer<R> = (rows: R[]) => Promise<void>;

interface OpenTransaction {
  client: PoolClient;
  afterCommit: Array<() => void>;
  /** Rows waiting for their writer, which runs once just before COMMIT. */
  deferred: Map<Writer<any>, unknown[]>;
}

/** Distinct SQL texts prepared per connection; beyond this (generated SQL gone wild) they run unnamed. */
const MAX_PREPARED = 1000;

/**
 * The ambient database transaction. Code that must commit together (a state change, the
 * events it emits, an outbox consumption mark) runs inside `run()`; `query()` uses the
 * transaction's connection while one is open and the pool otherwise.
 *
 * It talks to node-postgres directly (TypeORM keeps the pool, the migrations and the config):
 * every distinct SQL text becomes a named prepared statement, so PostgreSQL parses it once
 * per connection instead of on every call; the loop runs the same few dozen statements all day.
 */
@Injectable()
export class TransactionHost {
  private readonly storage = new AsyncLocalStorage<OpenTransaction>();
  private readonly statementNames = new Map<string, string>();

  constructor(readonly dataSource: DataSource) {}

  /** TypeORM's pg pool (sized by DB_POOL_SIZE). */
  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /** False once the app has shut the pool down. */
  get isOpen(): boolean {
    return this.dataSource.isInitialized;
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
    const open: OpenTransaction = { client, afterCommit: [], deferred: new Map() };
    let result: T;
    try {
      await client.query('BEGIN');
      result = await this.storage.run(open, async () => {
        const value = await work();
        await this.writeDeferred(open);
        return value;
      });
      await client.query('COMMIT');
    } catch (err) {
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      const broken = lost !== null || (await client.query('ROLLBACK').then(() => false, () => true));
      client.off('error', onError);
      client.release(broken);
      throw err;
    }
    client.off('error', onError);
    client.release();
    for (const callback of open.afterCommit) callback();
    return result;
  }

  /**
   * Queues `row` for `writer`, which runs once, just before the current transaction commits,
   * with every row queued for it: one multi-row statement instead of one per row (an outbox
   * batch publishes dozens of events). Only for rows nothing reads back inside the
   * transaction. Outside a transaction the row is written at once. `writer` must be one
   * stable function: rows are grouped by it.
   */
  async deferWrite<R>(writer: Writer<R>, row: R): Promise<void> {
    const current = this.storage.getStore();
    if (!current) return writer([row]);
    const rows = current.deferred.get(writer);
    if (rows) rows.push(row);
    else current.deferred.set(writer, [row]);
  }

  private async writeDeferred(open: OpenTransaction): Promise<void> {
    // A writer may queue rows for another (a hook that publishes): loop until nothing is left.
    while (open.deferred.size > 0) {
      const batches = [...open.deferred];
      open.deferred.clear();
      for (const [writer, rows] of batches) await writer(rows);
    }
  }

  /**
   * Runs `callback` once the current transaction has committed (never if it rolls back); at
   * once when there is no transaction. For signals that must not be sent before the data exists.
   */
  afterCommit(callback: () => void): void {
    const current = this.storage.getStore();
    if (current) current.afterCommit.push(callback);
    else callback();
  }

  /** SQL on the ambient transaction, or on the pool outside one; the rows of a SELECT or a RETURNING clause. */
  async query<R = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.send<R>(this.storage.getStore()?.client ?? this.pool, sql, params);
  }

  /** SQL outside any ambient transaction (its own connection from the pool). */
  async queryOutside<R = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.send<R>(this.pool, sql, params);
  }

  private async send<R>(target: Pool | PoolClient, sql: string, params: unknown[]): Promise<R[]> {
    const result = await target.query({ name: this.nameOf(sql), text: sql, values: params });
    return result.rows as R[];
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
