import { Option, type Command } from 'commander';
import { RECOVERY_STATUSES, type QueryOf, type RecoveryPage } from '../api-types.js';
import type { CliContext } from '../context.js';
import { ago, cut, idTail, pct, table } from '../format.js';
import {
  filterOption,
  morePages,
  type WindowAndPageOptions,
  windowAndPageQuery,
  withWindowAndPage,
} from './options.js';

interface RecoveriesOptions extends WindowAndPageOptions {
  status?: string;
  incident?: string;
  pattern?: string;
  agent?: string;
  capability?: string;
  playbook?: string;
  json?: boolean;
}

/** `pillar-loop recoveries`: `GET /recoveries`, the review queue and its history (what `approve` takes). */
export function recoveriesCommand(program: Command, ctx: CliContext): void {
  withWindowAndPage(
    program
      .command('recoveries')
      .description(
        'List suggested recoveries, newest first (GET /recoveries); --status pending_review is the review queue',
      )
      .addOption(new Option('--status <status>', 'only recoveries in this state').choices(RECOVERY_STATUSES))
      .option('--incident <id>', 'only recoveries for this incident', filterOption('--incident'))
      .option('--pattern <id>', 'only recoveries for this failure pattern', filterOption('--pattern'))
      .option('--agent <id>', 'only recoveries for this agent', filterOption('--agent'))
      .option('--capability <name>', 'only recoveries for this capability', filterOption('--capability'))
      .option('--playbook <id>', 'only recoveries of this playbook', filterOption('--playbook')),
    'suggested',
  )
    .option('--json', 'print the API answer as JSON')
    .action(async (o: RecoveriesOptions) => {
      const now = ctx.now();
      const query: QueryOf<'/recoveries'> = {
        status: o.status as QueryOf<'/recoveries'>['status'],
        incidentId: o.incident,
        patternId: o.pattern,
        agentId: o.agent,
        capability: o.capability,
        playbookId: o.playbook,
        ...windowAndPageQuery(o, now),
      };
      const page = await ctx.api().get<RecoveryPage>('/recoveries', { ...query });
      ctx.print(o.json, page, () => {
        if (page.items.length === 0) return 'no recovery matches';
        const rows = page.items.map((r) => [
          `…${idTail(r.id)}`,
          r.status,
          cut(r.playbookName ?? r.playbookId, 32),
          pct(r.confidence),
          cut(r.incident?.title ?? '—', 48),
          r.agentId ?? '—',
          ago(r.createdAt, now),
        ]);
        return (
          table(['ID', 'STATUS', 'PLAYBOOK', 'CONFIDENCE', 'INCIDENT', 'AGENT', 'SUGGESTED'], rows) +
          morePages(page.nextCursor)
        );
      });
    });
}
