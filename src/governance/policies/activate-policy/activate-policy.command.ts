import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

/** Status → active (idempotent; a disabled policy can be re-activated). Null when the tenant has no such policy. */
export class ActivatePolicy extends Command<PolicyView | null> {
  constructor(
    readonly tenantId: string,
    readonly policyId: string,
    /** Who asked (see actorOf); recorded in the audit log. */
    readonly actor = 'system',
  ) {
    super();
  }
}
