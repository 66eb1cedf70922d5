import type { IncidentAgent } from '../../incidents/events/incident-agent.js';
import type { StageTiming } from '../../integration/events/stage-timing.js';
import type { Playbook } from '../recovery/playbook-catalog.js';
import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** Bridge 2's result: a recovery was suggested, and either auto-applied or queued for review. */
export class RecoverySuggested implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly patternId: string,
    readonly recoveryId: string,
    readonly playbookId: string,
    readonly suggestionType: 'template' | 'generated',
    readonly confidence: number,
    readonly autoApplied: boolean,
    readonly timing: StageTiming,
    readonly incidentAgent?: IncidentAgent,
    /** Absent on events stored before it was carried: bridge 3 then reads the recovery. */
    readonly playbook?: Pick<Playbook, 'id' | 'name' | 'policy'>,
  ) {}
}
