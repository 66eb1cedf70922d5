import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { WorkOrderLeaseSweeper } from '../src/self-healing/patches/work-order-lease.sweeper.js';
import { playbookCatalogWith } from './support/playbooks.js';
import { finishedRun } from './support/runs.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
/** Long enough that no claim lapses while a test works on a slow machine; the lapse test ends one itself. */
const CLAIM_MS = 60_000;

/**
 * A work order whose incident monitoring resolved (DESIGN §9, §10; ADR 0009): real HTTP, real
 * PostgreSQL, the real Alertmanager intake and run engine. Nobody has claimed it: it is canceled,
 * naming the resolution, and its run ends canceled with no verdict. Claimed: it stays completable,
 * its view says when the incident was resolved, and completing it credits no trust as a verified
 * fix. A rollback step's order is left to undo its run's change.
 */
describe('a work order whose incident monitoring resolved', () => {
  let app: TestApp;

  beforeAll(async () => {
    const catalog = playbookCatalogWith((byId) => {
      // VerificationFailed: the run's only step escalates to a coding agent.
      Object.assign(byId('verification_fix'), {
        steps: [{ id: 'fix_code', kind: 'escalate', instruction: 'Fix the code' }],
        verify: [],
        rollback: [],
      });
      // PipelineTimeout: a person prepares, then the run escalates.
      Object.assign(byId('pipeline_timeout_fix'), {
        steps: [
          { id: 'prepare', kind: 'manual', instruction: 'Prepare the branch' },
          { id: 'fix_code', kind: 'escalate', instruction: 'Fix the code' },
        ],
        verify: [],
        rollback: [],
      });
      // TypeError: a person's step that fails, and a rollback a coding agent does.
      Object.assign(byId('code_patch'), {
        onFailure: 'rollback',
        steps: [{ id: 'apply', kind: 'manual', instruction: 'Apply the hotfix' }],
        verify: [],
        rollback: [{ id: 'undo', kind: 'escalate', instruction: 'Revert the hotfix' }],
      });
    });
    app = await startTestApp({
      PLAYBOOK_CATALOG_PATH: catalog,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      WORK_ORDER_CLAIM_MS: String(CLAIM_MS),
    });
  });
  afterAll(() => app?.stop());

  const get = async (key: string, path: string) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  const post = (key: string, path: string, body: object = {}) => app.http.post(path).set(auth(key)).send(body);

  /** One alert of `agent` through the real intake, firing or resolved. */
  const alert = (alertname: string, agent: string, status: 'firing' | 'resolved' = 'firing') => ({
    status,
    labels: { alertname, service: agent, capability: 'qa', severity: 'high' },
    annotations: { summary: `${alertname} on ${agent}` },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `fp-${alertname}-${agent}`,
  });
  const send = async (key: string, a: ReturnType<typeof alert>) =>
    (await post(key, '/intake/alertmanager', alertmanagerEnvelope([a], a.status)).expect(200)).body;

  /** Monitoring resolves the alert; answers the incident once it is resolved. */
  async function monitoringResolves(key: string, alertname: string, agent: string, incidentId: string) {
    expect((await send(key, alert(alertname, agent, 'resolved'))).resolved).toBe(1);
    const incident = await get(key, `/incidents/${incidentId}`);
    expect(incident).toMatchObject({ status: 'resolved', resolvedBy: 'monitoring' });
    return incident as { resolvedAt: string };
  }

  /** The alert fires, an operator approves its recovery: the incident and the run it started. */
  async function approvedRun(key: string, alertname: string, agent: string) {
    const incidentId = (await send(key, alert(alertname, agent))).alerts[0].incidentId as string;
    const recovery = await eventually(
      async () => (await get(key, `/recoveries?incidentId=${incidentId}`)).items[0],
      `a recovery for ${incidentId}`,
    );
    const run = (await post(key, `/recoveries/${recovery.id}/approve`).expect(200)).body;
    return { incidentId, runId: run.id as string };
  }

  /** ... and the run waits on its work order. */
  async function waitingOnPatch(key: string, alertname: string, agent: string) {
    const { incidentId, runId } = await approvedRun(key, alertname, agent);
    const step = await eventually(async () => {
      const r = await get(key, `/runs/${runId}`);
      return r.status === 'awaiting_patch' ? r.steps.find((s: { workOrderId?: string }) => s.workOrderId) : null;
    }, `run ${runId} to wait on its work order`);
    return { incidentId, runId, workOrderId: step.workOrderId as string };
  }

  /** The agent's trust history once the run's outcome has reached governance (its delivery is done). */
  async function trustAfter(key: string, agent: string, runId: string) {
    await eventually(
      async () =>
        (
          await app.sql(
            `SELECT 1 FROM outbox_events WHERE handler = 'integration.run-outcome-to-trust' AND payload ->> 'runId' = $1 AND status = 'done'`,
            [runId],
          )
        ).length === 1,
      `run ${runId}'s outcome to reach trust`,
    );
    return get(key, `/routing/agents/${agent}`);
  }

  /** An agent routing trusts less than fully, so that a credit would show. */
  const registerAgent = (admin: string, agent: string) =>
    app.http
      .put(`/routing/agents/${agent}`)
      .set(auth(admin))
      .send({ capabilities: ['qa'], baseConfidence: 0.6 })
      .expect(200);

  /**
   * A tenant's admin and coding-agent keys, and a run of `agent` waiting on its work order (the agent
   * registered below full trust, so that a credit would show).
   */
  async function orderOf(tenant: string, agent: string) {
    const admin = await app.keyFor(tenant, 'admin');
    const agentKey = await app.keyFor(tenant, 'agent');
    await registerAgent(admin, agent);
    return { admin, agentKey, w: await waitingOnPatch(admin, 'VerificationFailed', agent) };
  }
  /** The coding agent claims the order: its claim token. */
  const claim = async (agentKey: string, workOrderId: string) =>
    (await post(agentKey, `/patches/work-orders/${workOrderId}/claim`).expect(200)).body.claimToken as string;

  it('nobody claimed it: monitoring resolving the incident cancels it, naming the resolution; its run ends canceled, trust unchanged', async () => {
    const { admin, agentKey, w } = await orderOf('wo-resolved', 'agent-q1');
    expect(await get(agentKey, `/patches/work-orders/${w.workOrderId}`)).toMatchObject({
      status: 'queued',
      incidentResolvedAt: null,
    });

    const incident = await monitoringResolves(admin, 'VerificationFailed', 'agent-q1', w.incidentId);
    const order = await eventually(async () => {
      const o = await get(agentKey, `/patches/work-orders/${w.workOrderId}`);
      return o.status === 'canceled' ? o : null;
    }, 'the work order to be canceled');
    expect(order).toMatchObject({
      incidentResolvedAt: incident.resolvedAt,
      failureReason: `its incident was resolved by monitoring at ${incident.resolvedAt}: nothing is left to patch`,
      finishedAt: expect.any(String),
    });
    expect(order.history.at(-1)).toMatchObject({ from: 'queued', to: 'canceled', actor: 'monitoring' });
    // No coding agent takes it up.
    const refused = await post(agentKey, `/patches/work-orders/${w.workOrderId}/claim`);
    expect([refused.status, refused.body.workOrderStatus]).toEqual([409, 'canceled']);
    expect((await get(agentKey, '/patches/work-orders?status=queued')).items).toEqual([]);

    // The run waited for nothing: canceled, no verdict, nothing learned.
    const run = await finishedRun(app.http, admin, w.runId);
    expect(run).toMatchObject({ status: 'canceled', verdict: null, reason: 'canceled by monitoring' });
    const agent = await trustAfter(admin, 'agent-q1', w.runId);
    expect(agent.trustHistory).toEqual([]);
    expect(agent.trustByCapability).toEqual({});
    // The cancel is audited as the system's doing, for the resolution.
    const audit = await get(admin, `/audit?action=work_order.canceled&subjectId=${w.workOrderId}`);
    expect(audit.items.map((e: { actor: string; reason: string }) => [e.actor, e.reason])).toEqual([
      ['system', `work order ${w.workOrderId} canceled by monitoring: ${order.failureReason}`],
    ]);
  });

  it("claimed: it stays completable, its view shows the incident's resolution, and completing it credits no trust", async () => {
    const { admin, agentKey, w } = await orderOf('wo-claimed', 'agent-q2');
    const claimToken = await claim(agentKey, w.workOrderId);

    const incident = await monitoringResolves(admin, 'VerificationFailed', 'agent-q2', w.incidentId);
    // The agent can tell, from the order alone, that its incident is resolved; its claim holds.
    const seen = await eventually(async () => {
      const o = await get(agentKey, `/patches/work-orders/${w.workOrderId}`);
      return o.incidentResolvedAt ? o : null;
    }, "the work order to show its incident's resolution");
    expect(seen).toMatchObject({ status: 'claimed', incidentResolvedAt: incident.resolvedAt });
    expect((await get(agentKey, `/patches/work-orders?status=claimed`)).items[0]).toMatchObject({
      id: w.workOrderId,
      incidentResolvedAt: incident.resolvedAt,
    });
    await post(agentKey, `/patches/work-orders/${w.workOrderId}/progress`, { claimToken, note: 'nearly there' }).expect(
      200,
    );
    const done = (
      await post(agentKey, `/patches/work-orders/${w.workOrderId}/complete`, {
        claimToken,
        testsPassed: true,
        summary: 'fixed the assertion',
      }).expect(200)
    ).body;
    expect(done).toMatchObject({ status: 'completed', incidentResolvedAt: incident.resolvedAt });

    // Nothing is left to verify the patch against: the run ends with no verdict, and trust is unchanged.
    const run = await finishedRun(app.http, admin, w.runId);
    expect(run).toMatchObject({ status: 'canceled', verdict: null, reason: 'canceled by monitoring' });
    const agent = await trustAfter(admin, 'agent-q2', w.runId);
    expect(agent.trustHistory).toEqual([]);
    expect(agent.trustByCapability).toEqual({});
    expect(run.transitions.map((t: { note: string }) => t.note)).toContainEqual(
      `cancel requested by monitoring: its incident was resolved by monitoring at ${incident.resolvedAt}, before work order ${w.workOrderId} finished: nothing is left to verify its patch against`,
    );
    // The order's history (and the incident's timeline) say it was finished after the resolution.
    expect(done.history.at(-1).details).toMatchObject({ incidentResolvedAt: incident.resolvedAt });
    // Monitoring's resolution stands.
    expect(await get(admin, `/incidents/${w.incidentId}`)).toMatchObject({
      resolvedBy: 'monitoring',
      resolvedAt: incident.resolvedAt,
    });
  });

  it("completed before the resolution reached self-healing: the completion reads the incident's resolution itself", async () => {
    const { admin, agentKey, w } = await orderOf('wo-early', 'agent-q6');
    const claimToken = await claim(agentKey, w.workOrderId);
    const incident = await monitoringResolves(admin, 'VerificationFailed', 'agent-q6', w.incidentId);
    await eventually(
      async () => (await get(agentKey, `/patches/work-orders/${w.workOrderId}`)).incidentResolvedAt !== null,
      "the work order to show its incident's resolution",
    );
    // As the order stands between the resolution's commit and its handler's (IncidentResolved goes
    // through the outbox): resolved incident, order not told yet.
    await app.sql(`UPDATE work_orders SET incident_resolved_at = NULL WHERE id = $1`, [w.workOrderId]);
    const done = (
      await post(agentKey, `/patches/work-orders/${w.workOrderId}/complete`, {
        claimToken,
        testsPassed: true,
        summary: 'fixed it',
      }).expect(200)
    ).body;
    expect(done).toMatchObject({ status: 'completed', incidentResolvedAt: incident.resolvedAt });
    expect(await finishedRun(app.http, admin, w.runId)).toMatchObject({ status: 'canceled', verdict: null });
    expect((await trustAfter(admin, 'agent-q6', w.runId)).trustHistory).toEqual([]);
  });

  it('a claim that lapses after the resolution does not put the order back in the queue: it is canceled', async () => {
    const { admin, agentKey, w } = await orderOf('wo-lapsed', 'agent-q3');
    await claim(agentKey, w.workOrderId);
    const incident = await monitoringResolves(admin, 'VerificationFailed', 'agent-q3', w.incidentId);
    await eventually(
      async () => (await get(agentKey, `/patches/work-orders/${w.workOrderId}`)).incidentResolvedAt !== null,
      "the work order to show its incident's resolution",
    );
    // The claimant drops it; the lease lapses (stored as now, time passing without the wait) and the sweeper comes by.
    await app.sql(`UPDATE work_orders SET claim_expires_at = now() WHERE id = $1`, [w.workOrderId]);
    await app.app.get(WorkOrderLeaseSweeper).sweep();
    const order = await eventually(async () => {
      const o = await get(agentKey, `/patches/work-orders/${w.workOrderId}`);
      return o.status === 'canceled' ? o : null;
    }, 'the lapsed work order to be canceled');
    expect(order.history.slice(-2)).toEqual([
      expect.objectContaining({ from: 'claimed', to: 'queued', actor: 'lease' }),
      expect.objectContaining({ from: 'queued', to: 'canceled', actor: 'monitoring' }),
    ]);
    expect(order.failureReason).toBe(
      `its incident was resolved by monitoring at ${incident.resolvedAt}: nothing is left to patch`,
    );
    expect(await finishedRun(app.http, admin, w.runId)).toMatchObject({ status: 'canceled', verdict: null });
  });

  it('one raised after the resolution is canceled at once; its run ends canceled', async () => {
    const admin = await app.keyFor('wo-late', 'admin');
    const { incidentId, runId } = await approvedRun(admin, 'PipelineTimeout', 'agent-q4');
    await eventually(
      async () => (await get(admin, `/runs/${runId}`)).status === 'awaiting_operator',
      'the run to wait for its person',
    );
    const incident = await monitoringResolves(admin, 'PipelineTimeout', 'agent-q4', incidentId);
    await post(admin, `/runs/${runId}/steps/prepare/complete`, { outcome: 'succeeded' }).expect(200);
    const run = await finishedRun(app.http, admin, runId);
    expect(run).toMatchObject({ status: 'canceled', verdict: null });
    const workOrderId = run.steps.find((s: { id: string }) => s.id === 'fix_code').workOrderId;
    const order = await get(admin, `/patches/work-orders/${workOrderId}`);
    expect(order).toMatchObject({ status: 'canceled', incidentResolvedAt: expect.any(String) });
    expect(order.failureReason).toBe(
      `its incident was resolved by monitoring at ${incident.resolvedAt}: nothing is left to patch`,
    );
    expect(order.history.map((h: { to: string }) => h.to)).toEqual(['queued', 'canceled']);
  });

  it("a rollback step's order is left to undo the run's change, and counts as before", async () => {
    const admin = await app.keyFor('wo-rollback', 'admin');
    const agentKey = await app.keyFor('wo-rollback', 'agent');
    const { incidentId, runId } = await approvedRun(admin, 'TypeError', 'agent-q5');
    await eventually(
      async () => (await get(admin, `/runs/${runId}`)).status === 'awaiting_operator',
      'the run to wait for its person',
    );
    await post(admin, `/runs/${runId}/steps/apply/complete`, { outcome: 'failed', note: 'made it worse' }).expect(200);
    const undo = await eventually(
      async () =>
        (await get(admin, `/runs/${runId}`)).steps.find(
          (s: { id: string; workOrderId?: string }) => s.id === 'undo' && s.workOrderId,
        ),
      'the rollback to wait on its work order',
    );
    const incident = await monitoringResolves(admin, 'TypeError', 'agent-q5', incidentId);
    const settled = await eventually(async () => {
      const o = await get(agentKey, `/patches/work-orders/${undo.workOrderId}`);
      return o.incidentResolvedAt ? o : null;
    }, "the rollback's work order to show the resolution");
    expect(settled).toMatchObject({ status: 'queued', incidentResolvedAt: incident.resolvedAt });
    const claimToken = await claim(agentKey, undo.workOrderId);
    await post(agentKey, `/patches/work-orders/${undo.workOrderId}/complete`, {
      claimToken,
      testsPassed: true,
      summary: 'reverted',
    }).expect(200);
    const run = await finishedRun(app.http, admin, runId);
    expect(run).toMatchObject({ status: 'rolled_back', verdict: 'failed' });
    expect(run.steps.find((s: { id: string }) => s.id === 'undo').status).toBe('succeeded');
  });

  it("one tenant's resolution leaves another tenant's order of the same alert open, and neither sees the other's", async () => {
    const adminA = await app.keyFor('wo-iso-a', 'admin');
    const adminB = await app.keyFor('wo-iso-b', 'admin');
    const agentA = await app.keyFor('wo-iso-a', 'agent');
    const agentB = await app.keyFor('wo-iso-b', 'agent');
    // The same alert (same fingerprint) reaches both tenants.
    const a = await waitingOnPatch(adminA, 'VerificationFailed', 'agent-shared');
    const b = await waitingOnPatch(adminB, 'VerificationFailed', 'agent-shared');
    await monitoringResolves(adminB, 'VerificationFailed', 'agent-shared', b.incidentId);
    await eventually(
      async () => (await get(agentB, `/patches/work-orders/${b.workOrderId}`)).status === 'canceled',
      "tenant B's work order to be canceled",
    );
    // Tenant A's incident is open, its order queued and claimable.
    expect((await get(adminA, `/incidents/${a.incidentId}`)).status).not.toBe('resolved');
    expect(await get(agentA, `/patches/work-orders/${a.workOrderId}`)).toMatchObject({
      status: 'queued',
      incidentResolvedAt: null,
    });
    expect((await app.http.get(`/patches/work-orders/${a.workOrderId}`).set(auth(agentB))).status).toBe(404);
    expect((await app.http.get(`/patches/work-orders/${b.workOrderId}`).set(auth(agentA))).status).toBe(404);
    expect((await post(agentB, `/patches/work-orders/${a.workOrderId}/claim`)).status).toBe(404);
    expect((await post(agentA, `/patches/work-orders/${a.workOrderId}/claim`)).status).toBe(200);
  });
});
