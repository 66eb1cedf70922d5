import { Command } from '@nestjs/cqrs';

export interface RegisterAgentsProps {
  tenantId: string;
  agentIds: string[];
  capability: string | null;
}

/**
 * Registers agents the first time they are named, merging `capability` into their capabilities.
 * Written when the caller's transaction commits (with the rest of a batch's registrations), so
 * the caller must not read the agents back before then.
 */
export interface RegisterAgents extends RegisterAgentsProps {}
export class RegisterAgents extends Command<void> {
  constructor(props: RegisterAgentsProps) {
    super();
    Object.assign(this, props);
  }
}
