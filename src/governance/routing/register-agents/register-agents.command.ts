import { Command } from '@nestjs/cqrs';

/**
 * Registers agents the first time they are named, merging `capability` into their capabilities.
 * Written when the caller's transaction commits (with the rest of a batch's registrations), so
 * the caller must not read the agents back before then.
 */
export class RegisterAgents extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly agentIds: string[],
    readonly capability: string | null,
  ) {
    super();
  }
}
