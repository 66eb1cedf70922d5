import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importsOf, specifiersOf, violationOf, violations } from './support/module-boundaries.js';

const SRC = join(process.cwd(), 'src');
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));

describe('module boundaries (DESIGN.md §2)', () => {
  it('no import in src/ crosses a module boundary', () => {
    const edges = importsOf(SRC);
    expect(edges.length).toBeGreaterThan(300); // the whole tree was read
    const found = violations(edges).map((v) => `${v.from} imports ${v.specifier}: ${v.rule}`);
    expect(found).toEqual([]);
  });

  it('the command line loads no package but commander and node: built-ins (an installed CLI needs nothing of the service)', () => {
    const cli = join(SRC, 'cli');
    const packages = new Set<string>();
    for (const file of filesUnder(cli)) {
      if (file.endsWith('.spec.ts')) continue;
      for (const s of specifiersOf(file, readFileSync(file, 'utf8'))) if (!s.startsWith('.')) packages.add(s);
    }
    expect(packages.size).toBeGreaterThan(3); // the files were read
    expect([...packages].filter((p) => p !== 'commander' && !p.startsWith('node:'))).toEqual([]);
  });

  describe('the checker itself', () => {
    it('flags a pillar reaching into another pillar’s repository, and platform importing a pillar', () => {
      expect(
        violationOf({
          from: 'incidents/x/y.handler.ts',
          to: 'self-healing/catalog/failure-pattern.repository.ts',
          specifier: '…',
        })?.rule,
      ).toMatch(/only through/);
      expect(
        violationOf({
          from: 'platform/outbox/outbox.relay.ts',
          to: 'incidents/get-incident/get-incident.query.ts',
          specifier: '…',
        })?.rule,
      ).toMatch(/platform/);
      expect(
        violationOf({ from: 'governance/a.ts', to: 'integration/events/pattern-matched.event.ts', specifier: '…' })
          ?.rule,
      ).toMatch(/integration/);
      expect(
        violationOf({ from: 'integration/bridges/b.ts', to: 'self-healing/catalog/signature.ts', specifier: '…' })
          ?.rule,
      ).toMatch(/only through/);
    });

    it('lets a module use its own files, the platform, and another module’s public surface', () => {
      expect(
        violationOf({ from: 'incidents/a/b.handler.ts', to: 'incidents/incidents.repository.ts', specifier: '…' }),
      ).toBeNull();
      expect(
        violationOf({ from: 'incidents/a/b.handler.ts', to: 'platform/database/transaction-host.ts', specifier: '…' }),
      ).toBeNull();
      for (const file of ['x/y.command.ts', 'x/y.query.ts', 'x/y.event.ts', 'x/y.view.ts']) {
        expect(violationOf({ from: 'incidents/a.ts', to: `governance/${file}`, specifier: '…' })).toBeNull();
      }
      expect(violationOf({ from: 'app.module.ts', to: 'incidents/incidents.module.ts', specifier: '…' })).toBeNull();
    });

    it('keeps the command line to HTTP: src/cli/ imports nothing of the service, and the service nothing of it', () => {
      expect(
        violationOf({ from: 'cli/commands/runs.ts', to: 'self-healing/runs/run.view.ts', specifier: '…' })?.rule,
      ).toMatch(/talks HTTP only/);
      expect(violationOf({ from: 'cli/program.ts', to: 'platform/config/config.ts', specifier: '…' })?.rule).toMatch(
        /talks HTTP only/,
      );
      expect(
        violationOf({ from: 'cli/api-types.ts', to: '../console/src/api/client.ts', specifier: '…' })?.rule,
      ).toMatch(/talks HTTP only/);
      expect(violationOf({ from: 'main.ts', to: 'cli/program.ts', specifier: '…' })?.rule).toMatch(
        /imports the command line/,
      );
      expect(violationOf({ from: 'cli/api-types.ts', to: '../console/src/api/schema.ts', specifier: '…' })).toBeNull();
      expect(violationOf({ from: 'cli/commands/runs.ts', to: 'cli/format.ts', specifier: '…' })).toBeNull();
    });

    it('reads type-only, re-exported and dynamic imports from source text', () => {
      const text = [
        `import type { PatternView } from '../../self-healing/catalog/failure-pattern.repository.js';`,
        `export { x } from './local.js';`,
        `const m = await import('../../integration/loop-status/loop-stages.js');`,
        `let t: import('../../governance/policies/cel.js').X;`,
      ].join('\n');
      expect(specifiersOf('src/incidents/evidence/e.ts', text)).toEqual([
        '../../self-healing/catalog/failure-pattern.repository.js',
        './local.js',
        '../../integration/loop-status/loop-stages.js',
        '../../governance/policies/cel.js',
      ]);
    });

    it('fails on a made-up violating file in a real tree', async () => {
      const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const root = mkdtempSync(join(tmpdir(), 'arch-'));
      mkdirSync(join(root, 'incidents/evidence'), { recursive: true });
      mkdirSync(join(root, 'self-healing/catalog'), { recursive: true });
      writeFileSync(
        join(root, 'self-healing/catalog/failure-pattern.repository.ts'),
        'export interface PatternView { id: string }\n',
      );
      writeFileSync(
        join(root, 'incidents/evidence/evidence.view.ts'),
        `import type { PatternView } from '../../self-healing/catalog/failure-pattern.repository.js';\nexport type E = PatternView;\n`,
      );
      const found = violations(importsOf(root));
      rmSync(root, { recursive: true, force: true });
      expect(found).toEqual([
        expect.objectContaining({
          from: 'incidents/evidence/evidence.view.ts',
          to: 'self-healing/catalog/failure-pattern.repository.ts',
        }),
      ]);
    });
  });
});
