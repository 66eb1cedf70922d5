import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { playbookCatalogWith } from './support/playbooks.js';
import { finishedRun } from './support/runs.js';
import { latencyEscalation } from './support/signals.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * A work order is a coding agent's to do, but an operator may claim and complete it by hand (DESIGN
 * §9): then a person acted in the run, and the degradation escalation it resolves is not one
 * resolved without a person (loop health's escalationsWithoutPersonRate). Real HTTP, real
 * PostgreSQL; the playbook's only step escalates.
 */
describe('a work order done by a person', () => {
  let app: TestApp;

  beforeAll(async () => {
    const catalog = playbookCatalogWith((byId) => {
      Object.assign(byId('tune_config'), {
        steps: [{ id: 'patch', kind: 'escalate', instruction: 'Patch the setting' }],
        verify: [],
        rollback: [],
      });
    });
    app = await startTestApp({ PLAYBOOK_CATALOG_PATH: catalog, RECOVERY_VERIFY_WINDOW_MS: '300' });
  });
  afterAll(() => app?.stop());

  /** An automatic run of the escalation's recovery, waiting on its work order: the run and the order's id. */
  async function waitingOnWorkOrder(key: string, incidentId: string): Promise<{ runId: string; workOrderId: string }> {
    const run = await eventually(
      async () => (await app.http.get(`/runs?incidentId=${incidentId}`).set(auth(key))).body.items?.[0],
      `a run for ${incidentId}`,
    );
    expect(run.automatic).toBe(true);
    const step = await eventually(async () => {
      const r = (await app.http.get(`/runs/${run.id}`).set(auth(key)).expect(200)).body;
      return r.status === 'awaiting_patch' ? r.steps.find((s: { workOrderId?: string }) => s.workOrderId) : null;
    }, `run ${run.id} to wait on its work order`);
    return { runId: run.id, workOrderId: step.workOrderId };
  }

  /** Claims and completes the order (tests passed) with this key, and waits for the run to succeed. */
  async function completeWith(key: string, reader: string, w: { runId: string; workOrderId: string }) {
    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${w.workOrderId}/claim`).set(auth(key)).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${w.workOrderId}/complete`)
      .set(auth(key))
      .send({ claimToken, testsPassed: true, summary: 'patched' })
      .expect(200);
    const done = await finishedRun(app.http, reader, w.runId);
    expect(done.status).toBe('succeeded');
    return done;
  }

  const resolvedIncident = (key: string, incidentId: string) =>
    eventually(async () => {
      const incident = (await app.http.get(`/incidents/${incidentId}`).set(auth(key)).expect(200)).body;
      return incident.status === 'resolved' ? incident : null;
    }, `incident ${incidentId} resolved`);

  it("counts an operator's completion as a person acting, a coding agent's not", async () => {
    const admin = await app.keyFor('wo-by-person', 'admin');
    const operator = await app.keyFor('wo-by-person', 'operator');
    const agent = await app.keyFor('wo-by-person', 'agent');

    // The first escalation finds the pattern (its recovery waits for review); from then on it auto-applies.
    const first = await latencyEscalation(app, operator, 'agent-wp0');
    const pattern = await eventually(
      async () => (await app.http.get(`/incidents/${first}`).set(auth(admin))).body.matchedPatternId,
      'the pattern of the first escalation',
    );
    await app.http
      .patch(`/catalog/patterns/${pattern}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'tune_config', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);

    // The coding agent patches the second; an operator, by hand, the third.
    const byAgent = await latencyEscalation(app, operator, 'agent-wp1');
    const agentRun = await completeWith(agent, operator, await waitingOnWorkOrder(operator, byAgent));
    const byPerson = await latencyEscalation(app, operator, 'agent-wp2');
    const personOrder = await waitingOnWorkOrder(operator, byPerson);
    const personRun = await completeWith(operator, operator, personOrder);

    // Both runs resolved their incidents; only the agent's counts as resolved without a person.
    const agentResolved = await resolvedIncident(operator, byAgent);
    const personResolved = await resolvedIncident(operator, byPerson);
    expect([agentResolved.resolvedBy, personResolved.resolvedBy]).toEqual([
      `run ${agentRun.id}`,
      `run ${personRun.id}`,
    ]);
    const health = (
      await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(auth(operator)).expect(200)
    ).body;
    // Per bucket (an hour may turn between the two resolutions): resolved without a person ÷ resolved.
    const expected = new Map<string, { n: number; without: number }>();
    for (const [at, without] of [
      [agentResolved.resolvedAt, 1],
      [personResolved.resolvedAt, 0],
    ] as const) {
      const bucket = health.buckets.find(
        (b: { start: string }) =>
          Date.parse(b.start) <= Date.parse(at) && Date.parse(at) < Date.parse(b.start) + health.bucketMs,
      );
      const e = expected.get(bucket.start) ?? { n: 0, without: 0 };
      expected.set(bucket.start, { n: e.n + 1, without: e.without + without });
    }
    const actual = health.buckets
      .filter((b: { escalationsWithoutPersonRate: number | null }) => b.escalationsWithoutPersonRate !== null)
      .map((b: { start: string; escalationsWithoutPersonRate: number }) => [b.start, b.escalationsWithoutPersonRate]);
    expect(actual).toEqual([...expected].map(([start, e]) => [start, e.without / e.n]));

    // The work order keeps who did it.
    const order = (
      await app.http.get(`/patches/work-orders/${personOrder.workOrderId}`).set(auth(operator)).expect(200)
    ).body;
    expect(order).toMatchObject({ status: 'completed', finishedByRole: 'operator' });
    const agentOrder = agentRun.steps.find((s: { workOrderId?: string }) => s.workOrderId).workOrderId;
    expect(
      (await app.http.get(`/patches/work-orders/${agentOrder}`).set(auth(agent)).expect(200)).body.finishedByRole,
    ).toBe('agent');
  });
});
