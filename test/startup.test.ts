import { afterAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './support/free-port.js';
import { serviceProcesses, untilReady } from './support/service-processes.js';
import { eventually } from './support/test-app.js';

/** The built service as `npm start` runs it, on its own embedded PostgreSQL. */
describe('the service process on its embedded PostgreSQL', () => {
  const { dataDir, run, cleanup } = serviceProcesses('pillar-loop-start-');
  let port: number;
  let pgPort: number;

  // The orphan of the SIGKILL case is stopped by the restart; cleanup makes sure nothing is left.
  afterAll(cleanup);

  const start = (env: Record<string, string> = {}) =>
    run([process.execPath, 'dist/src/main.js'], { PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), ...env });

  const base = () => `http://127.0.0.1:${port}`;
  const ready = () => untilReady(port);

  it('starts, generates a platform-admin key file (0600), and keeps rows across a restart', async () => {
    port = await freePort();
    pgPort = await freePort();
    const first = start({ LOG_LEVEL: 'info' });
    await ready();
    await eventually(
      async () => first.output().includes(`pillar-loop is ready. Console: ${base()}/console/`),
      'the console URL printed when ready',
    );
    // Nest's lines for each module and route are at debug: the log says what the service did, not ~160 routes.
    await eventually(async () => first.output().includes('Nest application successfully started'), "Nest's own line");
    expect(first.output()).not.toMatch(/"context":"(InstanceLoader|RoutesResolver|RouterExplorer)"/);
    const keyFile = path.join(dataDir, 'admin-api-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    const created = await fetch(`${base()}/incidents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ errorType: 'timeout', message: 'kept across restarts' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // The app reaches its embedded server through the Unix socket in the data directory, not loopback TCP.
    expect(existsSync(path.join(dataDir, 'pg', `.s.PGSQL.${pgPort}`))).toBe(true);
    // Its password was generated into DATA_DIR (0600), and TCP is closed: other local users cannot log in.
    const passwordFile = path.join(dataDir, 'pg-password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password).not.toBe('pillar-loop');
    expect(password.length).toBeGreaterThanOrEqual(32);
    const overTcp = new pg.Client({
      host: '127.0.0.1',
      port: pgPort,
      user: 'postgres',
      password,
      database: 'pillar_loop',
    });
    await expect(overTcp.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const legacy = new pg.Client({
      host: path.join(dataDir, 'pg'),
      port: pgPort,
      user: 'postgres',
      password: 'pillar-loop',
      database: 'pillar_loop',
    });
    await expect(legacy.connect()).rejects.toThrow(/password authentication failed/);
    const admin = new pg.Client({
      host: path.join(dataDir, 'pg'),
      port: pgPort,
      user: 'postgres',
      password,
      database: 'pillar_loop',
    });
    await admin.connect();
    const { rows } = await admin.query<{ app: number; tcp: number }>(
      `SELECT count(*)::int AS app, count(*) FILTER (WHERE client_addr IS NOT NULL)::int AS tcp FROM pg_stat_activity WHERE application_name = 'pillar-loop'`,
    );
    const backend = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const backendPolicy = schedulingPolicy(backend); // read while the backend lives
    await admin.end();
    expect(rows[0].app).toBeGreaterThan(0);
    expect(rows[0].tcp).toBe(0);
    // The server and the backends it forks are batch tasks: a backend woken by a statement does not
    // take the core from the service's event loop (SCHED_BATCH is policy 3 in /proc/<pid>/stat).
    const postmaster = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(schedulingPolicy(postmaster)).toBe(3);
    expect(backendPolicy).toBe(3);

    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    expect(code).toBe(0); // graceful shutdown, embedded database stopped
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = start();
    await ready();
    const again = await fetch(`${base()}/incidents/${id}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { message: string }).message).toBe('kept across restarts');
    second.child.kill('SIGKILL'); // leaves postmaster.pid and an orphaned postgres behind
    await once(second.child, 'exit');
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);
  });

  it('starts after a crash left a stale lock and an orphaned database server', async () => {
    const third = start();
    await ready();
    const key = readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
    const list = await fetch(`${base()}/incidents`, { headers: { Authorization: `Bearer ${key}` } });
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(1);
    third.child.kill('SIGTERM');
    await once(third.child, 'exit');
  });

  it('opens TCP for tools only when EMBEDDED_PG_TCP is on', async () => {
    const withTcp = start({ EMBEDDED_PG_TCP: 'true' });
    await ready();
    const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const tool = new pg.Client({
      host: '127.0.0.1',
      port: pgPort,
      user: 'postgres',
      password,
      database: 'pillar_loop',
    });
    await tool.connect();
    expect((await tool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await tool.end();
    withTcp.child.kill('SIGTERM');
    await once(withTcp.child, 'exit');
  });

  it('stops with a message naming a bad variable', async () => {
    // Three processes that each stop before they start anything, side by side.
    const bad = start({ OUTBOX_MAX_ATTEMPTS: 'many' });
    const badUrl = start({ DATABASE_URL: 'mysql://nope' });
    // The migration command (`npm run migration:run`) says it the same way: one line, exit 78, no stack trace.
    const migrate = run([process.execPath, 'dist/src/platform/database/migrate.cli.js', 'run'], { DB_POOL_SIZE: 'x' });
    const [[code], , [migrateCode]] = await Promise.all([
      once(bad.child, 'close'),
      once(badUrl.child, 'close'),
      once(migrate.child, 'close'),
    ]);
    expect(code).not.toBe(0);
    expect(bad.output()).toMatch(/OUTBOX_MAX_ATTEMPTS must be an integer/);
    expect(badUrl.output()).toMatch(/DATABASE_URL must use the postgres:\/\/ scheme/);
    expect({ code: migrateCode, said: migrate.output() }).toEqual({
      code: 78,
      said: 'Invalid configuration: DB_POOL_SIZE must be an integer, got "x"\n',
    });
  });
});

/** The scheduling policy of a process: field 41 of /proc/<pid>/stat, counted after the command's closing parenthesis. */
function schedulingPolicy(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}
