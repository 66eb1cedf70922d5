import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  clusterFolder,
  postgresUser,
  reachableBinaries,
  reachableDataDir,
  StartupError,
  unreachableFolder,
} from './postgres-placement.js';

const asRoot = process.getuid?.() === 0;

describe('postgres placement', () => {
  let work: string;
  let home: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'pillar-loop-place-'));
    chmodSync(work, 0o755);
    home = path.join(work, 'home'); // like /var/lib/pillar-loop: made on first use
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A stand-in for the platform package's native/ folder, with the modes a umask of 077 would give. */
  function fakeNative(): string {
    const native = path.join(work, 'closed', 'native');
    mkdirSync(path.join(native, 'bin'), { recursive: true });
    mkdirSync(path.join(native, 'lib'));
    writeFileSync(path.join(native, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
    writeFileSync(path.join(native, 'lib', 'libpq.so.5.18'), 'lib', { mode: 0o600 });
    symlinkSync('libpq.so.5.18', path.join(native, 'lib', 'libpq.so.5'));
    chmodSync(path.join(work, 'closed'), 0o700);
    return native;
  }

  it('names the first folder above a path that others may not enter', () => {
    const native = fakeNative();
    expect(unreachableFolder(path.join(native, 'bin', 'postgres'))).toBe(path.join(work, 'closed'));
    expect(unreachableFolder(path.join(work, 'open', 'not-yet', 'pg'))).toBeNull();
  });

  it('maps a data directory to one cluster folder, the same every time', () => {
    expect(clusterFolder('/root/app/.data/pg', '/var/lib/pillar-loop')).toBe(
      clusterFolder('/root/app/.data/pg', '/var/lib/pillar-loop'),
    );
    expect(clusterFolder('/root/app/.data/pg', '/var/lib/pillar-loop')).toMatch(
      /^\/var\/lib\/pillar-loop\/clusters\/[0-9a-f]{16}$/,
    );
    expect(clusterFolder('/root/other/.data/pg', '/var/lib/pillar-loop')).not.toBe(
      clusterFolder('/root/app/.data/pg', '/var/lib/pillar-loop'),
    );
  });

  if (asRoot) {
    it('copies the binaries once into a root-owned folder others may read, keeping links; racing starts share one copy', async () => {
      const native = fakeNative();
      const [bin, again] = await Promise.all([
        reachableBinaries(native, 'linux-x64-1.0', 'closed', home),
        reachableBinaries(native, 'linux-x64-1.0', 'closed', home),
      ]);
      expect(bin).toBe(path.join(home, 'postgres-linux-x64-1.0', 'bin'));
      expect(again).toBe(bin);
      expect(readdirSync(home)).toEqual(['postgres-linux-x64-1.0']); // no half copy left beside it
      const copy = path.dirname(bin);
      expect(statSync(home).mode & 0o777).toBe(0o755);
      expect(statSync(copy).uid).toBe(0);
      expect(statSync(copy).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(bin, 'postgres')).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(copy, 'lib', 'libpq.so.5.18')).mode & 0o777).toBe(0o644);
      expect(readlinkSync(path.join(copy, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
      // Keyed by version: a second start reuses the copy.
      const inode = statSync(path.join(bin, 'postgres')).ino;
      await reachableBinaries(native, 'linux-x64-1.0', 'closed', home);
      expect(statSync(path.join(bin, 'postgres')).ino).toBe(inode);
    });

    it('refuses a home that others may write, in one line', async () => {
      mkdirSync(home, { mode: 0o777 });
      chmodSync(home, 0o777);
      const attempt = reachableBinaries(fakeNative(), 'linux-x64-1.0', 'closed', home);
      await expect(attempt).rejects.toBeInstanceOf(StartupError);
      await expect(attempt).rejects.toThrow(
        `${home} is not a folder that root alone may write and others may enter (mode 777, owner uid 0)`,
      );
    });

    it('keeps the cluster in a postgres-owned 0700 folder, linked from the data directory, and finds it again', async () => {
      const ids = await postgresUser();
      const closed = path.join(work, 'closed-data');
      mkdirSync(path.join(closed, '.data'), { recursive: true, mode: 0o700 });
      chmodSync(closed, 0o700);
      const dataDir = path.join(closed, '.data', 'pg');
      const cluster = await reachableDataDir(dataDir, ids, 'closed', home);
      expect(cluster).toBe(clusterFolder(path.join(realpathSync(path.join(closed, '.data')), 'pg'), home));
      expect(statSync(cluster).uid).toBe(ids.uid);
      expect(statSync(cluster).mode & 0o777).toBe(0o700);
      expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
      expect(realpathSync(dataDir)).toBe(cluster);
      expect(await reachableDataDir(dataDir, ids, 'closed', home)).toBe(cluster);
      // The link lost: the same data directory still maps to the same cluster.
      rmSync(dataDir);
      expect(await reachableDataDir(dataDir, ids, 'closed', home)).toBe(cluster);
      // A database already in the closed folder is not moved unasked.
      const other = path.join(closed, 'other', 'pg');
      mkdirSync(other, { recursive: true });
      writeFileSync(path.join(other, 'PG_VERSION'), '18\n');
      await expect(reachableDataDir(other, ids, 'closed', home)).rejects.toThrow(`${other} already holds a database`);
      expect(existsSync(path.join(other, 'PG_VERSION'))).toBe(true);
    });
  } else {
    it("not root: refuses a home root does not own (the work-around is root's alone)", async () => {
      const attempt = reachableBinaries(fakeNative(), 'linux-x64-1.0', 'closed', home);
      await expect(attempt).rejects.toBeInstanceOf(StartupError);
      await expect(attempt).rejects.toThrow(`owner uid ${process.getuid!()}`);
    });
  }
});
