import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { PgNotifications } from '../../../platform/database/pg-notifications.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { CallCutOff, Egress } from '../../../platform/egress/egress.js';
import { DuePump } from '../../../platform/workers/due-pump.js';
import { TenantHolds } from '../../../platform/workers/tenant-holds.js';
import { ActuatorRepository } from '../../actuators/actuator.repository.js';
import { CallActuator, type ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunsRepository, type ClaimedRun } from '../runs.repository.js';
import { CallSlot, CallSlots } from './call-slots.js';
import {
  CODING_AGENT_ACTUATOR,
  isNap,
  RunAdvancer,
  type Nap,
  type PlannedCall,
  type TurnInput,
} from './run-advancer.js';

/** A claim's first lease, before the worker knows which call it will make. */
const CLAIM_LEASE_MS = 30_000;

/**
 * Executes recovery runs (ADR 0008 §4 and §12). Runs with work due are claimed with a lease in
 * one short transaction (`FOR UPDATE SKIP LOCKED`, so replicas share the work), tenant by tenant
 * (`claimDue`). A claimed run is moved on in *turns*: a transaction that locks it, lets the
 * RunAdvancer decide, and commits, either scheduling the run's next wake-up or planning one
 * actuator call. The call is made after the commit with no connection held and no turn taken; a
 * further turn stores the answer, but only if this worker's lease still holds.
 *
 * Turns are the database-bound part: `RUN_ENGINE_CONCURRENCY` at once. Calls are waiting:
 * `RUN_ENGINE_CALLS` runs may be held at once, `RUN_ENGINE_TENANT_CALLS` of one tenant, and
 * `RUN_ENGINE_ACTUATOR_CALLS` calls to one actuator (CallSlots), so a tenant whose actuator hangs
 * holds its own share and nobody else's. Woken by NOTIFY, polls as a fallback, and sleeps until
 * the next run falls due. A run asleep for less than a second (a short verify window, a retry)
 * naps here, leased, and is not claimed again, unless other runs wait for its room.
 */
