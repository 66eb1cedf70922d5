import type { Command } from 'commander';
import type { RunPlan } from '../api-types.js';
import type { CliContext } from '../context.js';
import { idTail, table } from '../format.js';
import { resolveId } from '../resolve-id.js';

/** `pillar-loop dry-run <recovery>`: `POST /recoveries/:id/dry-run`, the plan of the run approving it would start. */
export function dryRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('dry-run')
    .description('Show the plan of the run approving a recovery would start; nothing is called or changed')
    .argument('<recovery>', 'the recovery: its id, or the tail lists show')
    .option('--json', 'print the plan as JSON')
    .action(async (recovery: string, o: { json?: boolean }) => {
      const api = ctx.api();
      const id = await resolveId(api, 'recovery', recovery);
      const plan = await api.post<RunPlan>(`/recoveries/${id}/dry-run`);
      ctx.print(o.json, plan, () => planText(plan));
    });
}

/** The plan in words: what runs, the calls in order, what would hold it. */
export function planText(plan: RunPlan): string {
  const subject = plan.recoveryId ? `recovery …${idTail(plan.recoveryId)}` : 'the reported problem';
  const where = plan.agentId ? ` on ${plan.agentId}${plan.capability ? ` / ${plan.capability}` : ''}` : '';
  const steps = plan.steps.map((s) => [
    s.list,
    s.id,
    s.runsAs === s.kind ? s.kind : `${s.kind} → ${s.runsAs}`,
    s.actuator ? `${s.actuator}${s.actuatorConfigured === false ? ' (not configured)' : ''}` : '—',
    s.when ? `${s.when.result}: ${s.when.expression}` : '',
  ]);
  const calls = plan.calls.map(
    (c, i) =>
      `  ${i + 1}. ${c.stepId} → ${c.actuator} ${JSON.stringify(c.params)}${c.onlyIf ? `  only if ${c.onlyIf}` : ''}`,
  );
  const failing = plan.onFailure === 'pause' ? 'pause for an operator' : 'roll back';
  const holds = plan.guardrails.map((g) => `  ${g.guardrail}: ${g.reason}`);
  return [
    `DRY RUN of ${subject}${where}: playbook ${plan.playbookName} (${plan.playbookId}); a failed step would ${failing}`,
    table(['list', 'step', 'kind', 'actuator', 'when'], steps),
    `calls, in order (${calls.length}):`,
    ...(calls.length > 0 ? calls : ['  none: a person does every step']),
    `guardrails that would hold it as an automatic run: ${holds.length === 0 ? 'none' : ''}`,
    ...holds,
    `kill switch: ${plan.killSwitch ? 'on' : 'off'}`,
    ...plan.notes.map((n) => `note: ${n}`),
    'nothing was called or changed',
  ].join('\n');
}
