import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectActuator } from './support/actuators.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { finishedRun } from './support/runs.js';
import { latencyEscalation } from './support/signals.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Loop-health's escalationsWithoutPersonRate (real HTTP, real PostgreSQL, a real actuator): a
 * degradation escalation counts as resolved without a person only when monitoring resolved it or an
 * automatic run in which no person acted, not a run a person approved or whose step a person did.
 */
describe('escalations resolved without a person', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // tune_config as one webhook step: automatic where the tenant's `ops` actuator is configured, a person's where not.
    const catalog = playbookCatalogWith((byId) => {
      Object.assign(byId('tune_config'), {
        steps: [{ id: 'apply', kind: 'webhook', instruction: 'Apply the tuned setting', actuator: 'ops', params: {} }],
        verify: [],
        rollback: [],
      });
    });
    app = await startTestApp({ ...ALLOW_LOOPBACK, PLAYBOOK_CATALOG_PATH: catalog, RECOVERY_VERIFY_WINDOW_MS: '300' });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const recoveryOf = (key: string, incidentId: string) =>
    eventually(
      async () => (await app.http.get(`/recoveries?incidentId=${incidentId}`).set(auth(key))).body.items?.[0],
      `a recovery for ${incidentId}`,
    );
  const runOf = (key: string, incidentId: string) =>
    eventually(
      async () => (await app.http.get(`/runs?incidentId=${incidentId}`).set(auth(key))).body.items?.[0],
      `a run for ${incidentId}`,
    );
  /** From now on the incident's pattern auto-applies tune_config (an admin's choice). */
  async function autoApply(admin: string, incidentId: string): Promise<void> {
    const incident = (await app.http.get(`/incidents/${incidentId}`).set(auth(admin)).expect(200)).body;
    await app.http
      .patch(`/catalog/patterns/${incident.matchedPatternId}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'tune_config', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
  }
  const resolvedIncident = (key: string, incidentId: string) =>
    eventually(async () => {
      const incident = (await app.http.get(`/incidents/${incidentId}`).set(auth(key)).expect(200)).body;
      return incident.status === 'resolved' ? incident : null;
    }, `incident ${incidentId} resolved`);

  /**
   * The loop-health rate in the bucket(s) these incidents were resolved in, against what each says
   * (true: without a person): an hour turning between two resolutions puts them in two buckets.
   */
  async function expectRates(key: string, incidents: Array<{ resolvedAt: string; withoutPerson: boolean }>) {
    const health = (
      await app.http.get('/integration/stats/loop-health').query({ range: '24h' }).set(auth(key)).expect(200)
    ).body;
    const expected = new Map<string, { n: number; without: number }>();
    for (const i of incidents) {
      const at = Date.parse(i.resolvedAt);
      const bucket = health.buckets.find(
        (b: { start: string }) => Date.parse(b.start) <= at && at < Date.parse(b.start) + health.bucketMs,
      );
      const e = expected.get(bucket.start) ?? { n: 0, without: 0 };
      expected.set(bucket.start, { n: e.n + 1, without: e.without + (i.withoutPerson ? 1 : 0) });
    }
    const actual = health.buckets
      .filter((b: { escalationsWithoutPersonRate: number | null }) => b.escalationsWithoutPersonRate !== null)
      .map((b: { start: string; escalationsWithoutPersonRate: number }) => [b.start, b.escalationsWithoutPersonRate]);
    expect(actual).toEqual([...expected].map(([start, e]) => [start, e.without / e.n]));
  }

  it('a run a person approved does not count; an automatic run no person acted in does', async () => {
    const admin = await app.keyFor('esc-approved', 'admin');
    const operator = await app.keyFor('esc-approved', 'operator');
    await connectActuator(app.http, admin, receiver);

    // A person approves the first escalation's recovery; its run's step is the actuator's.
    const approved = await latencyEscalation(app, operator, 'agent-ea1');
    const recovery = await recoveryOf(operator, approved);
    expect(recovery).toMatchObject({ status: 'pending_review', playbookId: 'tune_config' });
    const byApproval = (
      await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200)
    ).body;
    expect(byApproval.automatic).toBe(false);
    expect((await finishedRun(app.http, operator, byApproval.id)).status).toBe('succeeded');

    // The second runs on its own, to the end.
    await autoApply(admin, approved);
    const automatic = await latencyEscalation(app, operator, 'agent-ea2');
    const run = await runOf(operator, automatic);
    expect(run.automatic).toBe(true);
    const done = await finishedRun(app.http, operator, run.id);
    expect(done).toMatchObject({ status: 'succeeded' });
    expect(done.steps.map((s: { runsAs: string }) => s.runsAs)).toEqual(['webhook']);

    const first = await resolvedIncident(operator, approved);
    const second = await resolvedIncident(operator, automatic);
    expect([first.resolvedBy, second.resolvedBy]).toEqual([`run ${byApproval.id}`, `run ${run.id}`]);
    await expectRates(operator, [
      { resolvedAt: first.resolvedAt, withoutPerson: false },
      { resolvedAt: second.resolvedAt, withoutPerson: true },
    ]);
  });

  it('an automatic run whose step a person did (no actuator configured) does not count', async () => {
    const admin = await app.keyFor('esc-by-hand', 'admin');
    const operator = await app.keyFor('esc-by-hand', 'operator');

    // The first escalation an operator resolves; its pattern then auto-applies.
    const byOperator = await latencyEscalation(app, operator, 'agent-eh1');
    await recoveryOf(operator, byOperator);
    await app.http.post(`/incidents/${byOperator}/resolve`).set(auth(operator)).send({}).expect(200);
    await autoApply(admin, byOperator);

    // The second's run is automatic, but its webhook step has no actuator here: an operator does it.
    const automatic = await latencyEscalation(app, operator, 'agent-eh2');
    const run = await runOf(operator, automatic);
    expect(run.automatic).toBe(true);
    const waiting = await eventually(async () => {
      const r = (await app.http.get(`/runs/${run.id}`).set(auth(operator)).expect(200)).body;
      return r.steps.find((s: { status: string }) => s.status === 'awaiting_operator');
    }, 'the step to wait for an operator');
    expect(waiting).toMatchObject({ id: 'apply', runsAs: 'manual' });
    await app.http
      .post(`/runs/${run.id}/steps/apply/complete`)
      .set(auth(operator))
      .send({ outcome: 'succeeded', note: 'applied by hand' })
      .expect(200);
    expect((await finishedRun(app.http, operator, run.id)).status).toBe('succeeded');

    const first = await resolvedIncident(operator, byOperator);
    const second = await resolvedIncident(operator, automatic);
    expect(second.resolvedBy).toBe(`run ${run.id}`);
    await expectRates(operator, [
      { resolvedAt: first.resolvedAt, withoutPerson: false },
      { resolvedAt: second.resolvedAt, withoutPerson: false },
    ]);
  });
});
