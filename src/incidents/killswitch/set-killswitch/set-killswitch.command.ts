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

/** Turns the kill switch of a tenant (agentId null) or of one of its agents on or off. */
export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(
    readonly tenantId: string,
    readonly agentId: string | null,
    readonly active: boolean,
    /** Required to activate; optional to deactivate. */
    readonly reason: string | null,
    /** Who asked (see actorOf). */
    readonly actor: string,
  ) {
    super();
  }
}
