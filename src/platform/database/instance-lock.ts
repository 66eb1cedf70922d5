import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, open, readFile, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { createDataFolder, notWritableMessage } from './embedded-postgres.js';
import { StartupError } from './postgres-placement.js';

/**
 * One process at a time starts the embedded database of a DATA_DIR (the app, or the migration
 * command). Without this, a second one took the first's live server for an orphan of a crash and
 * stopped it, and in another PID namespace (a second container on the same volume) could not see
 * it at all, removed its postmaster.pid and started a second server on the same cluster.
 *
 * `$DATA_DIR/instance.lock` is created exclusively (open 'wx') and names its holder; the holder
 * touches it every HEARTBEAT_MS. A lock is stale, and may be taken over, when its holder is known
 * dead (same PID namespace and boot: the pid is gone, or is another process now), or else when it
 * has not been touched for STALE_MS (the one way to tell across namespaces and hosts).
 */
export const LOCK_FILE = 'instance.lock';
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 20_000;

/** Who holds the lock, as written into it. */
export interface LockRecord {
  token: string;
  pid: number;
  host: string;
  /** `/proc/self/ns/pid` (e.g. `pid:[4026531836]`): pids mean the same only within one namespace. */
  pidNamespace: string | null;
  /** `/proc/sys/kernel/random/boot_id`: the same namespace id after a reboot is another namespace. */
  bootId: string | null;
  /** The holder's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22): tells a reused pid. */
  startTicks: string | null;
  startedAt: string;
}

export interface Identity {
  pidNamespace: string | null;
  bootId: string | null;
}

/** A process's start time (ticks since boot), or null when there is no such process. */
export type ProcessProbe = (pid: number) => string | null;

export type Verdict =
  | { kind: 'held'; why: string }
  | { kind: 'stale'; why: string }
  /** Its holder cannot be checked from here: watch the heartbeat for up to STALE_MS. */
  | { kind: 'watch' };

/**
 * What to make of a lock found on start (pure: the caller reads the lock and the processes).
 * `record` is null when the file cannot be parsed (written a moment ago, or damaged).
 */
export function judgeLock(
  record: LockRecord | null,
  mtimeMs: number,
  nowMs: number,
  self: Identity,
  probe: ProcessProbe,
  staleMs = STALE_MS,
): Verdict {
  if (
    record &&
    self.pidNamespace !== null &&
    self.bootId !== null &&
    record.pidNamespace === self.pidNamespace &&
    record.bootId === self.bootId
  ) {
    const started = probe(record.pid);
    if (started === null) return { kind: 'stale', why: `its process (pid ${record.pid}) is gone` };
    if (record.startTicks !== null && started !== record.startTicks)
      return { kind: 'stale', why: `its process (pid ${record.pid}) is gone; the pid is another process's now` };
    return { kind: 'held', why: 'its process is running' };
  }
  // Touched longer ago than a holder would leave it (by this host's clock): stale without waiting.
  if (nowMs - mtimeMs > staleMs)
    return { kind: 'stale', why: `not refreshed for ${Math.round((nowMs - mtimeMs) / 1000)} s` };
  return { kind: 'watch' };
}

/** One line naming the holder, for the refusal and the waiting message. */
export function describeHolder(record: LockRecord | null): string {
  if (!record) return 'another process';
  return `pid ${record.pid} on host ${record.host}, started ${record.startedAt}`;
}

/** The refusal: DATA_DIR is another process's. main.ts and the migration command exit 78 on it. */
export class DataDirInUseError extends StartupError {}