@Injectable()
export class RunEngine implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunEngine.name);
  private readonly pump: DuePump<ClaimedRun>;
  /** Runs this replica holds, by tenant. */
  private readonly held: TenantHolds;
  private turning = 0;
  private readonly waitingToTurn: Array<() => void> = [];
  /** Ends each nap in progress now (shutdown). */
  private readonly napping = new Set<() => void>();
  private readonly cutOff = new CallCutOff();

  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly advancer: RunAdvancer,
    private readonly actuators: ActuatorRepository,
    private readonly commands: CommandBus,
    private readonly wakeups: RunWakeups,
    private readonly notifications: PgNotifications,
    private readonly slots: CallSlots,
    private readonly egress: Egress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.held = new TenantHolds(config.runs.tenantCalls);
    const options = {
      what: 'recovery runs',
      concurrency: config.runs.calls,
      pollMs: config.outbox.pollIntervalMs,
      isOpen: () => tx.isOpen,
      logger: this.logger,
      // A turn that puts a run to sleep schedules its wake-up (RunAdvancer), and a tenant leaving
      // its cap wakes the pump (unhold): a run's work ending is no reason to claim again by itself.
      wakeAfterEachItem: false,
    };
    this.pump = new DuePump(options, {
      claim: (limit) => this.claim(limit),
      work: (run) => this.work(run),
      // A tenant at its cap here has no run this replica can claim: not waited for (or the pump would spin on it).
      msUntilNextDue: () => this.runs.msUntilNextDue(this.held.tenantsAtCap()),
      // Claimed while shutting down: leave them to the next replica.
      release: (claimed) => this.giveBack(claimed),
      room: () => this.roomToTurn(),
    });
  }

  /**
   * Takes a run that this replica's transaction is storing, if the engine has room for it under the
   * caps a claim obeys and no backlog (else the new run would pass runs waiting longer): the run
   * is stored leased to it (with the lease returned: its token, and how long it lasts from when
   * the run is stored, by the database's clock, as a claim's), and handed over once the
   * transaction commits, without a claim, a wake-up or a wait (ADR 0008 §12). Null: the run is
   * stored due, for any replica's claim. A replica that dies first leaves it to be claimed once
   * the lease lapses, as after a claim.
   */
  leaseNewRun(run: { id: string; tenant_id: string }): { token: string; ms: number } | null {
    const roomHere =
      this.noRunWaits(run.tenant_id) && this.held.total < this.config.runs.calls && this.roomToTurn() > 0;
    if (!roomHere || !this.tx.inTransaction) return null;
    this.held.hold(run.tenant_id);
    const token = randomUUID();
    const adopt = this.pump.expectAdoption();
    this.tx.afterCommit(() => adopt({ id: run.id, tenant_id: run.tenant_id, lease_token: token }));
    this.tx.afterRollback(() => {
      adopt(null);
      this.unhold(run.tenant_id);
    });
    return { token, ms: CLAIM_LEASE_MS };
  }

  /**
   * Claims in batches, but no more runs waiting for their first turn here than one round of
   * turns: the others wait in the database, in fair order.
   */
  private roomToTurn(): number {
    return 2 * this.config.runs.concurrency - this.turning - this.waitingToTurn.length;
  }

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return; // an HTTP-only replica leaves runs to the others
    this.pump.start(this.wakeups, this.notifications);
  }

  /**
   * Claims nothing more from the moment the app begins to stop: Nest runs every module's
   * onModuleDestroy before any BeforeApplicationShutdown, which waits module by module.
   */
  onModuleDestroy(): void {
    this.stopClaiming().catch(() => undefined); // awaited, and any failure seen, in beforeApplicationShutdown
  }

  async beforeApplicationShutdown(): Promise<void> {
    // A claim in progress settles; calls in flight finish and are stored, but those still out after
    // SHUTDOWN_TIMEOUT_MS (an actuator's timeout may be minutes) are cut off and their runs handed
    // back; calls still waiting for a slot are not made.
    await this.cutOff.until(this.stopClaiming(), this.egress.stopDeadline(this.config.shutdownTimeoutMs));
  }

  /** The pump's stop (once, however often asked); calls waiting for a slot are not made, naps end. */
  private stopClaiming(): Promise<void> {
    const stopped = this.pump.stop();
    this.slots.close();
    for (const wake of [...this.napping]) wake(); // a napping run is handed back (work)
    return stopped;
  }

  private async claim(limit: number): Promise<ClaimedRun[]> {
    const claimed = await this.runs.claimDue(limit, CLAIM_LEASE_MS, this.config.runs.tenantCalls, this.held);
    for (const run of claimed) this.held.hold(run.tenant_id);
    return claimed;
  }

  private async giveBack(claimed: ClaimedRun[]): Promise<void> {
    for (const run of claimed) this.unhold(run.tenant_id);
    await this.runs.release(claimed);
  }

  /** Moves one claimed run on; loops while it keeps asking for calls or naps. */
  private async work(c: ClaimedRun): Promise<void> {
    let next: PlannedCall | Nap | null = null;
    try {
      next = await this.turn(c, (t) => this.advancer.advance(t));
      while (next && !this.pump.stopping) {
        if (isNap(next)) {
          // Holding no connection, no turn and no call slot; still counted against the tenant's cap.
          await this.nap(next.nap);
          if (!this.pump.stopping) next = await this.turn(c, (t) => this.advancer.advance(t));
          continue;
        }
        const made: PlannedCall = next;
        // Waits for a slot on the actuator (CallSlots), holding no connection and no turn.
        if (!(await this.slots.acquire(made.slot))) break;
        const result = await this.call(made);
        this.slots.release(made.slot);
        if (result.interrupted) {
          // Cut off by the stop (its pump claims no more): handed back, for the next holder to call again.
          next = await this.turn(c, (t) => this.advancer.unplan(t, made, { made: true }).then(() => null));
          break;
        }
        // A worker whose lease lapsed stores nothing: the run's new holder repeats the call.
        next = await this.turn(c, (t) => this.advancer.afterCall(t, made, result));
      }
      if (next && isNap(next)) {
        // Stopping: the run is due at once for another replica, not when this lease lapses.
        await this.turn(c, (t) => this.advancer.handBack(t));
      } else if (next) {
        // Stopping: the call planned last is not made, and costs the step no attempt.
        const planned: PlannedCall = next;
        await this.turn(c, (t) => this.advancer.unplan(t, planned).then(() => null));
      }
    } catch (err) {
      // The lease lapses and another claim retries; say why meanwhile.
      this.logger.error(`recovery run ${c.id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      // The slot of the call planned last, whether made or not: only its own (a run claimed again
      // here while this call was still out holds another).
      if (next && !isNap(next)) this.slots.release(next.slot);
      this.unhold(c.tenant_id);
    }
  }

  /** One transaction on the run, under its lock and this worker's lease, in one of the engine's turns. */
  private async turn(
    c: ClaimedRun,
    move: (t: TurnInput) => Promise<PlannedCall | Nap | null>,
  ): Promise<PlannedCall | Nap | null> {
    await this.takeTurn();
    // The slot a call planned in this turn holds: this turn's own, released with it if no call comes of it.
    const slot = new CallSlot(c.id);
    let next: PlannedCall | Nap | null = null;
    try {
      next = await this.tx.run(async () => {
        // Sent together, one round trip: the steps and actuators are read once the lock is held.
        // The turn's changes are written with its COMMIT (the second and last round trip).
        const locked = this.runs.lockLeased(c.id, c.lease_token);
        const steps = this.runs.steps(c.id);
        const actuators = this.actuators.ofRun(c.tenant_id, c.id, [CODING_AGENT_ACTUATOR]);
        // These fail only with the lock, whose error is the one thrown.
        steps.catch(() => undefined);
        actuators.catch(() => undefined);
        const run = await locked;
        const mayNap = this.noRunWaits(c.tenant_id);
        return run ? move({ run, steps: await steps, actuators: await actuators, mayNap, slot }) : null;
      });
      return next;
    } finally {
      // A call planned by a turn that did not commit is not made; a nap makes none.
      if (!next || isNap(next)) this.slots.release(slot);
      this.endTurn();
    }
  }

  /**
   * No run waits for room a run of this tenant would hold here: the pump caught up (its last claim
   * was not full) and the tenant is under its cap (so no claim passed its runs over). Only then is
   * a new run handed over, and a sleeping run kept through a nap; otherwise either would keep a
   * waiting run from its turn.
   */
  private noRunWaits(tenantId: string): boolean {
    return this.pump.caughtUp && !this.held.atCap(tenantId);
  }

  private nap(ms: number): Promise<void> {
    return new Promise((done) => {
      const wake = () => {
        clearTimeout(timer);
        this.napping.delete(wake);
        done();
      };
      const timer = setTimeout(wake, ms);
      this.napping.add(wake);
    });
  }

  private takeTurn(): Promise<void> {
    if (this.turning < this.config.runs.concurrency) {
      this.turning++;
      return Promise.resolve();
    }
    return new Promise((go) => this.waitingToTurn.push(go));
  }

  private endTurn(): void {
    const next = this.waitingToTurn.shift();
    if (next) return next(); // the turn passes on
    this.turning--;
    this.pump.roomFreed(); // room to claim again
  }

  private unhold(tenantId: string): void {
    // Its runs were passed over while it was at its cap: claimable again.
    if (this.held.release(tenantId)) this.pump.wake();
  }

  private call(c: PlannedCall): Promise<ActuatorCallResult> {
    return this.commands.execute(
      new CallActuator({
        tenantId: c.tenantId,
        actuatorName: c.actuator,
        webhookId: c.webhookId,
        payload: c.payload,
        timeoutMs: c.timeoutMs,
        actuator: c.actuatorRow,
        cutOff: this.cutOff.signal,
      }),
    );
  }
}
