import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
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
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, changes, actor }: UpdateIntakeSettings): Promise<IntakeSettings> {
    return this.tx.run(async () => {
      // Two admins changing different fields at once must not undo each other's change.
      await this.settings.lock(tenantId);
      const before = await this.settings.get(tenantId);
      const { settings: next, errors } = settingsAfter(before, changes);
      if (errors.length) throw invalidFields(errors);
      await this.settings.save(tenantId, next);
      await this.audit.record({
        tenantId,
        actor,
        action: 'signal_settings.changed',
        subject: { type: 'signal_settings', id: tenantId },
        before,
        after: next,
      });
      return next;
    });
  }
}
