import { Query } from '@nestjs/cqrs';

/** What the kill switch blocks in a tenant right now. */
export interface KillSwitchState {
  /** The whole tenant is switched off: nothing may act, no agent may be picked. */
  tenantActive: boolean;
  /** Agents switched off one by one (sorted; listed whether or not the tenant switch is on). */
  blockedAgents: string[];
}

/** Whether the kill switch stops an action by this agent (null: an action of no agent). The one rule every module applies. */
export function killSwitchStops(state: KillSwitchState, agentId: string | null): boolean {
  return state.tenantActive || (agentId !== null && state.blockedAgents.includes(agentId));
}

export interface GetKillSwitchStateProps {
  tenantId: string;
}

/**
 * The tenant's kill switch state, for other modules (policy evaluation, CARE routing, the
 * recovery bridge). Cheap: served from a per-replica cache dropped on every change (NOTIFY)
 * and at most 1 s old otherwise.
 */
export interface GetKillSwitchState extends GetKillSwitchStateProps {}
export class GetKillSwitchState extends Query<KillSwitchState> {
  constructor(props: GetKillSwitchStateProps) {
    super();
    Object.assign(this, props);
  }
}
