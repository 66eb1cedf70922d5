import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { COMMANDS } from './commands/index.js';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';

const HELP_AFTER = `
Configuration: PILLAR_LOOP_URL (the service, e.g. https://pillar-loop.example.com) and
PILLAR_LOOP_KEY (an API key), each falling back to a JSON file {"url": …, "key": …} at
$PILLAR_LOOP_CONFIG, else $XDG_CONFIG_HOME/pillar-loop/config.json (~/.config/…), which must be
mode 0600 and is not read when both variables are set. The key is sent in the Authorization
header only, and never printed. PILLAR_LOOP_STREAM_IDLE_MS (45000): how long runs --watch lets its
stream be silent, not even a heart-beat, before it opens it again.

Exit codes: 0 ok or healthy, or (runs --watch) the run stood down as its incident was resolved;
1 degraded (status), the run did not fix it or its rollback failed (runs --watch), the audit chain
is broken (audit verify); 2 fixed since the last check (status), an operator canceled the run
(runs --watch); 3 no answer (usage, configuration, the service unreachable or refusing).`;

/** The version of the package this runs from (dist/src/cli → the package's root). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('pillar-loop')
    .description(
      "Command line for pillar-loop's public HTTP API: the loop's health, incidents, runs, reviews, audit, inbox",
    )
    .version(version(), '-V, --version')
    .helpCommand(false)
    // Errors are one line and a code of ours (3), never commander's own exit.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(`pillar-loop: ${s.replace(/^error: /, '').trim()}\n`),
    })
    .showSuggestionAfterError()
    .addHelpText('after', HELP_AFTER);
  for (const add of COMMANDS) add(program, ctx);
  return program;
}

/** Runs one command line; resolves to the exit code. Whatever goes wrong is said in one line on stderr. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    // Commander has already said what was wrong with the usage (or printed the help asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    const message = error instanceof Error ? error.message : String(error);
    ctx.io.err(`pillar-loop: ${oneLine(message, ctx)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.error;
  }
}

/** One line, and never the key, whatever a message carries. */
function oneLine(message: string, ctx: CliContext): string {
  const key = ctx.knownKey();
  const flat = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return key ? flat.split(key).join('[key]') : flat;
}
