import type { Command } from 'commander';
import type { ApprovedRun } from '../api-types.js';
import type { CliContext } from '../context.js';
import { idTail } from '../format.js';
import { resolveId } from '../resolve-id.js';

/** `pillar-loop approve <recovery>`: `POST /recoveries/:id/approve`, which starts its run. */
export function approveCommand(program: Command, ctx: CliContext): void {
  program
    .command('approve')
    .description('Approve a recovery waiting for review and start its run (operator role)')
    .argument('<recovery>', 'the recovery: its id, or the tail lists show')
    .option('--note <text>', 'why, kept with the decision and in the audit log')
    .option('--json', 'print the started run (with the recovery) as JSON')
    .action(async (recovery: string, o: { note?: string; json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'recovery', recovery);
      const run = await api.post<ApprovedRun>(`/recoveries/${id}/approve`, { note: o.note });
      ctx.print(o.json, run, () => {
        const incident = run.incidentTitle ? ` for "${run.incidentTitle}"` : '';
        return [
          `approved recovery …${idTail(id)}: ${run.playbookName ?? run.playbookId}${incident}`,
          `run …${idTail(run.id)} started (${run.status.replace(/_/g, ' ')}); follow it: pillar-loop runs --watch ${run.id}`,
        ].join('\n');
      });
    });
}
