import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../platform/http/validation.js';
import { RecoveryRepository, type RecoveryRow } from '../recovery.repository.js';
import { SetRecoveryExpiry } from './set-recovery-expiry.command.js';

@CommandHandler(SetRecoveryExpiry)
export class SetRecoveryExpiryHandler implements ICommandHandler<SetRecoveryExpiry> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly recoveries: RecoveryRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute(c: SetRecoveryExpiry): Promise<RecoveryRow> {
    return this.tx.run(async () => {
      // Locked, so a review or the sweep deciding at once either wins before or sees the new expiry.
      const before = await this.recoveries.lock(c.tenantId, c.recoveryId);
      if (!before) throw new NotFoundException(`recovery ${c.recoveryId} not found`);
      // "Now" is the database's clock, which the sweep expires by: a replica whose clock is behind
      // would take a time already past, and one ahead refuse a time still to come.
      const now = before.locked_at;
      if (c.expiresAt <= now)
        throw invalidFields([{ field: 'expiresAt', errors: ['expiresAt must be in the future'] }]);
      // Past its expiresAt, before the sweep marked it: expired all the same (as ReviewRecovery judges it),
      // not to be revived by a new expiry.
      if (before.status === 'pending_review' && before.expires_at !== null && before.expires_at <= now) {
        throw new ConflictException(
          `recovery ${c.recoveryId} is already expired (expiresAt ${before.expires_at.toISOString()})`,
        );
      }
      const after = await this.recoveries.setExpiry(c.tenantId, c.recoveryId, c.expiresAt);
      if (!after)
        throw new ConflictException(
          `recovery ${c.recoveryId} is already ${before.status}: it no longer waits for review`,
        );
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: 'recovery.expiry_set',
        subject: { type: 'recovery', id: c.recoveryId },
        before: { expiresAt: before.expires_at?.toISOString() ?? null },
        after: { expiresAt: c.expiresAt.toISOString() },
      });
      return after;
    });
  }
}
