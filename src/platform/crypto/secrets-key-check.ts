import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import type { AppConfig } from '../config/config.js';
import { StartupError } from '../database/postgres-placement.js';
import type { SecretBox } from './secret-box.js';

const logger = new Logger('SecretsKey');

/**
 * At startup, before the workers start (onModuleInit): does this replica's secrets key open
 * `sample`, the secret stored last (an actuator's, a channel's)? One that does not means replicas
 * without a shared SECRETS_KEY (each generated its own into its DATA_DIR), or a lost DATA_DIR:
 * every call needing such a secret would fail. A replica whose key was generated is the one that
 * is wrong and refuses to start; one given its key deliberately starts and logs an error (its
 * secrets can be stored again).
 */
export function checkSecretsKey(
  box: SecretBox,
  sample: { sealed: string; what: string } | null,
  config: Pick<AppConfig, 'secretsKey' | 'dataDir'>,
): void {
  if (!sample || box.openOrNull(sample.sealed) !== null) return;
  const what = `${sample.what} was sealed with a secrets key this replica does not have`;
  if (config.secretsKey === null)
    throw new StartupError(
      `${what}; this replica generated its key into ${join(config.dataDir, 'secrets-key')}: not starting. ` +
        `Give every replica the same SECRETS_KEY (another replica's secrets-key file). If that key is lost, set ` +
        `SECRETS_KEY to a new key to start anyway, and PUT the actuators and notification channels again.`,
    );
  logger.error(
    `${what} (SECRETS_KEY): calls needing the secrets sealed with the other key fail until they are stored again.`,
  );
}
