import { Injectable } from '@nestjs/common';
import { newestFirst } from '../platform/database/newest-first.js';
import { columnsOf, TransactionHost, type Statement } from '../platform/database/transaction-host.js';
import type { Cursor } from '../platform/http/cursor.js';
import type { AlertResolution } from './find-recent-alert-resolutions/find-recent-alert-resolutions.query.js';
import type { IncidentState } from './get-incident-states/get-incident-states.query.js';
import type { IncidentSource, IncidentStatus } from './incident.view.js';
import type { FindRecurrenceProps, RecurrenceEvidence } from './recurrence/find-recurrence.query.js';

export interface IncidentRow {
  id: string;
  tenant_id: string;
  title: string;
  error_type: string;
  message: string;
  severity: string;
  agent_id: string | null;
  capability: string | null;
  context: Record<string, unknown>;
  occurred_at: Date;
  created_at: Date;
  matched_pattern_id: string | null;
  status: IncidentStatus;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  source: IncidentSource;
  /** An alert's fingerprint: at most one unresolved incident per fingerprint. */
  fingerprint: string | null;
  /** How many times its alert fired while it was unresolved (1: once). */
  repeat_count: number;
  last_seen_at: Date | null;
}

// Columns the repository itself sets on insert.
type SetOnInsert =
  'status' | 'acknowledged_at' | 'acknowledged_by' | 'resolved_at' | 'resolved_by' | 'repeat_count' | 'last_seen_at';

/** Per transaction: the unresolved incident of a fingerprint, including one inserted (deferred) in it. */
const UNRESOLVED_BY_FINGERPRINT = Symbol('unresolved incident by fingerprint');
interface FingerprintSlot {
  row: IncidentRow | null;
  pending: boolean;
}

export interface IncidentFilters {
  status?: string;
  source?: string;
  severity?: string;
  errorType?: string;
  agentId?: string;
  capability?: string;
  matchedPatternId?: string;
  since?: string;
  until?: string;
}

interface PatternMove {
  tenantId: string;
  from: string[];
  to: string;
}

/** A link [tenantId, incidentId, patternId], or a move of merged patterns' incidents. */
type PatternLinkRow = string[] | PatternMove;

