import type { Command } from 'commander';
import type { RunView } from '../api-types.js';
import type { CliContext } from '../context.js';
import { idTail } from '../format.js';
import { resolveId } from '../resolve-id.js';

/** `pillar-loop cancel <run>`: `POST /runs/:id/cancel` (accepted: the run stops between steps, then rolls back). */
export function cancelCommand(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description('Cancel a recovery run: it stops between steps, then runs its rollback (operator role)')
    .argument('<run>', 'the run: its id, or the tail lists show')
    .option('--json', 'print the run as the service accepted the cancel, as JSON')
    .action(async (given: string, o: { json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'run', given);
      const run = await api.post<RunView>(`/runs/${id}/cancel`);
      ctx.print(
        o.json,
        run,
        () =>
          `cancel requested for run …${idTail(run.id)} (${run.playbookId}, ${run.status.replace(/_/g, ' ')}): ` +
          `it stops between steps, then rolls back; follow it: pillar-loop runs --watch ${run.id}`,
      );
    });
}
