import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  acquireInstanceLock,
  DataDirInUseError,
  judgeLock,
  LOCK_FILE,
  processStartTicks,
  selfIdentity,
  type InstanceLock,
  type LockRecord,
} from './instance-lock.js';

const self = { pidNamespace: 'pid:[4026531836]', bootId: 'boot-a' };
const NOW = 1_800_000_000_000;

function record(overrides: Partial<LockRecord> = {}): LockRecord {
  return {
    token: 'other',
    pid: 4242,
    host: 'box',
    pidNamespace: self.pidNamespace,
    bootId: self.bootId,
    startTicks: '1000',
    startedAt: '2026-12-07T06:00:00.000Z',
    ...overrides,
  };
}

describe('judgeLock', () => {
  const running = (ticks: string | null) => () => ticks;

  it('in the same PID namespace and boot: held while its process runs, stale at once when it is gone', () => {
    expect(judgeLock(record(), NOW, NOW, self, running('1000')).kind).toBe('held');
    // However long ago it was touched: a live holder may have a stalled heartbeat, it is still alive.
    expect(judgeLock(record(), NOW - 3_600_000, NOW, self, running('1000')).kind).toBe('held');
    expect(judgeLock(record(), NOW, NOW, self, running(null))).toEqual({
      kind: 'stale',
      why: 'its process (pid 4242) is gone',
    });
  });

  it('takes a reused pid (another start time) for a dead holder', () => {
    expect(judgeLock(record(), NOW, NOW, self, running('2000'))).toMatchObject({ kind: 'stale' });
    // No start time recorded: a live pid counts as the holder.
    expect(judgeLock(record({ startTicks: null }), NOW, NOW, self, running('2000')).kind).toBe('held');
  });

  it('cannot check a holder in another PID namespace, or from before a reboot: watches a fresh lock', () => {
    const probe = () => {
      throw new Error('a pid of another namespace means nothing here');
    };
    expect(judgeLock(record({ pidNamespace: 'pid:[4026532999]' }), NOW - 1_000, NOW, self, probe)).toEqual({
      kind: 'watch',
    });
    expect(judgeLock(record({ bootId: 'boot-b' }), NOW - 1_000, NOW, self, probe).kind).toBe('watch');
    // Not refreshed for longer than a holder would leave it: stale without waiting.
    expect(judgeLock(record({ pidNamespace: 'pid:[4026532999]' }), NOW - 20_001, NOW, self, probe)).toEqual({
      kind: 'stale',
      why: 'not refreshed for 20 s',
    });
    expect(judgeLock(record({ pidNamespace: 'pid:[4026532999]' }), NOW - 20_000, NOW, self, probe).kind).toBe('watch');
  });

  it('watches an unreadable lock (being written, or damaged), and one found where namespaces are unknown', () => {
    expect(judgeLock(null, NOW, NOW, self, running('1000')).kind).toBe('watch');
    expect(judgeLock(null, NOW - 60_000, NOW, self, running('1000')).kind).toBe('stale');
    const unknown = { pidNamespace: null, bootId: null };
    expect(judgeLock(record({ pidNamespace: null, bootId: null }), NOW, NOW, unknown, running('1000')).kind).toBe(
      'watch',
    );
  });
});

describe('acquireInstanceLock', () => {
  const dirs: string[] = [];
  const locks: InstanceLock[] = [];
  const fast = { heartbeatMs: 30, staleMs: 600, pollMs: 20 };
  const newDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-lock-'));
    dirs.push(dir);
    return dir;
  };
  const take = async (dir: string, options: Partial<Parameters<typeof acquireInstanceLock>[1]> = {}) => {
    const lock = await acquireInstanceLock(dir, { onLost: () => {}, ...fast, ...options });
    locks.push(lock);
    return lock;
  };
  const foreign = (dir: string, overrides: Partial<LockRecord> = {}) =>
    writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify(record({ pidNamespace: 'pid:[1]', bootId: 'another-boot', ...overrides })),
    );

  afterEach(async () => {
    for (const l of locks.splice(0)) await l.release();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('names this process in the lock, refuses a second taker with the holder named, and is gone once released', async () => {
    const dir = newDir();
    const lock = await take(dir);
    const held = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockRecord;
    expect(held).toMatchObject({ pid: process.pid, ...selfIdentity(), startTicks: processStartTicks(process.pid) });
    const refused = take(dir);
    await expect(refused).rejects.toThrow(DataDirInUseError);
    await expect(refused).rejects.toThrow(
      `DATA_DIR ${dir} is in use by another pillar-loop process (pid ${process.pid}`,
    );
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    await take(dir);
  });

  it('takes over at once the lock of a dead process of this namespace', async () => {
    const dir = newDir();
    const me = selfIdentity();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(record({ pid: 2 ** 22 + 1, ...me })));
    const messages: string[] = [];
    await take(dir, { staleMs: 3_600_000, log: (m) => messages.push(m) });
    expect(messages).toEqual([expect.stringContaining(`its process (pid ${2 ** 22 + 1}) is gone`)]);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('waits for the heartbeat of a holder it cannot check, and takes the lock when none comes', async () => {
    const dir = newDir();
    foreign(dir);
    const messages: string[] = [];
    await take(dir, { log: (m) => messages.push(m) });
    expect(messages[0]).toContain('cannot be checked from here: waiting up to 1 s for its heartbeat');
    expect(messages[1]).toContain('took over the instance lock');
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('refuses when the holder it cannot check keeps its heartbeat', async () => {
    const dir = newDir();
    foreign(dir);
    const file = path.join(dir, LOCK_FILE);
    const beat = setInterval(() => {
      const now = new Date();
      utimesSync(file, now, now);
    }, 50);
    try {
      await expect(take(dir, { staleMs: 60_000 })).rejects.toThrow(
        `DATA_DIR ${dir} is in use by another pillar-loop process (pid 4242 on host box`,
      );
    } finally {
      clearInterval(beat);
    }
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: 4242 });
  });

  it('tells its holder when the lock is taken over, and leaves the new holder’s lock alone', async () => {
    const dir = newDir();
    let lost: (why: string) => void = () => {};
    const told = new Promise<string>((resolve) => (lost = resolve));
    const lock = await take(dir, { onLost: (why) => lost(why) });
    foreign(dir, { pid: 777, host: 'other-box' });
    expect(await told).toContain(`the instance lock of DATA_DIR ${dir} was taken over by pid 777 on host other-box`);
    await lock.release();
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 777 });
  });

  it('lets one of two takers starting at once win', async () => {
    const dir = newDir();
    foreign(dir, { pid: 9 });
    // Both judge the same stale lock; only one may remove it and create its own.
    const tries = await Promise.allSettled([take(dir, { staleMs: 100 }), take(dir, { staleMs: 100 })]);
    expect(tries.map((t) => t.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((tries.find((t) => t.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      DataDirInUseError,
    );
  });
});
