import { DynamicModule, Module, type Type } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import { GovernanceModule } from './governance/governance.module.js';
import { IncidentsModule } from './incidents/incidents.module.js';
import { IntakeModule } from './intake/intake.module.js';
import { IntegrationModule } from './integration/integration.module.js';
import { APP_CONFIG, type AppConfig } from './platform/config/config.js';
import { DatabaseModule } from './platform/database/database.module.js';
import { httpLoggerOptions } from './platform/http/http-logger.js';
import { PlatformModule } from './platform/platform.module.js';
import { SelfHealingModule } from './self-healing/self-healing.module.js';

@Module({})
export class AppModule {
  /** `extraModules`: only for tests, which add probe handlers to the real app. */
  static forRoot(config: AppConfig, databaseUrl: string, extraModules: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: httpLoggerOptions(config.logLevel),
        }),
        CqrsModule.forRoot(),
        DatabaseModule.forRoot(databaseUrl, config.dbPoolSize),
        PlatformModule,
        IncidentsModule,
        SelfHealingModule,
        GovernanceModule,
        IntegrationModule,
        IntakeModule,
        ...extraModules,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
