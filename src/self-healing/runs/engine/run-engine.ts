import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { PgNotifications } from '../../../platform/database/pg-notifications.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { DuePump } from '../../../platform/workers/due-pump.js';
import { CallActuator, type ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunsRepository } from '../runs.repository.js';
import { RunAdvancer, type PlannedCall } from './run-advancer.js';

/** A claim's first lease, before the worker knows which call it will make. */
const CLAIM_LEASE_MS = 30_000;

/**
 * Executes recovery runs (ADR 0008). Runs with work due are claimed with a lease in one short
 * transaction (`FOR UPDATE SKIP LOCKED`, so replicas share the work); each claimed run is moved
 * on by the RunAdvancer under its row lock, and when that needs an actuator call the transaction
 * commits first, the call is made with no connection held, and a second transaction stores the
 * answer, but only if this worker's lease still holds. Woken by NOTIFY, polls as a fallback,
 * and sleeps until the next run falls due.
 */
@Injectable()
export class RunEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunEngine.name);
  private readonly pump: DuePump<{ id: string; lease_token: string }>;

  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly advancer: RunAdvancer,
    private readonly commands: CommandBus,
    private readonly wakeups: RunWakeups,
    private readonly notifications: PgNotifications,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const [concurrency, pollMs] = [config.runs.concurrency, config.outbox.pollIntervalMs];
    const options = { what: 'recovery runs', concurrency, pollMs, isOpen: () => tx.isOpen, logger: this.logger };
    this.pump = new DuePump(options, {
      claim: (limit) => this.runs.claimDue(limit, CLAIM_LEASE_MS),
      work: (claimed) => this.work(claimed.id, claimed.lease_token),
      msUntilNextDue: () => this.runs.msUntilNextDue(),
      // Claimed while shutting down: leave them to the next replica.
      release: (claimed) => this.runs.release(claimed.map((c) => c.id)),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return; // an HTTP-only replica leaves runs to the others
    this.pump.start(this.wakeups, this.notifications);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // A claim in progress settles; calls in flight finish (bounded by their timeouts) and are
    // stored; a run cut off here is taken over after its lease.
    await this.pump.stop(this.wakeups);
  }

  /** Moves one claimed run on; loops while it keeps asking for calls. */
  private async work(runId: string, token: string): Promise<void> {
    try {
      let call = await this.tx.run(async () => {
        const run = await this.runs.lockLeased(runId, token);
        return run ? this.advancer.advance(run, await this.runs.steps(runId)) : null;
      });
      while (call && !this.pump.stopping) {
        const result = await this.call(call);
        const made: PlannedCall = call;
        call = await this.tx.run(async () => {
          // A worker whose lease lapsed stores nothing: the run's new holder repeats the call.
          const run = await this.runs.lockLeased(runId, token);
          return run ? this.advancer.afterCall(run, await this.runs.steps(runId), made, result) : null;
        });
      }
      if (call) {
        // Stopping: the call planned last is not made, and costs the step no attempt.
        const planned: PlannedCall = call;
        await this.tx.run(async () => {
          const run = await this.runs.lockLeased(runId, token);
          if (run) await this.advancer.unplan(run, await this.runs.steps(runId), planned);
        });
      }
    } catch (err) {
      // The lease lapses and another claim retries; say why meanwhile.
      this.logger.error(`recovery run ${runId}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }

  private call(c: PlannedCall): Promise<ActuatorCallResult> {
    return this.commands.execute(
      new CallActuator({
        tenantId: c.tenantId,
        actuatorName: c.actuator,
        webhookId: c.webhookId,
        payload: c.payload,
        timeoutMs: c.timeoutMs,
      }),
    );
  }
}
