import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { retryWebhookId, StepCallbackTokens } from './step-callback-tokens.js';

describe('step callback tokens', () => {
  const tokens = new StepCallbackTokens(new SecretBox(randomBytes(32)));
  const first = 'run-1.reduce_batch';
  const second = retryWebhookId(retryWebhookId(first)); // run-1.reduce_batch.retry-2

  it('name the call they were sent with, from the token alone: a first call, or an operator retry', () => {
    expect(tokens.callOf('run-1', 'reduce_batch', tokens.tokenFor(first))).toBe(first);
    expect(tokens.callOf('run-1', 'reduce_batch', tokens.tokenFor(second))).toBe(second);
    expect(tokens.tokenFor(first)).toMatch(/^srt_[\w-]+$/); // a first call's token is unchanged by retries existing
    expect(tokens.tokenFor(second)).toMatch(/^srt_2\.[\w-]+$/);
  });

  it("are refused for another step or run, another key, or a retry number that is not the token's", () => {
    expect(tokens.callOf('run-1', 'restart_worker', tokens.tokenFor(first))).toBeNull();
    expect(tokens.callOf('run-2', 'reduce_batch', tokens.tokenFor(first))).toBeNull();
    const other = new StepCallbackTokens(new SecretBox(randomBytes(32)));
    expect(tokens.callOf('run-1', 'reduce_batch', other.tokenFor(first))).toBeNull();
    expect(tokens.callOf('run-1', 'reduce_batch', tokens.tokenFor(second).replace('srt_2.', 'srt_1.'))).toBeNull();
    expect(tokens.callOf('run-1', 'reduce_batch', tokens.tokenFor(second).replace('srt_2.', 'srt_'))).toBeNull();
    for (const junk of ['', 'srt_', 'Bearer x', 'srt_1.', 'srt_x.abc'])
      expect(tokens.callOf('run-1', 'reduce_batch', junk)).toBeNull();
  });
});
