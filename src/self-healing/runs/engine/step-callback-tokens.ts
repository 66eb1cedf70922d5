import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../../platform/crypto/secret-box.js';

const PURPOSE = 'step-result';

/** `<run>.<step>`, then `….retry-1`, `….retry-2`: a retry is a new call, not a repeat the receiver may drop. */
export function retryWebhookId(current: string): string {
  const n = /\.retry-(\d+)$/.exec(current);
  return n ? current.replace(/\d+$/, String(Number(n[1]) + 1)) : `${current}.retry-1`;
}

/** The webhook-ids of the calls an operator's retries replaced, before `current` (`….retry-2`: `….retry-1`, then `<run>.<step>`). */
export function earlierWebhookIds(current: string): string[] {
  const n = /\.retry-(\d+)$/.exec(current);
  if (!n) return [];
  const base = current.slice(0, n.index);
  return [...Array(Number(n[1])).keys()].reverse().map((i) => (i === 0 ? base : `${base}.retry-${i}`));
}

/**
 * The bearer token an actuator uses to report a late result (`POST /runs/:id/steps/:stepId/result`)
 * after answering 202. Derived from the step's webhook-id and the secrets key, so it is the same
 * on every attempt of one call and on every replica, is sent only inside the signed payload, and is
 * never stored. An operator's retry is a new call under a new webhook-id, with a token of its own:
 * the late result of the call it replaced is told apart (callOf) and changes nothing.
 */
@Injectable()
export class StepCallbackTokens {
  constructor(private readonly box: SecretBox) {}

  tokenFor(webhookId: string): string {
    return `srt_${this.box.tokenFor(PURPOSE, webhookId)}`;
  }

  verify(webhookId: string, token: string): boolean {
    return token.startsWith('srt_') && this.box.verifyToken(PURPOSE, webhookId, token.slice(4));
  }

  /** Which call of a step whose current webhook-id is `webhookId` the token was sent with: its current one, one an operator's retry replaced, or none. */
  callOf(webhookId: string, token: string): 'current' | 'earlier' | null {
    if (this.verify(webhookId, token)) return 'current';
    return earlierWebhookIds(webhookId).some((id) => this.verify(id, token)) ? 'earlier' : null;
  }
}
