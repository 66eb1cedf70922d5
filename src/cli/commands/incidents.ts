import { Option, type Command } from 'commander';
import { INCIDENT_SOURCES, INCIDENT_STATUSES, SEVERITIES, type IncidentPage, type QueryOf } from '../api-types.js';
import type { CliContext } from '../context.js';
import { ago, cut, idTail, table } from '../format.js';
import {
  filterOption,
  morePages,
  type WindowAndPageOptions,
  windowAndPageQuery,
  withWindowAndPage,
} from './options.js';

interface IncidentsOptions extends WindowAndPageOptions {
  status?: string;
  severity?: string;
  source?: string;
  errorType?: string;
  agent?: string;
  capability?: string;
  pattern?: string;
  json?: boolean;
}

/** `pillar-loop incidents`: `GET /incidents` with every filter it takes. */
export function incidentsCommand(program: Command, ctx: CliContext): void {
  withWindowAndPage(
    program
      .command('incidents')
      .description('List incidents, newest first (GET /incidents)')
      .addOption(new Option('--status <status>', 'only incidents in this state').choices(INCIDENT_STATUSES))
      .addOption(new Option('--severity <severity>').choices(SEVERITIES))
      .addOption(new Option('--source <source>', 'who reported them').choices(INCIDENT_SOURCES))
      .option('--error-type <type>', 'only this error type', filterOption('--error-type'))
      .option('--agent <id>', 'only this agent', filterOption('--agent'))
      .option('--capability <name>', 'only this capability', filterOption('--capability'))
      .option('--pattern <id>', 'only incidents matched to this failure pattern', filterOption('--pattern')),
    'created',
  )
    .option('--json', 'print the API answer as JSON')
    .action(async (o: IncidentsOptions) => {
      const now = ctx.now();
      const query: QueryOf<'/incidents'> = {
        status: o.status as QueryOf<'/incidents'>['status'],
        severity: o.severity as QueryOf<'/incidents'>['severity'],
        source: o.source as QueryOf<'/incidents'>['source'],
        errorType: o.errorType,
        agentId: o.agent,
        capability: o.capability,
        matchedPatternId: o.pattern,
        ...windowAndPageQuery(o, now),
      };
      const page = await ctx.api().get<IncidentPage>('/incidents', { ...query });
      ctx.print(o.json, page, () => {
        if (page.items.length === 0) return 'no incident matches';
        const rows = page.items.map((i) => [
          `…${idTail(i.id)}`,
          i.status,
          i.severity,
          cut(i.title, 60) + (i.repeatCount > 1 ? ` (×${i.repeatCount})` : ''),
          i.agentId ?? '—',
          i.source,
          ago(i.createdAt, now),
        ]);
        return (
          table(['ID', 'STATUS', 'SEVERITY', 'TITLE', 'AGENT', 'SOURCE', 'REPORTED'], rows) + morePages(page.nextCursor)
        );
      });
    });
}
