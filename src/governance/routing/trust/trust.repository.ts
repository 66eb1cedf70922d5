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
    const [agent] = await this.tx.query<{ base_confidence: number }>(
      `SELECT base_confidence FROM agents WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenantId, agentId],
    );
    if (!agent) return null;
    if (capability === null) return agent.base_confidence;
    const [own] = await this.tx.query<{ trust: number }>(
      `SELECT trust FROM agent_trust WHERE tenant_id = $1 AND agent_id = $2 AND capability = $3`,
      [tenantId, agentId, capability],
    );
    return own?.trust ?? agent.base_confidence;
  }

  /** False when this run already changed this agent's capability (a repeated delivery). */
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
    const [row] = await this.tx.query<TrustChangeRow>(
      `INSERT INTO agent_trust_changes (id, tenant_id, agent_id, capability, run_id, outcome, previous_trust, new_trust, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, run_id, agent_id, capability) DO NOTHING RETURNING *`,
      [uuidv7(), c.tenantId, c.agentId, c.capability ?? '', c.runId, c.outcome, c.previous, c.next, c.reason],
    );
    return row ?? null;
  }

  async setTrust(tenantId: string, agentId: string, capability: string | null, trust: number): Promise<void> {
    if (capability === null) {
      await this.tx.query(
        `UPDATE agents SET base_confidence = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
        [tenantId, agentId, trust],
      );
      return;
    }
    await this.tx.query(
      `INSERT INTO agent_trust (tenant_id, agent_id, capability, trust) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, agent_id, capability) DO UPDATE SET trust = EXCLUDED.trust, updated_at = now()`,
      [tenantId, agentId, capability, trust],
    );
  }

  /** Newest first. */
  async history(tenantId: string, agentId: string, limit: number): Promise<TrustChangeRow[]> {
    return this.tx.query<TrustChangeRow>(
      `SELECT * FROM agent_trust_changes WHERE tenant_id = $1 AND agent_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, agentId, limit],
    );
  }
}
