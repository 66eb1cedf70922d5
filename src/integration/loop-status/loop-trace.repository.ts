import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { columnsOf, TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type { LoopStage, StageRecord } from './loop-stages.js';

export interface LoopTraceRow {
  incident_id: string;
  tenant_id: string;
  stages: Partial<Record<LoopStage, StageRecord>>;
  is_complete: boolean;
  started_at: Date;
  completed_at: Date | null;
}

/** The columns of a LoopTraceRow. */
const TRACE_COLUMNS = 'incident_id, tenant_id, stages, is_complete, started_at, completed_at';

/** One loop event for the history; `completed` when it completes its stage. */
export interface LoopProgress {
  tenantId: string;
  incidentId: string;
  stage: LoopStage;
  eventType: string;
  details: Record<string, unknown>;
  completed: (StageRecord & { status: 'completed' }) | null;
}

@Injectable()
export class LoopTraceRepository {
  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  /** Written at commit, with the incident's other deferred writes. */
  start(tenantId: string, incidentId: string, createdAt: string): Promise<void> {
    const record: StageRecord = {
      status: 'completed',
      startedAt: createdAt,
      completedAt: createdAt,
      durationMs: 0,
      attempts: 1,
      error: null,
      details: {},
    };
    return this.tx.deferWrite(this.insertTraces, [
      incidentId,
      tenantId,
      JSON.stringify({ incident_created: record }),
      createdAt,
    ]);
  }

  private readonly insertTraces = (rows: string[][]): Statement[] => [
    {
      sql: `INSERT INTO loop_traces (incident_id, tenant_id, stages, started_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
      params: columnsOf(rows),
    },
  ];

  async find(tenantId: string, incidentId: string): Promise<LoopTraceRow | null> {
    const [row] = await this.tx.query<LoopTraceRow>(
      `SELECT ${TRACE_COLUMNS} FROM loop_traces WHERE tenant_id = $1 AND incident_id = $2`,
      [tenantId, incidentId],
    );
    return row ?? null;
  }

  async findMany(incidentIds: string[]): Promise<LoopTraceRow[]> {
    return this.tx.query<LoopTraceRow>(`SELECT ${TRACE_COLUMNS} FROM loop_traces WHERE incident_id = ANY($1::uuid[])`, [
      incidentIds,
    ]);
  }

  /** Shows a stage pending again (a retry re-queued its deliveries); a stage completed meanwhile stays completed. */
  markPending(incidentId: string, stage: LoopStage): Promise<LoopTraceRow | null> {
    return this.recordStage(incidentId, stage, {
      status: 'pending',
      startedAt: null,
      completedAt: null,
      durationMs: null,
      attempts: 0,
      error: null,
      details: {},
    });
  }

  /**
   * Merges one stage's record into the trace. A completed stage is never downgraded by a late
   * failure/held report, and the loop's completion time is set once, when routing_adjusted lands.
   */
  async recordStage(incidentId: string, stage: LoopStage, record: StageRecord): Promise<LoopTraceRow | null> {
    const [row] = await this.tx.query<LoopTraceRow>(
      `UPDATE loop_traces
          SET stages = CASE WHEN stages -> $2 ->> 'status' = 'completed' AND $4 <> 'completed' THEN stages
                            ELSE jsonb_set(stages, ARRAY[$2], $3::jsonb) END,
              is_complete = is_complete OR ($2 = 'routing_adjusted' AND $4 = 'completed'),
              completed_at = CASE WHEN completed_at IS NULL AND $2 = 'routing_adjusted' AND $4 = 'completed'
                                  THEN ($3::jsonb ->> 'completedAt')::timestamptz ELSE completed_at END,
              updated_at = now()
        WHERE incident_id = $1
    RETURNING ${TRACE_COLUMNS}`,
      [incidentId, stage, JSON.stringify(record), record.status],
    );
    return row ?? null;
  }

  /**
   * Appends an event to the loop's history (kept after the outbox is pruned) and, when the event
   * completes a stage, marks that stage completed. Bridge 5 does this for every loop event, and
   * a batch carries dozens: the writes are deferred to the commit, one history insert and one
   * trace update for all of them. Failures and holds go through recordStage instead.
   */
  recordEvent(progress: LoopProgress): Promise<void> {
    return this.tx.deferWrite(this.writeProgress, progress);
  }

  private readonly writeProgress = (events: LoopProgress[]): Statement[] => {
    const history: Statement = {
      sql: `INSERT INTO loop_events (id, tenant_id, incident_id, stage, event_type, details)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[])`,
      params: columnsOf(
        events.map((e) => [uuidv7(), e.tenantId, e.incidentId, e.stage, e.eventType, JSON.stringify(e.details)]),
      ),
    };
    // Per incident, its completed stages (later events win) and, once routing is adjusted, the loop's end.
    const patches = new Map<string, { stages: Record<string, StageRecord>; completedAt: string | null }>();
    for (const e of events) {
      if (!e.completed) continue;
      const patch = patches.get(e.incidentId) ?? { stages: {}, completedAt: null };
      patch.stages[e.stage] = e.completed;
      if (e.stage === 'routing_adjusted') patch.completedAt = e.completed.completedAt;
      patches.set(e.incidentId, patch);
    }
    if (patches.size === 0) return [history];
    // In incident order, so two transactions updating the same traces never deadlock.
    const rows = [...patches]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, p]) => [id, JSON.stringify(p.stages), p.completedAt]);
    const traces: Statement = {
      sql: `UPDATE loop_traces t
               SET stages = t.stages || p.patch,
                   is_complete = t.is_complete OR p.completed_at IS NOT NULL,
                   completed_at = coalesce(t.completed_at, p.completed_at),
                   updated_at = now()
              FROM unnest($1::uuid[], $2::jsonb[], $3::timestamptz[]) AS p(incident_id, patch, completed_at)
             WHERE t.incident_id = p.incident_id`,
      params: columnsOf(rows),
    };
    return [history, traces];
  };

  /** Tells every replica's SSE subscribers (see LoopProgressHub), once this transaction has committed. */
  notifyProgress(tenantId: string, incidentId: string): void {
    this.notifier.notifyAfterCommit(LOOP_PROGRESS_CHANNEL, JSON.stringify({ tenantId, incidentId }));
  }
}

export const LOOP_PROGRESS_CHANNEL = 'loop_progress';
