import { Command } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';
import type { CreatePolicyDto } from './create-policy.dto.js';

export interface CreatePolicyProps {
  tenantId: string;
  input: CreatePolicyDto;
  /** Who asked (see actorOf); recorded in the audit log. Default: `system`. */
  actor?: string;
}

/** A policy written by an admin (`source_type = 'manual'`). Authorisation (global scope) is the caller's job. */
export interface CreatePolicy extends CreatePolicyProps {}
export class CreatePolicy extends Command<PolicyView> {
  constructor(props: CreatePolicyProps) {
    super();
    Object.assign(this, props);
  }
}
