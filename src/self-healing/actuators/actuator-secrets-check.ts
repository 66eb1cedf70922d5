import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { SecretBox } from '../../platform/crypto/secret-box.js';
import { checkSecretsKey } from '../../platform/crypto/secrets-key-check.js';
import { ActuatorRepository } from './actuator.repository.js';

/** At startup: the secret of the actuator stored last opens with this replica's secrets key (checkSecretsKey). */
@Injectable()
export class ActuatorSecretsCheck implements OnModuleInit {
  constructor(
    private readonly actuators: ActuatorRepository,
    private readonly box: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const a = await this.actuators.newest();
    const sample = a && {
      sealed: a.secret_sealed,
      what: `the signing secret of actuator ${a.name} (tenant ${a.tenant_id})`,
    };
    checkSecretsKey(this.box, sample, this.config);
  }
}
