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
});
