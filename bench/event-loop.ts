/**
 * The app thread's event loop while offering (in-process runs, where the app runs on the bench's
 * main thread; the load is generated in a worker). Busy is Node's event-loop utilization: the
 * share of wall time the loop was not waiting for I/O, whether running or waiting for a core.
 * Near 100 %, every callback queues behind the others, and a round trip to PostgreSQL costs
 * that queue on top of the database's own time: the figure that explains loop latency under load.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** How often the delay probe's timer asks to run; the delay reported is its lateness beyond this. */
const RESOLUTION_MS = 10;

export interface EventLoopFigures {
  busyPct: number;
  /** How late a timer due every RESOLUTION_MS ran: the wait of a callback that was ready. */
  delayMs: { p50: number; p99: number; max: number };
}

export class EventLoopWatch {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private from: EventLoopUtilization | null = null;

  start(): void {
    this.delay.reset();
    this.delay.enable();
    this.from = performance.eventLoopUtilization();
  }

  stop(): EventLoopFigures | null {
    if (!this.from) return null;
    this.delay.disable();
    const busy = performance.eventLoopUtilization(this.from).utilization;
    const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return {
      busyPct: busy * 100,
      delayMs: {
        p50: late(this.delay.percentile(50)),
        p99: late(this.delay.percentile(99)),
        max: late(this.delay.max),
      },
    };
  }
}
