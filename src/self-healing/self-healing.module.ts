import { Module } from '@nestjs/common';
import { PlatformModule } from '../platform/platform.module.js';
import { ActuatorRepository } from './actuators/actuator.repository.js';
import { ActuatorsController } from './actuators/actuators.controller.js';
import { CallActuatorHandler } from './actuators/call-actuator/call-actuator.handler.js';
import { secretBoxProvider } from './actuators/secret-box.provider.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { FailurePatternRepository } from './catalog/failure-pattern.repository.js';
import { GetPatternHandler } from './catalog/get-pattern/get-pattern.handler.js';
import { GetRecoveryHandler } from './recovery/get-recovery/get-recovery.handler.js';
import { MatchIncidentToCatalogHandler } from './catalog/match-incident/match-incident.handler.js';
import { playbookProviders } from './playbooks.provider.js';
import { ReviewExpiryService } from './recovery/expire-reviews/review-expiry.service.js';
import { RecoveriesController } from './recovery/recoveries.controller.js';
import { RecoveryRepository } from './recovery/recovery.repository.js';
import { ReviewRecoveryHandler } from './recovery/review/review-recovery.handler.js';
import { SuggestRecoveryHandler } from './recovery/suggest-recovery/suggest-recovery.handler.js';

/** Pillar 2, the self-healing platform: failure catalog and matcher, recovery engine, playbooks. */
@Module({
  imports: [PlatformModule],
  controllers: [CatalogController, RecoveriesController, ActuatorsController],
  providers: [
    ...playbookProviders,
    FailurePatternRepository,
    RecoveryRepository,
    MatchIncidentToCatalogHandler,
    GetPatternHandler,
    GetRecoveryHandler,
    SuggestRecoveryHandler,
    ReviewRecoveryHandler,
    secretBoxProvider,
    ActuatorRepository,
    CallActuatorHandler,
    ReviewExpiryService,
  ],
})
export class SelfHealingModule {}
