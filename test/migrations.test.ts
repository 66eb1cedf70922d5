import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations/index.js';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { revertLastMigration, runMigrations } from '../src/platform/database/migrate.js';
import { createTestDatabase } from './support/test-database.js';

describe('migrations', () => {
  let url: string;
  let ds: DataSource;
  const tables = async () =>
    (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`)).map(
      (r: { table_name: string }) => r.table_name,
    );

  beforeAll(async () => {
    url = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(url, 2));
    await ds.initialize();
  });
  afterAll(() => ds.destroy());

  it('applies every migration, then each down reverts cleanly, then up again', async () => {
    expect(await runMigrations(url)).toHaveLength(migrations.length);
    expect(await runMigrations(url)).toEqual([]); // nothing pending the second time
    expect(await tables()).toEqual(expect.arrayContaining([
      'agents', 'api_keys', 'decisions', 'failure_patterns', 'feature_flag_changes', 'feature_flags', 'idempotency_keys',
      'incidents', 'killswitch_state', 'loop_events', 'loop_traces', 'outbox_events', 'policy_evaluations',
      'policy_rules', 'recovery_actions', 'recovery_candidates', 'routing_adjustments', 'routing_decisions',
    ]));
    expect(await tables()).not.toContain('outbox_consumptions'); // a delivery's own row is its mark now
    // No index keyed by a random event id on the outbox's hot insert path.
    const outboxIndexes = async () => (await ds.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox_events'`)).map((r: { indexdef: string }) => r.indexdef);
    expect((await outboxIndexes()).filter((d: string) => d.includes('event_id'))).toEqual([]);
    for (let i = 0; i < migrations.length; i++) await revertLastMigration(url);
    expect(await tables()).toEqual([]);
    expect(await runMigrations(url)).toHaveLength(migrations.length);
  });

  it('re-keys stored patterns by token count (issue 16), and back on down', async () => {
    await runMigrations(url);
    // Back to just before the pattern-history migration (the ones after it first).
    const after = migrations.length - migrations.findIndex((m) => m.name === 'PatternHistory1765600000000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const tokens = ['Failed', 'to', 'connect', 'to', '<IP>', 'after', '<NUM>', 'tries'];
    await ds.query(
      `INSERT INTO failure_patterns (id, tenant_id, error_type, shape_key, template, template_tokens) VALUES ($1, 'm', 'db', '8:connect', $2, $3)`,
      ['01a233e4-0000-7000-8000-000000000001', tokens.join(' '), tokens],
    );
    const key = async () => (await ds.query(`SELECT shape_key FROM failure_patterns WHERE tenant_id = 'm'`))[0].shape_key;
    await runMigrations(url);
    expect(await key()).toBe('8');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    expect(await key()).toBe('8:connect');
    await runMigrations(url);
  });
});
