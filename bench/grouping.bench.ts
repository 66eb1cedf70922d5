/**
 * `npm run bench:grouping` — failure grouping on data we did not write: the Loghub-2k development
 * set (test/support/loghub.ts says where it is looked for; LOGHUB_DEV_DIR overrides).
 *
 * Starts the service in-process on an embedded PostgreSQL in a fresh temporary DATA_DIR. For each
 * system, a tenant of its own posts the system's 2 000 lines as incidents through the real HTTP
 * API (`POST /incidents`, `errorType: "log"`, the `Content` column as message,
 * BENCH_GROUPING_CONCURRENCY requests in flight, from a worker thread so the client does not share
 * the app's event loop). Bridge 2 is switched off for that tenant, so the loop stops once bridge 1
 * has filed each incident: the figure is the grouping's, not the whole loop's. The bench waits
 * until every incident has its pattern, reads each incident's pattern back through
 * `GET /incidents` (merges have moved incidents to their survivor by then), and lets the outbox
 * drain before the next system. A warm-up tenant posts 2 000 lines first, left out of every
 * figure. It prints per system the grouping accuracy (GA), patterns vs true groups and incidents
 * per second (first post to last incident filed), then the averages.
 *
 * Environment (optional): LOGHUB_DEV_DIR, BENCH_GROUPING_SYSTEMS=BGL,Mac (default: all),
 * BENCH_GROUPING_CONCURRENCY=32, BENCH_GROUPING_TIMEOUT_S=300 (per system).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { startApp, type RunningApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/platform/config/config.js';
import type { CorpusEntry } from '../test/fixtures/error-corpus.js';
import { freePort } from '../test/support/free-port.js';
import { groupingAccuracy } from '../test/support/grouping.js';
import { loadLoghubSystem, loghubDevDir, loghubSystemNames } from '../test/support/loghub.js';

interface SystemFigures {
  name: string;
  accuracy: number;
  patterns: number;
  templates: number;
  incidentsPerSecond: number;
  seconds: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Lines of the first system posted under a warm-up tenant before anything is measured. */
