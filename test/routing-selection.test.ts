import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ApplyRoutingAdjustments } from '../src/governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

interface Candidate {
  agentId: string;
  baseConfidence: number;
  effectiveConfidence: number;
  eligible: boolean;
  reasons: string[];
  needsHumanCheckpoint: boolean;
}
interface Route {
  decisionId: string;
  capability: string;
  agentId: string | null;
  reason: string | null;
  needsHumanCheckpoint: boolean;
  candidates: Candidate[];
}
interface Agent {
  agentId: string;
  capabilities: string[];
  baseConfidence: number;
  effectiveConfidence: number;
  effectiveConfidenceByCapability: Record<string, number>;
  activeAdjustments: number;
  createdAt: string;
}

/** CARE route selection and the adjustment lifecycle, over real HTTP and PostgreSQL, with the loop's relay (bridge 4) running. */
describe('CARE route selection', () => {
  let app: TestApp;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const tenant = async (name: string) => {
    const t = `${name}-${randomUUID().slice(0, 8)}`;
    return {
      t,
      admin: await app.keyFor(t, 'admin'),
      operator: await app.keyFor(t, 'operator'),
      viewer: await app.keyFor(t, 'viewer'),
    };
  };
  const putAgent = async (
    key: string,
    agentId: string,
    capabilities: string[],
    baseConfidence: number,
  ): Promise<Agent> =>
    (
      await app.http
        .put(`/routing/agents/${agentId}`)
        .set(bearer(key))
        .send({ capabilities, baseConfidence })
        .expect(200)
    ).body;
  const route = async (key: string, body: Record<string, unknown>): Promise<Route> =>
    (await app.http.post('/routing/route').set(bearer(key)).send(body).expect(200)).body;
  const candidate = (r: Route, agentId: string) => r.candidates.find((c) => c.agentId === agentId)!;
  const agents = async (key: string): Promise<Agent[]> =>
    (await app.http.get('/routing/agents').set(bearer(key)).expect(200)).body.items;
  const createPolicy = async (key: string, over: Record<string, unknown>) =>
    (
      await app.http
        .post('/policies')
        .set(bearer(key))
        .send({
          name: 'rule',
          category: 'routing',
          action: 'block',
          scope: 'tenant',
          condition: 'true',
          status: 'active',
          ...over,
        })
        .expect(201)
    ).body as { id: string };
  /** What bridge 4 does, run as a bridge does: in a transaction of its own. */
  const apply = (tenantId: string, policyId: string, agentIds: string[], capabilities: string[] = []) =>
    app.app
      .get(TransactionHost)
      .run(() =>
        app.app
          .get(CommandBus)
          .execute(new ApplyRoutingAdjustments({ tenantId, policyId, agents: agentIds, capabilities })),
      );

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('registers and updates agents with PUT, and reads them back', async () => {
    const { admin, operator, viewer } = await tenant('agents');
    const created = await putAgent(operator, 'agent-p1', ['translate', 'summarise', 'summarise'], 0.8);
    expect(created).toEqual({
      agentId: 'agent-p1',
      capabilities: ['summarise', 'translate'],
      baseConfidence: 0.8,
      effectiveConfidence: 0.8,
      effectiveConfidenceByCapability: { summarise: 0.8, translate: 0.8 },
      activeAdjustments: 0,
      trustByCapability: {},
      createdAt: expect.any(String),
    });
    const updated = await putAgent(admin, 'agent-p1', ['embed'], 0.6);
    expect(updated).toMatchObject({ capabilities: ['embed'], baseConfidence: 0.6, createdAt: created.createdAt });
    expect((await agents(viewer)).find((a) => a.agentId === 'agent-p1')).toEqual(updated);
    expect((await app.http.get('/routing/agents/agent-p1').set(bearer(viewer)).expect(200)).body).toEqual({
      ...updated,
      trustHistory: [],
    });

    await app.http
      .put('/routing/agents/agent-p1')
      .set(bearer(viewer))
      .send({ capabilities: [], baseConfidence: 1 })
      .expect(403);
    const bad = await app.http
      .put('/routing/agents/agent-p1')
      .set(bearer(operator))
      .send({ capabilities: ['a b'], baseConfidence: 1.5 })
      .expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['baseConfidence', 'capabilities']);
    await app.http
      .put('/routing/agents/agent-p1')
      .set(bearer(operator))
      .send({ capabilities: ['x'] })
      .expect(400);
    await app.http
      .put('/routing/agents/bad%20id')
      .set(bearer(operator))
      .send({ capabilities: [], baseConfidence: 1 })
      .expect(400);

    // Another tenant's agent is not found; nor is an unknown one.
    const other = await tenant('agents-other');
    await app.http.get('/routing/agents/agent-p1').set(bearer(other.viewer)).expect(404);
    await app.http.get('/routing/agents/agent-nope').set(bearer(viewer)).expect(404);
    expect((await agents(other.viewer)).map((a) => a.agentId)).toEqual([]);
  });

  it('picks the eligible agent with the highest effective confidence; ties break by agentId', async () => {
    const { t, operator, viewer } = await tenant('pick');
    await putAgent(operator, 'agent-c', ['summarise'], 0.7);
    await putAgent(operator, 'agent-b', ['summarise'], 0.9);
    await putAgent(operator, 'agent-a', ['translate'], 1);
    const first = await route(operator, { capability: 'summarise' });
    expect(first).toEqual({
      decisionId: expect.any(String),
      capability: 'summarise',
      agentId: 'agent-b',
      reason: expect.stringMatching(/highest effective confidence \(0\.9\)/),
      needsHumanCheckpoint: false,
      candidates: [
        {
          agentId: 'agent-b',
          baseConfidence: 0.9,
          effectiveConfidence: 0.9,
          eligible: true,
          reasons: [],
          needsHumanCheckpoint: false,
        },
        {
          agentId: 'agent-c',
          baseConfidence: 0.7,
          effectiveConfidence: 0.7,
          eligible: true,
          reasons: [],
          needsHumanCheckpoint: false,
        },
      ],
    });
    const [stored] = await app.sql(`SELECT * FROM routing_decisions WHERE id = $1`, [first.decisionId]);
    expect(stored).toMatchObject({
      tenant_id: t,
      capability: 'summarise',
      chosen_agent_id: 'agent-b',
      needs_human_checkpoint: false,
      reason: first.reason,
    });
    expect(stored.candidates).toEqual(first.candidates);
    // Each candidate's policy decision is recorded too.
    const evaluations = await app.sql(
      `SELECT agent_id, decision FROM policy_evaluations WHERE tenant_id = $1 ORDER BY agent_id`,
      [t],
    );
    expect(evaluations).toEqual([
      { agent_id: 'agent-b', decision: 'allow' },
      { agent_id: 'agent-c', decision: 'allow' },
    ]);
    // They share one created_at (one transaction): the evaluations cursor still pages through both.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ agentId: string }>; nextCursor: string | null } } = await app.http
        .get('/policies/evaluations')
        .query({ limit: 1, ...(cursor ? { cursor } : {}) })
        .set(bearer(viewer))
        .expect(200);
      paged.push(...page.body.items.map((e) => e.agentId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged.sort()).toEqual(['agent-b', 'agent-c']);

    await putAgent(operator, 'agent-c', ['summarise'], 0.9);
    for (let i = 0; i < 3; i++) {
      const tie = await route(operator, { capability: 'summarise' });
      expect(tie.agentId).toBe('agent-b');
      expect(tie.reason).toMatch(/tie of 2 broken by agentId/);
    }
    // Named candidates: an unknown one is registered with base confidence 1 and the capability, and wins.
    const named = await route(operator, { capability: 'summarise', candidates: ['agent-c', 'agent-new', 'agent-c'] });
    expect(named.agentId).toBe('agent-new');
    expect(named.candidates.map((c) => c.agentId)).toEqual(['agent-new', 'agent-c']);
    expect((await agents(viewer)).find((a) => a.agentId === 'agent-new')).toMatchObject({
      capabilities: ['summarise'],
      baseConfidence: 1,
    });

    const none = await route(operator, { capability: 'juggle' });
    expect(none).toMatchObject({
      agentId: null,
      reason: 'no registered agent has capability juggle',
      needsHumanCheckpoint: false,
      candidates: [],
    });

    await app.http.post('/routing/route').set(bearer(viewer)).send({ capability: 'summarise' }).expect(403);
    await app.http.post('/routing/route').send({ capability: 'summarise' }).expect(401);
    const bad = await app.http
      .post('/routing/route')
      .set(bearer(operator))
      .send({ capability: 'a b', candidates: [], context: 3 })
      .expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'candidates',
      'capability',
      'context',
    ]);
  });

  it('skips agents with a route_block in force, or whose policy decision is block or route_away; drafts do not skip', async () => {
    const { t, admin, operator } = await tenant('skip');
    for (const id of ['agent-1', 'agent-2', 'agent-3', 'agent-4'])
      await putAgent(operator, id, ['summarise', 'translate'], 1);
    // A route_away policy whose condition never holds: only its route_block adjustment acts.
    const routeAway = await createPolicy(admin, { action: 'route_away', condition: 'request.capability == "never"' });
    await apply(t, routeAway.id, ['agent-1'], ['summarise']);
    const blockAgent2 = await createPolicy(admin, {
      action: 'block',
      scope: 'agent',
      scopeAgentId: 'agent-2',
      condition: 'request.capability == "summarise"',
    });
    const awayAgent3 = await createPolicy(admin, {
      action: 'route_away',
      scope: 'agent',
      scopeAgentId: 'agent-3',
      condition: 'true',
    });
    await createPolicy(admin, {
      action: 'block',
      status: 'draft',
      scope: 'agent',
      scopeAgentId: 'agent-4',
      condition: 'true',
    });

    const r = await route(operator, { capability: 'summarise' });
    expect(r.agentId).toBe('agent-4');
    expect(candidate(r, 'agent-1')).toMatchObject({
      eligible: false,
      reasons: [`route_block adjustment from policy ${routeAway.id} for summarise`],
    });
    expect(candidate(r, 'agent-2')).toMatchObject({
      eligible: false,
      reasons: [`policy decision block (policy ${blockAgent2.id})`],
    });
    expect(candidate(r, 'agent-3')).toMatchObject({
      eligible: false,
      reasons: [`policy decision route_away (policy ${awayAgent3.id})`],
    });
    expect(candidate(r, 'agent-4')).toMatchObject({ eligible: true, reasons: [] });
    expect(r.candidates.map((c) => c.agentId)).toEqual(['agent-4', 'agent-1', 'agent-2', 'agent-3']);

    // The route_block was for summarise only; the block policy's condition was too.
    const other = await route(operator, { capability: 'translate', candidates: ['agent-1', 'agent-2', 'agent-3'] });
    expect(other.agentId).toBe('agent-1');
    expect(candidate(other, 'agent-2').eligible).toBe(true);
    // A route_block for every capability ('').
    await apply(t, routeAway.id, ['agent-1'], []);
    const all = await route(operator, { capability: 'translate', candidates: ['agent-1', 'agent-2'] });
    expect(all.agentId).toBe('agent-2');
    expect(candidate(all, 'agent-1').reasons).toEqual([`route_block adjustment from policy ${routeAway.id}`]);

    const nobody = await route(operator, { capability: 'summarise', candidates: ['agent-1', 'agent-2', 'agent-3'] });
    expect(nobody).toMatchObject({
      agentId: null,
      reason: 'no eligible candidate: all 3 candidate(s) for summarise were skipped',
    });
  });

  it('marks the answer as needing a human checkpoint for an escalation adjustment or an escalate decision', async () => {
    const { t, admin, operator } = await tenant('escalate');
    await putAgent(operator, 'agent-e1', ['refund'], 1);
    await putAgent(operator, 'agent-e2', ['refund'], 0.5);
    const escalation = await createPolicy(admin, { action: 'escalate', condition: 'request.capability == "never"' });
    await apply(t, escalation.id, ['agent-e1'], ['refund']);
    const r1 = await route(operator, { capability: 'refund' });
    expect(r1).toMatchObject({
      agentId: 'agent-e1',
      needsHumanCheckpoint: true,
      reason: expect.stringMatching(/needs a human checkpoint/),
    });
    expect(candidate(r1, 'agent-e1')).toMatchObject({
      eligible: true,
      needsHumanCheckpoint: true,
      reasons: [`escalation_add adjustment from policy ${escalation.id}: needs a human checkpoint`],
    });
    expect(candidate(r1, 'agent-e2').needsHumanCheckpoint).toBe(false);

    const onAmount = await createPolicy(admin, {
      action: 'escalate',
      scope: 'agent',
      scopeAgentId: 'agent-e2',
      condition: 'request.context.amount > 100',
    });
    const r2 = await route(operator, { capability: 'refund', candidates: ['agent-e2'], context: { amount: 500 } });
    expect(r2).toMatchObject({ agentId: 'agent-e2', needsHumanCheckpoint: true });
    expect(candidate(r2, 'agent-e2').reasons).toEqual([
      `policy decision escalate (policy ${onAmount.id}): needs a human checkpoint`,
    ]);
    const r3 = await route(operator, { capability: 'refund', candidates: ['agent-e2'], context: { amount: 5 } });
    expect(r3).toMatchObject({ agentId: 'agent-e2', needsHumanCheckpoint: false });
    const [row] = await app.sql(`SELECT needs_human_checkpoint FROM routing_decisions WHERE id = $1`, [r2.decisionId]);
    expect(row.needs_human_checkpoint).toBe(true);
  });

  it('honours the kill switch: an agent switch makes it ineligible, the tenant switch routes nothing', async () => {
    const { admin, operator } = await tenant('kill');
    await putAgent(operator, 'agent-k1', ['summarise'], 1);
    await putAgent(operator, 'agent-k2', ['summarise'], 0.5);
    await app.http
      .post('/guard/killswitch')
      .set(bearer(admin))
      .send({ agentId: 'agent-k1', reason: 'looping' })
      .expect(200);
    const r1 = await eventually(async () => {
      const r = await route(operator, { capability: 'summarise' });
      return r.agentId === 'agent-k2' ? r : null;
    }, 'the agent kill switch to apply');
    expect(candidate(r1, 'agent-k1')).toMatchObject({
      eligible: false,
      reasons: ['kill switch active for agent agent-k1'],
    });

    await app.http.post('/guard/killswitch').set(bearer(admin)).send({ reason: 'stop everything' }).expect(200);
    const r2 = await eventually(async () => {
      const r = await route(operator, { capability: 'summarise' });
      return r.agentId === null ? r : null;
    }, 'the tenant kill switch to apply');
    expect(r2).toMatchObject({ reason: 'kill switch active for the tenant', needsHumanCheckpoint: false });
    expect(r2.candidates.every((c) => !c.eligible && c.reasons.includes('kill switch active for the tenant'))).toBe(
      true,
    );

    await app.http.delete('/guard/killswitch').set(bearer(admin)).expect(200);
    await app.http.delete('/guard/killswitch').query({ agentId: 'agent-k1' }).set(bearer(admin)).expect(200);
    await eventually(
      async () => (await route(operator, { capability: 'summarise' })).agentId === 'agent-k1',
      'the kill switches to clear',
    );
  });

  it('lowers effective confidence by penalties in force; expired ones count no more, in routing and in the agents list alike', async () => {
    const { t, admin, operator, viewer } = await tenant('expiry');
    await putAgent(operator, 'agent-x', ['summarise', 'translate'], 1);
    await putAgent(operator, 'agent-y', ['summarise', 'translate'], 0.8);
    const draftBlock = await createPolicy(admin, {
      action: 'block',
      status: 'draft',
      condition: 'request.capability == "never"',
    });
    await apply(t, draftBlock.id, ['agent-x'], ['summarise']); // temporary −0.5
    const r1 = await route(operator, { capability: 'summarise' });
    expect(r1.agentId).toBe('agent-y');
    expect(candidate(r1, 'agent-x')).toMatchObject({ baseConfidence: 1, effectiveConfidence: 0.5, eligible: true });
    const listed = (await agents(viewer)).find((a) => a.agentId === 'agent-x')!;
    expect(listed).toMatchObject({
      effectiveConfidence: 0.5,
      effectiveConfidenceByCapability: { summarise: 0.5, translate: 1 },
      activeAdjustments: 1,
    });
    // The penalty was for summarise: translate routes on base confidence.
    expect((await route(operator, { capability: 'translate' })).agentId).toBe('agent-x');

    await app.sql(
      `UPDATE routing_adjustments SET expires_at = now() - interval '1 second' WHERE source_policy_id = $1`,
      [draftBlock.id],
    );
    const r2 = await route(operator, { capability: 'summarise' });
    expect(r2.agentId).toBe('agent-x');
    expect(candidate(r2, 'agent-x').effectiveConfidence).toBe(1);
    expect((await agents(viewer)).find((a) => a.agentId === 'agent-x')).toMatchObject({
      effectiveConfidence: 1,
      effectiveConfidenceByCapability: { summarise: 1, translate: 1 },
      activeAdjustments: 0,
    });

    // An expired route_block or escalation counts no more either.
    const away = await createPolicy(admin, {
      action: 'route_away',
      status: 'draft',
      condition: 'request.capability == "never"',
    });
    await apply(t, away.id, ['agent-x'], []);
    expect((await route(operator, { capability: 'summarise' })).agentId).toBe('agent-y');
    await app.sql(
      `UPDATE routing_adjustments SET expires_at = now() - interval '1 second' WHERE source_policy_id = $1`,
      [away.id],
    );
    expect((await route(operator, { capability: 'summarise' })).agentId).toBe('agent-x');
  });

  it('disabling a policy deactivates its adjustments at once: the agent is picked again', async () => {
    const { t, admin, operator } = await tenant('disable');
    await putAgent(operator, 'agent-d1', ['summarise'], 1);
    await putAgent(operator, 'agent-d2', ['summarise'], 0.9);
    const block = await createPolicy(admin, { action: 'block', condition: 'request.capability == "never"' });
    await apply(t, block.id, ['agent-d1'], ['summarise']); // lasting −1
    const before = await route(operator, { capability: 'summarise' });
    expect(before.agentId).toBe('agent-d2');
    expect(candidate(before, 'agent-d1').effectiveConfidence).toBe(0);
    await app.http.post(`/policies/${block.id}/disable`).set(bearer(admin)).expect(200);
    const after = await route(operator, { capability: 'summarise' });
    expect(after.agentId).toBe('agent-d1');
    expect(candidate(after, 'agent-d1').effectiveConfidence).toBe(1);
  });

  it('activating a draft turns its temporary adjustments into lasting ones (bridge 4 on PolicyActivated)', async () => {
    const { t, admin, operator, viewer } = await tenant('activate');
    await putAgent(operator, 'agent-z', ['summarise'], 1);
    const draft = await createPolicy(admin, {
      action: 'block',
      status: 'draft',
      scope: 'agent',
      scopeAgentId: 'agent-z',
      condition: 'request.capability == "never"',
    });
    await apply(t, draft.id, ['agent-z'], []);
    const adjustments = async () =>
      (await app.http.get('/routing/adjustments').query({ policyId: draft.id }).set(bearer(viewer)).expect(200)).body
        .items as Array<{
        id: string;
        magnitude: number;
        expiresAt: string | null;
        isActive: boolean;
      }>;
    const [temporary] = await adjustments();
    expect(temporary).toMatchObject({ magnitude: -0.5, isActive: true, expiresAt: expect.any(String) });
    expect(candidate(await route(operator, { capability: 'summarise' }), 'agent-z').effectiveConfidence).toBe(0.5);

    await app.http.post(`/policies/${draft.id}/activate`).set(bearer(admin)).expect(200);
    const lasting = await eventually(async () => {
      const rows = await adjustments();
      return rows.length === 1 && rows[0]!.expiresAt === null ? rows[0] : null;
    }, 'bridge 4 to make the adjustment lasting');
    expect(lasting).toMatchObject({ id: temporary!.id, magnitude: -1, isActive: true });
    expect(candidate(await route(operator, { capability: 'summarise' }), 'agent-z').effectiveConfidence).toBe(0);
  });

  it("a manual policy gets no adjustment of its own, activated or created active: routing follows its condition's capability", async () => {
    const { t, admin, operator, viewer } = await tenant('manual');
    await putAgent(operator, 'agent-x', ['summarise', 'translate'], 1);
    await putAgent(operator, 'agent-y', ['summarise', 'translate'], 1);
    await putAgent(operator, 'agent-z', ['summarise', 'translate'], 0.9);
    const awayFromSummarise = (agentId: string, status: string) =>
      createPolicy(admin, {
        action: 'route_away',
        status,
        scope: 'agent',
        scopeAgentId: agentId,
        condition: 'request.capability == "summarise"',
      });
    const activated = await awayFromSummarise('agent-x', 'draft');
    await app.http.post(`/policies/${activated.id}/activate`).set(bearer(admin)).expect(200);
    const createdActive = await awayFromSummarise('agent-y', 'active');
    // Bridge 4 has handled the activation.
    await eventually(async () => {
      const [row] = await app.sql(
        `SELECT status FROM outbox_events WHERE tenant_id = $1 AND handler = 'bridge_4.policy-to-routing' AND payload->>'policyId' = $2`,
        [t, activated.id],
      );
      return row?.status === 'done' ? row : null;
    }, 'bridge 4 to handle the activation');
    for (const policy of [activated, createdActive]) {
      expect(
        (await app.http.get('/routing/adjustments').query({ policyId: policy.id }).set(bearer(viewer)).expect(200)).body
          .items,
      ).toEqual([]);
    }
    for (const agentId of ['agent-x', 'agent-y']) {
      // Routed away from for summarise, as the condition says, by the policy's decision ...
      const summarise = await route(operator, { capability: 'summarise', candidates: [agentId, 'agent-z'] });
      expect(summarise.agentId).toBe('agent-z');
      expect(candidate(summarise, agentId)).toMatchObject({
        eligible: false,
        reasons: [expect.stringMatching(/^policy decision route_away/)],
      });
      // ... and not for translate: no route_block for every capability.
      const translate = await route(operator, { capability: 'translate', candidates: [agentId, 'agent-z'] });
      expect(translate.agentId).toBe(agentId);
      expect(candidate(translate, agentId)).toMatchObject({ eligible: true, reasons: [] });
    }
  });
});
