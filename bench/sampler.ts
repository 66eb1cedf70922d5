/**
 * CPU split from /proc (Linux only; elsewhere every figure is null): the app's main thread,
 * the bench's load thread, the rest of the node process (GC, libuv pool), PostgreSQL (the
 * postmaster, its live backends, and — through the postmaster's cutime — backends that exited),
 * and the whole machine. Figures are "% of one core": 200 % is both cores of a 2-core machine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const HZ = 100; // USER_HZ on Linux

interface Ticks {
  at: number;
  nodeTotal: number | null;
  nodeMain: number | null;
  benchThread: number | null;
  pg: number | null;
  sysBusy: number | null;
  sysIowait: number | null;
  sysTotal: number | null;
}

export interface CpuSplit {
  seconds: number;
  /** Node process total (app + bench load thread when in-process). */
  nodeTotalPct: number | null;
  /** The app's event-loop thread (in-process runs only). */
  appMainPct: number | null;
  /** The bench load generator's worker thread. */
  benchThreadPct: number | null;
  /** Node's other threads: GC helpers, libuv pool, the app's non-JS work. */
  nodeOtherPct: number | null;
  postgresPct: number | null;
  /** Whole machine: busy and iowait, as % of one core, and the core count. */
  machineBusyPct: number | null;
  machineIowaitPct: number | null;
  /** Machine busy minus node and PostgreSQL: anything else running (interference). */
  othersPct: number | null;
  cores: number | null;
}

function statFields(file: string): string[] | null {
  try {
    const raw = readFileSync(file, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime+stime (+ cutime+cstime when `children`) of a /proc stat file, in ticks. */
function cpuTicks(file: string, children = false): number | null {
  const f = statFields(file);
  if (!f) return null;
  // After "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14
  return Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
}

export class CpuSampler {
  private benchTid: number | null = null;
  private pgPid: number | null = null;
  private readonly cores: number | null;

  constructor(private readonly opts: { inProcess: boolean; pgDataDir: string | null }) {
    this.cores = this.readCores();
  }

  setBenchThread(tid: number | null): void {
    this.benchTid = tid;
  }

  private readCores(): number | null {
    try {
      return (
        readFileSync('/proc/stat', 'utf8')
          .split('\n')
          .filter((l) => /^cpu\d+ /.test(l)).length || null
      );
    } catch {
      return null;
    }
  }

  private postmaster(): number | null {
    if (this.pgPid !== null || !this.opts.pgDataDir) return this.pgPid;
    try {
      const pid = Number(readFileSync(path.join(this.opts.pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      this.pgPid = Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      this.pgPid = null;
    }
    return this.pgPid;
  }

  private pgTicks(): number | null {
    const pm = this.postmaster();
    if (pm === null) return null;
    let total = cpuTicks(`/proc/${pm}/stat`, true);
    if (total === null) return null;
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return total;
    }
    for (const pid of pids) {
      const f = statFields(`/proc/${pid}/stat`);
      if (f && Number(f[1]) === pm) total += Number(f[11]) + Number(f[12]);
    }
    return total;
  }

  snapshot(): Ticks {
    let sysBusy: number | null = null;
    let sysIowait: number | null = null;
    let sysTotal: number | null = null;
    try {
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      sysBusy = user + nice + system + irq + softirq + steal;
      sysIowait = iowait;
      sysTotal = sysBusy + idle + iowait;
    } catch {
      /* not Linux */
    }
    return {
      at: performance.now(),
      nodeTotal: cpuTicks('/proc/self/stat'),
      nodeMain: this.opts.inProcess ? cpuTicks(`/proc/self/task/${process.pid}/stat`) : null,
      benchThread: this.benchTid !== null ? cpuTicks(`/proc/self/task/${this.benchTid}/stat`) : null,
      pg: this.pgTicks(),
      sysBusy,
      sysIowait,
      sysTotal,
    };
  }

  split(a: Ticks, b: Ticks): CpuSplit {
    const seconds = (b.at - a.at) / 1000;
    const pct = (x: number | null, y: number | null) =>
      x === null || y === null || seconds <= 0 ? null : ((y - x) / HZ / seconds) * 100;
    const nodeTotalPct = pct(a.nodeTotal, b.nodeTotal);
    const appMainPct = pct(a.nodeMain, b.nodeMain);
    const benchThreadPct = pct(a.benchThread, b.benchThread);
    const machine = (x: number | null, y: number | null) =>
      x === null ||
      y === null ||
      a.sysTotal === null ||
      b.sysTotal === null ||
      b.sysTotal === a.sysTotal ||
      this.cores === null
        ? null
        : ((y - x) / (b.sysTotal - a.sysTotal)) * this.cores * 100;
    const postgresPct = pct(a.pg, b.pg);
    const machineBusyPct = machine(a.sysBusy, b.sysBusy);
    return {
      seconds,
      nodeTotalPct,
      appMainPct,
      benchThreadPct,
      // Per-thread and per-process ticks are sampled a moment apart: clamp the rounding noise.
      nodeOtherPct:
        nodeTotalPct === null ? null : Math.max(0, nodeTotalPct - (appMainPct ?? 0) - (benchThreadPct ?? 0)),
      postgresPct,
      machineBusyPct,
      machineIowaitPct: machine(a.sysIowait, b.sysIowait),
      othersPct:
        machineBusyPct === null || nodeTotalPct === null || postgresPct === null
          ? null
          : Math.max(0, machineBusyPct - nodeTotalPct - postgresPct),
      cores: this.cores,
    };
  }
}
