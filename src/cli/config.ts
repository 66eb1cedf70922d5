import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './exit-codes.js';

/** Where the command line sends its requests, and with which key. */
export interface Target {
  /** The service's base URL, without a trailing slash (a path prefix behind a proxy is kept). */
  url: string;
  key: string;
  /** Where the key came from, for messages: `PILLAR_LOOP_KEY` or the config file. */
  keySource: string;
}

type Env = Record<string, string | undefined>;

/** `$PILLAR_LOOP_CONFIG`, else `$XDG_CONFIG_HOME/pillar-loop/config.json` (`~/.config/…` by default). */
export function configPath(env: Env): { path: string; chosen: boolean } {
  if (env.PILLAR_LOOP_CONFIG) return { path: env.PILLAR_LOOP_CONFIG, chosen: true };
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return { path: join(base, 'pillar-loop', 'config.json'), chosen: false };
}

/**
 * The URL and key: `PILLAR_LOOP_URL` and `PILLAR_LOOP_KEY`, each falling back to the config file
 * (`{"url": …, "key": …}`). The file holds a key, so one that others may read or write is refused,
 * as ssh refuses an open private key. The key is never printed, and never goes into a URL. With
 * both variables set the file is not read at all (one named by PILLAR_LOOP_CONFIG neither): nothing
 * of it would be used, so a stale or broken file must not stop the command.
 */
export function loadTarget(env: Env, warn: (line: string) => void): Target {
  const { path, chosen } = configPath(env);
  const file = env.PILLAR_LOOP_URL && env.PILLAR_LOOP_KEY ? null : readConfigFile(path, chosen);
  const rawUrl = env.PILLAR_LOOP_URL || file?.url;
  const key = (env.PILLAR_LOOP_KEY || file?.key)?.trim();
  if (!rawUrl) throw new CliError(`no service URL: set PILLAR_LOOP_URL, or "url" in ${path}`);
  if (!key) throw new CliError(`no API key: set PILLAR_LOOP_KEY, or "key" in ${path} (mode 0600)`);
  // Said here, without the key: fetch would refuse it in a header as a network error.
  const keyFrom = env.PILLAR_LOOP_KEY ? 'PILLAR_LOOP_KEY' : path;
  if (/\s/.test(key)) throw new CliError(`the API key from ${keyFrom} contains whitespace`);
  if ([...key].some((c) => c < ' ' || c === '\x7f'))
    throw new CliError(`the API key from ${keyFrom} contains a control character`);
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new CliError(
      `the API key from ${keyFrom} contains a character outside ASCII (a typographic quote or dash pasted in?): a key is visible ASCII only`,
    );
  }
  const url = serviceUrl(rawUrl, env.PILLAR_LOOP_URL ? 'PILLAR_LOOP_URL' : `"url" in ${path}`);
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    warn(`warning: the API key goes to ${url.host} over plain http; use https`);
  }
  return {
    url: url.href.replace(/\/+$/, ''),
    key,
    keySource: env.PILLAR_LOOP_KEY ? 'PILLAR_LOOP_KEY' : path,
  };
}

interface ConfigFile {
  url?: string;
  key?: string;
}

function readConfigFile(path: string, chosen: boolean): ConfigFile | null {
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new CliError(`config file ${path} is not a file`);
    mode = stat.mode & 0o777;
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !chosen) return null;
    throw new CliError(`cannot read config file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `config file ${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}) and holds an API key: chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // JSON.parse's message quotes the text, which may hold the key: say only where.
    if (error instanceof SyntaxError) throw new CliError(`config file ${path} is not valid JSON`);
    throw new CliError(`cannot read config file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`config file ${path} must hold a JSON object {"url": …, "key": …}`);
  }
  const unknown = Object.keys(parsed).filter((k) => k !== 'url' && k !== 'key');
  if (unknown.length > 0)
    throw new CliError(`config file ${path}: unknown field ${unknown.join(', ')} (only url and key)`);
  const { url, key } = parsed as Record<string, unknown>;
  if ((url !== undefined && typeof url !== 'string') || (key !== undefined && typeof key !== 'string')) {
    throw new CliError(`config file ${path}: url and key must be strings`);
  }
  return { url, key };
}

/** An http(s) URL with nothing secret in it: the key travels in the Authorization header only. */
function serviceUrl(raw: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source} is not a URL (expected e.g. https://pillar-loop.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${source} must be an http or https URL`);
  if (url.username || url.password) {
    throw new CliError(
      `${source} must not carry a user or password: the key goes in PILLAR_LOOP_KEY or the config file`,
    );
  }
  // A bare `?` or `#` leaves search and hash empty, yet href keeps it: requests would go to `…?/runs`.
  if (url.search || url.hash || /[?#]/.test(url.href))
    throw new CliError(`${source} must not carry a query or fragment (nothing from "?" or "#" on)`);
  return url;
}

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * PILLAR_LOOP_STREAM_IDLE_MS: how long `runs --watch` lets its stream be silent before it opens it
 * again (STREAM_IDLE_MS by default); above three heart-beats if the service's SSE_HEARTBEAT_MS was raised.
 */
export function streamIdleMs(env: Env, fallback: number): number {
  const raw = env.PILLAR_LOOP_STREAM_IDLE_MS?.trim();
  if (!raw) return fallback;
  const ms = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 100 && ms <= 3_600_000))
    throw new CliError('PILLAR_LOOP_STREAM_IDLE_MS must be a whole number of milliseconds from 100 to 3600000');
  return ms;
}
