import { Module } from '@nestjs/common';
import { PlatformModule } from '../platform/platform.module.js';
import { AlertmanagerController } from './alertmanager/alertmanager.controller.js';
import { ReceiveAlertsHandler } from './alertmanager/receive-alerts.handler.js';
import { UnmatchedResolutionsPruner } from './alertmanager/unmatched-resolutions.pruner.js';
import { UnmatchedResolutionsRepository } from './alertmanager/unmatched-resolutions.repository.js';
import { IntakeSettingsController } from './settings/intake-settings.controller.js';
import { IntakeSettingsRepository } from './settings/intake-settings.repository.js';
import { UpdateIntakeSettingsHandler } from './settings/update-settings/update-intake-settings.handler.js';
import { ListArmedEscalationsHandler } from './signals/list-armed-escalations/list-armed-escalations.handler.js';
import { SignalsPruner } from './signals/prune-signals/signals.pruner.js';
import { RecordSamplesHandler } from './signals/record-samples/record-samples.handler.js';
import { SettleEscalationsHandler } from './signals/settle-escalations/settle-escalations.handler.js';
import { SignalsController } from './signals/signals.controller.js';
import { SignalsRepository } from './signals/signals.repository.js';

/**
 * Outside signals into incidents (DESIGN §10): Alertmanager webhooks and degradation detection
 * over metric samples. Reports and resolves incidents only through the incidents pillar's commands.
 */
@Module({
  imports: [PlatformModule],
  controllers: [AlertmanagerController, SignalsController, IntakeSettingsController],
  providers: [
    IntakeSettingsRepository,
    SignalsRepository,
    ReceiveAlertsHandler,
    UnmatchedResolutionsRepository,
    UnmatchedResolutionsPruner,
    RecordSamplesHandler,
    UpdateIntakeSettingsHandler,
    ListArmedEscalationsHandler,
    SettleEscalationsHandler,
    SignalsPruner,
  ],
})
export class IntakeModule {}
