import { Command } from '@nestjs/cqrs';

/** Registers agents the first time they are named, merging `capability` into their capabilities. Joins the caller's transaction. */
export class RegisterAgents extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly agentIds: string[],
    readonly capability: string | null,
  ) {
    super();
  }
}
