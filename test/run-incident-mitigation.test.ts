import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withWritesHeld } from './support/held-writes.js';
import { approvedRun, firstStepDoneByHand, oomIncident } from './support/runs.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/**
 * An incident is mitigating while one of its runs is trying to fix it, and open again once none
 * is. Two of its runs stopping at the same moment must not each count the other as still trying.
 */
describe("an incident's status when two of its runs stop at once", () => {
  let app: TestApp;
  let key: string;
  const auth = () => ({ Authorization: `Bearer ${key}` });
  const get = async (path: string) => (await app.http.get(path).set(auth()).expect(200)).body;

  beforeAll(async () => {
    app = await startTestApp(); // no actuator: every step waits for an operator
    key = await app.keyFor('two-runs', 'operator');
  });
  afterAll(() => app.stop());

  /** A second run of the incident, as `runId` is now: its twin, waiting at the same step. */
  async function twinOf(runId: string): Promise<string> {
    const [{ id }] = await app.sql(
      `WITH twin AS (
         INSERT INTO recovery_runs
         SELECT (jsonb_populate_record(NULL::recovery_runs,
                   to_jsonb(r) || jsonb_build_object('id', gen_random_uuid(), 'recovery_id', NULL))).*
           FROM recovery_runs r WHERE id = $1
         RETURNING id)
       INSERT INTO recovery_run_steps
       SELECT (jsonb_populate_record(NULL::recovery_run_steps,
                 to_jsonb(s) || jsonb_build_object('run_id', twin.id, 'webhook_id', s.webhook_id || '-twin'))).*
         FROM recovery_run_steps s, twin WHERE s.run_id = $1
       RETURNING run_id AS id`,
      [runId],
    );
    return id as string;
  }

  it('is open again once both are canceled, whichever commits first', async () => {
    const { incidentId, runId } = await approvedRun(app.http, key, oomIncident('twins'));
    // A person did the first step: the twins, its copy, have something to undo when canceled.
    await firstStepDoneByHand(app.http, key, runId, 'clear_cache');
    const twinId = await twinOf(runId);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('mitigating');

    // Both cancels' turns check for the other run before either commits: their step changes,
    // written with the COMMIT, are held until both wait on a lock.
    const cancel = (id: string) => app.http.post(`/runs/${id}/cancel`).set(auth());
    const answers = await withWritesHeld(app, 'recovery_run_steps', 2, () =>
      Promise.all([cancel(runId), cancel(twinId)]),
    );
    for (const res of answers) expect(res.status).toBe(202);
    for (const id of [runId, twinId])
      // Canceled after a step ran: each waits for an operator to undo it (its rollback is not trying to fix).
      await eventually(async () => (await get(`/runs/${id}`)).phase === 'rollback', `run ${id} to roll back`);
    expect((await get(`/incidents/${incidentId}`)).status).toBe('open');
  });
});
