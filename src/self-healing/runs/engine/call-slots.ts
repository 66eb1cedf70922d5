import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';

interface Line {
  /** Calls planned on the line and not yet over: calling, or waiting for a slot. */
  planned: number;
  calling: number;
  waiting: Array<{ slot: CallSlot; go: (may: boolean) => void }>;
}

/**
 * One turn's claim on a call slot: the engine makes one per turn, the advancer plans the turn's
 * call under it, and the engine waits, calls and releases with it. Releasing it frees what it took
 * and nothing else: two holders of the same run (a lease that lapsed and was claimed again while
 * the old holder's call was still out) each hold their own slot, each counted against the cap.
 */
export class CallSlot {
  constructor(readonly runId: string) {}
}

/**
 * This replica's actuator calls, per actuator of a tenant (ADR 0008 §12): at most
 * `RUN_ENGINE_ACTUATOR_CALLS` calls to one actuator at once. A run whose call must wait queues for
 * a slot, first come first served, holding neither a database connection nor one of the engine's
 * turns; an actuator that hangs slows only the runs that call it.
 *
 * The advancer plans a call (`plan`, inside the transaction that commits it) and learns the
 * longest the call can wait for its slot, so the run's lease covers the wait; the engine waits
 * (`acquire`), calls, and frees the slot (`release`, also for a call planned but never made).
 * Each is by CallSlot, never by run: a run can have two holders for a moment.
 */
@Injectable()
export class CallSlots {
  private readonly lines = new Map<string, Line>();
  private readonly lineOf = new Map<CallSlot, { key: string; calling: boolean }>();
  private readonly perActuator: number;
  private closed = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.perActuator = config.runs.actuatorCalls;
  }

  /**
   * The call planned under `slot` goes to `actuator`: returns how long it may wait for a slot at
   * most. Each call ahead of it ends within `timeoutMs` (the actuator's), and `perActuator` run at once.
   */
  plan(slot: CallSlot, tenantId: string, actuator: string, timeoutMs: number): number {
    this.release(slot); // one call per CallSlot: planning it again gives up its earlier place
    const key = `${tenantId}\u0000${actuator}`;
    let line = this.lines.get(key);
    if (!line) this.lines.set(key, (line = { planned: 0, calling: 0, waiting: [] }));
    const ahead = line.planned - this.perActuator + 1;
    line.planned++;
    this.lineOf.set(slot, { key, calling: false });
    return ahead <= 0 ? 0 : Math.ceil(ahead / this.perActuator) * timeoutMs;
  }

  /** Waits for the planned call's slot; false when the engine is stopping (the call is not to be made). */
  acquire(slot: CallSlot): Promise<boolean> {
    const at = this.lineOf.get(slot);
    if (!at || this.closed) return Promise.resolve(false);
    const line = this.lines.get(at.key)!;
    if (line.calling < this.perActuator) {
      line.calling++;
      at.calling = true;
      return Promise.resolve(true);
    }
    return new Promise((go) => line.waiting.push({ slot, go }));
  }

  /**
   * The call planned under `slot` is over, or will not be made: its slot (or its place in the
   * queue) goes to the next. Only what `slot` took; again, nothing.
   */
  release(slot: CallSlot): void {
    const at = this.lineOf.get(slot);
    if (!at) return;
    this.lineOf.delete(slot);
    const line = this.lines.get(at.key)!;
    line.planned--;
    if (at.calling) {
      const next = line.waiting.shift();
      if (next) {
        this.lineOf.get(next.slot)!.calling = true;
        next.go(true);
      } else {
        line.calling--;
      }
    } else {
      const i = line.waiting.findIndex((w) => w.slot === slot);
      if (i >= 0) line.waiting.splice(i, 1)[0]!.go(false);
    }
    if (line.planned === 0) this.lines.delete(at.key);
  }

  /** Stopping: calls still waiting for a slot are not made. */
  close(): void {
    this.closed = true;
    for (const line of this.lines.values()) for (const w of line.waiting.splice(0)) w.go(false);
  }

  /** Calls in flight to one actuator of a tenant on this replica, and calls waiting for it. */
  load(tenantId: string, actuator: string): { calling: number; waiting: number } {
    const line = this.lines.get(`${tenantId}\u0000${actuator}`);
    return { calling: line?.calling ?? 0, waiting: line?.waiting.length ?? 0 };
  }
}
