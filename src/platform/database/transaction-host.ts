import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The ambient database transaction. Code that must commit together (a state change, the
 * events it emits, an outbox consumption mark) runs inside `run()`; repositories read
 * `manager`, which is the transaction's while one is open and the plain pool otherwise.
 */
interface OpenTransaction {
  manager: EntityManager;
  afterCommit: Array<() => void>;
}

@Injectable()
export class TransactionHost {
  private readonly storage = new AsyncLocalStorage<OpenTransaction>();

  constructor(readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.storage.getStore()?.manager ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.storage.getStore() !== undefined;
  }

  /** Runs `work` in a transaction, joining the current one if there is one. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const current = this.storage.getStore();
    if (current) return work(current.manager);
    const open: OpenTransaction = { manager: this.dataSource.manager, afterCommit: [] };
    const result = await this.dataSource.transaction((manager) => {
      open.manager = manager;
      return this.storage.run(open, () => work(manager));
    });
    for (const callback of open.afterCommit) callback();
    return result;
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

  /** Raw SQL on the ambient manager; the rows of a SELECT or a RETURNING clause. */
  async query<R = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return rowsOf<R>(await this.manager.query(sql, params));
  }

  /** Raw SQL outside any ambient transaction (its own connection from the pool). */
  async queryOutside<R = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return rowsOf<R>(await this.dataSource.query(sql, params));
  }
}

// TypeORM answers UPDATE/DELETE with [rows, rowCount] and everything else with rows.
function rowsOf<R>(result: unknown): R[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as R[];
  }
  return result as R[];
}
