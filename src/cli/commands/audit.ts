import type { Command } from 'commander';
import type { ChainVerdict } from '../api-types.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

/** `pillar-loop audit verify`: `GET /audit/verify`; exit 1 when the tenant's chain is broken. */
export function auditCommand(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description("The tenant's tamper-evident audit log");
  audit
    .command('verify')
    .description(
      'Recompute the audit chain and check its signed checkpoints (GET /audit/verify); exit 1 when it is broken',
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (o: { json?: boolean }) => {
      const verdict = await ctx.api().get<ChainVerdict>('/audit/verify');
      ctx.exitCode = verdict.ok ? EXIT.ok : EXIT.no;
      ctx.print(o.json, verdict, () => {
        const counted = `${verdict.entries} ${verdict.entries === 1 ? 'entry' : 'entries'}, ${verdict.checkpoints} signed checkpoint${verdict.checkpoints === 1 ? '' : 's'}`;
        if (verdict.ok) return `audit chain intact: ${counted}`;
        return `audit chain BROKEN at entry ${verdict.firstBrokenSeq}: ${verdict.problem ?? 'it does not verify'} (before it: ${counted})`;
      });
    });
}