const WARMUP_LINES = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Api {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async call(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; retryAfterS: number }> {
    const res = await fetch(new URL(route, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      retryAfterS: Number(res.headers.get('retry-after') ?? 1),
    };
  }
}

/** Posts every line as an incident, `concurrency` in flight; a 429 (loop behind) waits as told and retries. */
async function postAll(api: Api, entries: readonly CorpusEntry[], concurrency: number): Promise<string[]> {
  const ids: string[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      for (;;) {
        const res = await api.call('POST', '/incidents', {
          errorType: entries[i]!.errorType,
          message: entries[i]!.message,
        });
        if (res.status === 201) {
          ids[i] = res.body.id;
          break;
        }
        if (res.status !== 429) throw new Error(`POST /incidents answered ${res.status}: ${JSON.stringify(res.body)}`);
        await sleep(res.retryAfterS * 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

/** Runs {@link postAll} in a worker thread; resolves with the incidents' ids. */
function postFromWorker(api: Api, entries: readonly CorpusEntry[], concurrency: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { baseUrl: api.baseUrl, key: api.key, entries, concurrency },
      name: 'grouping-poster',
    });
    worker.once('message', (ids: string[]) => resolve(ids));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the posting worker exited with ${code}`)));
  });
}

/** Every incident of the tenant with its pattern, page by page through `GET /incidents`. */
async function patternsOf(api: Api): Promise<Map<string, string | null>> {
  const patterns = new Map<string, string | null>();
  let cursor: string | null = null;
  do {
    const res = await api.call('GET', `/incidents?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET /incidents answered ${res.status}`);
    for (const item of res.body.items) patterns.set(item.id, item.matchedPatternId);
    cursor = res.body.nextCursor;
  } while (cursor);
  return patterns;
}

async function benchSystem(
  app: RunningApp,
  db: pg.Pool,
  adminKey: string,
  tenantId: string,
  name: string,
  entries: readonly CorpusEntry[],
  concurrency: number,
  timeoutS: number,
): Promise<SystemFigures> {
  const admin = new Api(app.url, adminKey);
  const created = await admin.call('POST', '/admin/api-keys', {
    tenantId,
    name: `bench:grouping ${name}`,
    role: 'admin',
  });
  if (created.status !== 201) throw new Error(`creating the ${tenantId} key failed: ${created.status}`);
  const api = new Api(app.url, created.body.key);
  const flag = await api.call('PUT', '/integration/flags/bridge_2', { enabled: false, scope: 'tenant' });
  if (flag.status !== 200) throw new Error(`switching bridge 2 off failed: ${flag.status}`);

  const started = performance.now();
  const ids = await postFromWorker(api, entries, concurrency);
  const posted = (performance.now() - started) / 1000;
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const [{ filed }] = (
      await db.query<{ filed: number }>(
        `SELECT count(*)::int AS filed FROM incidents WHERE tenant_id = $1 AND matched_pattern_id IS NOT NULL`,
        [tenantId],
      )
    ).rows as [{ filed: number }];
    if (filed >= entries.length) break;
    if (Date.now() > deadline)
      throw new Error(`${name}: only ${filed} of ${entries.length} incidents filed after ${timeoutS} s`);
    await sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`    posted in ${posted.toFixed(1)} s, all filed after ${seconds.toFixed(1)} s`);
  // The loop-status deliveries still pending finish before the next system starts on a quiet service.
  while ((await db.query(`SELECT 1 FROM outbox_events WHERE status = 'pending' LIMIT 1`)).rowCount) {
    if (Date.now() > deadline) throw new Error(`${name}: the outbox did not drain within ${timeoutS} s`);
    await sleep(50);
  }

  const patterns = await patternsOf(api);
  const predicted = ids.map((id) => patterns.get(id) ?? `missing:${id}`);
  return {
    name,
    accuracy: groupingAccuracy(entries, predicted).accuracy,
    patterns: new Set(predicted).size,
    templates: new Set(entries.map((e) => e.templateId)).size,
    incidentsPerSecond: entries.length / seconds,
    seconds,
  };
}

async function main(): Promise<void> {
  const dir = loghubDevDir();
  const wanted = process.env.BENCH_GROUPING_SYSTEMS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const systems = loghubSystemNames(dir).filter((name) => !wanted || wanted.includes(name));
  if (systems.length === 0)
    throw new Error(`no system of ${dir} matches BENCH_GROUPING_SYSTEMS=${process.env.BENCH_GROUPING_SYSTEMS}`);
  const concurrency = Number(process.env.BENCH_GROUPING_CONCURRENCY ?? 32);
  const timeoutS = Number(process.env.BENCH_GROUPING_TIMEOUT_S ?? 300);
  const runId = randomBytes(3).toString('hex');

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pillar-loop-grouping-'));
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  let app: RunningApp | null = null;
  let db: pg.Pool | null = null;
  try {
    const config = loadConfig({
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      EMBEDDED_PG_PORT: String(await freePort()),
      ADMIN_API_KEY: adminKey,
    });
    log(`bench:grouping: starting the service in-process (DATA_DIR ${dataDir}); data from ${dir}`);
    app = await startApp(config, () => {});
    db = new pg.Pool({ connectionString: app.database.url, max: 2 });
    // A warm-up tenant first (left out of every figure): a warm JIT and database, not a cold start.
    log(`  warm-up (${WARMUP_LINES} lines)…`);
    await benchSystem(
      app,
      db,
      adminKey,
      `grouping-warmup-${runId}`,
      'warm-up',
      loadLoghubSystem(systems[0]!, dir).entries.slice(0, WARMUP_LINES),
      concurrency,
      timeoutS,
    );
    const figures: SystemFigures[] = [];
    for (const name of systems) {
      log(`  ${name}…`);
      figures.push(
        await benchSystem(
          app,
          db,
          adminKey,
          `grouping-${name.toLowerCase()}-${runId}`,
          name,
          loadLoghubSystem(name, dir).entries,
          concurrency,
          timeoutS,
        ),
      );
    }
    report(dir, figures, concurrency);
  } finally {
    await db?.end().catch(() => undefined);
    await app?.close().catch((err: unknown) => log(`closing the app failed: ${String(err)}`));
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function report(dir: string, figures: readonly SystemFigures[], concurrency: number): void {
  const average = (pick: (f: SystemFigures) => number) => figures.reduce((sum, f) => sum + pick(f), 0) / figures.length;
  const lines = [
    `Grouping accuracy, Loghub-2k development set (${dir}), through POST /incidents (${concurrency} in flight), bridge 1 only`,
    `${'system'.padEnd(11)}${'GA'.padStart(7)}${'patterns'.padStart(10)}${'true'.padStart(6)}${'incidents/s'.padStart(13)}`,
    ...figures.map(
      (f) =>
        `${f.name.padEnd(11)}${f.accuracy.toFixed(3).padStart(7)}${String(f.patterns).padStart(10)}${String(f.templates).padStart(6)}${f.incidentsPerSecond.toFixed(0).padStart(13)}`,
    ),
    `${'average'.padEnd(11)}${average((f) => f.accuracy)
      .toFixed(3)
      .padStart(7)}${''.padStart(16)}${average((f) => f.incidentsPerSecond)
      .toFixed(0)
      .padStart(13)}`,
  ];
  console.log(lines.join('\n'));
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
} else {
  const { baseUrl, key, entries, concurrency } = workerData as {
    baseUrl: string;
    key: string;
    entries: CorpusEntry[];
    concurrency: number;
  };
  void postAll(new Api(baseUrl, key), entries, concurrency).then((ids) => parentPort!.postMessage(ids));
}
