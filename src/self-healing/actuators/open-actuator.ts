import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { urlQueryCredentials } from '../../platform/egress/redact-secrets.js';
import type { ActuatorRow } from './actuator.repository.js';

/** An actuator's sealed parts, opened for a call. */
export interface OpenedActuator {
  /** The signing secret (Standard Webhooks). */
  secret: string;
  /** Header name → value, as sent. */
  headers: Record<string, string>;
  /**
   * Every secret a call to it carries: the headers' values, its URL's query credentials, the signing
   * secret. What the actuator sends back (its answer, its late result) is stored with them redacted.
   */
  secrets: string[];
}

/** Opens what `actuator` keeps sealed; throws when this replica's SECRETS_KEY cannot (rotated, or another replica's). */
export function openActuator(actuator: ActuatorRow, box: SecretBox): OpenedActuator {
  const secret = box.open(actuator.secret_sealed);
  const headers = Object.fromEntries(Object.entries(actuator.headers_sealed).map(([k, v]) => [k, box.open(v)]));
  return { secret, headers, secrets: [...Object.values(headers), ...urlQueryCredentials(actuator.url), secret] };
}
