import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { PgNotifications } from '../../../platform/database/pg-notifications.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { CallActuator, type ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import { RUN_ENGINE_CHANNEL, RunWakeups } from '../run-wakeups.js';
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
  private readonly inFlight = new Set<Promise<void>>();
  private poll: NodeJS.Timeout | null = null;
  private sleeper: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly advancer: RunAdvancer,
    private readonly commands: CommandBus,
    private readonly wakeups: RunWakeups,
    private readonly notifications: PgNotifications,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return; // an HTTP-only replica leaves runs to the others
    this.stopped = false;
    this.wakeups.wakeLocal = () => this.wake();
    this.notifications.on(RUN_ENGINE_CHANNEL, () => this.wake());
    this.poll = setInterval(() => this.wake(), this.config.outbox.pollIntervalMs);
    this.poll.unref();
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wakeups.wakeLocal = null;
    if (this.poll) clearInterval(this.poll);
    if (this.sleeper) clearTimeout(this.sleeper);
    // A claim in progress settles; calls in flight finish (bounded by their timeouts) and are
    // stored; a run cut off here is taken over after its lease.
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Claims as many due runs as there are free slots, starts them, and sleeps until the next one is due. */
  private async pump(): Promise<void> {
    try {
      const free = this.config.runs.concurrency - this.inFlight.size;
      if (free <= 0 || !this.tx.isOpen) return;
      const claimed = await this.runs.claimDue(free, CLAIM_LEASE_MS);
      if (this.stopped) {
        await this.runs.release(claimed.map((c) => c.id)); // claimed while shutting down: leave them to the next replica
        return;
      }
      for (const { id, lease_token } of claimed) {
        const work = this.work(id, lease_token).finally(() => {
          this.inFlight.delete(work);
          this.wake();
        });
        this.inFlight.add(work);
      }
      if (claimed.length === 0) await this.sleepUntilNextDue();
    } catch (err) {
      if (!this.stopped) this.logger.warn(`claiming due recovery runs failed: ${String(err)}`);
    }
  }

  private async sleepUntilNextDue(): Promise<void> {
    const ms = await this.runs.msUntilNextDue();
    if (ms === null || ms >= this.config.outbox.pollIntervalMs) return; // the poll comes first
    if (this.sleeper) clearTimeout(this.sleeper);
    this.sleeper = setTimeout(() => this.wake(), Math.max(1, ms + 1));
    this.sleeper.unref();
  }

  /** Moves one claimed run on; loops while it keeps asking for calls. */
  private async work(runId: string, token: string): Promise<void> {
    try {
      let call = await this.tx.run(async () => {
        const run = await this.runs.lockLeased(runId, token);
        return run ? this.advancer.advance(run, await this.runs.steps(runId)) : null;
      });
      while (call && !this.stopped) {
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
    return this.commands.execute(new CallActuator({ tenantId: c.tenantId, actuatorName: c.actuator, webhookId: c.webhookId, payload: c.payload, timeoutMs: c.timeoutMs }));
  }
}
