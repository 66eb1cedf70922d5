import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing, for actuator calls and notification webhooks alike: the secret is
 * `whsec_` + base64 of random bytes; the HMAC-SHA256 key is those decoded bytes; the signed
 * content is `${id}.${timestamp}.${body}` and the header `webhook-signature` carries
 * `v1,<base64 signature>` (space-separated when several).
 */
const PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error('a webhook secret starts with whsec_');
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** What a receiver does; used by the tests' receivers and the simulation. */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  toleranceS = 300,
  nowS = Math.floor(Date.now() / 1000),
): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const ts = Number(headers['webhook-timestamp']);
  if (!id || !Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS) return false;
  const expected = Buffer.from(signWebhook(secret, id, ts, body));
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((candidate) => {
      const c = Buffer.from(candidate);
      return c.length === expected.length && timingSafeEqual(c, expected);
    });
}
