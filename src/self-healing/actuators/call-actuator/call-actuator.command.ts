import { Command } from '@nestjs/cqrs';
import type { ActuatorRow } from '../actuator.repository.js';

export type ActuatorCallOutcome = 'succeeded' | 'failed' | 'accepted' | 'retryable' | 'not_configured';

export interface ActuatorCallResult {
  outcome: ActuatorCallOutcome;
  /** HTTP status; null for network errors, timeouts and a missing actuator. */
  status: number | null;
  /** The answer's body: parsed JSON when it is JSON, else the (capped) text; null when none. */
  body: unknown;
  error: string | null;
  /** From Retry-After on a retryable answer; null when not sent. */
  retryAfterMs: number | null;
  durationMs: number;
  /** Cut off by a stop (`cutOff`) before an answer came: it may or may not have reached the actuator. */
  interrupted?: true;
}

export interface CallActuatorProps {
  tenantId: string;
  actuatorName: string;
  /** Stable across the retries of one step: the receiver's idempotency key. */
  webhookId: string;
  payload: unknown;
  /** Overrides the actuator's own timeout (absent or null: the actuator's). */
  timeoutMs?: number | null;
  /** Ends the call early (a stop: CallCutOff): the result is then `interrupted`. */
  cutOff?: AbortSignal;
  /** The actuator as the caller read it just before (the run engine, in the turn that planned the call): not read again. */
  actuator?: ActuatorRow;
}

/**
 * One signed call (Standard Webhooks) to a tenant's actuator. It does not retry: the caller
 * (the run engine) stores the attempt and schedules the next one, with the same `webhookId`.
 */
export interface CallActuator extends CallActuatorProps {}
export class CallActuator extends Command<ActuatorCallResult> {
  constructor(props: CallActuatorProps) {
    super();
    Object.assign(this, props);
  }
}
