import { describe, expect, it } from '@jest/globals';
import { socketDirFor } from './embedded-postgres.js';

describe('socketDirFor', () => {
  it('puts the socket in the data directory', () => {
    expect(socketDirFor('/var/lib/pillar-loop/pg', 5432, 'linux')).toBe('/var/lib/pillar-loop/pg');
    expect(socketDirFor('/data dir/pg', 5432, 'linux')).toBe('/data dir/pg');
  });

  it('stays on TCP when the socket path would be too long for the kernel', () => {
    const dir = `/${'d'.repeat(93)}`; // + "/.s.PGSQL.5432" = 108 characters
    expect(socketDirFor(dir, 5432, 'linux')).toBeNull();
    expect(socketDirFor(dir.slice(0, -1), 5432, 'linux')).toBe(dir.slice(0, -1));
  });

  it('stays on TCP on Windows, and for a directory the setting cannot name', () => {
    expect(socketDirFor('C:\\data\\pg', 5432, 'win32')).toBeNull();
    expect(socketDirFor('/data/a,b/pg', 5432, 'linux')).toBeNull();
    expect(socketDirFor('/data/"q"/pg', 5432, 'linux')).toBeNull();
  });
});
