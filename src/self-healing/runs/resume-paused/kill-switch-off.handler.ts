import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { KillSwitchChanged } from '../../../incidents/events/kill-switch-changed.event.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunsRepository } from '../runs.repository.js';

/**
 * A paused automatic run sleeps until its deadline rather than looking at the kill switch every
 * poll; turning the switch off (tenant-wide or for an agent) makes its paused runs due now.
 */
@EventsHandler(KillSwitchChanged)
@OutboxHandler({ name: 'self-healing.resume-paused-runs' })
export class KillSwitchOffHandler implements IEventHandler<KillSwitchChanged> {
  constructor(
    private readonly runs: RunsRepository,
    private readonly wakeups: RunWakeups,
  ) {}

  async handle(e: KillSwitchChanged): Promise<void> {
    if (e.active) return;
    // A run still stopped by another switch (the tenant's, or its agent's) pauses again at once.
    if ((await this.runs.wakePaused(e.tenantId, e.agentId)) > 0) this.wakeups.afterCommit();
  }
}
