import { CliContext } from './context.js';
import { runCli } from './program.js';

/** `pillar-loop` (bin/pillar-loop.js runs this from dist/). */
const ctx = new CliContext(process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
// `pillar-loop runs --json | head`: a reader that stops early is no error, and no stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? ctx.exitCode);
});
process.exitCode = await runCli(process.argv.slice(2), ctx);
