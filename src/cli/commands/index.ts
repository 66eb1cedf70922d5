import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { approveCommand } from './approve.js';
import { auditCommand } from './audit.js';
import { cancelCommand } from './cancel.js';
import { inboxCommand } from './inbox.js';
import { incidentsCommand } from './incidents.js';
import { recoveriesCommand } from './recoveries.js';
import { runsCommand } from './runs.js';
import { statusCommand } from './status.js';

/**
 * Every command, in the order `--help` lists them. A command is one file here that adds itself
 * to the program (`program.command(…)`, so it inherits the program's error handling) and talks
 * to the service through `ctx.api()`; a new one (`dry-run <recovery>`, `retry <run> <step>`,
 * `skip <run> <step>` once their routes exist) is a file and a line in this list.
 */
export const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [
  statusCommand,
  incidentsCommand,
  runsCommand,
  recoveriesCommand,
  approveCommand,
  cancelCommand,
  auditCommand,
  inboxCommand,
];
