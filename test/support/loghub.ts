import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { CorpusEntry } from '../fixtures/error-corpus.js';

/**
 * The Loghub-2k development set (`/work/shared/loghub-dev/`, see its README): public log lines
 * with corrected ground truth. Each line is an incident message (`Content`) and its true group
 * (`EventId`). Data we did not write: the grouping figures the suite and the bench report.
 */
export interface LoghubSystem {
  name: string;
  entries: CorpusEntry[];
}

/** The repository root, from this file (test/support/ in the sources, dist/test/support/ built). */
function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** The folders looked in, in order: `LOGHUB_DEV_DIR`, `../shared/loghub-dev` beside the checkout, `/work/shared/loghub-dev`. */
export function loghubDevCandidates(): string[] {
  return [
    process.env.LOGHUB_DEV_DIR,
    path.resolve(repositoryRoot(), '..', 'shared', 'loghub-dev'),
    '/work/shared/loghub-dev',
  ].filter((dir): dir is string => typeof dir === 'string' && dir !== '');
}

/** The first candidate folder that holds the data; throws naming every path tried: a missing data set fails loudly. */
export function loghubDevDir(candidates = loghubDevCandidates()): string {
  const found = candidates.find((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.csv.gz')));
  if (!found)
    throw new Error(`Loghub-2k development set not found (set LOGHUB_DEV_DIR); tried: ${candidates.join(', ')}`);
  return found;
}

/** The systems in the folder, by name (`BGL`, `HDFS`, …), sorted. */
export function loghubSystemNames(dir = loghubDevDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('_2k.log_structured_corrected.csv.gz'))
    .map((f) => f.slice(0, f.indexOf('_2k.')))
    .sort();
}

export function loadLoghubSystem(name: string, dir = loghubDevDir()): LoghubSystem {
  const rows = parseCsv(
    gunzipSync(readFileSync(path.join(dir, `${name}_2k.log_structured_corrected.csv.gz`))).toString('utf8'),
  );
  const header = rows.shift() ?? [];
  const content = header.indexOf('Content');
  const eventId = header.indexOf('EventId');
  if (content < 0 || eventId < 0) throw new Error(`${name}: no Content/EventId column in ${header.join(',')}`);
  const entries = rows
    .filter((row) => row.length > Math.max(content, eventId))
    .map((row) => ({ templateId: row[eventId]!, errorType: 'log', message: row[content]! }));
  return { name, entries };
}

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
