import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export interface DisablePolicyProps {
  tenantId: string;
  policyId: string;
  /** Who asked (see actorOf); recorded in the audit log. Default: `system`. */
  actor?: string;
  /** The caller may change a global policy (a platform admin): it applies to every tenant. */
  mayChangeGlobal: boolean;
}

/** Status → disabled and its routing adjustments deactivated at once (idempotent). Null when the tenant has no such policy. */
export interface DisablePolicy extends DisablePolicyProps {}
export class DisablePolicy extends Command<PolicyView | null> {
  constructor(props: DisablePolicyProps) {
    super();
    Object.assign(this, props);
  }
}
