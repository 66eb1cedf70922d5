import { createHash } from 'node:crypto';
import { maskedQueryUrl } from '../http/query-pairs.js';

/**
 * What the audit log (which viewers read) keeps of an outbound URL, an actuator's or a
 * notification channel's: its origin and a fingerprint of it with its query values masked (a
 * token there, if short, could be guessed back from a hash of it). So a replaced token does not
 * change the fingerprint: the callers say `urlReplaced`.
 */
export const auditedUrl = (url: string) => ({
  urlOrigin: new URL(url).origin,
  urlSha256: createHash('sha256').update(maskedQueryUrl(url)).digest('hex'),
});
