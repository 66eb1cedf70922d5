import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './support/free-port.js';
import { serviceProcesses, type ServiceProcess } from './support/service-processes.js';
import { eventually } from './support/test-app.js';

/**
 * How to start a child in a PID namespace of its own (a second container on the same volume):
 * `unshare` as root, or in a user namespace of its own where unprivileged ones are allowed.
 */
function ownPidNamespace(): string[] {
  const tries = [
    ['unshare', '--pid', '--ipc', '--fork', '--mount-proc'],
    ['unshare', '--user', '--map-root-user', '--pid', '--ipc', '--fork', '--mount-proc'],
  ];
  for (const prefix of tries) {
    try {
      execFileSync(prefix[0], [...prefix.slice(1), 'true'], { stdio: 'ignore' });
      return prefix;
    } catch {
      // next
    }
  }
  throw new Error('this test needs `unshare` (util-linux) and either root or unprivileged user namespaces');
}

/**
 * Two processes on one DATA_DIR: the second (another app, the migration command, an app in another
 * PID namespace) is refused and leaves the first's database alone; after a SIGKILL the next start
 * takes the data directory over at once.
 */
describe('one process per DATA_DIR', () => {
  const { dataDir, run, cleanup } = serviceProcesses('pillar-loop-lock-');
  let port: number;
  let pgPort: number;

  afterAll(cleanup);

  const app = (env: Record<string, string> = {}) =>
    run([process.execPath, 'dist/src/main.js'], { PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), ...env });

  const base = () => `http://127.0.0.1:${port}`;
  const readyStatus = async () => {
    try {
      return (await fetch(`${base()}/health/ready`)).status;
    } catch {
      return 0;
    }
  };
  const ready = () => eventually(async () => (await readyStatus()) === 200, 'the service to be ready', 60_000);
  const key = () => readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
  const incident = (id: string) =>
    fetch(`${base()}/incidents/${id}`, { headers: { Authorization: `Bearer ${key()}` } });

  async function expectRefused(second: ServiceProcess) {
    // Refused at once: one that starts instead keeps running (and, before the lock, had stopped the first's database).
    await eventually(async () => second.child.exitCode !== null, 'the second process to be refused', 30_000);
    expect(second.child.exitCode).toBe(78);
    const lines = second.output().trim().split('\n');
    const refusal = lines[lines.length - 1];
    expect(refusal).toContain(`DATA_DIR ${dataDir} is in use by another pillar-loop process (pid ${first!.child.pid}`);
    expect(second.output()).not.toMatch(/orphaned|\n\s+at /);
  }

  let first: ServiceProcess | undefined;
  let id: string;

  it('refuses a second app and the migration command, and the first keeps its database', async () => {
    port = await freePort();
    pgPort = await freePort();
    first = app();
    await ready();
    const created = await fetch(`${base()}/incidents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ errorType: 'timeout', message: 'written by the first' }),
    });
    expect(created.status).toBe(201);
    id = ((await created.json()) as { id: string }).id;
    const postmaster = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8');

    // Another port and database port: nothing but DATA_DIR is shared. Both at once: each must be refused.
    await Promise.all([
      expectRefused(
        run([process.execPath, 'dist/src/main.js'], {
          PORT: String(await freePort()),
          EMBEDDED_PG_PORT: String(await freePort()),
        }),
      ),
      expectRefused(
        run([process.execPath, 'dist/src/platform/database/migrate.cli.js', 'run'], {
          EMBEDDED_PG_PORT: String(pgPort),
        }),
      ),
    ]);

    expect(await readyStatus()).toBe(200);
    const kept = await incident(id);
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { message: string }).message).toBe('written by the first');
    expect(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).toBe(postmaster);
    expect(first.child.exitCode).toBeNull();
  }, 120_000);

  it('refuses an app in another PID namespace (a second container on the volume) once it sees the heartbeat', async () => {
    const postmaster = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8');
    const second = run([...ownPidNamespace(), process.execPath, 'dist/src/main.js'], {
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(pgPort),
    });
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(78);
    expect(second.output()).toContain('cannot be checked from here: waiting up to 20 s for its heartbeat');
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use by another pillar-loop process`);
    expect(second.output()).not.toMatch(/orphaned|stale PostgreSQL lock/);
    expect(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).toBe(postmaster);
    expect(await readyStatus()).toBe(200);
  }, 60_000);

  it('starts at once after the holder was SIGKILLed, and releases the lock on a clean stop', async () => {
    first!.child.kill('SIGKILL');
    await once(first!.child, 'exit');
    expect(existsSync(path.join(dataDir, 'instance.lock'))).toBe(true);
    const next = app();
    await ready();
    expect(next.output()).toMatch(/took over the instance lock of DATA_DIR .* its process \(pid \d+\) is gone/);
    expect((await incident(id)).status).toBe(200);
    next.child.kill('SIGTERM');
    const [code] = await once(next.child, 'exit');
    expect(code).toBe(0);
    expect(existsSync(path.join(dataDir, 'instance.lock'))).toBe(false);
  }, 120_000);
});
