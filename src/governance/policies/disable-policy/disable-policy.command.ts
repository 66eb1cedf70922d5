import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

/** Status → disabled and its routing adjustments deactivated at once (idempotent). Null when the tenant has no such policy. */
export class DisablePolicy extends Command<PolicyView | null> {
  constructor(
    readonly tenantId: string,
    readonly policyId: string,
    /** Who asked (see actorOf); recorded in the audit log. */
    readonly actor = 'system',
  ) {
    super();
  }
}
