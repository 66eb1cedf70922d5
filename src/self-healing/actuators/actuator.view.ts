import { maskedQueryUrl } from '../../platform/http/query-pairs.js';
import type { ActuatorRow } from './actuator.repository.js';

/**
 * Never carries the secret, the header values or the values of the URL's query (a token may sit
 * there): they are shown once, in the answer to the PUT that set them.
 */
export const actuatorView = (r: ActuatorRow) => ({
  name: r.name,
  url: maskedQueryUrl(r.url),
  headerNames: Object.keys(r.headers_sealed).sort(),
  timeoutMs: r.timeout_ms,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
