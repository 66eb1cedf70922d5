import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface KillSwitchChangedProps {
  tenantId: string;
  /** Null: the tenant-wide switch. */
  agentId: string | null;
  active: boolean;
}

/** A kill switch was turned on or off (written with the change): paused automatic runs resume when it goes off. */
export interface KillSwitchChanged extends KillSwitchChangedProps {}
export class KillSwitchChanged implements DomainEvent {
  constructor(props: KillSwitchChangedProps) {
    Object.assign(this, props);
  }
}
