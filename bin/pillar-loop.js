#!/usr/bin/env node
// `pillar-loop`, the command line (src/cli/), runs from its build in dist/. A checkout builds it with
// `npm run build`; a package made by `npm pack` (its prepack script builds) ships it built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    `pillar-loop: not built yet: run npm run build in ${fileURLToPath(new URL('..', import.meta.url))}\n`,
  );
  process.exit(3);
}
await import(main.href);
