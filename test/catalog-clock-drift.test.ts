import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { MatchIncidentToCatalog } from '../src/self-healing/catalog/match-incident/match-incident.command.js';
import { driftingClock, type DriftingClock } from './support/app-clock.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Pattern ids are uuidv7 from the host's clock, so a replica whose clock is behind founds
 * patterns whose ids sort before stored ones (ADR 0008 §10). A merge in the transaction that
 * founded such a pattern must still keep a stored pattern as the survivor: one founded in this
 * transaction is only an insert queued for the commit, and what the merge carries over to the
 * survivor in SQL (an absorbed pattern's recovery template) would find no row.
 */
describe('pattern merges on a replica whose clock is behind (real PostgreSQL)', () => {
  let app: TestApp;
  let clock: DriftingClock;
  const BEHIND_MS = -40_000;

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  const match = (tenant: string, user: string) =>
    app.app.get(CommandBus).execute(
      new MatchIncidentToCatalog({
        tenantId: tenant,
        incidentId: crypto.randomUUID(),
        errorType: 'storage',
        message: `volume ${user} detached unexpectedly from node during resize`,
        agentId: `agent-${user}`,
        capability: null,
      }),
    );

  it('keeps the stored pattern as the survivor and carries the absorbed template over', async () => {
    const tenant = 'drift-merge';
    const a = await match(tenant, 'alpha');
    const b = await match(tenant, 'bravo');
    // The older stored pattern has no template; the newer one has a trusted one.
    await app.sql(
      `UPDATE failure_patterns SET recovery_template = '{"playbookId":"retry_with_backoff"}', auto_apply_recovery = true WHERE id = $1`,
      [b.patternId],
    );
    // One batch on a host 40 s behind: charlie founds a pattern whose id sorts first, delta merges all four.
    const [charlie, delta] = await clock.during(BEHIND_MS, () =>
      app.app
        .get(TransactionHost)
        .run(async () => [await match(tenant, 'charlie'), await match(tenant, 'delta')] as const),
    );
    expect(charlie.isNew).toBe(true);
    expect(charlie.patternId < a.patternId).toBe(true); // the drifted id
    expect(delta.patternId).toBe(a.patternId);
    const rows = await app.sql<{
      id: string;
      merged_into_id: string | null;
      occurrence_count: number;
      template: string;
      recovery_template: unknown;
      auto_apply_recovery: boolean;
    }>(
      `SELECT id, merged_into_id, occurrence_count, template, recovery_template, auto_apply_recovery
         FROM failure_patterns WHERE tenant_id = $1 ORDER BY id`,
      [tenant],
    );
    const survivors = rows.filter((r) => r.merged_into_id === null);
    expect(survivors).toEqual([
      {
        id: a.patternId,
        merged_into_id: null,
        occurrence_count: 4,
        template: 'volume <*> detached unexpectedly from node during resize',
        recovery_template: { playbookId: 'retry_with_backoff' },
        auto_apply_recovery: true,
      },
    ]);
    expect(
      rows
        .filter((r) => r.merged_into_id !== null)
        .map((r) => r.id)
        .sort(),
    ).toEqual([b.patternId, charlie.patternId].sort());
  });
});
