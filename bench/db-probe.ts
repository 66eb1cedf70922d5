/**
 * Direct database measurements for the bench: the raw single-row commit rate, counters
 * before/after the load (transaction ids, commits, WAL), and the bench tenant's outbox and
 * loop-trace figures.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { tagBenchClient } from './pg-count.js';
import { summarise, type Summary } from './stats.js';

export interface CommitRateResult {
  connections: number;
  seconds: number;
  commits: number;
  commitsPerS: number;
  latencyMs: Summary;
}

/**
 * Autocommit single-row INSERTs into a scratch table over `connections` concurrent
 * connections for `seconds`. The table is created fresh and dropped afterwards.
 */
export async function measureCommitRate(url: string, connections: number, seconds: number): Promise<CommitRateResult> {
  const admin = tagBenchClient(new pg.Client({ connectionString: url }));
  await admin.connect();
  const clients: pg.Client[] = [];
  try {
    await admin.query('DROP TABLE IF EXISTS bench_commits');
    await admin.query('CREATE TABLE bench_commits (id bigserial PRIMARY KEY, v int)');
    for (let i = 0; i < connections; i++) {
      const c = tagBenchClient(new pg.Client({ connectionString: url }));
      await c.connect();
      clients.push(c);
    }
    // Warm-up: one commit per connection (prepared plan, first WAL segment touch).
    await Promise.all(clients.map((c, i) => c.query('INSERT INTO bench_commits (v) VALUES ($1)', [i])));
    const latencies: number[] = [];
    let commits = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    await Promise.all(
      clients.map(async (c, i) => {
        while (performance.now() < end) {
          const t = performance.now();
          await c.query({ name: 'bench_commit', text: 'INSERT INTO bench_commits (v) VALUES ($1)', values: [i] });
          latencies.push(performance.now() - t);
          commits++;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    return { connections, seconds: elapsed, commits, commitsPerS: commits / elapsed, latencyMs: summarise(latencies) };
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
    await admin.query('DROP TABLE IF EXISTS bench_commits').catch(() => undefined);
    await admin.end();
  }
}

export interface DbCounters {
  at: number;
  /** Next transaction id: only transactions that wrote (or locked rows) consume one. */
  nextXid: bigint;
  /** Commits of every transaction in this database, read-only ones too (flushed by backends ≤ ~10 s late). */
  xactCommit: bigint;
  /** Deadlocks PostgreSQL detected (each costs deadlock_timeout, 1 s by default, and a rolled-back transaction). */
  deadlocks: number;
  walLsn: string;
}

export async function dbCounters(url: string): Promise<DbCounters> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid,
              (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::text AS commits,
              (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database())::int AS deadlocks,
              pg_current_wal_lsn()::text AS lsn`,
    );
    return {
      at: Date.now(),
      nextXid: BigInt(rows[0].xid),
      xactCommit: BigInt(rows[0].commits),
      deadlocks: rows[0].deadlocks,
      walLsn: rows[0].lsn,
    };
  } finally {
    await c.end();
  }
}

export async function walBytesBetween(url: string, from: string, to: string): Promise<number> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const { rows } = await c.query('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::float AS bytes', [from, to]);
    return Number(rows[0].bytes);
  } finally {
    await c.end();
  }
}

export interface TableHealth {
  table: string;
  liveRows: number;
  deadRows: number;
  updates: number;
  hotUpdates: number;
  autovacuums: number;
}

/** The tables with the most dead row versions (MVCC garbage) right now, with their update and autovacuum counts. */
export async function tableHealth(url: string, limit = 6): Promise<TableHealth[]> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT relname, n_live_tup::float AS live, n_dead_tup::float AS dead, n_tup_upd::float AS upd, n_tup_hot_upd::float AS hot,
              (autovacuum_count + vacuum_count)::int AS vac
         FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      table: r.relname,
      liveRows: r.live,
      deadRows: r.dead,
      updates: r.upd,
      hotUpdates: r.hot,
      autovacuums: r.vac,
    }));
  } finally {
    await c.end();
  }
}

/** Outbox deliveries not yet done or dead (pending or held), across all tenants. */
export async function outboxBacklog(url: string): Promise<number> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM outbox_events WHERE status IN ('pending', 'held')`);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

export async function serverSettings(url: string): Promise<Record<string, string>> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const names = [
      'server_version',
      'fsync',
      'synchronous_commit',
      'wal_sync_method',
      'commit_delay',
      'shared_buffers',
      'max_connections',
      'max_wal_size',
    ];
    const { rows } = await c.query('SELECT n AS name, current_setting(n) AS value FROM unnest($1::text[]) AS n', [
      names,
    ]);
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  } finally {
    await c.end();
  }
}

export interface HandlerFigures {
  handler: string;
  deliveries: number;
  attempts: number;
  notDone: number;
  /** Delivery stored → its handler transaction started (queue wait incl. claim), done deliveries only. */
  waitAvgMs: number;
  waitP95Ms: number;
}

export interface StageFigures {
  stage: string;
  count: number;
  /** The stage's own durationMs: trigger event stored → the bridge published its result. */
  avgMs: number;
  p95Ms: number;
}

export interface TenantFigures {
  incidents: number;
  completedLoops: number;
  deliveries: number;
  /** Deliveries whose handler transaction committed (status done). */
  doneDeliveries: number;
  /** Deliveries of the loops that completed ÷ those loops: what one whole loop costs. */
  deliveriesPerCompletedLoop: number | null;
  deliveryAttempts: number;
  distinctEvents: number;
  handlers: HandlerFigures[];
  stages: StageFigures[];
  /** Routing adjustments written per loop (bridge 4's fan-out: the pattern's agents × capabilities), early vs late loops. */
  adjustmentsPerLoop: { firstTenth: number | null; lastTenth: number | null; all: number | null };
}

export async function tenantFigures(url: string, tenantId: string): Promise<TenantFigures> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    // Warm-up incidents (context.benchWarmup) and their loops are left out of every figure.
    const W = `SELECT id FROM incidents WHERE tenant_id = $1 AND context ? 'benchWarmup'`;
    const [inc] = (
      await c.query(`SELECT count(*)::int AS n FROM incidents WHERE tenant_id = $1 AND NOT context ? 'benchWarmup'`, [
        tenantId,
      ])
    ).rows;
    const [out] = (
      await c.query(
        `SELECT count(*)::int AS deliveries, coalesce(sum(attempts), 0)::int AS attempts, count(DISTINCT event_id)::int AS events,
                count(*) FILTER (WHERE status = 'done')::int AS done
           FROM outbox_events WHERE tenant_id = $1 AND (incident_id IS NULL OR incident_id NOT IN (${W}))`,
        [tenantId],
      )
    ).rows;
    const [complete] = (
      await c.query(
        `SELECT count(*)::int AS loops,
                (SELECT count(*) FROM outbox_events o JOIN loop_traces t2 ON t2.incident_id = o.incident_id
                  WHERE o.tenant_id = $1 AND t2.tenant_id = $1 AND t2.is_complete AND t2.incident_id NOT IN (${W}))::int AS deliveries
           FROM loop_traces t WHERE t.tenant_id = $1 AND t.is_complete AND t.incident_id NOT IN (${W})`,
        [tenantId],
      )
    ).rows;
    const handlers = (
      await c.query(
        `SELECT handler, count(*)::int AS deliveries, sum(attempts)::int AS attempts,
                count(*) FILTER (WHERE status <> 'done')::int AS not_done,
                coalesce(avg(extract(epoch FROM processed_at - created_at) * 1000) FILTER (WHERE status = 'done'), 0)::float AS wait_avg,
                coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - created_at) * 1000)
                         FILTER (WHERE status = 'done'), 0)::float AS wait_p95
           FROM outbox_events WHERE tenant_id = $1 AND (incident_id IS NULL OR incident_id NOT IN (${W})) GROUP BY handler ORDER BY handler`,
        [tenantId],
      )
    ).rows.map((r) => ({
      handler: r.handler,
      deliveries: r.deliveries,
      attempts: r.attempts,
      notDone: r.not_done,
      waitAvgMs: r.wait_avg,
      waitP95Ms: r.wait_p95,
    }));
    const stages = (
      await c.query(
        `SELECT s.stage, count(*)::int AS n,
                coalesce(avg((t.stages -> s.stage ->> 'durationMs')::float), 0)::float AS avg_ms,
                coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY (t.stages -> s.stage ->> 'durationMs')::float), 0)::float AS p95_ms
           FROM loop_traces t
           CROSS JOIN unnest(ARRAY['incident_created','pattern_matched','recovery_suggested','policy_generated','routing_adjusted']) WITH ORDINALITY AS s(stage, ord)
          WHERE t.tenant_id = $1 AND t.stages -> s.stage ->> 'status' = 'completed' AND t.incident_id NOT IN (${W})
          GROUP BY s.stage, s.ord ORDER BY s.ord`,
        [tenantId],
      )
    ).rows.map((r) => ({ stage: r.stage, count: r.n, avgMs: r.avg_ms, p95Ms: r.p95_ms }));
    const [adj] = (
      await c.query(
        `WITH l AS (
           SELECT (stages -> 'routing_adjusted' -> 'details' ->> 'adjustmentCount')::float AS n,
                  ntile(10) OVER (ORDER BY started_at) AS tenth
             FROM loop_traces WHERE tenant_id = $1 AND stages -> 'routing_adjusted' ->> 'status' = 'completed' AND incident_id NOT IN (${W}))
         SELECT avg(n) FILTER (WHERE tenth = 1)::float AS first, avg(n) FILTER (WHERE tenth = 10)::float AS last, avg(n)::float AS all FROM l`,
        [tenantId],
      )
    ).rows;
    return {
      adjustmentsPerLoop: { firstTenth: adj.first, lastTenth: adj.last, all: adj.all },
      incidents: inc.n,
      completedLoops: complete.loops,
      doneDeliveries: out.done,
      deliveriesPerCompletedLoop: complete.loops ? complete.deliveries / complete.loops : null,
      deliveries: out.deliveries,
      deliveryAttempts: out.attempts,
      distinctEvents: out.events,
      handlers,
      stages,
    };
  } finally {
    await c.end();
  }
}

