import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PolicyDecisionPoint } from '../src/governance/policies/evaluate-policies/policy-decision-point.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

interface Decision {
  decision: string;
  matched: Array<{ policyId: string; action: string; status: string }>;
  evaluationId: string;
  killSwitch: boolean;
}
interface EvaluationItem {
  id: string;
  agentId: string | null;
  capability: string | null;
  decision: string;
  matched: Array<{ policyId: string; action: string; status: string }>;
  context: Record<string, unknown>;
  killSwitch: boolean;
  createdAt: string;
}

/** POST /policies/evaluate and GET /policies/evaluations, over real HTTP and PostgreSQL, with the loop's relay running. */
describe('policy decisions', () => {
  let app: TestApp;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const keys = new Map<string, string>();
  /** A fresh tenant per test keeps their policies apart. */
  const tenant = async (name: string) => {
    const t = `${name}-${randomUUID().slice(0, 8)}`;
    keys.set(`${t}:admin`, await app.keyFor(t, 'admin'));
    keys.set(`${t}:viewer`, await app.keyFor(t, 'viewer'));
    return { t, admin: keys.get(`${t}:admin`)!, viewer: keys.get(`${t}:viewer`)! };
  };
  const createPolicy = async (key: string, over: Record<string, unknown>) =>
    (
      await app.http
        .post('/policies')
        .set(bearer(key))
        .send({
          name: 'rule',
          category: 'safety',
          action: 'block',
          scope: 'tenant',
          condition: 'true',
          status: 'active',
          ...over,
        })
        .expect(201)
    ).body as { id: string };
  const evaluate = async (key: string, body: Record<string, unknown>): Promise<Decision> =>
    (await app.http.post('/policies/evaluate').set(bearer(key)).send(body).expect(200)).body;
  const evaluations = async (key: string, query: Record<string, string | number> = {}) =>
    (await app.http.get('/policies/evaluations').query(query).set(bearer(key)).expect(200)).body as {
      items: EvaluationItem[];
      nextCursor: string | null;
    };

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('decides by precedence: block beats route_away beats escalate beats warn beats allow', async () => {
    const { admin, viewer } = await tenant('prec');
    const ids: Record<string, string> = {};
    for (const [level, action] of [
      [1, 'warn'],
      [2, 'escalate'],
      [3, 'route_away'],
      [4, 'block'],
    ] as const) {
      ids[action] = (
        await createPolicy(admin, {
          action,
          condition: `has(request.context.level) && request.context.level >= ${level}`,
        })
      ).id;
    }
    const expected = ['allow', 'warn', 'escalate', 'route_away', 'block'];
    for (let level = 0; level <= 4; level++) {
      const res = await evaluate(viewer, { agentId: 'agent-1', capability: 'summarise', context: { level } });
      expect(res.decision).toBe(expected[level]);
      expect(res.killSwitch).toBe(false);
      // Most severe first.
      expect(res.matched).toEqual(
        expected
          .slice(1, level + 1)
          .reverse()
          .map((action) => ({ policyId: ids[action], action, status: 'active' })),
      );
    }
    const res = await evaluate(viewer, { agentId: 'agent-1', capability: 'summarise', context: { level: 4 } });
    expect(Object.keys(res).sort()).toEqual(['decision', 'evaluationId', 'killSwitch', 'matched']);
  });

  it('evaluates drafts in shadow: reported in matched, never deciding; ignores disabled policies at once', async () => {
    const { admin, viewer } = await tenant('shadow');
    const draft = await createPolicy(admin, {
      action: 'block',
      status: 'draft',
      condition: 'request.capability == "refund"',
    });
    const warn = await createPolicy(admin, { action: 'warn', condition: 'request.capability == "refund"' });
    const res = await evaluate(viewer, { agentId: 'agent-1', capability: 'refund' });
    expect(res.decision).toBe('warn');
    expect(res.matched).toEqual([
      { policyId: warn.id, action: 'warn', status: 'active' },
      { policyId: draft.id, action: 'block', status: 'draft' },
    ]);
    await app.http.post(`/policies/${warn.id}/disable`).set(bearer(admin)).expect(200);
    const after = await evaluate(viewer, { agentId: 'agent-1', capability: 'refund' });
    expect(after).toMatchObject({ decision: 'allow', matched: [{ policyId: draft.id, status: 'draft' }] });
    // Activating the draft makes it decide, immediately.
    await app.http.post(`/policies/${draft.id}/activate`).set(bearer(admin)).expect(200);
    expect((await evaluate(viewer, { agentId: 'agent-1', capability: 'refund' })).decision).toBe('block');
    expect((await evaluate(viewer, { agentId: 'agent-1', capability: 'search' })).decision).toBe('allow');
  });

  it("applies a platform admin's global policy to every tenant, and agent policies only to their agent", async () => {
    const a = await tenant('scope-a');
    const b = await tenant('scope-b');
    const capability = `nuke-${randomUUID().slice(0, 8)}`;
    const global = (
      await app.http
        .post('/policies')
        .set(bearer(ADMIN_KEY))
        .send({
          name: 'no nukes',
          category: 'safety',
          action: 'block',
          scope: 'global',
          condition: `request.capability == "${capability}"`,
          status: 'active',
        })
        .expect(201)
    ).body;
    try {
      for (const { viewer } of [a, b]) {
        const res = await evaluate(viewer, { agentId: 'agent-1', capability });
        expect(res).toMatchObject({
          decision: 'block',
          matched: [{ policyId: global.id, action: 'block', status: 'active' }],
        });
      }
      const agentPolicy = await createPolicy(a.admin, {
        action: 'route_away',
        scope: 'agent',
        scopeAgentId: 'agent-7',
        condition: 'true',
      });
      expect(await evaluate(a.viewer, { agentId: 'agent-7', capability: 'summarise' })).toMatchObject({
        decision: 'route_away',
        matched: [{ policyId: agentPolicy.id }],
      });
      expect(await evaluate(a.viewer, { agentId: 'agent-8', capability: 'summarise' })).toMatchObject({
        decision: 'allow',
        matched: [],
      });
      expect(await evaluate(a.viewer, { capability: 'summarise' })).toMatchObject({ decision: 'allow', matched: [] });
      // Another tenant's agent of the same name is not affected.
      expect(await evaluate(b.viewer, { agentId: 'agent-7', capability: 'summarise' })).toMatchObject({
        decision: 'allow',
        matched: [],
      });
      // Nor by another tenant's tenant-scoped policy.
      await createPolicy(a.admin, { action: 'block', condition: 'request.capability == "translate"' });
      expect((await evaluate(b.viewer, { agentId: 'agent-7', capability: 'translate' })).decision).toBe('allow');
      expect((await evaluate(a.viewer, { agentId: 'agent-7', capability: 'translate' })).decision).toBe('block');
    } finally {
      await app.http.post(`/policies/${global.id}/disable`).set(bearer(ADMIN_KEY)).expect(200);
    }
    expect((await evaluate(b.viewer, { agentId: 'agent-1', capability })).decision).toBe('allow');
  });

  it('skips a condition that errors at evaluation: allow, no 500, and the decision is recorded', async () => {
    const { admin, viewer } = await tenant('celerr');
    const risky = await createPolicy(admin, { action: 'block', condition: 'request.context.retries > 3' });
    const typed = await evaluate(viewer, { agentId: 'agent-1', capability: 'summarise', context: { retries: 'x' } });
    expect(typed).toMatchObject({ decision: 'allow', matched: [], killSwitch: false });
    const missing = await evaluate(viewer, { agentId: 'agent-1', capability: 'summarise', context: {} });
    expect(missing).toMatchObject({ decision: 'allow', matched: [] });
    const noContext = await evaluate(viewer, { agentId: 'agent-1' });
    expect(noContext.decision).toBe('allow');
    // The same condition still works for a request it can evaluate.
    const hit = await evaluate(viewer, { agentId: 'agent-1', capability: 'summarise', context: { retries: 5 } });
    expect(hit).toMatchObject({ decision: 'block', matched: [{ policyId: risky.id }] });
    const recorded = await evaluations(viewer, { agentId: 'agent-1' });
    expect(recorded.items.map((e) => e.id)).toEqual([
      hit.evaluationId,
      noContext.evaluationId,
      missing.evaluationId,
      typed.evaluationId,
    ]);
    expect(recorded.items[3]).toMatchObject({
      decision: 'allow',
      matched: [],
      context: { retries: 'x' },
      capability: 'summarise',
      killSwitch: false,
    });
  });

  it('records every decision and lists them by agent, policy and time, newest first, with cursor pagination', async () => {
    const { admin, viewer } = await tenant('list');
    const onA = await createPolicy(admin, {
      action: 'warn',
      scope: 'agent',
      scopeAgentId: 'agent-a',
      condition: 'true',
    });
    const shadow = await createPolicy(admin, {
      action: 'block',
      status: 'draft',
      condition: 'request.capability == "x"',
    });
    const made: Decision[] = [];
    for (const [agentId, capability] of [
      ['agent-a', 'x'],
      ['agent-b', 'x'],
      ['agent-a', 'y'],
      ['agent-b', 'y'],
      ['agent-a', 'x'],
    ]) {
      made.push(await evaluate(viewer, { agentId, capability, context: { n: made.length } }));
    }
    const [row] = await app.sql(
      `SELECT decision, matched_policy_ids, kill_switch FROM policy_evaluations WHERE id = $1`,
      [made[0]!.evaluationId],
    );
    expect(row).toEqual({
      decision: 'warn',
      matched_policy_ids: expect.arrayContaining([onA.id, shadow.id]),
      kill_switch: false,
    });

    const all = await evaluations(viewer);
    expect(all.items.map((e) => e.id)).toEqual(made.map((d) => d.evaluationId).reverse());
    expect(all.nextCursor).toBeNull();
    expect(Object.keys(all.items[0]!).sort()).toEqual([
      'agentId',
      'capability',
      'context',
      'createdAt',
      'decision',
      'id',
      'killSwitch',
      'matched',
    ]);

    const byAgent = await evaluations(viewer, { agentId: 'agent-b' });
    expect(byAgent.items.map((e) => e.id)).toEqual([made[3]!.evaluationId, made[1]!.evaluationId]);
    const byPolicy = await evaluations(viewer, { policyId: onA.id });
    expect(byPolicy.items.map((e) => e.id)).toEqual([
      made[4]!.evaluationId,
      made[2]!.evaluationId,
      made[0]!.evaluationId,
    ]);
    const byShadow = await evaluations(viewer, { policyId: shadow.id, agentId: 'agent-b' });
    expect(byShadow.items.map((e) => e.id)).toEqual([made[1]!.evaluationId]);
    expect(byShadow.items[0]).toMatchObject({ decision: 'allow', matched: [{ policyId: shadow.id, status: 'draft' }] });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: EvaluationItem[]; nextCursor: string | null } = await evaluations(viewer, {
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made.map((d) => d.evaluationId).reverse());

    const times = all.items.map((e) => e.createdAt).reverse();
    const between = await evaluations(viewer, { since: times[1]!, until: times[3]! });
    expect(between.items.map((e) => e.id)).toEqual([made[2]!.evaluationId, made[1]!.evaluationId]);
    expect((await evaluations(viewer, { since: new Date(Date.now() + 60_000).toISOString() })).items).toEqual([]);

    // Another tenant sees none of it.
    const other = await tenant('list-other');
    expect((await evaluations(other.viewer, { policyId: onA.id })).items).toEqual([]);
    expect((await evaluations(other.viewer)).items).toEqual([]);

    for (const query of [
      { since: 'yesterday' },
      { policyId: 'nope' },
      { incidentId: 'nope' },
      { limit: 0 },
      { cursor: 'garbage' },
      { colour: 'red' },
    ]) {
      await app.http.get('/policies/evaluations').query(query).set(bearer(viewer)).expect(400);
    }
    await app.http.get('/policies/evaluations').expect(401);
    // "evaluations" is a route, not a policy id; ids are still checked.
    await app.http.get('/policies/not-a-uuid').set(bearer(viewer)).expect(400);
  });

  it('lists the evaluations that matched the policy generated from an incident', async () => {
    const { t, admin, viewer } = await tenant('incident');
    const operator = await app.keyFor(t, 'operator');
    const incident = (
      await app.http
        .post('/incidents')
        .set(bearer(operator))
        .send({
          errorType: 'timeout',
          message: 'Upstream call to ledger-api timed out after 30000 ms',
          agentId: 'agent-9',
          capability: 'settle',
        })
        .expect(201)
    ).body;
    const policy = await eventually(async () => {
      const detail = (await app.http.get(`/incidents/${incident.id}`).set(bearer(viewer)).expect(200)).body;
      if (!detail.matchedPatternId) return null;
      const list = await app.http
        .get('/policies')
        .query({ sourcePatternId: detail.matchedPatternId })
        .set(bearer(viewer))
        .expect(200);
      return list.body.items[0] as { id: string; status: string; condition: string } | undefined;
    }, 'the policy generated from the incident');
    expect(policy.condition).toContain('request.agentId == "agent-9"');

    const hit = await evaluate(viewer, { agentId: 'agent-9', capability: 'settle' });
    expect(hit.matched).toEqual([{ policyId: policy.id, action: expect.any(String), status: policy.status }]);
    await evaluate(viewer, { agentId: 'agent-10', capability: 'settle' });
    const listed = await evaluations(viewer, { incidentId: incident.id });
    expect(listed.items.map((e) => e.id)).toEqual([hit.evaluationId]);
    expect((await evaluations(viewer, { incidentId: incident.id, policyId: randomUUID() })).items).toEqual([]);

    // An incident of another tenant, or none, is not found.
    const other = await tenant('incident-other');
    await app.http
      .get('/policies/evaluations')
      .query({ incidentId: incident.id })
      .set(bearer(other.viewer))
      .expect(404);
    await app.http.get('/policies/evaluations').query({ incidentId: randomUUID() }).set(bearer(admin)).expect(404);
  });

  it('blocks everything while the kill switch is on, with no policy in matched', async () => {
    const { admin, viewer } = await tenant('kill');
    await createPolicy(admin, { action: 'warn', condition: 'true' });
    expect((await evaluate(viewer, { agentId: 'agent-1' })).decision).toBe('warn');

    await app.http
      .post('/guard/killswitch')
      .set(bearer(admin))
      .send({ agentId: 'agent-1', reason: 'runaway refunds' })
      .expect(200);
    const blocked = await eventually(async () => {
      const res = await evaluate(viewer, { agentId: 'agent-1', capability: 'refund' });
      return res.killSwitch ? res : null;
    }, 'the agent kill switch to apply');
    expect(blocked).toMatchObject({ decision: 'block', matched: [], killSwitch: true });
    expect(await evaluate(viewer, { agentId: 'agent-2' })).toMatchObject({ decision: 'warn', killSwitch: false });

    await app.http.post('/guard/killswitch').set(bearer(admin)).send({ reason: 'incident bridge' }).expect(200);
    const tenantWide = await eventually(async () => {
      const res = await evaluate(viewer, { agentId: 'agent-2' });
      return res.killSwitch ? res : null;
    }, 'the tenant kill switch to apply');
    expect(tenantWide).toMatchObject({ decision: 'block', matched: [], killSwitch: true });
    const [row] = await app.sql(`SELECT decision, matched, kill_switch FROM policy_evaluations WHERE id = $1`, [
      tenantWide.evaluationId,
    ]);
    expect(row).toEqual({ decision: 'block', matched: [], kill_switch: true });
    expect((await evaluations(viewer, { agentId: 'agent-2' })).items[0]).toMatchObject({
      decision: 'block',
      killSwitch: true,
    });

    await app.http.delete('/guard/killswitch').set(bearer(admin)).expect(200);
    await app.http.delete('/guard/killswitch').query({ agentId: 'agent-1' }).set(bearer(admin)).expect(200);
    await eventually(
      async () => !(await evaluate(viewer, { agentId: 'agent-1' })).killSwitch,
      'the kill switches to clear',
    );
    expect(await evaluate(viewer, { agentId: 'agent-1' })).toMatchObject({ decision: 'warn', killSwitch: false });
  });

  it('lets viewers evaluate, validates the request and needs a key', async () => {
    const { viewer } = await tenant('input');
    await app.http.post('/policies/evaluate').send({ agentId: 'a' }).expect(401);
    const bad = await app.http
      .post('/policies/evaluate')
      .set(bearer(viewer))
      .send({ agentId: 'no spaces', context: 'x', colour: 'red' })
      .expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['agentId', 'colour', 'context']);
    expect(await evaluate(viewer, {})).toMatchObject({ decision: 'allow', matched: [], killSwitch: false });
  });

  it('drops the policy index on every replica when a policy changes elsewhere (NOTIFY, not the TTL)', async () => {
    const { t, admin, viewer } = await tenant('replica');
    const other = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' }, [], app.database.url);
    // What drops the other replica's index: the NOTIFY's handler (the TTL's refresh does not call it).
    const dropped = jest.spyOn(other.app.get(PolicyDecisionPoint), 'invalidate');
    const told = (times: number) =>
      eventually(
        async () => dropped.mock.calls.filter(([tenantId]) => tenantId === t).length >= times,
        'the NOTIFY to reach the other replica',
      );
    try {
      const onOther = async () =>
        (
          await other.http
            .post('/policies/evaluate')
            .set(bearer(viewer))
            .send({ agentId: 'agent-1', capability: 'summarise' })
            .expect(200)
        ).body as Decision;
      expect((await onOther()).decision).toBe('allow'); // the other replica has now cached the (empty) index
      const policy = await createPolicy(admin, { action: 'escalate', condition: 'request.capability == "summarise"' });
      await told(1);
      expect((await onOther()).decision).toBe('escalate');
      await app.http.post(`/policies/${policy.id}/disable`).set(bearer(admin)).expect(200);
      await told(2);
      expect((await onOther()).decision).toBe('allow');
    } finally {
      await other.stop();
    }
  });
});