@Injectable()
export class IncidentsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Written at commit, with the incident's event and loop trace; returns the row as it will be
   * stored. `created_at`: the receipt time, the database's clock (TransactionHost.now()), as the
   * times it is compared with (a resolution, a run's watch window, a policy's status change).
   */
  async insert(row: Omit<IncidentRow, 'matched_pattern_id' | SetOnInsert>): Promise<IncidentRow> {
    const stored: IncidentRow = {
      ...row,
      matched_pattern_id: null,
      status: 'open',
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
      repeat_count: 1,
      last_seen_at: row.fingerprint ? row.occurred_at : null,
    };
    await this.tx.deferWrite(this.insertIncidents, stored);
    if (stored.fingerprint) {
      const slot = await this.fingerprintSlot(stored.tenant_id, stored.fingerprint);
      slot.row = stored;
      slot.pending = true;
    }
    return stored;
  }

  private readonly insertIncidents = (rows: IncidentRow[]): Statement[] => [
    {
      sql: `INSERT INTO incidents (id, tenant_id, title, error_type, message, severity, agent_id, capability, context, occurred_at, created_at,
                                   source, fingerprint, repeat_count, last_seen_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::int[], $15::timestamptz[])`,
      params: columnsOf(
        rows.map((r) => [
          r.id,
          r.tenant_id,
          r.title,
          r.error_type,
          r.message,
          r.severity,
          r.agent_id,
          r.capability,
          JSON.stringify(r.context),
          r.occurred_at,
          r.created_at,
          r.source,
          r.fingerprint,
          r.repeat_count,
          r.last_seen_at,
        ]),
      ),
    },
  ];

  async find(tenantId: string, id: string): Promise<IncidentRow | null> {
    const [row] = await this.tx.query<IncidentRow>(`SELECT * FROM incidents WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row ?? null;
  }

  async findMany(tenantId: string, ids: string[]): Promise<IncidentRow[]> {
    return this.tx.query<IncidentRow>(`SELECT * FROM incidents WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
      tenantId,
      ids,
    ]);
  }

  /**
   * The unresolved incident with this fingerprint, seeing one inserted earlier in the same
   * transaction too (inserts are deferred to the commit). Needs a transaction.
   */
  async findUnresolvedByFingerprint(tenantId: string, fingerprint: string): Promise<IncidentRow | null> {
    return (await this.fingerprintSlot(tenantId, fingerprint)).row;
  }

  /** Per fingerprint, the incident monitoring resolved last, if within `withinMs` (database clock), with when its alert ended. */
  async lastResolutionsByMonitoring(
    tenantId: string,
    fingerprints: string[],
    withinMs: number,
  ): Promise<Map<string, AlertResolution>> {
    const rows = await this.tx.query<{ fingerprint: string; id: string; alert_ended_at: Date | null }>(
      `SELECT DISTINCT ON (fingerprint) fingerprint, id, alert_ended_at FROM incidents
        WHERE tenant_id = $1 AND fingerprint = ANY($2::text[]) AND status = 'resolved' AND resolved_by = 'monitoring'
          AND resolved_at > now() - make_interval(secs => $3::float8 / 1000)
        ORDER BY fingerprint, resolved_at DESC`,
      [tenantId, fingerprints, withinMs],
    );
    return new Map(rows.map((r) => [r.fingerprint, { incidentId: r.id, alertEndedAt: r.alert_ended_at }]));
  }

  /** Counts one more firing of an unresolved incident's alert; a row still waiting for the commit is changed in place. */
  async recordRepeat(row: IncidentRow, seenAt: Date): Promise<IncidentRow> {
    const slot = await this.fingerprintSlot(row.tenant_id, row.fingerprint!);
    if (slot.pending) {
      row.repeat_count += 1;
      row.last_seen_at = seenAt;
      return row;
    }
    const [updated] = await this.tx.query<IncidentRow>(
      `UPDATE incidents SET repeat_count = repeat_count + 1, last_seen_at = greatest(coalesce(last_seen_at, $3), $3)
        WHERE tenant_id = $1 AND id = $2 RETURNING *`,
      [row.tenant_id, row.id, seenAt],
    );
    slot.row = updated;
    return updated;
  }

  private fingerprintSlot(tenantId: string, fingerprint: string): Promise<FingerprintSlot> {
    return this.tx.once(UNRESOLVED_BY_FINGERPRINT, `${tenantId}\u0000${fingerprint}`, async () => {
      const [row] = await this.tx.query<IncidentRow>(
        `SELECT * FROM incidents WHERE tenant_id = $1 AND fingerprint = $2 AND status <> 'resolved' FOR UPDATE`,
        [tenantId, fingerprint],
      );
      return { row: row ?? null, pending: false };
    });
  }

  /** Read only by later requests: written at commit, every link of the transaction (a bridge-1 batch) in one statement. */
  setMatchedPattern(tenantId: string, id: string, patternId: string): Promise<void> {
    return this.tx.deferWrite(this.writePatternLinks, [tenantId, id, patternId]);
  }

  /**
   * Re-files the incidents of merged patterns. Written with the links and after them, so an
   * incident this transaction linked to a pattern it then merged away is moved too.
   */
  moveMatchedPattern(tenantId: string, fromPatternIds: string[], toPatternId: string): Promise<void> {
    return this.tx.deferWrite(this.writePatternLinks, { tenantId, from: fromPatternIds, to: toPatternId });
  }

  private readonly writePatternLinks = (rows: PatternLinkRow[]): Statement[] => {
    const links = rows.filter((r): r is string[] => Array.isArray(r));
    const moves = rows.filter((r): r is PatternMove => !Array.isArray(r));
    return [
      ...(links.length === 0
        ? []
        : [
            {
              sql: `UPDATE incidents i SET matched_pattern_id = l.pattern_id
                FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS l(tenant_id, incident_id, pattern_id)
               WHERE i.tenant_id = l.tenant_id AND i.id = l.incident_id`,
              params: columnsOf(links),
            },
          ]),
      ...moves.map((m) => ({
        sql: `UPDATE incidents SET matched_pattern_id = $2 WHERE tenant_id = $1 AND matched_pattern_id = ANY($3::uuid[])`,
        params: [m.tenantId, m.to, m.from],
      })),
    ];
  };

  /** Sets the acknowledgement once; null when the incident is missing, resolved or already acknowledged. */
  /** A few distinct messages of a pattern's incidents, newest first. */
  async recentMessagesOfPattern(tenantId: string, patternId: string, limit: number): Promise<string[]> {
    // Reads at most a page of the newest incidents (idx_incidents_pattern), then keeps the distinct messages.
    const rows = await this.tx.query<{ message: string }>(
      `SELECT message FROM (SELECT message, created_at FROM incidents WHERE tenant_id = $1 AND matched_pattern_id = $2
                              ORDER BY created_at DESC LIMIT 100) recent
        GROUP BY message ORDER BY max(created_at) DESC LIMIT $3`,
      [tenantId, patternId, limit],
    );
    return rows.map((r) => r.message);
  }

  async acknowledge(tenantId: string, id: string, actor: string): Promise<IncidentRow | null> {
    const [row] = await this.tx.query<IncidentRow>(
      `UPDATE incidents SET acknowledged_at = now(), acknowledged_by = $3
        WHERE tenant_id = $1 AND id = $2 AND acknowledged_at IS NULL AND status <> 'resolved' RETURNING *`,
      [tenantId, id, actor],
    );
    return row ?? null;
  }

  /** Resolves once; null when the incident is missing or already resolved (one statement: two resolvers cannot both win). */
  async resolve(
    tenantId: string,
    id: string,
    resolvedBy: string,
    o: { alertEndedAt: Date | null; runPersonActed: boolean | null },
  ): Promise<IncidentRow | null> {
    const [row] = await this.tx.query<IncidentRow>(
      `UPDATE incidents SET status = 'resolved', resolved_at = now(), resolved_by = $3, alert_ended_at = $4,
              run_person_acted = $5
        WHERE tenant_id = $1 AND id = $2 AND status <> 'resolved' RETURNING *`,
      [tenantId, id, resolvedBy, o.alertEndedAt, o.runPersonActed],
    );
    // A later firing of its alert in this transaction opens a new incident.
    if (row?.fingerprint) this.tx.forget(UNRESOLVED_BY_FINGERPRINT, `${tenantId}\u0000${row.fingerprint}`);
    return row ?? null;
  }

  /**
   * open ⇄ mitigating; a resolved incident stays resolved. Null when nothing changed.
   * Locks the incident's row whatever its status (a plain UPDATE … AND status = $3 would lock only
   * a row it changes): a run starting while another of the incident's runs finishes then holds the
   * row, and the finishing run's check (LockIncident) waits for it.
   */
  async setMitigating(tenantId: string, id: string, mitigating: boolean): Promise<IncidentRow | null> {
    const [from, to] = mitigating ? ['open', 'mitigating'] : ['mitigating', 'open'];
    const [row] = await this.tx.query<IncidentRow>(
      `WITH locked AS (SELECT id, status FROM incidents WHERE tenant_id = $1 AND id = $2 FOR UPDATE)
       UPDATE incidents i SET status = $4 FROM locked WHERE i.id = locked.id AND locked.status = $3 RETURNING i.*`,
      [tenantId, id, from, to],
    );
    return row ?? null;
  }

  /** Locks the incident's row until the transaction ends; false when there is no such incident. */
  async lock(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.tx.query(`SELECT 1 FROM incidents WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [
      tenantId,
      id,
    ]);
    return rows.length > 0;
  }

  /** One round trip: see FindRecurrence. Served by idx_incidents_agent_occurred, idx_incidents_fingerprint and the primary key. */
  async recurrenceEvidence(q: FindRecurrenceProps): Promise<RecurrenceEvidence> {
    type Row = {
      new_id: string | null;
      new_occurred_at: Date | null;
      unfiled: number;
      refired_at: Date | null;
      resolved_at: Date | null;
    };
    const [row] = await this.tx.query<Row>(
      `WITH inside AS (
         SELECT id, matched_pattern_id, occurred_at FROM incidents
          WHERE tenant_id = $1 AND agent_id IS NOT DISTINCT FROM $3 AND capability IS NOT DISTINCT FROM $4
            AND occurred_at >= $6 AND occurred_at < $7 AND id IS DISTINCT FROM $5::uuid),
       first_new AS (SELECT id, occurred_at FROM inside WHERE matched_pattern_id = $2::uuid ORDER BY occurred_at LIMIT 1),
       own AS (SELECT repeat_count, last_seen_at, resolved_at, resolved_by, fingerprint FROM incidents
                WHERE tenant_id = $1 AND id = $5::uuid),
       -- The alert firing again inside the window: a repeat (only an alert's incident repeats), on
       -- the fixed incident or, once that is resolved, on the next one its firing opened (with the
       -- alert's old startsAt as occurredAt), or that next one received inside the window.
       refired AS (
         SELECT CASE WHEN i.created_at >= $6 AND i.created_at < $7 THEN i.created_at ELSE i.last_seen_at END AS at
           FROM incidents i, own
          WHERE own.fingerprint IS NOT NULL AND i.tenant_id = $1 AND i.fingerprint = own.fingerprint
            AND ((i.created_at >= $6 AND i.created_at < $7)
                 OR (i.repeat_count > 1 AND i.last_seen_at >= $6 AND i.last_seen_at < $7)))
       SELECT (SELECT id FROM first_new) AS new_id, (SELECT occurred_at FROM first_new) AS new_occurred_at,
              (SELECT count(*)::int FROM inside WHERE $2::uuid IS NOT NULL AND matched_pattern_id IS NULL) AS unfiled,
              (SELECT min(at) FROM refired) AS refired_at,
              -- A resolution counts from the window's start: one from before the fix was through is not its doing.
              (SELECT resolved_at FROM own WHERE resolved_by = 'monitoring' AND resolved_at >= $6) AS resolved_at`,
      [q.tenantId, q.patternId, q.agentId, q.capability, q.incidentId, q.from, q.until],
    );
    return {
      newIncident: row.new_id ? { id: row.new_id, occurredAt: row.new_occurred_at!.toISOString() } : null,
      refiredAt: row.refired_at?.toISOString() ?? null,
      unfiled: row.unfiled,
      resolvedByMonitoringAt: row.resolved_at?.toISOString() ?? null,
    };
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(tenantId: string, filters: IncidentFilters, cursor: Cursor | null, limit: number): Promise<IncidentRow[]> {
    // An empty filter value filters nothing.
    const { sql, params } = newestFirst({
      table: 'incidents',
      tenantId,
      conditions: [
        ['status = ?', filters.status || undefined],
        ['source = ?', filters.source || undefined],
        ['severity = ?', filters.severity || undefined],
        ['error_type = ?', filters.errorType ? filters.errorType.trim().toLowerCase() : undefined],
        ['agent_id = ?', filters.agentId || undefined],
        ['capability = ?', filters.capability || undefined],
        ['matched_pattern_id = ?', filters.matchedPatternId || undefined],
        ['created_at >= ?', filters.since || undefined],
        ['created_at < ?', filters.until || undefined],
      ],
      cursor,
      limit,
    });
    return this.tx.query<IncidentRow>(sql, params);
  }

  /**
   * Status and severity of the tenant's incidents among `ids`. `hold`: every one of them is locked
   * FOR UPDATE, as `lock` does, so a resolution waits for the caller (not FOR SHARE: two holders
   * could both try to raise it).
   */
  statesAmong(tenantId: string, ids: string[], hold = false): Promise<IncidentState[]> {
    return this.tx.query<IncidentState>(
      `SELECT id, status, severity FROM incidents WHERE tenant_id = $1 AND id = ANY($2::uuid[])${hold ? ' ORDER BY id FOR UPDATE' : ''}`,
      [tenantId, ids],
    );
  }

  /** The resolved ones among `ids` (`hold` as in statesAmong: held, the open ones are locked too). */
  async resolvedAmong(tenantId: string, ids: string[], hold = false): Promise<string[]> {
    return (await this.statesAmong(tenantId, ids, hold)).filter((r) => r.status === 'resolved').map((r) => r.id);
  }
}
