import { Injectable } from '@nestjs/common';
import { newestFirst } from '../../platform/database/newest-first.js';
import { columnsOf, TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type { AdjustmentType, CalculatedAdjustment } from './adjustment-calculator.js';

export interface AdjustmentRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  /** '' stands for "every capability of the agent". */
  capability: string;
  adjustment_type: AdjustmentType;
  magnitude: number;
  reason: string;
  source_policy_id: string;
  is_active: boolean;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An adjustment as listed: whether it is in effect, and whether it has expired, by the database's clock. */
export type ListedAdjustmentRow = AdjustmentRow & { in_effect: boolean; expired: boolean };

/**
 * In effect now: not switched off and not expired by the database's clock. The stored `is_active`
 * stays true when a temporary adjustment runs out (the router skips it, a renewal revives it).
 */
const IN_EFFECT = '(is_active AND (expires_at IS NULL OR expires_at > now()))';
const EXPIRED = '(expires_at IS NOT NULL AND expires_at <= now())';

export interface AgentRow {
  tenant_id: string;
  id: string;
  capabilities: string[];
  base_confidence: number;
  /** Learned from recovery runs, per capability; replaces base_confidence for that capability. Absent when not read. */
  trust?: Record<string, number>;
  created_at: Date;
  updated_at: Date;
}

export interface AdjustmentFilters {
  agentId?: string;
  policyId?: string;
  /** In effect now (IN_EFFECT): true lists those the router counts, false the switched-off and the expired. */
  active?: boolean;
}

type Registration = [tenantId: string, agentId: string, capability: string | null];

/** Every named agent with every capability (or none); blank names are not agents. */
function registrationRows(tenantId: string, agentIds: string[], capabilities: string[]): Registration[] {
  const agents = [...new Set(agentIds.filter((a) => typeof a === 'string' && a !== ''))];
  const caps: Array<string | null> = [...new Set(capabilities.filter((c) => typeof c === 'string' && c !== ''))];
  if (caps.length === 0) caps.push(null);
  return agents.flatMap((agent) => caps.map((capability): Registration => [tenantId, agent, capability]));
}

/** An agent row with its learned trust per capability (see trust/), as routing reads it. */
const AGENT_WITH_TRUST = `SELECT a.*, coalesce((SELECT jsonb_object_agg(t.capability, t.trust) FROM agent_trust t
                                        WHERE t.tenant_id = a.tenant_id AND t.agent_id = a.id), '{}') AS trust
                             FROM agents a`;

@Injectable()
export class RoutingRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Registers agents (first mention creates them) and merges `capabilities` into theirs.
   * Every incident names an agent, so this runs in nearly every loop: it must not lock rows it
   * does not change. `ON CONFLICT DO UPDATE … WHERE` would lock the existing row even when the
   * WHERE is false, serialising all loops of one agent; so it inserts with DO NOTHING, and only an
   * agent that really gains a capability is updated (and locked). Agents are inserted in id
   * order so concurrent registrations never deadlock.
   */
  async registerAgents(tenantId: string, agentIds: string[], capabilities: string[]): Promise<void> {
    for (const s of this.registrations(registrationRows(tenantId, agentIds, capabilities)))
      await this.tx.query(s.sql, s.params);
  }

  /** registerAgents, sent with the commit: for callers that do not read the agents back in the transaction (bridge 1). */
  registerAgentAtCommit(tenantId: string, agentId: string, capability: string | null): Promise<void> {
    const [row] = registrationRows(tenantId, [agentId], capability ? [capability] : []);
    return row ? this.tx.deferWrite(this.registrations, row) : Promise.resolve();
  }

  /** Rows of (tenant, agent, capability or null), any number of agents and tenants. */
  private readonly registrations = (rows: Registration[]): Statement[] => {
    if (rows.length === 0) return [];
    const params = columnsOf(rows);
    const given = `unnest($1::text[], $2::text[], $3::text[]) AS r(tenant_id, agent_id, capability)`;
    return [
      {
        sql: `INSERT INTO agents (tenant_id, id, capabilities)
              SELECT tenant_id, agent_id, coalesce(array_agg(DISTINCT capability ORDER BY capability) FILTER (WHERE capability IS NOT NULL), '{}')
                FROM ${given} GROUP BY tenant_id, agent_id ORDER BY tenant_id, agent_id
              ON CONFLICT (tenant_id, id) DO NOTHING`,
        params,
      },
      {
        sql: `UPDATE agents a SET capabilities = ARRAY(SELECT DISTINCT c FROM unnest(a.capabilities || n.caps) AS c ORDER BY c), updated_at = now()
                FROM (SELECT tenant_id, agent_id, array_agg(capability) AS caps FROM ${given}
                       WHERE capability IS NOT NULL GROUP BY tenant_id, agent_id) AS n
               WHERE a.tenant_id = n.tenant_id AND a.id = n.agent_id AND NOT (n.caps <@ a.capabilities)`,
        params,
      },
    ];
  };

  /**
   * One row per (policy, agent, capability), updated in place and re-activated, never stacked.
   * A null capability is stored as '' (the unique constraint needs a value). Rows are written in
   * (agent, capability) order so concurrent applications of one policy never deadlock.
   */
  async upsertAdjustments(tenantId: string, policyId: string, adjustments: CalculatedAdjustment[]): Promise<void> {
    if (adjustments.length === 0) return;
    const sorted = [...adjustments].sort((a, b) =>
      a.agentId === b.agentId
        ? (a.capability ?? '').localeCompare(b.capability ?? '')
        : a.agentId.localeCompare(b.agentId),
    );
    const params: unknown[] = [tenantId, policyId];
    const values = sorted.map((a) => {
      params.push(uuidv7(), a.agentId, a.capability ?? '', a.adjustmentType, a.magnitude, a.reason, a.expiresAt);
      const p = params.length;
      return `($${p - 6}::uuid, $1, $${p - 5}, $${p - 4}, $${p - 3}, $${p - 2}::double precision, $${p - 1}, $2::uuid, true, $${p}::timestamptz)`;
    });
    await this.tx.query(
      `INSERT INTO routing_adjustments (id, tenant_id, agent_id, capability, adjustment_type, magnitude, reason, source_policy_id, is_active, expires_at)
       VALUES ${values.join(', ')}
       ON CONFLICT (source_policy_id, agent_id, capability) DO UPDATE SET
         adjustment_type = EXCLUDED.adjustment_type,
         magnitude = EXCLUDED.magnitude,
         reason = EXCLUDED.reason,
         is_active = true,
         expires_at = EXCLUDED.expires_at,
         updated_at = now()`,
      params,
    );
  }

  /** Takes effect at once: the router only reads active rows. Returns how many were switched off. */
  async deactivateForPolicy(tenantId: string, policyId: string): Promise<number> {
    const rows = await this.tx.query(
      `UPDATE routing_adjustments SET is_active = false, updated_at = now()
       WHERE tenant_id = $1 AND source_policy_id = $2 AND is_active RETURNING id`,
      [tenantId, policyId],
    );
    return rows.length;
  }

  /**
   * What bridge 4 needs to know of a policy's adjustments (`is_active`), without reading them
   * all: whether temporary (draft) ones remain, and whether any in force is stale, i.e. one the
   * policy's current action could not have written (another adjustment type, or a magnitude
   * beyond the action's weight, as a block's −1 under a warn). The action is read here from the
   * policy's row, so this can be sent in one round trip with the lock on it; `effects` maps each
   * action to its type and weight (ACTION_EFFECTS). Rows of a policy are found by the unique
   * (source_policy_id, agent_id, capability) index; each EXISTS stops at its first row.
   */
  async adjustmentState(
    tenantId: string,
    policyId: string,
    effects: Record<string, { type: AdjustmentType; weight: number }>,
  ): Promise<{ temporaryRemain: boolean; stale: boolean }> {
    const [row] = await this.tx.query<{ temporary_remain: boolean; stale: boolean }>(
      `WITH effect AS (
         SELECT $3::jsonb -> p.action ->> 'type' AS type, abs(($3::jsonb -> p.action ->> 'weight')::double precision) AS weight
           FROM policy_rules p WHERE p.tenant_id = $1 AND p.id = $2)
       SELECT EXISTS (SELECT 1 FROM routing_adjustments
                       WHERE tenant_id = $1 AND source_policy_id = $2 AND is_active AND expires_at IS NOT NULL) AS temporary_remain,
              EXISTS (SELECT 1 FROM routing_adjustments r, effect e
                       WHERE r.tenant_id = $1 AND r.source_policy_id = $2 AND r.is_active
                         AND (r.expires_at IS NULL OR r.expires_at > now())
                         AND (r.adjustment_type IS DISTINCT FROM e.type OR abs(r.magnitude) > e.weight)) AS stale`,
      [tenantId, policyId, JSON.stringify(effects)],
    );
    return { temporaryRemain: row?.temporary_remain ?? false, stale: row?.stale ?? false };
  }

  /** The (agent, capability) pairs a policy already adjusts (capability null for ''), with each row's state. */
  async targetsOfPolicy(
    tenantId: string,
    policyId: string,
  ): Promise<Array<{ agentId: string; capability: string | null; isActive: boolean; expiresAt: Date | null }>> {
    const rows = await this.tx.query<{
      agent_id: string;
      capability: string;
      is_active: boolean;
      expires_at: Date | null;
    }>(
      `SELECT agent_id, capability, is_active, expires_at FROM routing_adjustments
        WHERE tenant_id = $1 AND source_policy_id = $2 ORDER BY agent_id, capability`,
      [tenantId, policyId],
    );
    return rows.map((r) => ({
      agentId: r.agent_id,
      capability: r.capability === '' ? null : r.capability,
      isActive: r.is_active,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * Registers or updates one agent with exactly these capabilities and base confidence
   * (PUT semantics: the capabilities are replaced, not merged).
   */
  async putAgent(tenantId: string, agentId: string, capabilities: string[], baseConfidence: number): Promise<AgentRow> {
    const caps = [...new Set(capabilities)].sort();
    const [row] = await this.tx.query<AgentRow>(
      `INSERT INTO agents (tenant_id, id, capabilities, base_confidence) VALUES ($1, $2, $3::text[], $4)
       ON CONFLICT (tenant_id, id) DO UPDATE SET
         capabilities = EXCLUDED.capabilities, base_confidence = EXCLUDED.base_confidence, updated_at = now()
       RETURNING *`,
      [tenantId, agentId, caps, baseConfidence],
    );
    return row;
  }

  async findAgent(tenantId: string, agentId: string): Promise<AgentRow | null> {
    const [row] = await this.tx.query<AgentRow>(`${AGENT_WITH_TRUST} WHERE a.tenant_id = $1 AND a.id = $2`, [
      tenantId,
      agentId,
    ]);
    return row ?? null;
  }

  /** These agents of the tenant (unknown ids are left out), by id. */
  async findAgents(tenantId: string, agentIds: string[]): Promise<AgentRow[]> {
    return this.tx.query<AgentRow>(
      `${AGENT_WITH_TRUST} WHERE a.tenant_id = $1 AND a.id = ANY($2::text[]) ORDER BY a.id`,
      [tenantId, agentIds],
    );
  }

  /** The tenant's agents that have this capability, by id. */
  async agentsWithCapability(tenantId: string, capability: string): Promise<AgentRow[]> {
    return this.tx.query<AgentRow>(
      `${AGENT_WITH_TRUST} WHERE a.tenant_id = $1 AND a.capabilities @> ARRAY[$2::text] ORDER BY a.id`,
      [tenantId, capability],
    );
  }

  /**
   * The adjustments of these agents in effect now (IN_EFFECT), by the database's clock: in a
   * transaction, its `now()`, which `TransactionHost.now()` reads for the caller's own judgement.
   */
  async activeAdjustmentsOf(tenantId: string, agentIds: string[]): Promise<AdjustmentRow[]> {
    if (agentIds.length === 0) return [];
    return this.tx.query<AdjustmentRow>(
      `SELECT * FROM routing_adjustments WHERE tenant_id = $1 AND agent_id = ANY($2::text[]) AND ${IN_EFFECT}`,
      [tenantId, agentIds],
    );
  }

  async insertDecision(row: {
    id: string;
    tenantId: string;
    capability: string;
    chosenAgentId: string | null;
    needsHumanCheckpoint: boolean;
    reason: string | null;
    candidates: unknown[];
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO routing_decisions (id, tenant_id, capability, chosen_agent_id, needs_human_checkpoint, reason, candidates)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
      [
        row.id,
        row.tenantId,
        row.capability,
        row.chosenAgentId,
        row.needsHumanCheckpoint,
        row.reason,
        JSON.stringify(row.candidates),
      ],
    );
  }

  async listAgents(tenantId: string): Promise<AgentRow[]> {
    return this.tx.query<AgentRow>(`${AGENT_WITH_TRUST} WHERE a.tenant_id = $1 ORDER BY a.id`, [tenantId]);
  }

  /** The adjustments of the tenant's agents in effect now, by the database's clock (activeAdjustmentsOf). */
  async activeAdjustments(tenantId: string): Promise<AdjustmentRow[]> {
    return this.tx.query<AdjustmentRow>(`SELECT * FROM routing_adjustments WHERE tenant_id = $1 AND ${IN_EFFECT}`, [
      tenantId,
    ]);
  }

  /** Newest first, keyset-paginated on (created_at, id), each with whether it is in effect now. */
  async listAdjustments(
    tenantId: string,
    filters: AdjustmentFilters,
    cursor: Cursor | null,
    limit: number,
  ): Promise<ListedAdjustmentRow[]> {
    const q = newestFirst({
      table: 'routing_adjustments',
      tenantId,
      columns: `*, ${IN_EFFECT} AS in_effect, ${EXPIRED} AS expired`,
      conditions: [
        ['agent_id = ?', filters.agentId || undefined],
        ['source_policy_id = ?', filters.policyId || undefined],
        [IN_EFFECT, filters.active === true ? true : undefined],
        [`NOT ${IN_EFFECT}`, filters.active === false ? false : undefined],
      ],
      cursor,
      limit,
    });
    return this.tx.query<ListedAdjustmentRow>(q.sql, q.params);
  }
}
