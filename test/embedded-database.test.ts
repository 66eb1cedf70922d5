import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './support/free-port.js';
import { serviceProcesses, untilReady, type ServiceProcess } from './support/service-processes.js';

/** The built service (`npm start`) on its own embedded PostgreSQL, in a bare environment: no LANG, no LC_*. */
describe('the service process and its embedded PostgreSQL server', () => {
  const keys = {
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
    AUDIT_SIGNING_KEY: randomBytes(32).toString('hex'),
  };
  const { dataDir, run, postmasterPid, cleanup } = serviceProcesses('pillar-loop-embedded-');
  let app: ServiceProcess;
  let port: number;
  let pgPort: number;

  // Only what is named here: the test runner's LANG/LC_* are not passed on.
  const start = (env: Record<string, string>, uid?: number) => run([process.execPath, 'dist/src/main.js'], env, uid);

  beforeAll(async () => {
    port = await freePort();
    pgPort = await freePort();
    app = start({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), ...keys });
    await untilReady(port);
  });

  afterAll(cleanup);

  it('creates its cluster in UTF8 whatever the locale variables say', async () => {
    const client = new pg.Client({
      host: path.join(dataDir, 'pg'),
      port: pgPort,
      user: 'postgres',
      password: readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim(),
      database: 'pillar_loop',
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ encoding: string; length: number }>(
        `SELECT current_setting('server_encoding') AS encoding, length('Müller')::int AS length`,
      );
      expect(rows[0]).toEqual({ encoding: 'UTF8', length: 6 });
    } finally {
      await client.end();
    }
  });

  it('gives the server none of the app’s keys in its environment', () => {
    const environ = readFileSync(`/proc/${postmasterPid()}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')));
    expect(names).toContain('PATH');
    for (const name of [...Object.keys(keys), 'DATA_DIR', 'PORT', 'EMBEDDED_PG_PORT'])
      expect(names).not.toContain(name);
    for (const value of Object.values(keys)) expect(environ.join('\n')).not.toContain(value);
  });

  it('exits non-zero with one fatal line when its database server dies under it', async () => {
    const pid = postmasterPid();
    process.kill(pid, 'SIGQUIT'); // immediate shutdown, as an operator's kill -QUIT or a crash would leave it
    const [code] = (await once(app.child, 'exit')) as [number | null];
    expect(code).toBe(70); // EX_SOFTWARE, as the README says
    const fatal = app
      .output()
      .split('\n')
      .filter((line) => line.includes('exited unexpectedly'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0])).toMatchObject({
      level: 60,
      msg: expect.stringMatching(
        new RegExp(`^embedded PostgreSQL \\(pid ${pid}\\) exited unexpectedly \\((exit code \\d+|signal SIG[A-Z]+)\\)`),
      ),
    });
  });

  it('names DATA_DIR, the uid and the fix in one line when it may not write DATA_DIR', async () => {
    // A root-owned bind mount and an app running as another user; not root, a folder it may not write.
    const readOnly = mkdtempSync(path.join(tmpdir(), 'pillar-loop-readonly-'));
    const root = process.getuid?.() === 0;
    chmodSync(readOnly, root ? 0o755 : 0o555);
    const uid = root ? 65534 : process.getuid!();
    try {
      const denied = start(
        { DATA_DIR: readOnly, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) },
        root ? uid : undefined,
      );
      const [code] = (await once(denied.child, 'exit')) as [number | null];
      expect(code).not.toBe(0);
      expect(denied.output().trim()).toBe(
        `pillar-loop failed to start: DATA_DIR ${readOnly} is not writable by uid ${uid} (EACCES): chown it to the app's user (chown -R ${uid} ${readOnly}), or set DATABASE_URL`,
      );
    } finally {
      rmSync(readOnly, { recursive: true, force: true });
    }
  });
});
