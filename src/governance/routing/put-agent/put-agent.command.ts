import { Command } from '@nestjs/cqrs';
import type { AgentView } from '../routing.view.js';

export interface PutAgentProps {
  tenantId: string;
  agentId: string;
  capabilities: string[];
  baseConfidence: number;
  /** Who asked (see actorOf); recorded in the audit log. Default: `system`. */
  actor?: string;
}

/** Registers an agent or updates it: its capabilities are replaced, its base confidence set. */
export interface PutAgent extends PutAgentProps {}
export class PutAgent extends Command<AgentView> {
  constructor(props: PutAgentProps) {
    super();
    Object.assign(this, props);
  }
}
