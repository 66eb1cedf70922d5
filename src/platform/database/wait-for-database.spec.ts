import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { DatabaseRefusedError, DatabaseUnavailableError, serverOf, waitForDatabase } from './wait-for-database.js';

describe('waitForDatabase', () => {
  it('names the server by host, port and database only: never the user or the password', () => {
    expect(serverOf('postgres://app:s3cret@db:6543/pillar?sslmode=require')).toBe('db:6543/pillar');
    expect(serverOf('postgresql://app:s3cret@localhost/pillar?host=/var/run/postgresql')).toBe(
      'localhost:5432/pillar (socket in /var/run/postgresql)',
    );
  });

  it('with a timeout of 0 makes one attempt, warns of none, and says what it met without the password', async () => {
    // A port that was free a moment ago: nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const warnings: string[] = [];
    const failure = await waitForDatabase(`postgres://app:s3cret@127.0.0.1:${port}/pillar`, {
      timeoutMs: 0,
      warn: (msg) => warnings.push(msg),
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as Error).message).toBe(
      `the database at 127.0.0.1:${port}/pillar (DATABASE_URL) cannot be reached: connection refused (ECONNREFUSED); gave up after one attempt (DATABASE_CONNECT_TIMEOUT_S)`,
    );
    expect(warnings).toEqual([]);
  });

  it('does not wait for a server that refuses the login: one line saying so at once, without the password or a warning', async () => {
    // A server that answers every connection as PostgreSQL does a wrong password (an ErrorResponse, SQLSTATE 28P01).
    const fields = ['SFATAL', 'C28P01', 'Mpassword authentication failed for user "app"'].map((f) => `${f}\0`).join('');
    const body = Buffer.from(`${fields}\0`);
    const length = Buffer.alloc(4);
    length.writeInt32BE(body.length + 4);
    const server = createServer((socket) =>
      socket.once('data', () => socket.end(Buffer.concat([Buffer.from('E'), length, body]))),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const warnings: string[] = [];
    try {
      const failure = await waitForDatabase(`postgres://app:s3cret@127.0.0.1:${port}/pillar`, {
        timeoutMs: 600_000,
        warn: (msg) => warnings.push(msg),
      }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(DatabaseRefusedError);
      expect((failure as Error).message).toBe(
        `the database at 127.0.0.1:${port}/pillar (DATABASE_URL) refused the connection: password authentication failed for user "app" (28P01)`,
      );
      expect(warnings).toEqual([]);
    } finally {
      server.close();
    }
  });
});
