import type { StageTiming } from '../../integration/events/stage-timing.js';
import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** Bridge 1's result: the incident belongs to this failure pattern (new or known). */
export class PatternMatched implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly patternId: string,
    readonly confidence: number,
    readonly isNewPattern: boolean,
    readonly occurrenceCount: number,
    /** The incident's own facts, carried so the next bridge needs no lookup. */
    readonly message: string,
    readonly agentId: string | null,
    readonly capability: string | null,
    readonly timing: StageTiming,
  ) {}
}
