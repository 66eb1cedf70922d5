import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SecretBox, secretBoxOf } from './secret-box.js';

/** The app's SecretBox (SECRETS_KEY, or the key generated into DATA_DIR): actuators' and channels' secrets. */
@Module({
  providers: [{ provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: AppConfig) => secretBoxOf(config) }],
  exports: [SecretBox],
})
export class CryptoModule {}
