import { CliContext } from './context.js';
import { runCli } from './program.js';

/** `pillar-loop` (bin/pillar-loop.js runs this from dist/). */
const ctx = new CliContext(process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exitCode = await runCli(process.argv.slice(2), ctx);
