import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../src/platform/database/transaction-host.js';
import type { DomainEvent } from '../../src/platform/outbox/domain-event.js';
import { OutboxHandler } from '../../src/platform/outbox/outbox-handler.decorator.js';

/** A test-only event and handler that exercise the real outbox, relay and database. */
export class ProbeEvent implements DomainEvent {
  readonly incidentId = null;
  constructor(
    readonly tenantId: string,
    readonly key: string,
  ) {}
}

/** What the probe handler does; tests (or the child process, via PROBE_MODE) set it. */
export const probe = {
  mode: (process.env.PROBE_MODE ?? 'ok') as 'ok' | 'fail' | 'hang',
  calls: [] as string[],
  /** Keys whose handling always fails, whatever the mode. */
  failKeys: new Set<string>(),
  onEnter: (_key: string): void => {},
  /** Awaited by the handler after onEnter: a test holds a batch open with it. */
  hold: (_key: string): Promise<void> | void => {},
};

@EventsHandler(ProbeEvent)
@OutboxHandler({ name: 'test.probe', flag: 'bridge_1' })
export class ProbeHandler implements IEventHandler<ProbeEvent> {
  constructor(private readonly tx: TransactionHost) {}

  async handle(event: ProbeEvent): Promise<void> {
    probe.calls.push(event.key);
    // The effect is written first, so a crash after it proves the rollback.
    await this.tx.query(`INSERT INTO probe_effects (key, pid) VALUES ($1, $2)`, [event.key, process.pid]);
    probe.onEnter(event.key);
    await probe.hold(event.key);
    if (probe.mode === 'fail' || probe.failKeys.has(event.key)) throw new Error(`probe failure for ${event.key}`);
    if (probe.mode === 'hang') await new Promise((resolve) => setTimeout(resolve, 600_000));
  }
}

/** An event whose handler may run concurrently with others of a different `group` in one batch. */
export class GroupedProbeEvent implements DomainEvent {
  readonly incidentId = null;
  constructor(
    readonly tenantId: string,
    readonly group: string,
    readonly key: string,
  ) {}
}

/** What the grouped handler saw: the order of calls, and how many ran at once (in all and per group). */
export const grouped = {
  calls: [] as string[],
  inflight: new Map<string, number>(),
  maxInflight: 0,
  maxInflightPerGroup: new Map<string, number>(),
};

@EventsHandler(GroupedProbeEvent)
@OutboxHandler({ name: 'test.grouped-probe', serializeBy: (e: GroupedProbeEvent) => e.group })
export class GroupedProbeHandler implements IEventHandler<GroupedProbeEvent> {
  constructor(private readonly tx: TransactionHost) {}

  async handle(event: GroupedProbeEvent): Promise<void> {
    grouped.calls.push(event.key);
    const mine = (grouped.inflight.get(event.group) ?? 0) + 1;
    grouped.inflight.set(event.group, mine);
    grouped.maxInflightPerGroup.set(event.group, Math.max(mine, grouped.maxInflightPerGroup.get(event.group) ?? 0));
    grouped.maxInflight = Math.max(
      grouped.maxInflight,
      [...grouped.inflight.values()].reduce((a, b) => a + b, 0),
    );
    try {
      await this.tx.query(`SELECT pg_sleep(0.02)`);
      await this.tx.query(`INSERT INTO probe_effects (key, pid) VALUES ($1, $2)`, [event.key, process.pid]);
    } finally {
      grouped.inflight.set(event.group, grouped.inflight.get(event.group)! - 1);
    }
  }
}

@Injectable()
export class ProbePublisher implements OnModuleInit {
  constructor(
    private readonly tx: TransactionHost,
    private readonly eventBus: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.tx.query(
      `CREATE TABLE IF NOT EXISTS probe_effects (key text NOT NULL, pid integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
  }

  /** Publishes in one transaction; `thenFail` rolls it back after the publish. */
  publish(tenantId: string, keys: string[], thenFail = false): Promise<void> {
    return this.tx.run(async () => {
      for (const key of keys) await this.eventBus.publish(new ProbeEvent(tenantId, key));
      if (thenFail) throw new Error('rolled back on purpose');
    });
  }

  publishGrouped(tenantId: string, events: Array<[group: string, key: string]>): Promise<void> {
    return this.tx.run(async () => {
      for (const [group, key] of events) await this.eventBus.publish(new GroupedProbeEvent(tenantId, group, key));
    });
  }
}

@Module({ providers: [ProbeHandler, GroupedProbeHandler, ProbePublisher] })
export class ProbeModule {}