export interface ActivityReport {
  samples: number;
  hz: number;
  /** Average number of the app's sessions per state (active, idle in transaction, …). */
  avgSessionsByState: Record<string, number>;
  /** Share of active-session samples per wait event ("CPU" when not waiting). */
  waitShare: Array<{ wait: string; share: number }>;
  /** Share of active-session samples per statement (normalised, truncated). */
  topActive: Array<{ query: string; share: number }>;
  /** Share of idle-in-transaction samples per last statement (what the app did before going back to JS). */
  topIdleInTx: Array<{ query: string; share: number }>;
  /**
   * Share of lock-waiting samples per (waiting statement, the statement its first blocker runs or
   * last ran): which transactions hold up which, read off `pg_blocking_pids`.
   */
  topLockWaits: Array<{ query: string; share: number }>;
}

/**
 * A sampling profiler for the database: polls pg_stat_activity at `hz` and tallies what the
 * other sessions of this database are doing. Cheap (one small query per sample).
 */
export function startActivitySampler(url: string, hz: number): { stop(): Promise<ActivityReport | null> } {
  const client = tagBenchClient(new pg.Client({ connectionString: url }));
  let running = true;
  let samples = 0;
  const states = new Map<string, number>();
  const waits = new Map<string, number>();
  const active = new Map<string, number>();
  const idleTx = new Map<string, number>();
  const lockWaits = new Map<string, number>();
  let activeTotal = 0;
  let idleTxTotal = 0;
  let lockWaitTotal = 0;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const norm = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 110);
  let failed = false;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const t = performance.now();
      const { rows } = await client.query(
        // The blocker is looked up only for sessions waiting on a lock (pg_blocking_pids is not free).
        `SELECT a.state, a.wait_event_type, a.wait_event, a.query,
                CASE WHEN a.wait_event_type = 'Lock' THEN
                  (SELECT b.query FROM pg_stat_activity b WHERE b.pid = (pg_blocking_pids(a.pid))[1]) END AS blocker
           FROM pg_stat_activity a
          WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'`,
      );
      samples++;
      for (const r of rows) {
        bump(states, r.state ?? 'unknown');
        if (r.state === 'active') {
          activeTotal++;
          bump(waits, r.wait_event_type ? `${r.wait_event_type}:${r.wait_event}` : 'CPU (not waiting)');
          bump(active, norm(r.query ?? ''));
          if (r.wait_event_type === 'Lock') {
            lockWaitTotal++;
            bump(lockWaits, `${norm(r.query ?? '').slice(0, 70)}  ⟵  ${norm(r.blocker ?? '(gone)').slice(0, 70)}`);
          }
        } else if (r.state === 'idle in transaction') {
          idleTxTotal++;
          bump(idleTx, norm(r.query ?? ''));
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / hz - (performance.now() - t))));
    }
  })().catch(() => {
    // e.g. the server shut down under it: the report is simply left out
    failed = true;
  });
  const top = (m: Map<string, number>, total: number, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => ({ query: k, share: total ? v / total : 0 }));
  return {
    stop: async () => {
      running = false;
      await loop;
      await client.end().catch(() => undefined);
      if (failed || !samples) return null;
      return {
        samples,
        hz,
        avgSessionsByState: Object.fromEntries([...states.entries()].map(([k, v]) => [k, v / samples])),
        waitShare: top(waits, activeTotal, 8).map(({ query, share }) => ({ wait: query, share })),
        topActive: top(active, activeTotal, 10),
        topIdleInTx: top(idleTx, idleTxTotal, 6),
        topLockWaits: top(lockWaits, lockWaitTotal, 6),
      };
    },
  };
}

/** Audit entries the tenant's work wrote, per incident it filed (warm-up included on both sides). */
export async function auditEntriesPerIncident(url: string, tenantId: string): Promise<number | null> {
  const c = tagBenchClient(new pg.Client({ connectionString: url }));
  await c.connect();
  try {
    const [row] = (
      await c.query<{ entries: number; incidents: number }>(
        `SELECT (SELECT count(*)::int FROM audit_entries WHERE tenant_id = $1) AS entries,
                (SELECT count(*)::int FROM incidents WHERE tenant_id = $1) AS incidents`,
        [tenantId],
      )
    ).rows;
    return row.incidents > 0 ? row.entries / row.incidents : null;
  } finally {
    await c.end();
  }
}
