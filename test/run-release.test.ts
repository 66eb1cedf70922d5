import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RunsRepository } from '../src/self-healing/runs/runs.repository.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A replica gives back claims it has no room for. A claim whose lease lapsed before that (a stalled
 * process) may have been claimed by another replica since: giving it back must not take it from
 * that replica, whose every later turn would then find its lease gone.
 */
describe('giving back claimed runs (real PostgreSQL)', () => {
  let app: TestApp;
  let runs: RunsRepository;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' }); // no engine here to claim them
    runs = app.app.get(RunsRepository);
  });
  afterAll(() => app.stop());

  async function leasedRun(): Promise<{ id: string; lease_token: string }> {
    const [row] = await app.sql(
      `INSERT INTO recovery_runs (id, tenant_id, playbook_id, automatic, started_by, status, phase, deadline_at, due_at, lease_token, lease_until)
       VALUES (gen_random_uuid(), 'release', 'memory_cleanup', true, 'test', 'queued', 'steps', now() + interval '1 hour',
               now() - interval '1 minute', gen_random_uuid(), now() + interval '1 minute')
       RETURNING id, lease_token`,
    );
    return row as { id: string; lease_token: string };
  }
  const leaseOf = async (id: string) =>
    (await app.sql(`SELECT lease_token, lease_until FROM recovery_runs WHERE id = $1`, [id]))[0];

  it("leaves a run alone whose lease is another worker's now", async () => {
    const run = await leasedRun(); // the other worker's claim
    const mine = { id: run.id, lease_token: '00000000-0000-4000-8000-000000000000' }; // my lapsed one
    await runs.release([mine]);
    expect(await leaseOf(run.id)).toMatchObject({ lease_token: run.lease_token, lease_until: expect.any(Date) });
  });

  it('gives back a claim that is still this worker’s, due at once for the next claim', async () => {
    const [kept, given] = [await leasedRun(), await leasedRun()];
    await runs.release([given]);
    expect(await leaseOf(given.id)).toEqual({ lease_token: null, lease_until: null });
    expect(await leaseOf(kept.id)).toMatchObject({ lease_token: kept.lease_token });
    expect(await runs.msUntilNextDue()).toBe(0);
  });
});
