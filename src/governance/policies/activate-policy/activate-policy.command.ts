import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export interface ActivatePolicyProps {
  tenantId: string;
  policyId: string;
  /** Who asked (see actorOf); recorded in the audit log. Default: `system`. */
  actor?: string;
  /** The caller may change a global policy (a platform admin): it applies to every tenant. */
  mayChangeGlobal: boolean;
}

/** Status → active (idempotent; a disabled policy can be re-activated). Null when the tenant has no such policy. */
export interface ActivatePolicy extends ActivatePolicyProps {}
export class ActivatePolicy extends Command<PolicyView | null> {
  constructor(props: ActivatePolicyProps) {
    super();
    Object.assign(this, props);
  }
}
