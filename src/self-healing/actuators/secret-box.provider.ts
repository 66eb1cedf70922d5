import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { SecretBox, secretBoxOf } from '../../platform/crypto/secret-box.js';

/** Seals actuator secrets with SECRETS_KEY, or the key generated into DATA_DIR. */
export const secretBoxProvider: Provider = {
  provide: SecretBox,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => secretBoxOf(config),
};
