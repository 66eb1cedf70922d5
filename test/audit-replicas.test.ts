import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

const auth = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
const REPLICAS = 3;
const WRITES_PER_REPLICA = 40;

/**
 * Issue 26 §1: "three replicas writing at once leave one unbroken chain". Three app processes on
 * one database each take decisions for the same tenant at once (kill switches of their own agents,
 * each a change, so each is one entry) while their periodic checkpoints run; the tenant's chain
 * is then one sequence without gaps or forks, it verifies, and no head was signed twice.
 */
describe("three replicas writing one tenant's audit log at once", () => {
  let url: string;
  let setup: TestApp;
  let admin: string;
  const replicas: Array<{ child: ChildProcess; url: string }> = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'audit-replicas-'));
  const env = {
    AUDIT_SIGNING_KEY: randomBytes(32).toString('hex'),
    AUDIT_CHECKPOINT_INTERVAL_MS: '150',
    DATA_DIR: dataDir,
  };

  function spawnReplica(): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(process.execPath, ['dist/test/support/app-child.js'], {
      env: { ...process.env, ...env, DATABASE_URL: url, ADMIN_API_KEY: ADMIN_KEY, OUTBOX_POLL_INTERVAL_MS: '200' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    return new Promise((resolve, reject) => {
      lines.on(
        'line',
        (line) => line.startsWith('READY ') && resolve({ child, url: line.slice('READY '.length).trim() }),
      );
      child.once('exit', (code) => reject(new Error(`replica exited (${code}) before READY`)));
    });
  }

  beforeAll(async () => {
    url = await createTestDatabase();
    // Migrates the database and creates the tenant's key; it takes no part in the writes.
    setup = await startTestApp({ ...env, OUTBOX_RELAY_ENABLED: 'false', AUDIT_CHECKPOINT_INTERVAL_MS: '0' }, [], url);
    admin = await setup.keyFor('replicas', 'admin');
    replicas.push(...(await Promise.all(Array.from({ length: REPLICAS }, spawnReplica))));
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      if (r.child.exitCode === null) await new Promise((done) => r.child.once('exit', done));
    }
    await setup.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves one unbroken chain with every write, and signs each head once', async () => {
    const before = Number((await setup.sql(`SELECT seq FROM audit_heads WHERE tenant_id = 'replicas'`))[0].seq);
    const writes = replicas.flatMap((r, i) =>
      Array.from({ length: WRITES_PER_REPLICA }, (_, j) => async () => {
        const res = await fetch(`${r.url}/guard/killswitch`, {
          method: 'POST',
          headers: auth(admin),
          body: JSON.stringify({ agentId: `r${i}-agent-${j}`, reason: `replica ${i} write ${j}` }),
        });
        expect(res.status).toBe(200);
      }),
    );
    // All at once, spread over the replicas.
    await Promise.all(writes.map((w) => w()));

    const entries = await setup.sql<{ seq: string; subject_id: string }>(
      `SELECT seq, subject_id FROM audit_entries WHERE tenant_id = 'replicas' ORDER BY seq`,
    );
    expect(entries.map((e) => Number(e.seq))).toEqual(
      Array.from({ length: before + REPLICAS * WRITES_PER_REPLICA }, (_, i) => i + 1),
    );
    const written = new Set(entries.map((e) => e.subject_id));
    for (let i = 0; i < REPLICAS; i++)
      for (let j = 0; j < WRITES_PER_REPLICA; j++) expect(written).toContain(`r${i}-agent-${j}`);

    for (const r of replicas) {
      const verdict = await (await fetch(`${r.url}/audit/verify`, { headers: auth(admin) })).json();
      expect(verdict).toMatchObject({ ok: true, entries: before + REPLICAS * WRITES_PER_REPLICA });
    }
    // The periodic checkpoints of all three caught up with the head, and none signed a head twice.
    const head = before + REPLICAS * WRITES_PER_REPLICA;
    await eventually(
      async () =>
        (await setup.sql(`SELECT 1 FROM audit_checkpoints WHERE tenant_id = 'replicas' AND seq = $1`, [head])).length >
        0,
      'a checkpoint of the head',
    );
    expect(
      await setup.sql(
        `SELECT seq FROM audit_checkpoints WHERE kind = 'periodic' GROUP BY tenant_id, seq HAVING count(*) > 1`,
      ),
    ).toEqual([]);
    const verdict = (await (await fetch(`${replicas[0].url}/audit/verify`, { headers: auth(admin) })).json()) as {
      ok: boolean;
      checkpoints: number;
    };
    expect(verdict.ok).toBe(true);
    expect(verdict.checkpoints).toBeGreaterThanOrEqual(1);
  });
});
