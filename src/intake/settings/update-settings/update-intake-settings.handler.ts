import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../platform/http/validation.js';
import { type IntakeSettings, settingsAfter } from '../intake-settings.js';
import { IntakeSettingsRepository } from '../intake-settings.repository.js';
import { UpdateIntakeSettings } from './update-intake-settings.command.js';

@CommandHandler(UpdateIntakeSettings)
export class UpdateIntakeSettingsHandler implements ICommandHandler<UpdateIntakeSettings> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly settings: IntakeSettingsRepository,
  ) {}

  execute({ tenantId, changes }: UpdateIntakeSettings): Promise<IntakeSettings> {
    return this.tx.run(async () => {
      // Two admins changing different fields at once must not undo each other's change.
      await this.settings.lock(tenantId);
      const { settings: next, errors } = settingsAfter(await this.settings.get(tenantId), changes);
      if (errors.length) throw invalidFields(errors);
      await this.settings.save(tenantId, next);
      return next;
    });
  }
}
