import type { Command } from 'commander';
import type { RunView } from '../api-types.js';
import type { CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { idTail } from '../format.js';
import { resolveId } from '../resolve-id.js';

/** `name=value`: the value as JSON when it reads as JSON (0.75, true, "x", {…}), else as text. */
export function paramOption(given: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = given.indexOf('=');
  if (at < 1) throw new CliError(`--param ${given}: give it as name=value (e.g. factor=0.75)`);
  const raw = given.slice(at + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { ...previous, [given.slice(0, at)]: value };
}

const answered = (run: RunView, what: string) => {
  const status = run.status.replace(/_/g, ' ');
  return `${what}; run …${idTail(run.id)} is ${status}; follow it: pillar-loop runs --watch ${run.id}`;
};

/**
 * `pillar-loop retry|skip <run> <step>` and `rollback <run>`: answer a run paused on a failed step
 * (`POST /runs/:id/steps/:stepId/retry|skip`, `POST /runs/:id/rollback`).
 */
export function pausedRunCommands(program: Command, ctx: CliContext): void {
  program
    .command('retry')
    .description('Retry the failed step a run is paused on, optionally with corrected parameters (operator role)')
    .argument('<run>', 'the run: its id, or the tail lists show')
    .argument('<step>', "the failed step (the run's pausedOnStep)")
    .option('--param <name=value>', "a corrected value of one of the step's parameters (repeatable)", paramOption)
    .option('--json', 'print the run as the service answered, as JSON')
    .action(async (given: string, step: string, o: { param?: Record<string, unknown>; json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'run', given);
      const run = await api.post<RunView>(
        `/runs/${id}/steps/${encodeURIComponent(step)}/retry`,
        o.param ? { params: o.param } : {},
      );
      const params = o.param ? ` with ${JSON.stringify(o.param)}` : '';
      ctx.print(o.json, run, () => answered(run, `step ${step} retried${params}`));
    });
  program
    .command('skip')
    .description('Skip the failed step a run is paused on; the run goes on with its next step (operator role)')
    .argument('<run>', 'the run: its id, or the tail lists show')
    .argument('<step>', "the failed step (the run's pausedOnStep)")
    .option('--json', 'print the run as the service answered, as JSON')
    .action(async (given: string, step: string, o: { json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'run', given);
      const run = await api.post<RunView>(`/runs/${id}/steps/${encodeURIComponent(step)}/skip`);
      ctx.print(o.json, run, () => answered(run, `step ${step} skipped`));
    });
  program
    .command('rollback')
    .description(
      'Roll back a run paused on a failed step: it fails with that failure and runs its rollback (operator role)',
    )
    .argument('<run>', 'the run: its id, or the tail lists show')
    .option('--json', 'print the run as the service accepted the rollback, as JSON')
    .action(async (given: string, o: { json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'run', given);
      const run = await api.post<RunView>(`/runs/${id}/rollback`);
      ctx.print(o.json, run, () => answered(run, 'rollback requested'));
    });
}
