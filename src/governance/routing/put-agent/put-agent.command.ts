import { Command } from '@nestjs/cqrs';
import type { AgentView } from '../routing.view.js';

/** Registers an agent or updates it: its capabilities are replaced, its base confidence set. */
export class PutAgent extends Command<AgentView> {
  constructor(
    readonly tenantId: string,
    readonly agentId: string,
    readonly capabilities: string[],
    readonly baseConfidence: number,
    /** Who asked (see actorOf); recorded in the audit log. */
    readonly actor = 'system',
  ) {
    super();
  }
}
