import { afterAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './support/free-port.js';
import { serviceProcesses } from './support/service-processes.js';

/** What an orchestrator and its operator see when the built service cannot start (an ops review). */
describe('the built service, started wrong', () => {
  const { dataDir, run, cleanup } = serviceProcesses('pillar-loop-start-stop-');
  afterAll(cleanup);

  const service = (env: Record<string, string>) => run([process.execPath, 'dist/src/main.js'], env);
  const exitOf = async (p: ReturnType<typeof service>) => {
    const [code] = await once(p.child, 'close');
    return code as number;
  };

  it('a PLAYBOOK_CATALOG_PATH it cannot use stops it with one line naming the variable, the path and the fault, exit 78, before any database starts', async () => {
    const missing = path.join(dataDir, 'no-such-catalog.json');
    const notJson = path.join(dataDir, 'not-json.json');
    const notCatalog = path.join(dataDir, 'not-a-catalog.json');
    writeFileSync(notJson, '{ "playbooks": [');
    writeFileSync(notCatalog, JSON.stringify({ playbooks: 3 }));
    const expected: Array<[string, RegExp]> = [
      [missing, /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+no-such-catalog\.json does not exist\n$/],
      [notJson, /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+not-json\.json is not valid JSON: [^\n]+\n$/],
      [
        notCatalog,
        /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+not-a-catalog\.json is not a valid catalog: field "playbooks" must be a non-empty array\n$/,
      ],
    ];
    for (const [file, line] of expected) {
      const p = service({
        PORT: String(await freePort()),
        EMBEDDED_PG_PORT: String(await freePort()),
        PLAYBOOK_CATALOG_PATH: file,
      });
      expect({ code: await exitOf(p), file }).toEqual({ code: 78, file });
      expect(p.output()).toMatch(line);
      expect(p.output()).toContain(file);
    }
    // Nothing was started: no embedded database ($DATA_DIR/pg), no instance lock, no generated key in DATA_DIR.
    expect(readdirSync(dataDir).sort()).toEqual(['not-a-catalog.json', 'not-json.json']);
  });
});
