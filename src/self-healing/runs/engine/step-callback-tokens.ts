import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../../platform/crypto/secret-box.js';

const PURPOSE = 'step-result';

/** `<run>.<step>`, then `….retry-1`, `….retry-2`: a retry is a new call, not a repeat the receiver may drop. */
export function retryWebhookId(current: string): string {
  const n = /\.retry-(\d+)$/.exec(current);
  return n ? current.replace(/\d+$/, String(Number(n[1]) + 1)) : `${current}.retry-1`;
}

/** Whether a step's call is an operator's retry (so an earlier call of the step was made). */
export const isRetryCall = (webhookId: string): boolean => /\.retry-\d+$/.test(webhookId);

/**
 * The bearer token an actuator uses to report a late result (`POST /runs/:id/steps/:stepId/result`)
 * after answering 202. Derived from the call's webhook-id and the secrets key, so it is the same
 * on every attempt of one call and on every replica, is sent only inside the signed payload, and is
 * never stored. An operator's retry is a new call under a new webhook-id (`….retry-N`), with a
 * token of its own that says N (`srt_N.<mac>`; a first call's is `srt_<mac>`): a token is checked
 * before any database work, and the late result of a call a retry replaced is told apart.
 */
@Injectable()
export class StepCallbackTokens {
  constructor(private readonly box: SecretBox) {}

  tokenFor(webhookId: string): string {
    const retry = /\.retry-(\d+)$/.exec(webhookId);
    return `srt_${retry ? `${retry[1]}.` : ''}${this.box.tokenFor(PURPOSE, webhookId)}`;
  }

  /** The webhook-id of the call of step `<runId>.<stepId>` that `token` was sent with; null when it is none of its calls'. */
  callOf(runId: string, stepId: string, token: string): string | null {
    const m = /^srt_(?:(\d+)\.)?([\w-]+)$/.exec(token);
    if (!m) return null;
    const webhookId = `${runId}.${stepId}${m[1] ? `.retry-${m[1]}` : ''}`;
    return this.box.verifyToken(PURPOSE, webhookId, m[2]) ? webhookId : null;
  }
}
