import { createHash } from 'node:crypto';

/**
 * What the audit log (which viewers read) keeps of an outbound URL, an actuator's or a
 * notification channel's: its origin and a fingerprint, as a path or query may hold a token.
 */
export const auditedUrl = (url: string) => ({
  urlOrigin: new URL(url).origin,
  urlSha256: createHash('sha256').update(url).digest('hex'),
});
