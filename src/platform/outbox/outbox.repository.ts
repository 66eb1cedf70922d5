import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../database/notify-batcher.js';
import { columnsOf, TransactionHost, type Statement } from '../database/transaction-host.js';

export const OUTBOX_CHANNEL = 'outbox_events';

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  handler: string;
  tenant_id: string;
  incident_id: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
}

/** What a delivery is in: waiting (or leased, or waiting for a retry), held by a flag, handled, dead-lettered. */
export const DELIVERY_STATUSES = ['pending', 'held', 'done', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery as the deliveries API reads it (its payload left out). */
export interface StoredDeliveryRow extends Omit<DeliveryRow, 'payload'> {
  status: DeliveryStatus;
  last_error: string | null;
  available_at: Date;
  processed_at: Date | null;
}

const storedColumns = (alias = '') =>
  ['id', 'event_id', 'event_type', 'handler', 'tenant_id', 'incident_id', 'status', 'attempts', 'last_error']
    .concat(['available_at', 'created_at', 'processed_at'])
    .map((c) => alias + c)
    .join(', ');

/** The deliveries the list shows: those stuck until someone acts (a retry, or the flag switched on). */
export const STUCK_STATUSES = ['dead', 'held'] as const;
export type StuckStatus = (typeof STUCK_STATUSES)[number];

/**
 * The deliveries of a transaction's published events, written just before it commits, every
 * delivery in one statement (OutboxPublisher defers it; one statement text for any number of
 * rows, so it is prepared once). Rows: event_id, event_type, handler, tenant_id, incident_id, payload.
 */
export const insertDeliveries = (rows: unknown[][]): Statement[] => [
  {
    sql: `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, incident_id, payload)
          SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::jsonb[])`,
    params: columnsOf(rows),
  },
];

/** When a lease of `ms` milliseconds (a parameter), taken at this moment, ends. */
const leaseEnd = (ms: string) => `clock_timestamp() + make_interval(secs => ${ms}::double precision / 1000)`;

/** What a claim returns of a delivery: what its handler needs. */
const DELIVERY_COLUMNS = 'id, event_id, event_type, handler, tenant_id, incident_id, payload, attempts, created_at';

/**
 * The same, stored already leased to the relay `workerId` (as its claim would: the lease is
 * `available_at`, and this is the first attempt), returning the rows as a claim does.
 */
export const insertLeasedDeliveries = (rows: unknown[][], workerId: string, leaseMs: number): Statement => ({
  sql: `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, incident_id, payload, locked_by, locked_until, available_at, attempts)
        SELECT e.*, $7, ${leaseEnd('$8')}, ${leaseEnd('$8')}, 1
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::jsonb[]) AS e
        RETURNING ${DELIVERY_COLUMNS}`,
  params: [...columnsOf(rows), workerId, leaseMs],
});

/** The SQL of the outbox, in one place. */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  /**
   * Claims up to `limit` due deliveries of one handler, oldest first. The lease is the new
   * `available_at`: if this worker dies, the rows simply become due again when the lease runs
   * out. SKIP LOCKED keeps concurrent relays (lanes or replicas) from ever claiming the same row.
   * No index holds `available_at`, so a claim is usually an in-place (HOT) update that writes no
   * index entry (migration 1764000008000).
   *
   * The claim commits without waiting for its WAL flush (`synchronous_commit` off for this one
   * transaction): other sessions see it at once, and the batch's own commit, which does wait,
   * flushes the WAL up to and past it. A database crash in between loses only the lease, and
   * the rows are claimed again. That saves one flush wait (~1–3 ms) per batch and stage.
   *
   * When the oldest due delivery this claim can lock still bears a lapsed lease (`locked_by` set:
   * its worker stopped in its batch, maybe because of it, or is slow), it is claimed alone (one
   * whose slow worker still holds its row lock is skipped, and does not make the claim small): a delivery that stops the
   * process then counts its attempts towards its dead letter by itself, not those of the
   * deliveries behind it, and the relay dead-letters it past OUTBOX_MAX_ATTEMPTS.
   */
  claim(workerId: string, handler: string, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    const due = `handler = $2 AND status = 'pending' AND available_at <= now()`;
    return this.tx.queryOutside<DeliveryRow>(
      `WITH no_flush_wait AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE outbox_events o
          SET available_at = ${leaseEnd('$4')}, locked_until = ${leaseEnd('$4')},
              locked_by = $1, attempts = o.attempts + 1
         FROM no_flush_wait
        WHERE o.id IN (WITH free AS MATERIALIZED (
                         SELECT id, locked_by FROM outbox_events WHERE ${due} ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                       SELECT id FROM free ORDER BY id
                        LIMIT CASE WHEN (SELECT locked_by FROM free ORDER BY id LIMIT 1) IS NULL THEN $3 ELSE 1 END)
    RETURNING ${DELIVERY_COLUMNS}`,
      [workerId, handler, limit, leaseMs],
    );
  }

  /**
   * Marks deliveries done, first thing in the transaction that handles them: done is their
   * consumption mark, committed with the handler's effects or not at all. The update row-locks
   * them until then, so no other worker can claim them meanwhile (SKIP LOCKED), and one whose
   * lease ran out and that another worker has handled since is not returned. Returns the ids to handle.
   */
  async markDone(ids: string[]): Promise<Set<string>> {
    const rows = await this.tx.query<{ id: string }>(
      `UPDATE outbox_events SET status = 'done', processed_at = now(), locked_by = NULL, locked_until = NULL
        WHERE id = ANY($1::bigint[]) AND status = 'pending' RETURNING id`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /*
   * scheduleRetry, markDead and markHeld change only pending deliveries, and say which they
   * changed: one whose handling committed though a callback after the COMMIT threw stays done, as
   * does one that another worker handled (or held, or dead-lettered) after this one's lease ran out.
   */
  async scheduleRetry(id: string, delayMs: number, error: string): Promise<boolean> {
    const rows = await this.tx.query(
      `UPDATE outbox_events SET available_at = now() + make_interval(secs => $2::double precision / 1000),
              locked_by = NULL, locked_until = NULL, last_error = $3 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, delayMs, error],
    );
    return rows.length > 0;
  }

  async markDead(id: string, error: string): Promise<boolean> {
    const rows = await this.tx.query(
      `UPDATE outbox_events SET status = 'dead', processed_at = now(), locked_by = NULL, locked_until = NULL, last_error = $2
        WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, error],
    );
    return rows.length > 0;
  }

  /**
   * Gives back, due now and not counted as an attempt, deliveries leased to relay `workerId` that
   * it did not handle (it stops); not those another relay claimed since.
   */
  async release(ids: string[], workerId: string): Promise<void> {
    await this.tx.queryOutside(
      `UPDATE outbox_events SET available_at = now(), locked_by = NULL, locked_until = NULL, attempts = greatest(attempts - 1, 0)
        WHERE id = ANY($1::bigint[]) AND status = 'pending' AND locked_by = $2`,
      [ids, workerId],
    );
  }

  /** Holding is not an attempt: the claim's increment is given back. Returns the ids held. */
  async markHeld(ids: string[]): Promise<Set<string>> {
    const rows = await this.tx.query<{ id: string }>(
      `UPDATE outbox_events SET status = 'held', attempts = greatest(attempts - 1, 0), available_at = now(),
              locked_by = NULL, locked_until = NULL WHERE id = ANY($1::bigint[]) AND status = 'pending' RETURNING id`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The (handler, tenant) pairs that have held deliveries: a loose index scan of the partial held
   * index, one probe per pair, so it stays cheap however many deliveries a switched-off bridge holds.
   */
  heldGroups(): Promise<Array<{ handler: string; tenant_id: string }>> {
    return this.tx.queryOutside(
      `WITH RECURSIVE g AS (
         (SELECT handler, tenant_id FROM outbox_events WHERE status = 'held' ORDER BY handler, tenant_id LIMIT 1)
         UNION ALL
         SELECT n.handler, n.tenant_id FROM g CROSS JOIN LATERAL (
           SELECT handler, tenant_id FROM outbox_events
            WHERE status = 'held' AND (handler, tenant_id) > (g.handler, g.tenant_id)
            ORDER BY handler, tenant_id LIMIT 1) n)
       SELECT handler, tenant_id FROM g`,
    );
  }

  /**
   * Puts the held deliveries of these (handler, tenant) pairs back in the queue (the relay holds
   * again whatever is switched off by the time it claims them); returns how many.
   */
  async releaseHeld(groups: Array<{ handler: string; tenantId: string }>): Promise<number> {
    if (groups.length === 0) return 0;
    return this.tx.run(async () => {
      const [{ n }] = await this.tx.query<{ n: number }>(
        `WITH released AS (
           UPDATE outbox_events SET status = 'pending', available_at = now()
            WHERE status = 'held' AND (handler, tenant_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           RETURNING 1)
         SELECT count(*)::int AS n FROM released`,
        [groups.map((g) => g.handler), groups.map((g) => g.tenantId)],
      );
      if (n > 0) this.notifier.notifyAfterCommit(OUTBOX_CHANNEL);
      return n;
    });
  }

  /**
   * Re-queues the failed or held deliveries of one handler for one incident, with fresh attempts;
   * returns their event types. The statuses are written out, not a parameter, so the partial
   * (incident, handler) index serves a prepared statement too.
   */
  async requeue(tenantId: string, incidentId: string, handler: string): Promise<string[]> {
    return this.tx.run(async () => {
      const rows = await this.tx.query<{ event_type: string }>(
        `UPDATE outbox_events SET status = 'pending', attempts = 0, available_at = now(), last_error = NULL, processed_at = NULL
          WHERE tenant_id = $1 AND incident_id = $2 AND handler = $3 AND status IN ('dead', 'held')
      RETURNING event_type`,
        [tenantId, incidentId, handler],
      );
      if (rows.length > 0) this.notifier.notifyAfterCommit(OUTBOX_CHANNEL, handler);
      return rows.map((r) => r.event_type);
    });
  }

  /** One delivery of the tenant, as the deliveries API shows it; null when it has none by that id. */
  async findDelivery(tenantId: string, id: string): Promise<StoredDeliveryRow | null> {
    const [row] = await this.tx.query<StoredDeliveryRow>(
      `SELECT ${storedColumns()} FROM outbox_events WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /**
   * A tenant's dead or held deliveries, newest first (by id: the ids grow with the inserts), after
   * the id `beforeId`. The status is written out, not a parameter, so the partial (tenant, id) index
   * of dead and held deliveries serves a prepared statement too (migration 1767400300000).
   */
  listDeliveries(
    tenantId: string,
    filter: { status: StuckStatus; handler?: string },
    beforeId: string | null,
    limit: number,
  ): Promise<StoredDeliveryRow[]> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1', filter.status === 'dead' ? `status = 'dead'` : `status = 'held'`];
    if (filter.handler) where.push(`handler = $${params.push(filter.handler)}`);
    if (beforeId !== null) where.push(`id < $${params.push(beforeId)}::bigint`);
    return this.tx.query<StoredDeliveryRow>(
      `SELECT ${storedColumns()} FROM outbox_events WHERE ${where.join(' AND ')}
        ORDER BY id DESC LIMIT $${params.push(limit)}`,
      params,
    );
  }

  /**
   * Puts one dead delivery of the tenant back in the queue with fresh attempts, due now (its error
   * cleared), and wakes its handler's relay after the commit; null when it has no such dead
   * delivery. `attempts_before` is what it had.
   */
  async requeueDead(tenantId: string, id: string): Promise<(StoredDeliveryRow & { attempts_before: number }) | null> {
    return this.tx.run(async () => {
      const [row] = await this.tx.query<StoredDeliveryRow & { attempts_before: number }>(
        `WITH dead AS (SELECT id, attempts FROM outbox_events WHERE tenant_id = $1 AND id = $2 AND status = 'dead' FOR UPDATE)
         UPDATE outbox_events o SET status = 'pending', attempts = 0, available_at = now(), last_error = NULL,
                processed_at = NULL, locked_by = NULL, locked_until = NULL
           FROM dead WHERE o.id = dead.id
      RETURNING ${storedColumns('o.')}, dead.attempts AS attempts_before`,
        [tenantId, id],
      );
      if (row) this.notifier.notifyAfterCommit(OUTBOX_CHANNEL, row.handler);
      return row ?? null;
    });
  }

  /** Deletes processed deliveries older than the retention period. */
  async prune(retentionHours: number, batch = 5000): Promise<number> {
    const rows = await this.tx.queryOutside(
      `DELETE FROM outbox_events WHERE id IN (
         SELECT id FROM outbox_events WHERE status = 'done'
            AND processed_at < now() - make_interval(secs => $1::double precision * 3600) LIMIT $2)
       RETURNING 1`,
      [retentionHours, batch],
    );
    return rows.length;
  }

  /** Deliveries not yet handled (due, claimed or waiting for a retry), through the pending index. */
  async pendingCount(): Promise<number> {
    const [row] = await this.tx.queryOutside<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox_events WHERE status = 'pending'`,
    );
    return row.n;
  }

  /** Counted through the partial indexes: processed rows (almost all of them) are never read. */
  async depth(): Promise<{ due: number; pending: number; held: number; dead: number; oldestDueAgeSeconds: number }> {
    const [row] = await this.tx.queryOutside<{
      due: number;
      pending: number;
      held: number;
      dead: number;
      oldest: number;
    }>(
      `SELECT (SELECT count(*) FROM outbox_events WHERE status = 'pending' AND available_at <= now())::int AS due,
              (SELECT count(*) FROM outbox_events WHERE status = 'pending')::int AS pending,
              (SELECT count(*) FROM outbox_events WHERE status = 'held')::int AS held,
              (SELECT count(*) FROM outbox_events WHERE status = 'dead')::int AS dead,
              coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM outbox_events
                         WHERE status = 'pending' AND available_at <= now()), 0)::float AS oldest`,
    );
    return { due: row.due, pending: row.pending, held: row.held, dead: row.dead, oldestDueAgeSeconds: row.oldest };
  }
}
