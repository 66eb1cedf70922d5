import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONSOLE_API_TYPES_FILE, consoleApiTypes, documentText, OPENAPI_FILE } from '../src/openapi/openapi.cli.js';

/**
 * The OpenAPI document is one a generator can trust (Redocly's recommended rules, 0 errors), and the
 * checked-in document and the console's types generated from it match the code: a view field
 * changed without `npm run openapi` fails here.
 */
describe('OpenAPI document', () => {
  let doc: OpenAPIObject;

  it('is built from the controllers of the built service, without a database', () => {
    // The built service (npm test builds it first), as it serves /docs: the same module loading as production.
    const built = spawnSync(process.execPath, ['dist/src/openapi/openapi.cli.js', '--print'], { encoding: 'utf8' });
    expect(built.status).toBe(0);
    doc = JSON.parse(built.stdout) as OpenAPIObject;
    expect(Object.keys(doc.paths).length).toBeGreaterThan(60);
    expect(doc.paths['/integration/stats/loop-health']?.get?.summary).toBeTruthy();
  });

  it('passes Redocly lint (recommended rules) with 0 errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, documentText(doc));
      const lint = spawnSync(
        process.execPath,
        ['node_modules/@redocly/cli/bin/cli.js', 'lint', file, '--config', 'redocly.yaml', '--format', 'json'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        },
      );
      const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as {
        totals: { errors: number };
        problems: Array<{ ruleId: string; severity: string; message: string }>;
      };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
      expect(lint.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every operation has a summary and declares its path parameters', () => {
    for (const [route, operations] of Object.entries(doc.paths)) {
      const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const op of Object.values(operations) as Array<{
        summary?: string;
        parameters?: Array<{ in: string; name: string }>;
      }>) {
        expect(op.summary).toBeTruthy();
        expect(
          (op.parameters ?? [])
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort(),
        ).toEqual(names);
      }
    }
  });

  it('matches the checked-in document and the console types generated from it (run `npm run openapi` after changing a view)', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(documentText(doc));
    expect(readFileSync(CONSOLE_API_TYPES_FILE, 'utf8')).toBe(await consoleApiTypes(doc));
  });
});