function readLink(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function processStartTicks(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) {
    // No procfs (macOS): alive or not, without a start time to compare.
    if (process.platform === 'linux') return null;
    try {
      process.kill(pid, 0);
      return '';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? '' : null;
    }
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

export function selfIdentity(): Identity {
  return {
    pidNamespace: readLink('/proc/self/ns/pid'),
    bootId: readText('/proc/sys/kernel/random/boot_id'),
  };
}

function parse(text: string): LockRecord | null {
  try {
    const r = JSON.parse(text) as LockRecord;
    return typeof r.token === 'string' && Number.isInteger(r.pid) ? r : null;
  } catch {
    return null;
  }
}

async function readLock(file: string): Promise<{ record: LockRecord | null; mtimeMs: number; text: string } | null> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { record: parse(text), mtimeMs: info.mtimeMs, text };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InstanceLock {
  /** Stops the heartbeat and removes the lock (if still ours). */
  release(): Promise<void>;
}

export interface LockOptions {
  log?: (msg: string) => void;
  /** Called once when the lock is found taken over or removed: the holder must stop at once. */
  onLost: (why: string) => void;
  heartbeatMs?: number;
  staleMs?: number;
  pollMs?: number;
}

/**
 * Takes `$dataDir/instance.lock`, waiting (at most about `staleMs`) only when its holder cannot
 * be checked from here; throws DataDirInUseError when another process holds it.
 */
export async function acquireInstanceLock(dataDir: string, options: LockOptions): Promise<InstanceLock> {
  const { log = () => {}, onLost, heartbeatMs = HEARTBEAT_MS, staleMs = STALE_MS, pollMs = 250 } = options;
  const dir = path.resolve(dataDir);
  await createDataFolder(dir);
  const file = path.join(dir, LOCK_FILE);
  const self = selfIdentity();
  const mine: LockRecord = {
    token: randomBytes(16).toString('hex'),
    pid: process.pid,
    host: hostname(),
    pidNamespace: self.pidNamespace,
    bootId: self.bootId,
    startTicks: processStartTicks(process.pid) || null,
    startedAt: new Date().toISOString(),
  };
  const text = `${JSON.stringify(mine)}\n`;
  const refuse = (record: LockRecord | null) =>
    new DataDirInUseError(
      `DATA_DIR ${dir} is in use by another pillar-loop process (${describeHolder(record)}; lock ${file}): stop it first, or give this one its own DATA_DIR`,
    );

  const create = async (): Promise<boolean> => {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // A DATA_DIR this user may not write (a root-owned bind mount): the one line naming the chown.
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
        throw new StartupError(notWritableMessage(dir, code));
      throw err;
    }
  };

  // Removing a stale lock and creating ours happen under a second, short-lived lock (a folder,
  // made atomically), after reading the stale one again: two starting at once cannot both remove
  // what they judged stale and each create their own.
  const takeOver = async (judged: string): Promise<boolean> => {
    const guard = `${file}.takeover`;
    try {
      await mkdir(guard);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Left by a process that died mid-takeover (it takes milliseconds): clear it when old.
      const info = await stat(guard).catch(() => null);
      if (info && Date.now() - info.mtimeMs > staleMs) await rmdir(guard).catch(() => undefined);
      return false;
    }
    try {
      const again = await readLock(file);
      if (again && again.text !== judged) return false; // another took it meanwhile: judge again
      if (again) await unlink(file).catch(() => undefined);
      return await create();
    } finally {
      await rmdir(guard).catch(() => undefined);
    }
  };

  let watched: { text: string; mtimeMs: number; since: number } | null = null;
  let toldWaiting = false;
  for (;;) {
    if (await create()) break;
    const found = await readLock(file);
    if (!found) continue; // released in between
    const verdict = judgeLock(found.record, found.mtimeMs, Date.now(), self, processStartTicks, staleMs);
    if (verdict.kind === 'held') throw refuse(found.record);
    if (verdict.kind === 'stale') {
      if (await takeOver(found.text)) {
        log(`took over the instance lock of DATA_DIR ${dir} (${describeHolder(found.record)}): ${verdict.why}`);
        break;
      }
      await sleep(pollMs);
      continue;
    }
    // Its holder is in another PID namespace or on another host: alive while it keeps touching the lock.
    if (!watched || watched.text !== found.text) {
      watched = { text: found.text, mtimeMs: found.mtimeMs, since: Date.now() };
    } else if (found.mtimeMs !== watched.mtimeMs) {
      throw refuse(found.record);
    } else if (Date.now() - watched.since > staleMs) {
      if (await takeOver(found.text)) {
        log(
          `took over the instance lock of DATA_DIR ${dir} (${describeHolder(found.record)}): not refreshed for ${Math.round(staleMs / 1000)} s`,
        );
        break;
      }
    }
    if (!toldWaiting) {
      toldWaiting = true;
      log(
        `DATA_DIR ${dir} is locked by ${describeHolder(found.record)}, which cannot be checked from here: waiting up to ${Math.round(staleMs / 1000)} s for its heartbeat`,
      );
    }
    await sleep(pollMs);
  }

  let lost = false;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    const found = await readLock(file).catch(() => null);
    if (!found || found.record?.token !== mine.token) {
      if (lost) return;
      lost = true;
      clearInterval(timer);
      onLost(
        `the instance lock of DATA_DIR ${dir} was ${found ? `taken over by ${describeHolder(found.record)}` : 'removed'}: stopping`,
      );
      return;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
  };
  const timer = setInterval(() => {
    beating = beating.then(beat);
  }, heartbeatMs);
  timer.unref();
  // Only a clean stop removes the lock. An exit without it (process.exit, an uncaught error) leaves
  // it, like a crash: its server may still be shutting down, and a start in this PID namespace
  // takes the lock over at once anyway (one in another waits for the heartbeat to go stale).
  return {
    release: async () => {
      clearInterval(timer);
      await beating;
      if (lost) return;
      lost = true;
      const found = await readLock(file).catch(() => null);
      if (found?.record?.token === mine.token) await unlink(file).catch(() => undefined);
    },
  };
}
