import { Command } from '@nestjs/cqrs';

/** The switch after a SetKillSwitch; `changed` false when it already was in the asked state. */
export interface KillSwitchChange {
  /** null: the whole tenant. */
  agentId: string | null;
  active: boolean;
  reason: string | null;
  changedBy: string | null;
  changedAt: string | null;
  changed: boolean;
}

export interface SetKillSwitchProps {
  tenantId: string;
  agentId: string | null;
  active: boolean;
  /** Required to activate; optional to deactivate. */
  reason: string | null;
  /** Who asked (see actorOf). */
  actor: string;
}

/** Turns the kill switch of a tenant (agentId null) or of one of its agents on or off. */
export interface SetKillSwitch extends SetKillSwitchProps {}
export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(props: SetKillSwitchProps) {
    super();
    Object.assign(this, props);
  }
}
