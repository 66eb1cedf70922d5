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
    if (probe.mode === 'fail' || probe.failKeys.has(event.key)) throw new Error(`probe failure for ${event.key}`);
    if (probe.mode === 'hang') await new Promise((resolve) => setTimeout(resolve, 600_000));
  }
}

@Injectable()
export class ProbePublisher implements OnModuleInit {
  constructor(
    private readonly tx: TransactionHost,
    private readonly eventBus: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.tx.query(`CREATE TABLE IF NOT EXISTS probe_effects (key text NOT NULL, pid integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  }

  /** Publishes in one transaction; `thenFail` rolls it back after the publish. */
  publish(tenantId: string, keys: string[], thenFail = false): Promise<void> {
    return this.tx.run(async () => {
      for (const key of keys) await this.eventBus.publish(new ProbeEvent(tenantId, key));
      if (thenFail) throw new Error('rolled back on purpose');
    });
  }
}

@Module({ providers: [ProbeHandler, ProbePublisher] })
export class ProbeModule {}
