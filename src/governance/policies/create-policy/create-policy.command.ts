import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';
import type { CreatePolicyDto } from './create-policy.dto.js';

/** A policy written by an admin (`source_type = 'manual'`). Authorisation (global scope) is the caller's job. */
export class CreatePolicy extends Command<PolicyView> {
  constructor(
    readonly tenantId: string,
    readonly input: CreatePolicyDto,
    /** Who wrote it (see actorOf); recorded in the audit log. */
    readonly actor = 'system',
  ) {
    super();
  }
}
