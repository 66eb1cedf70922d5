import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueryBus } from '@nestjs/cqrs';
import { GetKillSwitchState, type KillSwitchState } from '../src/incidents/killswitch/get-killswitch-state.query.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

describe('kill switch (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let admin: string;
  let operator: string;
  let viewer: string;
  let otherAdmin: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  const state = (tenantId: string): Promise<KillSwitchState> =>
    app.app.get(QueryBus).execute(new GetKillSwitchState({ tenantId }));
  const killswitchDecisions = (tenantId: string) =>
    app.sql(
      `SELECT incident_id, summary, details FROM decisions WHERE tenant_id = $1 AND kind = 'killswitch' ORDER BY created_at`,
      [tenantId],
    );

  beforeAll(async () => {
    app = await startTestApp();
    admin = await app.keyFor('ks', 'admin');
    operator = await app.keyFor('ks', 'operator');
    viewer = await app.keyFor('ks', 'viewer');
    otherAdmin = await app.keyFor('ks-other', 'admin');
  });
  afterAll(() => app.stop());

  it('starts with no switch set', async () => {
    const res = await app.http.get('/guard/killswitch').set(auth(viewer)).expect(200);
    expect(res.body).toEqual({ tenant: null, agents: [] });
    expect(await state('ks')).toEqual({ tenantActive: false, blockedAgents: [] });
  });

  it('lets only admins change it, and needs a reason to switch it on', async () => {
    const forbidden = await app.http.post('/guard/killswitch').set(auth(operator)).send({ reason: 'stop' }).expect(403);
    expect(forbidden.body.message).toMatch(/admin role/);
    await app.http.post('/guard/killswitch').set(auth(viewer)).send({ reason: 'stop' }).expect(403);
    await app.http.delete('/guard/killswitch').set(auth(operator)).expect(403);
    await app.http.post('/guard/killswitch').send({ reason: 'stop' }).expect(401);

    const missing = await app.http.post('/guard/killswitch').set(auth(admin)).send({ agentId: 'agent-7' }).expect(400);
    expect(missing.body.fields.map((f: { field: string }) => f.field)).toEqual(['reason']);
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: '' }).expect(400);
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: '   ' }).expect(400);
    await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ reason: 'x'.repeat(1001) })
      .expect(400);
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: 42 }).expect(400);
    const badAgent = await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'no spaces', reason: 'stop' })
      .expect(400);
    expect(badAgent.body.fields.map((f: { field: string }) => f.field)).toEqual(['agentId']);
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: 'stop', scope: 'global' }).expect(400);
    await app.http.delete('/guard/killswitch').query({ reason: '' }).set(auth(admin)).expect(400);
    await app.http.delete('/guard/killswitch').query({ agentId: '' }).set(auth(admin)).expect(400);
    // The agent and reason of a DELETE go in the query; sent as a body they would be lost and the
    // tenant's switch turned off instead of the agent's.
    const inBody = await app.http
      .delete('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'agent-1', reason: 'back' })
      .expect(400);
    expect(inBody.body.fields.map((f: { field: string }) => f.field)).toEqual(['agentId', 'reason']);

    expect(await app.sql(`SELECT 1 FROM killswitch_state WHERE tenant_id = 'ks'`)).toHaveLength(0);
    expect(await killswitchDecisions('ks')).toHaveLength(0);
  });

  it('switches one agent off and on again, records each change and tells GetKillSwitchState at once', async () => {
    expect(await state('ks')).toEqual({ tenantActive: false, blockedAgents: [] }); // cached now
    const on = await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'agent-7', reason: 'sending duplicate refunds' })
      .expect(200);
    expect(on.body).toMatchObject({
      agentId: 'agent-7',
      active: true,
      reason: 'sending duplicate refunds',
      changed: true,
      changedBy: expect.stringContaining('ks admin'),
    });
    expect(await state('ks')).toEqual({ tenantActive: false, blockedAgents: ['agent-7'] });

    const listed = await app.http.get('/guard/killswitch').set(auth(viewer)).expect(200);
    expect(listed.body).toEqual({
      tenant: null,
      agents: [
        {
          agentId: 'agent-7',
          active: true,
          reason: 'sending duplicate refunds',
          changedBy: on.body.changedBy,
          changedAt: on.body.changedAt,
        },
      ],
    });

    // Asking again for the state it is in changes nothing and records nothing.
    const again = await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'agent-7', reason: 'sending duplicate refunds' })
      .expect(200);
    expect(again.body).toMatchObject({ active: true, changed: false, changedAt: on.body.changedAt });

    const off = await app.http
      .delete('/guard/killswitch')
      .query({ agentId: 'agent-7', reason: 'fixed in 2.4.1' })
      .set(auth(admin))
      .expect(200);
    expect(off.body).toMatchObject({ agentId: 'agent-7', active: false, reason: 'fixed in 2.4.1', changed: true });
    expect(await state('ks')).toEqual({ tenantActive: false, blockedAgents: [] });
    const offAgain = await app.http
      .delete('/guard/killswitch')
      .query({ agentId: 'agent-7' })
      .set(auth(admin))
      .expect(200);
    expect(offAgain.body).toMatchObject({ active: false, changed: false });
    await app.http.delete('/guard/killswitch').query({ agentId: 'agent-never-set' }).set(auth(admin)).expect(200);

    const listedAfter = (await app.http.get('/guard/killswitch').set(auth(viewer)).expect(200)).body;
    expect(listedAfter.agents).toEqual([
      expect.objectContaining({ agentId: 'agent-7', active: false, reason: 'fixed in 2.4.1' }),
    ]);

    const decisions = await killswitchDecisions('ks');
    expect(decisions.map((d) => d.summary)).toEqual([
      'kill switch activated for agent agent-7: sending duplicate refunds',
      'kill switch deactivated for agent agent-7: fixed in 2.4.1',
    ]);
    expect(decisions.every((d) => d.incident_id === null)).toBe(true);
    expect(decisions[0].details).toMatchObject({
      actor: on.body.changedBy,
      scope: 'agent',
      agentId: 'agent-7',
      active: true,
      previous: null,
    });
    expect(decisions[1].details).toMatchObject({
      actor: on.body.changedBy,
      active: false,
      previous: { active: true, reason: 'sending duplicate refunds' },
    });
  });

  it('switches the whole tenant, and no other tenant', async () => {
    expect(await state('ks-other')).toEqual({ tenantActive: false, blockedAgents: [] });
    await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'agent-9', reason: 'looping' })
      .expect(200);
    const on = await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ reason: 'bad deploy of the planner' })
      .expect(200);
    expect(on.body).toMatchObject({ agentId: null, active: true, reason: 'bad deploy of the planner', changed: true });
    expect(await state('ks')).toEqual({ tenantActive: true, blockedAgents: ['agent-9'] });
    expect(await state('ks-other')).toEqual({ tenantActive: false, blockedAgents: [] });

    const listed = (await app.http.get('/guard/killswitch').set(auth(viewer)).expect(200)).body;
    expect(listed.tenant).toEqual({
      active: true,
      reason: 'bad deploy of the planner',
      changedBy: on.body.changedBy,
      changedAt: on.body.changedAt,
    });
    expect(listed.agents.map((a: { agentId: string; active: boolean }) => [a.agentId, a.active])).toEqual([
      ['agent-7', false],
      ['agent-9', true],
    ]);
    expect((await app.http.get('/guard/killswitch').set(auth(otherAdmin)).expect(200)).body).toEqual({
      tenant: null,
      agents: [],
    });
    // Another tenant's admin switching "its" tenant off touches only its own.
    await app.http.delete('/guard/killswitch').set(auth(otherAdmin)).expect(200);
    expect((await state('ks')).tenantActive).toBe(true);

    const off = await app.http.delete('/guard/killswitch').set(auth(admin)).expect(200);
    expect(off.body).toMatchObject({ agentId: null, active: false, reason: null, changed: true });
    expect(await state('ks')).toEqual({ tenantActive: false, blockedAgents: ['agent-9'] });
    const summaries = (await killswitchDecisions('ks')).map((d) => d.summary);
    expect(summaries.slice(-3)).toEqual([
      'kill switch activated for agent agent-9: looping',
      'kill switch activated for the tenant: bad deploy of the planner',
      'kill switch deactivated for the tenant',
    ]);
    await app.http.delete('/guard/killswitch').query({ agentId: 'agent-9' }).set(auth(admin)).expect(200);
  });

  it("drops every replica's cache on NOTIFY, and after a second without one", async () => {
    expect(await state('ks-replica')).toEqual({ tenantActive: false, blockedAgents: [] });
    // Another replica's write: the row and the notification, committed together.
    await app.sql(`BEGIN; INSERT INTO killswitch_state (id, tenant_id, agent_id, active, reason, changed_by)
      VALUES (gen_random_uuid(), 'ks-replica', 'agent-r', true, 'from another replica', 'replica-2'); SELECT pg_notify('killswitch_changed', 'ks-replica'); COMMIT;`);
    await eventually(
      async () => (await state('ks-replica')).blockedAgents.includes('agent-r'),
      'the NOTIFY to drop the cached state',
    );
    // A write whose notification was lost: the TTL (≤ 1 s) still brings it in.
    await app.sql(`UPDATE killswitch_state SET active = false WHERE tenant_id = 'ks-replica'`);
    await eventually(
      async () => (await state('ks-replica')).blockedAgents.length === 0,
      'the cached state to expire',
      5_000,
    );
  });

  it('pauses auto-apply of recoveries while the tenant kill switch is on (bridge 2)', async () => {
    const tenantAdmin = await app.keyFor('ks-loop', 'admin');
    const report = async (n: number) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(tenantAdmin))
        .send({
          errorType: 'oom',
          message: `Worker pod ingest-${n}x7 OOMKilled: container exceeded memory limit 2048Mi`,
          agentId: 'agent-k1',
          capability: 'ingest',
        })
        .expect(201);
      return eventually(async () => {
        const status = (await app.http.get(`/integration/loop/${res.body.id}`).set(auth(tenantAdmin)).expect(200)).body;
        return status.isComplete ? status : null;
      }, `loop of ${res.body.id} to complete`);
    };
    const first = await report(1);
    const patternId = first.details.pattern_matched.patternId;
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(tenantAdmin))
      .send({
        recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95, params: { target: '{{agentId}}' } },
        autoApplyRecovery: true,
      })
      .expect(200);

    await app.http
      .post('/guard/killswitch')
      .set(auth(tenantAdmin))
      .send({ reason: 'freeze automated changes during the outage' })
      .expect(200);
    const paused = await report(2);
    expect(paused.details.pattern_matched.patternId).toBe(patternId);
    expect(paused.details.recovery_suggested).toMatchObject({
      suggestionType: 'template',
      confidence: 0.95,
      status: 'pending_review',
      autoApplied: false,
    });

    await app.http.delete('/guard/killswitch').set(auth(tenantAdmin)).query({ reason: 'outage over' }).expect(200);
    const resumed = await report(3);
    expect(resumed.details.recovery_suggested).toMatchObject({
      suggestionType: 'template',
      status: 'applied',
      autoApplied: true,
    });
  });
});
