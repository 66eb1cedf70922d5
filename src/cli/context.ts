import { setTimeout as delay } from 'node:timers/promises';
import { ApiClient, STREAM_IDLE_MS } from './api-client.js';
import { loadTarget, streamIdleMs, type Target } from './config.js';
import { EXIT } from './exit-codes.js';

export type Env = Record<string, string | undefined>;

/** Where a command writes: its result to stdout, one-line notes and errors to stderr. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * What every command is given: the environment, its output, the service (read from the
 * configuration only when a command needs it, so `--help` works without one), the clock and its
 * waits, the random source of its back-off, and the exit code it decides on.
 */
export class CliContext {
  exitCode: number = EXIT.ok;
  private target?: Target;
  private client?: ApiClient;

  constructor(
    readonly env: Env,
    readonly io: Io,
    readonly now: () => number = Date.now,
    readonly sleep: (ms: number) => Promise<void> = async (ms) => {
      await delay(ms);
    },
    readonly random: () => number = Math.random,
  ) {}

  service(): Target {
    this.target ??= loadTarget(this.env, (line) => this.io.err(`pillar-loop: ${line}\n`));
    return this.target;
  }

  /** The key, once known: messages are scrubbed of it before they are printed. */
  knownKey(): string | undefined {
    return this.target?.key ?? this.env.PILLAR_LOOP_KEY;
  }

  api(): ApiClient {
    this.client ??= new ApiClient(this.service(), () => streamIdleMs(this.env, STREAM_IDLE_MS));
    return this.client;
  }

  /** A command's answer: one JSON document for scripts, or text for people. */
  print(json: boolean | undefined, value: unknown, text: () => string): void {
    this.io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
  }
}
