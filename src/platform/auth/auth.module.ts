import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysRepository } from './api-keys/api-keys.repository.js';
import { AuthThrottle } from './auth-throttle.js';
import { CredentialWatch } from './credential-watch.js';
import { SessionController } from './sessions/session.controller.js';
import { SessionService } from './sessions/session.service.js';
import { SessionsRepository } from './sessions/sessions.repository.js';

@Module({
  controllers: [ApiKeysController, SessionController],
  providers: [
    ApiKeyService,
    ApiKeysRepository,
    SessionService,
    SessionsRepository,
    AuthThrottle,
    ApiKeyGuard,
    CredentialWatch,
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
  ],
  exports: [ApiKeyService, ApiKeyGuard, CredentialWatch],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(private readonly keys: ApiKeyService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.bootstrap();
  }
}
