import { Option, type Command } from 'commander';
import { INBOX_KINDS, SNOOZED_MODES, type InboxPage, type QueryOf } from '../api-types.js';
import type { CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { ago, cut, idTail, limitOption, table } from '../format.js';
import { filterOption, morePages } from './options.js';

interface InboxOptions {
  kind?: string;
  assignee?: string;
  snoozed?: string;
  limit: number;
  cursor?: string;
  json?: boolean;
}

/** `pillar-loop inbox`: `GET /inbox`, what waits for a person, most urgent first. */
export function inboxCommand(program: Command, ctx: CliContext): void {
  program
    .command('inbox')
    .description(
      'What waits for a person: reviews, operator steps, holds, work orders, draft policies, escalations (GET /inbox)',
    )
    .addOption(new Option('--kind <kind>', 'only this kind').choices(INBOX_KINDS))
    .option('--assignee <who>', 'only items assigned to this person (none: only unassigned ones)', assigneeOption)
    .addOption(
      new Option('--snoozed <mode>', 'snoozed items: left out, listed too, or only them').choices(SNOOZED_MODES),
    )
    .option('--limit <n>', 'at most this many (1–200)', limitOption(200), 50)
    .option('--cursor <cursor>', 'the next page, as printed under a full one', filterOption('--cursor'))
    .option('--json', 'print the API answer as JSON')
    .action(async (o: InboxOptions) => {
      const now = ctx.now();
      const query: QueryOf<'/inbox'> = {
        kind: o.kind as QueryOf<'/inbox'>['kind'],
        assignee: o.assignee,
        snoozed: o.snoozed as QueryOf<'/inbox'>['snoozed'],
        limit: o.limit,
        cursor: o.cursor,
      };
      const page = await ctx.api().get<InboxPage>('/inbox', { ...query });
      ctx.print(o.json, page, () => {
        if (page.items.length === 0) return 'nothing waits';
        // The whole item id: what POST /inbox/:id/assign and /snooze take.
        const rows = page.items.map((i) => [
          i.id,
          i.priority,
          i.kind,
          cut(i.title, 64),
          `${i.subject.type} …${idTail(i.subject.id)}`,
          ago(i.createdAt, now).replace(/ ago$/, ''),
          i.deadline ? ago(i.deadline, now) : '—',
          i.assignee ?? '—',
        ]);
        return (
          table(['ID', 'PRIORITY', 'KIND', 'TITLE', 'SUBJECT', 'WAITING', 'DEADLINE', 'ASSIGNEE'], rows) +
          morePages(page.nextCursor)
        );
      });
    });
}

/**
 * `--assignee`: a person, or `none`. An empty value is a usage error: sent on, it would be dropped
 * from the query and list everyone's items, the opposite of a filter (`--assignee "$WHO"` unset).
 */
export function assigneeOption(value: string): string {
  if (value.trim() === '') throw new CliError('--assignee needs a person (or none: the unassigned items)');
  return value;
}
