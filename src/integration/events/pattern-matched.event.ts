import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { StageTiming } from './stage-timing.js';

export interface PatternMatchedProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
  confidence: number;
  isNewPattern: boolean;
  occurrenceCount: number;
  /** The incident's own facts, carried so the next bridge needs no lookup. */
  message: string;
  agentId: string | null;
  capability: string | null;
  /** When the incident occurred (its `occurredAt`): recurrences are judged by it. Absent in events stored before it was carried. */
  occurredAt?: string;
  timing: StageTiming;
}

/** Bridge 1's result: the incident belongs to this failure pattern (new or known). */
export interface PatternMatched extends PatternMatchedProps {}
export class PatternMatched implements DomainEvent {
  constructor(props: PatternMatchedProps) {
    Object.assign(this, props);
  }
}
