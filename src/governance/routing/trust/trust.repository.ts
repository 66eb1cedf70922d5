import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import type { RunOutcome } from './trust-formula.js';

export interface TrustChangeRow {
  id: string;
  agent_id: string;
  capability: string;
  run_id: string;
  outcome: RunOutcome;
  previous_trust: number;
  new_trust: number;
  reason: string;
  created_at: Date;
}

@Injectable()
export class TrustRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The current trust, locked for the change: the capability's own, else the agent's base confidence. Null: no such agent. */
  async lockCurrent(tenantId: string, agentId: string, capability: string | null): Promise<number | null> {
    const locked = this.tx.query<{ base_confidence: number }>(
      `SELECT base_confidence FROM agents WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenantId, agentId],
    );
    // Sent with the lock, one round trip: a transaction's statements run in order, so it reads once the lock is held.
    const own =
      capability === null
        ? null
        : this.tx.query<{ trust: number }>(
            `SELECT trust FROM agent_trust WHERE tenant_id = $1 AND agent_id = $2 AND capability = $3`,
            [tenantId, agentId, capability],
          );
    own?.catch(() => undefined); // it fails only with the lock, whose error is the one thrown
    const [agent] = await locked;
    if (!agent) return null;
    return (await own)?.[0]?.trust ?? agent.base_confidence;
  }

  /**
   * Records the change and sets the new trust, in one statement; null (and nothing set) when
   * this run already changed this agent's capability (a repeated delivery).
   */
  async recordChange(c: {
    tenantId: string;
    agentId: string;
    capability: string | null;
    runId: string;
    outcome: RunOutcome;
    previous: number;
    next: number;
    reason: string;
  }): Promise<TrustChangeRow | null> {
    const set =
      c.capability === null
        ? `UPDATE agents SET base_confidence = $8, updated_at = now()
             WHERE tenant_id = $2 AND id = $3 AND EXISTS (SELECT 1 FROM change)`
        : `INSERT INTO agent_trust (tenant_id, agent_id, capability, trust) SELECT $2, $3, $4, $8 FROM change
             ON CONFLICT (tenant_id, agent_id, capability) DO UPDATE SET trust = EXCLUDED.trust, updated_at = now()`;
    const [row] = await this.tx.query<TrustChangeRow>(
      `WITH change AS (
         INSERT INTO agent_trust_changes (id, tenant_id, agent_id, capability, run_id, outcome, previous_trust, new_trust, reason)
         VALUES ($1, $2, $3, coalesce($4, ''), $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, run_id, agent_id, capability) DO NOTHING RETURNING *
       ), set_trust AS (${set})
       SELECT * FROM change`,
      [uuidv7(), c.tenantId, c.agentId, c.capability, c.runId, c.outcome, c.previous, c.next, c.reason],
    );
    return row ?? null;
  }

  /** Newest first. */
  async history(tenantId: string, agentId: string, limit: number): Promise<TrustChangeRow[]> {
    return this.tx.query<TrustChangeRow>(
      `SELECT * FROM agent_trust_changes WHERE tenant_id = $1 AND agent_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, agentId, limit],
    );
  }
}
