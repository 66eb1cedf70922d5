import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Catalog = { playbooks: Array<Record<string, any>> } & Record<string, unknown>;

/**
 * The shipped playbook catalog with a test's changes, written to a temporary file for
 * PLAYBOOK_CATALOG_PATH (so a test can ask for, say, a single-attempt step without changing the
 * shipped defaults). `change` edits the parsed JSON in place.
 */
export function playbookCatalogWith(change: (byId: (id: string) => Record<string, any>) => void): string {
  const catalog = JSON.parse(readFileSync(join(process.cwd(), 'config', 'playbooks.json'), 'utf8')) as Catalog;
  change((id) => {
    const playbook = catalog.playbooks.find((p) => p.id === id);
    if (!playbook) throw new Error(`no playbook ${id} in config/playbooks.json`);
    return playbook;
  });
  const path = join(mkdtempSync(join(tmpdir(), 'playbooks-')), 'playbooks.json');
  writeFileSync(path, JSON.stringify(catalog));
  return path;
}
