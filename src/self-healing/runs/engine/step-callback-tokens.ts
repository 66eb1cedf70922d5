import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../../platform/crypto/secret-box.js';

const PURPOSE = 'step-result';

/**
 * The bearer token an actuator uses to report a late result (`POST /runs/:id/steps/:stepId/result`)
 * after answering 202. Derived from the step's webhook-id and the secrets key, so it is the same
 * on every attempt and every replica, is sent only inside the signed payload, and is never stored.
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
}
