import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * SQL has one home (CONTRIBUTING.md): a SQL string in src/ sits only in a `*.repository.ts`
 * (the module's own tables), a `*.read-model.ts` (named cross-table reads) or
 * `platform/database/`; migrations live outside src/. Handlers, services and controllers
 * reach the database through those.
 */
const SRC = join(process.cwd(), 'src');
const SQL = /\b(SELECT\s|INSERT\s+INTO\s|UPDATE\s+[a-z_]+\s+SET\s|DELETE\s+FROM\s)/;
const HOME = /(\.repository|\.read-model)\.ts$|^platform\/database\//;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

/** The string and template literals of a file that read as SQL (comments do not count). */
export function sqlStringsOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      if (SQL.test(node.text)) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const filesWithSql = () =>
  [...sources(SRC)]
    .filter((file) => sqlStringsOf(file, readFileSync(file, 'utf8')).length > 0)
    .map((file) => relative(SRC, file).split(sep).join('/'));

describe('SQL has one home', () => {
  it('no SQL string in src/ outside *.repository.ts, *.read-model.ts and platform/database/', () => {
    const all = filesWithSql();
    expect(all.filter((f) => HOME.test(f)).length).toBeGreaterThan(20); // the tree was read
    expect(all.filter((f) => !HOME.test(f))).toEqual([]);
  });

  it('the check sees SQL in strings and templates, not in comments', () => {
    const text = [
      '// SELECT * FROM nowhere',
      "const a = 'SELECT id FROM incidents';",
      'const b = `UPDATE work_orders SET status = ${x}`;',
      "const c = 'selected items';",
    ].join('\n');
    expect(sqlStringsOf('x.ts', text)).toEqual(['SELECT id FROM incidents', 'UPDATE work_orders SET status = ']);
  });
});
