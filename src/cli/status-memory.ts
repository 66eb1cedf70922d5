import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Target } from './config.js';

export type Health = 'healthy' | 'degraded';

export interface LastCheck {
  health: Health;
  at: string;
}

type Env = Record<string, string | undefined>;

/** `$XDG_STATE_HOME/pillar-loop/status.json` (`~/.local/state/…` by default). */
export function statePath(env: Env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'pillar-loop', 'status.json');
}

/**
 * What `status` found last time, per service and key, so that it can say "fixed since the last
 * check" (exit 2) as seed 004's orchestrator does. The file names each target by its URL and the
 * first 12 hex digits of the key's SHA-256 (never the key), so two tenants on one service keep
 * apart. An unreadable file is treated as no memory; one that cannot be written makes remember()
 * throw, and the caller warns: the check itself still answers.
 */
export class StatusMemory {
  constructor(readonly path: string) {}

  static targetOf(target: Target): string {
    return `${target.url} ${createHash('sha256').update(target.key).digest('hex').slice(0, 12)}`;
  }

  last(target: Target): LastCheck | null {
    return this.read()[StatusMemory.targetOf(target)] ?? null;
  }

  remember(target: Target, check: LastCheck): void {
    const all = { ...this.read(), [StatusMemory.targetOf(target)]: check };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // Written whole and renamed: two checks at once never leave half a file.
    const next = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(next, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      renameSync(next, this.path);
    } catch (error) {
      rmSync(next, { force: true });
      throw error;
    }
  }

  private read(): Record<string, LastCheck> {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, LastCheck>)
        : {};
    } catch {
      return {};
    }
  }
}
