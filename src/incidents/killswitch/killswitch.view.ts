import { ApiProperty } from '@nestjs/swagger';

/** One row of `killswitch_state`: agent_id '' is the whole tenant. */
export interface KillSwitchRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  active: boolean;
  reason: string;
  changed_by: string;
  changed_at: Date;
}

export class KillSwitchEntryView {
  @ApiProperty() active!: boolean;
  /** The reason given with the latest change (null when a deactivation gave none). */
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty() changedBy!: string;
  @ApiProperty({ format: 'date-time' }) changedAt!: string;
}

export class AgentKillSwitchView extends KillSwitchEntryView {
  @ApiProperty() agentId!: string;
}

/** `GET /guard/killswitch`: the tenant switch (null: never set) and every agent switch ever set. */
export class KillSwitchListing {
  @ApiProperty({ type: KillSwitchEntryView, nullable: true }) tenant!: KillSwitchEntryView | null;
  @ApiProperty({ type: [AgentKillSwitchView] }) agents!: AgentKillSwitchView[];
}

export const TENANT_WIDE = '';

export const killSwitchEntryView = (r: KillSwitchRow): KillSwitchEntryView => ({
  active: r.active,
  reason: r.reason === '' ? null : r.reason,
  changedBy: r.changed_by,
  changedAt: r.changed_at.toISOString(),
});

export function killSwitchListing(rows: KillSwitchRow[]): KillSwitchListing {
  const tenant = rows.find((r) => r.agent_id === TENANT_WIDE);
  return {
    tenant: tenant ? killSwitchEntryView(tenant) : null,
    agents: rows
      .filter((r) => r.agent_id !== TENANT_WIDE)
      .sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0))
      .map((r) => ({ agentId: r.agent_id, ...killSwitchEntryView(r) })),
  };
}
