import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature.js';

describe('Standard Webhooks signature', () => {
  it('signs id.timestamp.body with the base64-decoded bytes of a whsec_ secret', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(key.length).toBe(32);
    const expected = createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(signWebhook(secret, 'msg_1', 1700000000, '{"a":1}')).toBe(`v1,${expected}`);
  });

  it('matches the spec example', () => {
    // The example in the Standard Webhooks specification.
    const sig = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('a receiver accepts a good signature among several, refuses a changed body, another secret or an old timestamp', () => {
    const secret = generateWebhookSecret();
    const now = 1_800_000_000;
    const headers = {
      'webhook-id': 'id-1',
      'webhook-timestamp': String(now),
      'webhook-signature': `v1,bogus ${signWebhook(secret, 'id-1', now, 'body')}`,
    };
    expect(verifyWebhook(secret, headers, 'body', 300, now)).toBe(true);
    expect(verifyWebhook(secret, headers, 'body!', 300, now)).toBe(false);
    expect(verifyWebhook(generateWebhookSecret(), headers, 'body', 300, now)).toBe(false);
    expect(verifyWebhook(secret, headers, 'body', 300, now + 301)).toBe(false);
  });
});
