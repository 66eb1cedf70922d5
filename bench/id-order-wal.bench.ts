/**
 * What the order of primary-key values costs in WAL: into a table of 500 000 rows, right after a
 * CHECKPOINT, 20 000 inserts (200 statements of 100 rows), once with random (v4) UUID keys and
 * once with time-ordered (v7) ones, on a fresh embedded PostgreSQL. After a checkpoint the first
 * change to each page writes its full image to the WAL: random keys touch pages all over the
 * index, time-ordered keys only its right edge.
 *
 *   npm run build && node dist/bench/id-order-wal.bench.js
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/database/embedded-postgres.js';
import { uuidv7 } from '../src/platform/ids/uuid-v7.js';

const EXISTING = 500_000;
const INSERTS = 200;
const ROWS_PER_INSERT = 100;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function walPerRow(client: pg.Client, newId: () => string): Promise<{ bytesPerRow: number; ms: number }> {
  await client.query(`DROP TABLE IF EXISTS id_order; CREATE TABLE id_order (id uuid PRIMARY KEY, v int NOT NULL)`);
  for (let done = 0; done < EXISTING; done += 10_000) {
    await client.query(`INSERT INTO id_order SELECT unnest($1::uuid[]), 0`, [Array.from({ length: 10_000 }, newId)]);
  }
  await client.query('CHECKPOINT');
  const [{ lsn }] = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
  const started = performance.now();
  for (let i = 0; i < INSERTS; i++) {
    await client.query(`INSERT INTO id_order SELECT unnest($1::uuid[]), 0`, [
      Array.from({ length: ROWS_PER_INSERT }, newId),
    ]);
  }
  const ms = performance.now() - started;
  const [{ bytes }] = (
    await client.query<{ bytes: number }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float AS bytes`, [
      lsn,
    ])
  ).rows;
  return { bytesPerRow: bytes / (INSERTS * ROWS_PER_INSERT), ms };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'pillar-loop-id-order-'));
const db = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
const client = new pg.Client({ connectionString: db.url });
try {
  await client.connect();
  for (const [name, newId] of [
    ['random (v4)', randomUUID],
    ['time-ordered (v7)', () => uuidv7()],
  ] as const) {
    const { bytesPerRow, ms } = await walPerRow(client, newId);
    console.log(
      `${name.padEnd(18)} ${INSERTS * ROWS_PER_INSERT} inserts after a checkpoint: ${bytesPerRow.toFixed(0)} bytes of WAL per row, ${ms.toFixed(0)} ms`,
    );
  }
} finally {
  await client.end();
  await db.stop();
  await rm(dir, { recursive: true, force: true });
}
