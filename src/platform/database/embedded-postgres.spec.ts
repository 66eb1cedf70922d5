import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  childEnvironment,
  clearStaleLock,
  clusterLocale,
  notWritableMessage,
  socketDirFor,
} from './embedded-postgres.js';

describe('socketDirFor', () => {
  it('puts the socket in the data directory', () => {
    expect(socketDirFor('/var/lib/pillar-loop/pg', 5432, 'linux')).toBe('/var/lib/pillar-loop/pg');
    expect(socketDirFor('/data dir/pg', 5432, 'linux')).toBe('/data dir/pg');
  });

  it('stays on TCP when the socket path would be too long for the kernel', () => {
    const dir = `/${'d'.repeat(93)}`; // + "/.s.PGSQL.5432" = 108 characters
    expect(socketDirFor(dir, 5432, 'linux')).toBeNull();
    expect(socketDirFor(dir.slice(0, -1), 5432, 'linux')).toBe(dir.slice(0, -1));
    // macOS allows 4 bytes less, and the limit is in bytes, not characters.
    expect(socketDirFor(dir.slice(0, -4), 5432, 'darwin')).toBeNull();
    expect(socketDirFor(dir.slice(0, -5), 5432, 'darwin')).toBe(dir.slice(0, -5));
    expect(socketDirFor(`/${'é'.repeat(47)}`, 5432, 'linux')).toBeNull(); // 48 characters, 95 bytes + 14
  });

  it('stays on TCP on Windows, and for a directory the setting cannot name', () => {
    expect(socketDirFor('C:\\data\\pg', 5432, 'win32')).toBeNull();
    expect(socketDirFor('/data/a,b/pg', 5432, 'linux')).toBeNull();
    expect(socketDirFor('/data/"q"/pg', 5432, 'linux')).toBeNull();
  });
});

describe('clearStaleLock', () => {
  it("removes the lock files of a server that is gone, its socket's included", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-lock-'));
    try {
      // A pid no process has (above the kernel's pid_max).
      writeFileSync(path.join(dir, 'postmaster.pid'), '99999999\n/data\n');
      writeFileSync(path.join(dir, '.s.PGSQL.5432.lock'), '99999999\n');
      writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
      await clearStaleLock(dir);
      expect(readdirSync(dir)).toEqual(['PG_VERSION']);
      expect(existsSync(path.join(dir, 'postmaster.pid'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clusterLocale', () => {
  it('prefers C.UTF-8 as `locale -a` spells it, then en_US.UTF-8, else C', () => {
    expect(clusterLocale(new Set(['C', 'C.utf8', 'POSIX', 'en_US.utf8']))).toBe('C.utf8');
    expect(clusterLocale(new Set(['C', 'C.UTF-8']))).toBe('C.UTF-8');
    expect(clusterLocale(new Set(['C', 'POSIX', 'en_US.UTF-8', 'de_DE.UTF-8']))).toBe('en_US.UTF-8');
    expect(clusterLocale(new Set(['C', 'POSIX', 'de_DE.ISO-8859-1']))).toBe('C');
    expect(clusterLocale(new Set())).toBe('C');
  });
});

describe('childEnvironment', () => {
  it('passes on the path, time zone and locale, and none of the app keys or settings', () => {
    const env = childEnvironment(
      {
        PATH: '/usr/bin',
        TZ: 'Europe/Berlin',
        LANG: 'de_DE.UTF-8',
        LC_ALL: 'de_DE.UTF-8',
        LC_CTYPE: 'de_DE.UTF-8',
        SECRETS_KEY: 'a'.repeat(64),
        ADMIN_API_KEY: 'admin-key-0123456789',
        AUDIT_SIGNING_KEY: 'b'.repeat(64),
        DATABASE_URL: 'postgres://u:p@db/x',
        PGPASSWORD: 'secret',
        DATA_DIR: '/data',
      },
      'C',
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      TZ: 'Europe/Berlin',
      LANG: 'de_DE.UTF-8',
      LC_CTYPE: 'de_DE.UTF-8',
      LC_MESSAGES: 'C', // LC_ALL would override it
    });
  });
});

describe('notWritableMessage', () => {
  it('names DATA_DIR, the uid and the fix', () => {
    expect(notWritableMessage('/data', 'EACCES', 1000)).toBe(
      "DATA_DIR /data is not writable by uid 1000 (EACCES): chown it to the app's user (chown -R 1000 /data), or set DATABASE_URL",
    );
  });
});
