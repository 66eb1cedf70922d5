import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The import rules of DESIGN.md §2, checked from the source text with the TypeScript parser
 * (so type-only imports, re-exports and dynamic imports all count):
 * - `platform/` imports no other module;
 * - a pillar (every top-level folder of src/ but platform and integration) imports another
 *   pillar only through its public surface, and never `integration/`;
 * - `integration/` reaches pillars through their public surface too.
 * - `cli/` (the `pillar-loop` command line) talks to the service over HTTP only: it imports nothing
 *   of src/ outside itself but the console's types generated from the OpenAPI document, and
 *   nothing imports it.
 * Files directly under src/ (main, bootstrap, app.module) compose the modules and are exempt
 * (from all but the command line's rule).
 */
export const PUBLIC_SURFACE = /(\.command|\.query|\.event|\.view)\.ts$|(^|\/)index\.ts$/;

export interface ImportEdge {
  /** Both relative to src/, with forward slashes. */
  from: string;
  to: string;
  specifier: string;
}

export interface Violation extends ImportEdge {
  rule: string;
}

export interface AllowedEdge {
  from: string;
  to: string;
  reason: string;
}

// Files directly under src/ and outside it (migrations/) belong to no module.
const moduleOf = (path: string): string | null =>
  path.includes('/') && !path.startsWith('../') ? path.split('/')[0] : null;

/** What the command line may import from outside src/cli/: the API's types, generated from the OpenAPI document. */
export const CLI_MAY_IMPORT = ['../console/src/api/schema.ts'];

export function violationOf(edge: ImportEdge): Violation | null {
  const from = moduleOf(edge.from);
  const to = moduleOf(edge.to);
  if (from === 'cli' && to !== 'cli' && !CLI_MAY_IMPORT.includes(edge.to)) {
    return {
      ...edge,
      rule: 'the command line talks HTTP only: src/cli/ imports nothing of the service (only the generated API types)',
    };
  }
  if (to === 'cli' && from !== 'cli')
    return { ...edge, rule: 'nothing of the service imports the command line (src/cli/)' };
  if (from === null || to === null || from === to) return null;
  if (from === 'platform') return { ...edge, rule: 'platform/ imports no pillar and not integration/' };
  if (to === 'platform') return null;
  if (to === 'integration') return { ...edge, rule: 'a pillar never imports integration/' };
  if (!PUBLIC_SURFACE.test(edge.to)) {
    return {
      ...edge,
      rule: `another module is reached only through its *.command.ts, *.query.ts, *.event.ts or *.view.ts files`,
    };
  }
  return null;
}

/** Every relative import of every .ts file under `srcDir`, resolved to a file path. */
export function importsOf(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const specifier of specifiersOf(file, text)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      edges.push({ from: toKey(srcDir, file), to: toKey(srcDir, target), specifier });
    }
  }
  return edges;
}

export function specifiersOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function violations(edges: ImportEdge[], allowed: AllowedEdge[] = []): Violation[] {
  return edges
    .map(violationOf)
    .filter((v): v is Violation => v !== null && !allowed.some((a) => a.from === v.from && a.to === v.to));
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const toKey = (srcDir: string, path: string) => relative(srcDir, path).split(sep).join('/');
