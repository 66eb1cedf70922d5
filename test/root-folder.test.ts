import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './support/free-port.js';
import { untilReady } from './support/service-processes.js';

/**
 * Issue 11, item 6: `npm start` and `npm test` from a checkout in a folder others may not enter
 * (a clone under /root, mode 0700). As root the embedded server runs as `postgres`, which cannot
 * reach that checkout's binaries nor a DATA_DIR inside it: they are placed under
 * /var/lib/pillar-loop instead. As any other user it runs as that user, and both work in place.
 */
describe('the two commands from a checkout in a 0700 folder', () => {
  const asRoot = process.getuid?.() === 0;
  const closed = mkdtempSync(path.join(tmpdir(), 'pillar-loop-0700-'));
  const clone = path.join(closed, 'clone');
  const dataDir = path.join(clone, '.data');
  const children: ChildProcess[] = [];

  beforeAll(() => {
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    // A real clone; the built code, the installed packages and the test support of this tree in it
    // (what `npm ci` and `npm test`'s build would leave). Hard links keep node_modules cheap, and its
    // files still lie under the closed folder, as after `npm ci` there.
    execFileSync('git', ['clone', '-q', process.cwd(), clone]);
    try {
      execFileSync('cp', ['-al', 'node_modules', path.join(clone, 'node_modules')]);
    } catch {
      execFileSync('cp', ['-a', 'node_modules', path.join(clone, 'node_modules')]); // another file system
    }
    for (const p of ['dist', 'test/support', 'jest.config.js', 'tsconfig.json', 'package.json'])
      cpSync(p, path.join(clone, p), { recursive: true });
  }, 120_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // A cluster placed under /var/lib/pillar-loop/clusters outlives the folder: remove it too.
    for (const data of [dataDir, path.join(clone, '.data-blocked')]) {
      const link = path.join(data, 'pg');
      if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() && existsSync(link))
        rmSync(realpathSync(link), { recursive: true, force: true });
    }
    rmSync(closed, { recursive: true, force: true });
  });

  function run(command: string[], env: Record<string, string>, options: { uid?: number; gid?: number } = {}) {
    const child = spawn(command[0], command.slice(1), {
      cwd: clone,
      env: { PATH: process.env.PATH ?? '', HOME: closed, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    return { child, output: () => output };
  }

  /** The binary a process runs, and the user it runs as. */
  function processOf(pid: number) {
    return { exe: readlinkSync(`/proc/${pid}/exe`), uid: statSync(`/proc/${pid}`).uid };
  }
  const postgresUid = () => Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());

  it('npm start: serves /health/ready, keeps its data across a restart, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const pgPort = await freePort();
    // `npm start` is `npm run build && exec npm run start:prod`; the build is the suite's own (pretest).
    // Through npm, as a supervisor runs it: its SIGTERM must reach the service (the script execs it).
    const start = () =>
      run(['npm', 'run', '--silent', 'start:prod'], {
        DATA_DIR: dataDir,
        PORT: String(port),
        EMBEDDED_PG_PORT: String(pgPort),
      });
    const ready = (what: ReturnType<typeof start>) => untilReady(port, { service: what, timeoutMs: 90_000 });

    const first = start();
    await ready(first);
    const key = readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
    const created = await fetch(`http://127.0.0.1:${port}/incidents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ errorType: 'timeout', message: 'written from a 0700 folder' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const pgLink = path.join(dataDir, 'pg');
    const server = processOf(Number(readFileSync(path.join(pgLink, 'postmaster.pid'), 'utf8').split('\n')[0]));
    // The password stays in DATA_DIR, root's (or the user's) alone.
    expect(statSync(path.join(dataDir, 'pg-password')).mode & 0o777).toBe(0o600);
    if (asRoot) {
      // The cluster lives in a `postgres`-owned 0700 folder under /var/lib/pillar-loop, DATA_DIR/pg links to it.
      expect(lstatSync(pgLink).isSymbolicLink()).toBe(true);
      const cluster = realpathSync(pgLink);
      expect(cluster).toMatch(/^\/var\/lib\/pillar-loop\/clusters\/[0-9a-f]{16}$/);
      expect(statSync(cluster).uid).toBe(postgresUid());
      expect(statSync(cluster).mode & 0o777).toBe(0o700);
      // …and so does its socket, the app's way in.
      expect(existsSync(path.join(cluster, `.s.PGSQL.${pgPort}`))).toBe(true);
      // The server runs as `postgres` from the root-owned copy of the binaries, not from the checkout.
      expect(server.uid).toBe(postgresUid());
      expect(server.exe).toMatch(/^\/var\/lib\/pillar-loop\/postgres-[^/]+\/bin\/postgres$/);
      const copy = path.dirname(path.dirname(server.exe));
      expect(statSync(copy).uid).toBe(0);
      expect(statSync(copy).mode & 0o777).toBe(0o755);
    } else {
      // Not root: the server runs as this user, from the checkout, on DATA_DIR/pg itself.
      expect(lstatSync(pgLink).isDirectory()).toBe(true);
      expect(server.uid).toBe(process.getuid!());
      expect(server.exe.startsWith(path.join(realpathSync(clone), 'node_modules'))).toBe(true);
    }

    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    expect(code).toBe(0);
    expect(existsSync(path.join(pgLink, 'postmaster.pid'))).toBe(false);
    expect(first.output()).not.toMatch(/EACCES|\n\s+at /);

    // The same DATA_DIR finds the same cluster again.
    const second = start();
    await ready(second);
    const again = await fetch(`http://127.0.0.1:${port}/incidents/${id}`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(again.status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await once(second.child, 'exit'))[0]).toBe(0);
  }, 180_000);

  it("npm test: Jest's global setup starts the run's embedded database, and a test file gets a fresh database on it", async () => {
    const out = path.join(closed, 'probe.json');
    writeFileSync(
      path.join(clone, 'test', 'clone-probe.test.ts'),
      `import { expect, it } from '@jest/globals';
import { readlinkSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase } from './support/test-database.js';

it('gets a fresh database', async () => {
  const client = new pg.Client({ connectionString: await createTestDatabase() });
  await client.connect();
  const { rows } = await client.query('SELECT current_database() AS db, pg_backend_pid() AS pid');
  writeFileSync(process.env.PROBE_OUT!, JSON.stringify({ db: rows[0].db, exe: readlinkSync('/proc/' + rows[0].pid + '/exe') }));
  await client.end();
  expect(rows[0].db).toMatch(/^pl_test_/);
});
`,
    );
    // What `npm test -- test/clone-probe.test.ts` runs once its build is done; no DATABASE_URL.
    const probe = run(['sh', 'test/support/run-tests.sh', 'test/clone-probe.test.ts'], { PROBE_OUT: out });
    const [code] = await once(probe.child, 'exit');
    // On failure, the run's own output says why.
    expect(code === 0 ? 'exit 0' : probe.output()).toBe('exit 0');
    expect(probe.output()).toMatch(/^1 passed, 0 failed/m);
    const { db, exe } = JSON.parse(readFileSync(out, 'utf8')) as { db: string; exe: string };
    expect(db).toMatch(/^pl_test_/);
    if (asRoot) expect(exe).toMatch(/^\/var\/lib\/pillar-loop\/postgres-[^/]+\/bin\/postgres$/);
    else expect(exe.startsWith(path.join(realpathSync(clone), 'node_modules'))).toBe(true);
  }, 180_000);

  it('stops with one line naming the folder and the fix when the data cannot be placed, never a stack trace', async () => {
    let blocked;
    if (asRoot) {
      // The work-around's own folder inside the closed one: nothing to do but say so.
      blocked = run([process.execPath, 'dist/src/main.js'], {
        DATA_DIR: path.join(clone, '.data-blocked'),
        EMBEDDED_PG_HOME: path.join(closed, 'pg-home'),
        PORT: String(await freePort()),
      });
    } else {
      // Not root: a DATA_DIR this user may not create.
      const locked = path.join(closed, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      blocked = run([process.execPath, 'dist/src/main.js'], {
        DATA_DIR: path.join(locked, 'data'),
        PORT: String(await freePort()),
      });
    }
    const [code] = await once(blocked.child, 'exit');
    expect(code).toBe(1);
    const lines = blocked.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(blocked.output()).not.toMatch(/\n\s+at /);
    expect(lines[0]).toMatch(/DATABASE_URL/);
    if (asRoot) {
      expect(lines[0]).toContain(
        `cannot enter ${closed} (mode 700), nor ${closed}, above ${path.join(closed, 'pg-home')}`,
      );
      expect(lines[0]).toContain('EMBEDDED_PG_HOME');
    } else {
      expect(lines[0]).toContain(`cannot create the data folder ${path.join(closed, 'locked', 'data')} (EACCES)`);
    }
  }, 60_000);
});
