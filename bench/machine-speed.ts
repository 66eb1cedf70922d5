import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { tagBenchClient } from './pg-count.js';

export interface MachineSpeed {
  /** One piece of fixed JavaScript work on this thread, best of ROUNDS (ms). */
  nodeMs: number;
  /** One fixed query on one PostgreSQL backend, round trip included, best of ROUNDS (ms); null without a database. */
  postgresMs: number | null;
}

const ROUNDS = 5;

/** A run-sized row, as the engine reads and writes them. */
const ROW = {
  id: '0193a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7b',
  tenant_id: 'bench',
  status: 'running',
  steps: Array.from({ length: 8 }, (_, i) => ({
    step_id: `step_${i}`,
    params: { action: 'clear_cache', factor: 0.5, restart: true },
    output: { status: 200, body: { healthy: true, usedMi: 1024 + i } },
  })),
};

function nodeWork(): number {
  let n = 0;
  for (let i = 0; i < 4_000; i++) {
    const text = JSON.stringify({ ...ROW, seq: i });
    n += (JSON.parse(text) as { steps: unknown[] }).steps.length;
    n += createHash('sha256').update(text).digest()[0]!;
  }
  return n;
}

const best = (xs: number[]) => Math.min(...xs);

/**
 * How fast the machine is at this moment: the shared machine here has changed speed by 2× from one
 * day to the next (BENCHMARKS, "The same code a day and a half later"), so figures of different days
 * compare only beside this. Taken before the load, with the app idle. Lower is faster.
 */
export async function measureMachineSpeed(databaseUrl: string | null): Promise<MachineSpeed> {
  const node: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    nodeWork();
    node.push(performance.now() - t);
  }
  if (!databaseUrl) return { nodeMs: best(node), postgresMs: null };
  const client = tagBenchClient(new pg.Client({ connectionString: databaseUrl })); // not counted as the app's
  await client.connect();
  try {
    await client.query('SET jit = off'); // the executor's speed, not the JIT compiler's
    const postgres: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      await client.query('SELECT sum(g) FROM generate_series(1, 1000000) g');
      postgres.push(performance.now() - t);
    }
    return { nodeMs: best(node), postgresMs: best(postgres) };
  } finally {
    await client.end();
  }
}
