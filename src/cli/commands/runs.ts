import { Option, type Command } from 'commander';
import { RUN_STATUSES, RUN_TRIGGERS, type QueryOf, type RunPage } from '../api-types.js';
import type { CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { ago, cut, idTail, table } from '../format.js';
import { resolveId } from '../resolve-id.js';
import {
  filterOption,
  morePages,
  type WindowAndPageOptions,
  windowAndPageQuery,
  withWindowAndPage,
} from './options.js';
import { watchRun } from './watch-run.js';

interface RunsOptions extends WindowAndPageOptions {
  watch?: string;
  status?: string;
  incident?: string;
  pattern?: string;
  agent?: string;
  capability?: string;
  playbook?: string;
  trigger?: string;
  json?: boolean;
}

const LIST_FILTERS = [
  'status',
  'incident',
  'pattern',
  'agent',
  'capability',
  'playbook',
  'trigger',
  'since',
  'until',
  'cursor',
] as const;

/** `pillar-loop runs`: `GET /runs` with its filters, or `--watch <run>` to follow one live. */
export function runsCommand(program: Command, ctx: CliContext): void {
  withWindowAndPage(
    program
      .command('runs')
      .description('List recovery runs, newest first (GET /runs), or follow one live with --watch')
      .option(
        '--watch <run>',
        'follow this run (its id, or the tail lists show) until it ends; exit 0 succeeded (or canceled as its incident was resolved), 1 failed, rolled back, timed out or its rollback failed, 2 canceled by an operator',
      )
      .addOption(new Option('--status <status>', 'only runs in this state').choices(RUN_STATUSES))
      .option('--incident <id>', 'only runs for this incident', filterOption('--incident'))
      .option('--pattern <id>', 'only runs for this failure pattern', filterOption('--pattern'))
      .option('--agent <id>', 'only runs for this agent', filterOption('--agent'))
      .option('--capability <name>', 'only runs for this capability', filterOption('--capability'))
      .option('--playbook <id>', 'only runs of this playbook', filterOption('--playbook'))
      .addOption(new Option('--trigger <trigger>', 'auto-applied or started by a person').choices(RUN_TRIGGERS)),
    'created',
  )
    .option('--json', 'print JSON (with --watch: one object a line, the last one the finished run)')
    .addHelpText(
      'after',
      "\nWith --watch, each change of the run and its steps is printed as it happens (the service's live stream);\nCtrl-C stops following, not the run. A stream silent for PILLAR_LOOP_STREAM_IDLE_MS (45 s: three of the\nservice's 15 s heart-beats) is taken for a dead connection and opened again.",
    )
    .action(async (o: RunsOptions) => {
      if (o.watch !== undefined) {
        const filters = LIST_FILTERS.filter((f) => o[f] !== undefined);
        if (filters.length > 0) throw new CliError(`--watch follows one run: drop --${filters.join(', --')}`);
        ctx.exitCode = await watchRun(ctx, await resolveId(ctx.api(), 'run', o.watch), o.json);
        return;
      }
      const now = ctx.now();
      const query: QueryOf<'/runs'> = {
        status: o.status as QueryOf<'/runs'>['status'],
        incidentId: o.incident,
        patternId: o.pattern,
        agentId: o.agent,
        capability: o.capability,
        playbookId: o.playbook,
        trigger: o.trigger as QueryOf<'/runs'>['trigger'],
        ...windowAndPageQuery(o, now),
      };
      const page = await ctx.api().get<RunPage>('/runs', { ...query });
      ctx.print(o.json, page, () => {
        if (page.items.length === 0) return 'no run matches';
        const rows = page.items.map((r) => [
          `…${idTail(r.id)}`,
          r.status,
          cut(r.playbookName ?? r.playbookId, 32),
          cut(r.incidentTitle ?? '—', 48),
          r.automatic ? 'auto' : 'person',
          ago(r.startedAt ?? r.createdAt, now),
        ]);
        return table(['ID', 'STATUS', 'PLAYBOOK', 'INCIDENT', 'BY', 'STARTED'], rows) + morePages(page.nextCursor);
      });
    });
}
