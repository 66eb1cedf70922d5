import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { invalidInput, type Problem } from '../../invalid-input.js';
import { applySettings, type IntakeSettings } from '../intake-settings.js';
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
      const problems: Problem[] = [];
      const next = applySettings(await this.settings.get(tenantId), changes, problems);
      if (problems.length) throw invalidInput(problems);
      await this.settings.save(tenantId, next);
      return next;
    });
  }
}
