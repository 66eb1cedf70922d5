import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { checkSecretsKey } from '../../../platform/crypto/secrets-key-check.js';
import { ChannelRepository } from './channel.repository.js';

/** At startup: the URL of the channel stored last opens with this replica's secrets key (checkSecretsKey). */
@Injectable()
export class ChannelSecretsCheck implements OnModuleInit {
  constructor(
    private readonly channels: ChannelRepository,
    private readonly box: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const c = await this.channels.newest();
    const sample = c && {
      sealed: c.url_sealed,
      what: `the URL of notification channel ${c.name} (tenant ${c.tenant_id})`,
    };
    checkSecretsKey(this.box, sample, this.config);
  }
}
