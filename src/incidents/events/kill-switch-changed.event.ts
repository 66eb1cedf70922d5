import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface KillSwitchChangedProps {
  tenantId: string;
  /** null: the whole tenant. */
  agentId: string | null;
  active: boolean;
  reason: string | null;
  actor: string;
  changedAt: string;
  /** Not about one incident (the outbox keys loop events by incident). */
  incidentId: null;
}

/** A kill switch was turned on or off (or its reason changed), published in the changing transaction. */
export interface KillSwitchChanged extends KillSwitchChangedProps {}
export class KillSwitchChanged implements DomainEvent {
  constructor(props: KillSwitchChangedProps) {
    Object.assign(this, props);
  }
}
