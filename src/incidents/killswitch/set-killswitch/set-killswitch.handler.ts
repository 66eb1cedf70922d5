import { CommandBus, CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { KillSwitchChanged } from '../../events/kill-switch-changed.event.js';
import { RecordDecision } from '../../record-decision/record-decision.command.js';
import { KillSwitchCache } from '../killswitch.cache.js';
import { KillSwitchRepository } from '../killswitch.repository.js';
import { TENANT_WIDE, type KillSwitchRow } from '../killswitch.view.js';
import { SetKillSwitch, type KillSwitchChange } from './set-killswitch.command.js';

/**
 * Upserts the switch, records the change on the decisions timeline, publishes KillSwitchChanged
 * and tells every replica (NOTIFY, delivered on commit) in one transaction. Asking for the state a switch is already
 * in changes nothing and records nothing.
 */
@CommandHandler(SetKillSwitch)
export class SetKillSwitchHandler implements ICommandHandler<SetKillSwitch> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly switches: KillSwitchRepository,
    private readonly cache: KillSwitchCache,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
  ) {}

  async execute(c: SetKillSwitch): Promise<KillSwitchChange> {
    if (c.active && !c.reason) throw new Error('a reason is required to activate the kill switch');
    const agentKey = c.agentId ?? TENANT_WIDE;
    const joined = this.tx.inTransaction;
    const result = await this.tx.run(async () => {
      await this.switches.lock(c.tenantId, agentKey);
      const before = await this.switches.find(c.tenantId, agentKey);
      const reason = c.reason ?? '';
      const unchanged = c.active ? before?.active === true && before.reason === reason : !before?.active;
      if (unchanged) return change(c.agentId, before, false);

      const after = await this.switches.upsert(c.tenantId, agentKey, c.active, reason, c.actor);
      const target = c.agentId === null ? 'the tenant' : `agent ${c.agentId}`;
      const verb = !c.active ? 'deactivated' : before?.active ? 'reason changed' : 'activated';
      await this.commands.execute(
        new RecordDecision({
          tenantId: c.tenantId,
          incidentId: null,
          kind: 'killswitch',
          summary: `kill switch ${verb} for ${target}${reason ? `: ${reason}` : ''}`,
          details: {
            actor: c.actor,
            scope: c.agentId === null ? 'tenant' : 'agent',
            agentId: c.agentId,
            active: c.active,
            reason: reason || null,
            previous: before
              ? {
                  active: before.active,
                  reason: before.reason || null,
                  changedBy: before.changed_by,
                  changedAt: before.changed_at.toISOString(),
                }
              : null,
          },
        }),
      );
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: `killswitch.${verb.replace(' ', '_')}`,
        subject: { type: 'killswitch', id: c.agentId ?? 'tenant' },
        before: before && { active: before.active, reason: before.reason || null },
        after: { active: c.active, reason: reason || null },
        reason: reason || null,
      });
      this.switches.notifyChanged(c.tenantId);
      await this.events.publish(
        new KillSwitchChanged({
          tenantId: c.tenantId,
          agentId: c.agentId,
          active: c.active,
          reason: reason || null,
          actor: c.actor,
          changedAt: after.changed_at.toISOString(),
          incidentId: null,
        }),
      );
      return change(c.agentId, after, true);
    });
    // This replica drops its entry now rather than when its own NOTIFY comes back; in a
    // caller's transaction the NOTIFY (sent on that commit) does it instead.
    if (!joined && result.changed) this.cache.invalidate(c.tenantId);
    return result;
  }
}

function change(agentId: string | null, row: KillSwitchRow | null, changed: boolean): KillSwitchChange {
  return {
    agentId,
    active: row?.active ?? false,
    reason: row && row.reason !== '' ? row.reason : null,
    changedBy: row?.changed_by ?? null,
    changedAt: row?.changed_at.toISOString() ?? null,
    changed,
  };
}
