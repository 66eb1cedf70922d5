import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PolicyGenerationInput } from '../src/governance/policies/policy-generator.js';
import { UpsertGeneratedPolicy } from '../src/governance/policies/upsert-generated-policy/upsert-generated-policy.command.js';
import { ApplyRoutingAdjustments } from '../src/governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { RegisterAgents } from '../src/governance/routing/register-agents/register-agents.command.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

interface PolicyBody {
  id: string;
  name: string;
  status: string;
  scope: string;
  scopeAgentId: string | null;
  sourceType: string;
  sourcePatternId: string | null;
  generationConfidence: number | null;
  updatedAt: string;
}
interface AdjustmentBody {
  id: string;
  agentId: string;
  capability: string | null;
  adjustmentType: string;
  magnitude: number;
  sourcePolicyId: string;
  isActive: boolean;
  expired: boolean;
  expiresAt: string | null;
}
interface AgentBody {
  agentId: string;
  capabilities: string[];
  baseConfidence: number;
  effectiveConfidence: number;
  activeAdjustments: number;
}

describe('governance API: policies and CARE routing', () => {
  let app: TestApp;
  let acmeAdmin: string;
  let acmeOperator: string;
  let acmeViewer: string;
  let globexAdmin: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const manual = (over: Record<string, unknown> = {}) => ({
    name: 'block flaky summariser',
    category: 'safety',
    action: 'block',
    scope: 'tenant',
    condition: 'request.capability == "summarise"',
    ...over,
  });

  /** Runs a command the way a bridge does: inside a transaction of its own. */
  const execute = <R>(command: { tenantId: string } & object): Promise<R> =>
    app.app.get(TransactionHost).run(() => app.app.get(CommandBus).execute(command as never) as Promise<R>);
  const apply = (
    tenantId: string,
    policyId: string,
    agents: string[],
    capabilities: string[] = [],
    activation = false,
  ) =>
    execute<{ adjustmentCount: number; affectedAgents: string[] }>(
      new ApplyRoutingAdjustments({ tenantId, policyId, agents, capabilities, activation }),
    );
  const createPolicy = async (key: string, over: Record<string, unknown> = {}): Promise<PolicyBody> =>
    (await app.http.post('/policies').set(bearer(key)).send(manual(over)).expect(201)).body;
  const adjustments = async (key: string, query: Record<string, string>): Promise<AdjustmentBody[]> =>
    (await app.http.get('/routing/adjustments').query(query).set(bearer(key)).expect(200)).body.items;
  const agent = async (key: string, agentId: string): Promise<AgentBody | undefined> =>
    (await app.http.get('/routing/agents').set(bearer(key)).expect(200)).body.items.find(
      (a: AgentBody) => a.agentId === agentId,
    );
  const policyCount = async () => (await app.sql(`SELECT count(*)::int AS n FROM policy_rules`))[0].n as number;

  const generation = (
    patternId: string,
    over: { occurrenceCount?: number; confidence?: number; agents?: string[] } = {},
  ): PolicyGenerationInput => ({
    tenantId: 'acme',
    pattern: {
      id: patternId,
      errorType: 'timeout',
      template: 'upstream <*> timed out after <*> ms',
      occurrenceCount: over.occurrenceCount ?? 1,
      affectedAgents: over.agents ?? ['agent-001'],
      capabilities: ['summarise'],
    },
    recovery: {
      id: randomUUID(),
      playbookId: 'retry_with_backoff',
      confidence: over.confidence ?? 0.6,
      status: 'pending_review',
    },
    playbook: {
      id: 'retry_with_backoff',
      name: 'Retry with backoff',
      policy: { category: 'operational', action: 'warn' },
    },
  });

  beforeAll(async () => {
    // The relay is off: no bridge reacts to PolicyActivated/PolicyDisabled while these tests look at state.
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    acmeAdmin = await app.keyFor('acme', 'admin');
    acmeOperator = await app.keyFor('acme', 'operator');
    acmeViewer = await app.keyFor('acme', 'viewer');
    globexAdmin = await app.keyFor('globex', 'admin');
  });
  afterAll(() => app.stop());

  describe('manual policies', () => {
    it('creates a draft manual policy and reads it back', async () => {
      const created = await createPolicy(acmeAdmin, { description: 'too many timeouts' });
      expect(created).toMatchObject({
        name: 'block flaky summariser',
        description: 'too many timeouts',
        category: 'safety',
        action: 'block',
        scope: 'tenant',
        scopeAgentId: null,
        condition: 'request.capability == "summarise"',
        status: 'draft',
        sourceType: 'manual',
        sourcePatternId: null,
        sourceRecoveryId: null,
        generationConfidence: null,
      });
      expect(Object.keys(created).sort()).toEqual([
        'action',
        'category',
        'condition',
        'createdAt',
        'description',
        'generationConfidence',
        'id',
        'name',
        'scope',
        'scopeAgentId',
        'sourcePatternId',
        'sourceRecoveryId',
        'sourceType',
        'status',
        'updatedAt',
      ]);
      const got = await app.http.get(`/policies/${created.id}`).set(bearer(acmeViewer)).expect(200);
      expect(got.body).toEqual(created);
      const active = await createPolicy(acmeAdmin, { status: 'active', scope: 'agent', scopeAgentId: 'agent-009' });
      expect(active).toMatchObject({ status: 'active', scope: 'agent', scopeAgentId: 'agent-009' });
    });

    it('lists with filters and cursor pagination, newest first', async () => {
      const names = [0, 1, 2, 3, 4].map((i) => `globex rule ${i}`);
      for (const name of names) await createPolicy(globexAdmin, { name });
      await createPolicy(globexAdmin, { name: 'globex active', status: 'active' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: PolicyBody[]; nextCursor: string | null } } = await app.http
          .get('/policies')
          .query({ status: 'draft', sourceType: 'manual', limit: 2, ...(cursor ? { cursor } : {}) })
          .set(bearer(globexAdmin))
          .expect(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        expect(page.body.items.every((p) => p.status === 'draft')).toBe(true);
        seen.push(...page.body.items.map((p) => p.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...names].reverse());
      const active = await app.http.get('/policies').query({ status: 'active' }).set(bearer(globexAdmin)).expect(200);
      expect(active.body.items.map((p: PolicyBody) => p.name)).toEqual(['globex active']);
      await app.http.get('/policies').query({ status: 'bogus' }).set(bearer(globexAdmin)).expect(400);
      await app.http.get('/policies').query({ sourcePatternId: 'nope' }).set(bearer(globexAdmin)).expect(400);
      await app.http.get('/policies').query({ cursor: 'garbage' }).set(bearer(globexAdmin)).expect(400);
    });

    it('rejects an invalid CEL condition with the parse error and writes nothing', async () => {
      const before = await policyCount();
      const res = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ condition: 'request.agentId == ' }))
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'invalid fields: condition' });
      expect(res.body.fields).toHaveLength(1);
      expect(res.body.fields[0].field).toBe('condition');
      expect(res.body.fields[0].errors).toHaveLength(1);
      expect(res.body.fields[0].errors[0]).toMatch(/^syntax error at line 1, column \d+/);
      const unknown = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ condition: 'agent == "x"' }))
        .expect(400);
      expect(unknown.body.fields).toEqual([
        { field: 'condition', errors: ['unknown variable "agent" (only "request" is available)'] },
      ]);
      await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ condition: '"yes"' }))
        .expect(400);
      expect(await policyCount()).toBe(before);
    });

    it('requires scopeAgentId exactly when scope is agent', async () => {
      const before = await policyCount();
      const missing = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ scope: 'agent' }))
        .expect(400);
      expect(missing.body.fields).toEqual([
        { field: 'scopeAgentId', errors: ['scopeAgentId is required when scope is agent'] },
      ]);
      const extra = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ scope: 'tenant', scopeAgentId: 'agent-1' }))
        .expect(400);
      expect(extra.body.fields.map((f: { field: string }) => f.field)).toEqual(['scopeAgentId']);
      const bad = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ scope: 'agent', scopeAgentId: 'no spaces' }))
        .expect(400);
      expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual(['scopeAgentId']);
      const several = await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send({ ...manual({ action: 'explode', status: 'disabled', colour: 'red' }), name: undefined })
        .expect(400);
      expect(several.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
        'action',
        'colour',
        'name',
        'status',
      ]);
      expect(await policyCount()).toBe(before);
    });

    it('allows global scope only with a platform admin key', async () => {
      await app.http
        .post('/policies')
        .set(bearer(acmeAdmin))
        .send(manual({ scope: 'global' }))
        .expect(403);
      const global = await app.http
        .post('/policies')
        .set(bearer(ADMIN_KEY))
        .send(manual({ scope: 'global' }))
        .expect(201);
      expect(global.body.scope).toBe('global');
      // A global policy applies to every tenant: a plain admin of the platform admin's own tenant may not switch it.
      const defaultAdmin = await app.keyFor('default', 'admin');
      for (const action of ['disable', 'activate']) {
        const refused = await app.http.post(`/policies/${global.body.id}/${action}`).set(bearer(defaultAdmin));
        expect({ action, status: refused.status, message: refused.body.message }).toEqual({
          action,
          status: 403,
          message: 'global policies need a platform admin key',
        });
      }
      expect(
        (await app.http.get(`/policies/${global.body.id}`).set(bearer(defaultAdmin)).expect(200)).body.status,
      ).toBe('draft');
      await app.http.post(`/policies/${global.body.id}/disable`).set(bearer(ADMIN_KEY)).expect(200);
      await app.http.post(`/policies/${global.body.id}/activate`).set(bearer(ADMIN_KEY)).expect(200);
    });

    it('refuses a context longer than conditions see, rather than cut the entry a deny looks for', async () => {
      const admin = await app.keyFor('padding', 'admin');
      const viewer = await app.keyFor('padding', 'viewer');
      const operator = await app.keyFor('padding', 'operator');
      for (const condition of [
        'has(request.context.amount) && request.context.amount > 1000',
        'has(request.context.recipients) && request.context.recipients.exists(r, r.endsWith("@evil.example"))',
      ])
        await createPolicy(admin, { condition, status: 'active', name: condition.slice(0, 60) });
      const evaluate = (context: unknown) => app.http.post('/policies/evaluate').set(bearer(viewer)).send({ context });
      const padding = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 0]));
      const benign = Array.from({ length: 100 }, (_, i) => `user${i}@example.com`);
      expect((await evaluate({ amount: 5000 })).body.decision).toBe('block');
      expect((await evaluate({ recipients: [...benign.slice(1), 'x@evil.example'] })).body.decision).toBe('block');
      for (const [context, problem] of [
        [{ ...padding, amount: 5000 }, /^context holds 101 entries; at most 100$/],
        [{ recipients: [...benign, 'x@evil.example'] }, /^context\.recipients holds 101 entries; at most 100$/],
        [[1, 2], /^context must be an object$/],
      ] as const) {
        const res = await evaluate(context);
        expect(res.status).toBe(400);
        expect(res.body.fields).toEqual([{ field: 'context', errors: [expect.stringMatching(problem)] }]);
      }
      const route = await app.http
        .post('/routing/route')
        .set(bearer(operator))
        .send({ capability: 'summarise', candidates: ['a', 'b'], context: { ...padding, amount: 5000 } });
      expect(route.status).toBe(400);
      expect(route.body.fields.map((f: { field: string }) => f.field)).toEqual(['context']);
    });

    it('needs an admin key to write and a key to read', async () => {
      const res = await app.http.post('/policies').set(bearer(acmeViewer)).send(manual()).expect(403);
      expect(res.body.message).toMatch(/admin role/);
      await app.http.post('/policies').set(bearer(acmeOperator)).send(manual()).expect(403);
      const policy = await createPolicy(acmeAdmin);
      await app.http.post(`/policies/${policy.id}/activate`).set(bearer(acmeViewer)).expect(403);
      await app.http.post(`/policies/${policy.id}/disable`).set(bearer(acmeOperator)).expect(403);
      await app.http.get('/policies').expect(401);
      await app.http.get('/routing/agents').expect(401);
      await app.http.get('/routing/adjustments').expect(401);
      await app.http.get('/routing/agents').set(bearer(acmeViewer)).expect(200);
    });

    it('documents the governance routes in OpenAPI', async () => {
      const docs = await app.http.get('/docs-json').set(bearer(acmeViewer)).expect(200);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining([
          '/policies',
          '/policies/{id}',
          '/policies/{id}/activate',
          '/policies/{id}/disable',
          '/routing/agents',
          '/routing/adjustments',
        ]),
      );
    });

    it("answers 404 for another tenant's policy and 400 for a bad id", async () => {
      const mine = await createPolicy(acmeAdmin);
      await app.http.get(`/policies/${mine.id}`).set(bearer(globexAdmin)).expect(404);
      await app.http.post(`/policies/${mine.id}/activate`).set(bearer(globexAdmin)).expect(404);
      await app.http.post(`/policies/${mine.id}/disable`).set(bearer(globexAdmin)).expect(404);
      const theirs = await app.http.get('/policies').set(bearer(globexAdmin)).expect(200);
      expect(theirs.body.items.map((p: PolicyBody) => p.id)).not.toContain(mine.id);
      const [row] = await app.sql(`SELECT status FROM policy_rules WHERE id = $1`, [mine.id]);
      expect(row.status).toBe('draft');
      await app.http.get(`/policies/${randomUUID()}`).set(bearer(acmeViewer)).expect(404);
      await app.http.get('/policies/not-a-uuid').set(bearer(acmeViewer)).expect(400);
      await app.http.post('/policies/not-a-uuid/activate').set(bearer(acmeAdmin)).expect(400);
    });
  });

  describe('activate and disable', () => {
    it('activates idempotently and re-activates a disabled policy', async () => {
      const policy = await createPolicy(acmeAdmin);
      const first = await app.http.post(`/policies/${policy.id}/activate`).set(bearer(acmeAdmin)).expect(200);
      expect(first.body.status).toBe('active');
      const again = await app.http.post(`/policies/${policy.id}/activate`).set(bearer(acmeAdmin)).expect(200);
      expect(again.body).toEqual(first.body);
      const disabled = await app.http.post(`/policies/${policy.id}/disable`).set(bearer(acmeAdmin)).expect(200);
      expect(disabled.body.status).toBe('disabled');
      await app.http.post(`/policies/${policy.id}/disable`).set(bearer(acmeAdmin)).expect(200);
      const back = await app.http.post(`/policies/${policy.id}/activate`).set(bearer(acmeAdmin)).expect(200);
      expect(back.body.status).toBe('active');
      expect((await app.http.get(`/policies/${policy.id}`).set(bearer(acmeViewer)).expect(200)).body.status).toBe(
        'active',
      );
    });

    it('deactivates the adjustments of a disabled policy at once, and a disabled policy writes none', async () => {
      const policy = await createPolicy(acmeAdmin, { status: 'active' });
      const applied = await apply('acme', policy.id, ['agent-d1', 'agent-d2'], ['summarise']);
      expect(applied).toEqual({
        adjustmentCount: 2,
        affectedAgents: ['agent-d1', 'agent-d2'],
        adjustments: [
          { agentId: 'agent-d1', capability: 'summarise' },
          { agentId: 'agent-d2', capability: 'summarise' },
        ],
        policyStatus: 'active',
      });
      expect((await adjustments(acmeViewer, { policyId: policy.id, active: 'true' })).length).toBe(2);
      expect((await agent(acmeViewer, 'agent-d1'))?.effectiveConfidence).toBe(0);

      await app.http.post(`/policies/${policy.id}/disable`).set(bearer(acmeAdmin)).expect(200);
      const after = await adjustments(acmeViewer, { policyId: policy.id });
      expect(after).toHaveLength(2);
      expect(after.every((a) => !a.isActive)).toBe(true);
      expect(await adjustments(acmeViewer, { policyId: policy.id, active: 'true' })).toEqual([]);
      expect(await agent(acmeViewer, 'agent-d1')).toMatchObject({ effectiveConfidence: 1, activeAdjustments: 0 });

      expect(await apply('acme', policy.id, ['agent-d1', 'agent-d3'], ['summarise'])).toEqual({
        adjustmentCount: 0,
        affectedAgents: [],
        adjustments: [],
        policyStatus: 'disabled',
      });
      const still = await adjustments(acmeViewer, { policyId: policy.id });
      expect(still).toHaveLength(2);
      expect(still.every((a) => !a.isActive)).toBe(true);
    });
  });

  describe('routing adjustments', () => {
    it('gives draft policies temporary, halved adjustments and active ones lasting adjustments, never stacked', async () => {
      const policy = await createPolicy(acmeAdmin, { action: 'block' });
      const before = Date.now();
      const first = await apply('acme', policy.id, ['agent-r1', 'agent-r2'], []);
      expect(first).toEqual({
        adjustmentCount: 2,
        affectedAgents: ['agent-r1', 'agent-r2'],
        adjustments: [
          { agentId: 'agent-r1', capability: null },
          { agentId: 'agent-r2', capability: null },
        ],
        policyStatus: 'draft',
      });
      const drafts = await adjustments(acmeViewer, { policyId: policy.id });
      expect(drafts).toHaveLength(2);
      for (const a of drafts) {
        expect(a).toMatchObject({
          capability: null,
          adjustmentType: 'confidence_penalty',
          magnitude: -0.5,
          isActive: true,
          sourcePolicyId: policy.id,
        });
        expect(Date.parse(a.expiresAt!)).toBeGreaterThan(before + 23 * 3_600_000);
      }
      const [stored] = await app.sql(`SELECT capability FROM routing_adjustments WHERE source_policy_id = $1 LIMIT 1`, [
        policy.id,
      ]);
      expect(stored.capability).toBe('');

      await apply('acme', policy.id, ['agent-r1', 'agent-r2'], []);
      await apply('acme', policy.id, ['agent-r2', 'agent-r1', 'agent-r1'], []);
      const reapplied = await adjustments(acmeViewer, { policyId: policy.id });
      expect(reapplied.map((a) => a.id).sort()).toEqual(drafts.map((a) => a.id).sort());
      expect((await agent(acmeViewer, 'agent-r1'))?.effectiveConfidence).toBe(0.5);

      await app.http.post(`/policies/${policy.id}/activate`).set(bearer(acmeAdmin)).expect(200);
      // What bridge 4 does on PolicyActivated: re-apply, here to the policy's existing targets.
      expect(await apply('acme', policy.id, [], [], true)).toEqual({
        adjustmentCount: 2,
        affectedAgents: ['agent-r1', 'agent-r2'],
        adjustments: [
          { agentId: 'agent-r1', capability: null },
          { agentId: 'agent-r2', capability: null },
        ],
        policyStatus: 'active',
      });
      const lasting = await adjustments(acmeViewer, { policyId: policy.id });
      expect(lasting.map((a) => a.id).sort()).toEqual(drafts.map((a) => a.id).sort());
      for (const a of lasting) expect(a).toMatchObject({ magnitude: -1, expiresAt: null, isActive: true });
      const [count] = await app.sql(`SELECT count(*)::int AS n FROM routing_adjustments WHERE source_policy_id = $1`, [
        policy.id,
      ]);
      expect(count.n).toBe(2);
    });

    it('writes one adjustment per agent and capability, maps actions to types, and registers agents', async () => {
      const routeAway = await createPolicy(acmeAdmin, { action: 'route_away', status: 'active', category: 'routing' });
      const res = await apply('acme', routeAway.id, ['agent-c1'], ['summarise', 'translate']);
      expect(res.adjustmentCount).toBe(2);
      const rows = await adjustments(acmeViewer, { policyId: routeAway.id });
      expect(rows.map((a) => a.capability).sort()).toEqual(['summarise', 'translate']);
      expect(rows.every((a) => a.adjustmentType === 'route_block' && a.magnitude === 1 && a.expiresAt === null)).toBe(
        true,
      );
      // route_block does not change confidence.
      expect(await agent(acmeViewer, 'agent-c1')).toMatchObject({
        capabilities: ['summarise', 'translate'],
        baseConfidence: 1,
        effectiveConfidence: 1,
        activeAdjustments: 2,
      });
      const escalate = await createPolicy(acmeAdmin, { action: 'escalate', status: 'active' });
      await apply('acme', escalate.id, ['agent-c1'], ['embed']);
      expect((await adjustments(acmeViewer, { policyId: escalate.id }))[0]).toMatchObject({
        adjustmentType: 'escalation_add',
        capability: 'embed',
      });
      expect((await agent(acmeViewer, 'agent-c1'))?.capabilities).toEqual(['embed', 'summarise', 'translate']);

      await execute(
        new RegisterAgents({ tenantId: 'acme', agentIds: ['agent-c1', 'agent-c9'], capability: 'classify' }),
      );
      await execute(new RegisterAgents({ tenantId: 'acme', agentIds: ['agent-c9'], capability: null }));
      expect((await agent(acmeViewer, 'agent-c1'))?.capabilities).toEqual([
        'classify',
        'embed',
        'summarise',
        'translate',
      ]);
      expect(await agent(acmeViewer, 'agent-c9')).toMatchObject({
        capabilities: ['classify'],
        effectiveConfidence: 1,
        activeAdjustments: 0,
      });
      expect(await agent(globexAdmin, 'agent-c1')).toBeUndefined();
      expect(await adjustments(globexAdmin, { agentId: 'agent-c1' })).toEqual([]);
      await app.http.get('/routing/adjustments').query({ active: 'maybe' }).set(bearer(acmeViewer)).expect(400);
      await app.http.get('/routing/adjustments').query({ policyId: 'x' }).set(bearer(acmeViewer)).expect(400);
    });

    it('clamps effective confidence to [0, 1] and stops counting expired adjustments', async () => {
      const block = await createPolicy(acmeAdmin, { action: 'block', status: 'active' });
      const warn = await createPolicy(acmeAdmin, { action: 'warn', status: 'active' });
      await apply('acme', block.id, ['agent-e1'], []);
      await apply('acme', warn.id, ['agent-e1'], []);
      // 1 − 1 − 0.1 clamps to 0.
      expect(await agent(acmeViewer, 'agent-e1')).toMatchObject({ effectiveConfidence: 0, activeAdjustments: 2 });

      await execute(new RegisterAgents({ tenantId: 'acme', agentIds: ['agent-e2'], capability: null }));
      await app.sql(`UPDATE agents SET base_confidence = 0.9 WHERE tenant_id = 'acme' AND id = 'agent-e2'`);
      await app.sql(
        `INSERT INTO routing_adjustments (id, tenant_id, agent_id, adjustment_type, magnitude, reason, source_policy_id)
         VALUES ($1, 'acme', 'agent-e2', 'confidence_penalty', 0.5, 'test boost', $2)`,
        [randomUUID(), block.id],
      );
      // 0.9 + 0.5 clamps to 1.
      expect(await agent(acmeViewer, 'agent-e2')).toMatchObject({
        baseConfidence: 0.9,
        effectiveConfidence: 1,
        activeAdjustments: 1,
      });

      const draft = await createPolicy(acmeAdmin, { action: 'block' });
      await apply('acme', draft.id, ['agent-e3'], []);
      expect(await agent(acmeViewer, 'agent-e3')).toMatchObject({ effectiveConfidence: 0.5, activeAdjustments: 1 });
      await app.sql(
        `UPDATE routing_adjustments SET expires_at = now() - interval '1 minute' WHERE source_policy_id = $1`,
        [draft.id],
      );
      expect(await agent(acmeViewer, 'agent-e3')).toMatchObject({ effectiveConfidence: 1, activeAdjustments: 0 });
    });

    it('lists a temporary adjustment whose expiresAt has passed (by the database’s clock) as not active, as routing counts it', async () => {
      const draft = await createPolicy(acmeAdmin, { action: 'block' });
      await apply('acme', draft.id, ['agent-x1', 'agent-x2'], []);
      const ids = async (active: 'true' | 'false') =>
        (await adjustments(acmeViewer, { policyId: draft.id, active })).map((a) => a.agentId).sort();
      expect(await ids('true')).toEqual(['agent-x1', 'agent-x2']);
      expect(await ids('false')).toEqual([]);
      // agent-x1's runs out; the stored flag stays true (a renewal would revive it).
      await app.sql(
        `UPDATE routing_adjustments SET expires_at = now() - interval '1 minute' WHERE source_policy_id = $1 AND agent_id = 'agent-x1'`,
        [draft.id],
      );
      expect(
        await app.sql(
          `SELECT is_active FROM routing_adjustments WHERE source_policy_id = $1 AND agent_id = 'agent-x1'`,
          [draft.id],
        ),
      ).toEqual([{ is_active: true }]);
      expect(await ids('true')).toEqual(['agent-x2']);
      expect(await ids('false')).toEqual(['agent-x1']);
      const byAgent = Object.fromEntries(
        (await adjustments(acmeViewer, { policyId: draft.id })).map((a) => [a.agentId, a]),
      );
      expect(byAgent['agent-x1']).toMatchObject({ isActive: false, expired: true, expiresAt: expect.any(String) });
      expect(byAgent['agent-x2']).toMatchObject({ isActive: true, expired: false });
      // What the list says is what routing counts.
      expect(await agent(acmeViewer, 'agent-x1')).toMatchObject({ effectiveConfidence: 1, activeAdjustments: 0 });
      expect(await agent(acmeViewer, 'agent-x2')).toMatchObject({ effectiveConfidence: 0.5, activeAdjustments: 1 });
      // A disabled policy's adjustments are not active, nor expired (a lasting one never expires).
      const disabled = await createPolicy(acmeAdmin, { action: 'block', status: 'active' });
      await apply('acme', disabled.id, ['agent-x3'], []);
      await app.http.post(`/policies/${disabled.id}/disable`).set(bearer(acmeAdmin)).expect(200);
      expect(await adjustments(acmeViewer, { policyId: disabled.id, active: 'false' })).toEqual([
        expect.objectContaining({ agentId: 'agent-x3', isActive: false, expired: false, expiresAt: null }),
      ]);
    });

    it("rewrites the rows of another action when a policy's action changes; a draft's keep their expiry, run-out ones stay out", async () => {
      const policy = await createPolicy(acmeAdmin, { action: 'block' });
      await apply('acme', policy.id, ['agent-w1', 'agent-w2', 'agent-w3'], ['summarise']);
      await app.sql(
        `UPDATE routing_adjustments SET expires_at = now() - interval '1 minute' WHERE source_policy_id = $1 AND agent_id = 'agent-w3'`,
        [policy.id],
      );
      const byAgent = async () =>
        Object.fromEntries((await adjustments(acmeViewer, { policyId: policy.id })).map((a) => [a.agentId, a]));
      const before = await byAgent();
      // As bridge 3 does when the pattern's playbook changes (block → warn: same type, smaller penalty).
      await app.sql(`UPDATE policy_rules SET action = 'warn' WHERE id = $1`, [policy.id]);
      await apply('acme', policy.id, ['agent-w4'], ['summarise']);
      const after = await byAgent();
      for (const id of ['agent-w1', 'agent-w2']) {
        expect(after[id]).toMatchObject({
          adjustmentType: 'confidence_penalty',
          magnitude: -0.05,
          isActive: true,
          expiresAt: before[id]!.expiresAt,
        });
      }
      expect(after['agent-w3']).toEqual(before['agent-w3']); // run out: not renewed
      expect(after['agent-w4']).toMatchObject({ magnitude: -0.05, expiresAt: expect.any(String) });
      expect((await agent(acmeViewer, 'agent-w1'))?.effectiveConfidence).toBe(0.95);

      // Nothing of the old action is in force now: a further incident writes its agent's row only.
      const stamp = async (agentId: string) =>
        (
          await app.sql(`SELECT updated_at FROM routing_adjustments WHERE source_policy_id = $1 AND agent_id = $2`, [
            policy.id,
            agentId,
          ])
        )[0].updated_at as Date;
      const w1 = await stamp('agent-w1');
      await apply('acme', policy.id, ['agent-w4'], ['summarise']);
      expect(await stamp('agent-w1')).toEqual(w1);
    });

    it('rejects adjustments for a policy the tenant does not have', async () => {
      const theirs = await createPolicy(globexAdmin);
      await expect(apply('acme', theirs.id, ['agent-x'], [])).rejects.toThrow(/not found/);
      const [n] = await app.sql(`SELECT count(*)::int AS n FROM routing_adjustments WHERE source_policy_id = $1`, [
        theirs.id,
      ]);
      expect(n.n).toBe(0);
    });
  });

  describe('generated policies (bridge 3)', () => {
    const upsert = (input: PolicyGenerationInput) =>
      execute<{
        policyId: string;
        isNew: boolean;
        status: string;
        action: string;
        category: string;
        scope: string;
        confidence: number;
      }>(new UpsertGeneratedPolicy({ tenantId: 'acme', input }));

    it('keeps one policy per pattern: a later incident updates it', async () => {
      const patternId = randomUUID();
      const first = await upsert(generation(patternId));
      expect(first).toMatchObject({
        isNew: true,
        status: 'draft',
        action: 'warn',
        category: 'operational',
        scope: 'agent',
        confidence: 0.6,
      });
      const second = await upsert(generation(patternId, { agents: ['agent-001', 'agent-002'], confidence: 0.7 }));
      expect(second).toMatchObject({
        policyId: first.policyId,
        isNew: false,
        status: 'draft',
        scope: 'tenant',
        confidence: 0.7,
      });
      const list = await app.http
        .get('/policies')
        .query({ sourcePatternId: patternId })
        .set(bearer(acmeViewer))
        .expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({
        id: first.policyId,
        sourceType: 'recovery',
        sourcePatternId: patternId,
        generationConfidence: 0.7,
        scope: 'tenant',
        scopeAgentId: null,
      });
      expect(list.body.items[0].condition).toContain('request.agentId in ["agent-001", "agent-002"]');

      // Confident and recurring: active; a later, weaker incident never downgrades it.
      const third = await upsert(generation(patternId, { occurrenceCount: 5, confidence: 0.95 }));
      expect(third).toMatchObject({ policyId: first.policyId, isNew: false, status: 'active' });
      const fourth = await upsert(generation(patternId, { occurrenceCount: 6, confidence: 0.3 }));
      expect(fourth).toMatchObject({ policyId: first.policyId, status: 'active', confidence: 0.3 });
    });

    it('yields one policy when two transactions upsert one pattern concurrently', async () => {
      const patternId = randomUUID();
      const results = await Promise.all([
        upsert(generation(patternId)),
        upsert(generation(patternId, { confidence: 0.7 })),
      ]);
      expect(results[0].policyId).toBe(results[1].policyId);
      expect(results.filter((r) => r.isNew)).toHaveLength(1);
      const rows = await app.sql(`SELECT id FROM policy_rules WHERE tenant_id = 'acme' AND source_pattern_id = $1`, [
        patternId,
      ]);
      expect(rows).toHaveLength(1);
    });

    it("updates a pattern's first policy that another transaction stored while it waited: neither new nor activated from nothing", async () => {
      const patternId = randomUUID();
      const elsewhere = new pg.Client({ connectionString: app.database.url });
      await elsewhere.connect();
      let stored: { policyId: string; isNew: boolean; status: string };
      try {
        // Another replica's bridge 3 stores the pattern's first policy; it commits while this one waits.
        await elsewhere.query('BEGIN');
        const policyId = randomUUID();
        await elsewhere.query(
          `INSERT INTO policy_rules (id, tenant_id, name, category, action, scope, condition, status, source_type, source_pattern_id)
           VALUES ($1, 'acme', 'generated elsewhere', 'operational', 'warn', 'tenant', 'true', 'draft', 'recovery', $2)`,
          [policyId, patternId],
        );
        const upserting = upsert(generation(patternId));
        await eventually(
          async () =>
            (
              await app.sql(
                `SELECT 1 FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%policy_rules%'`,
              )
            ).length > 0,
          'the upsert to wait for the other insert',
        );
        await elsewhere.query('COMMIT');
        stored = await upserting;
        expect(stored).toMatchObject({ policyId, isNew: false, status: 'draft' });
      } finally {
        await elsewhere.query('ROLLBACK').catch(() => undefined);
        await elsewhere.end();
      }
      const audit = (
        await app.http
          .get('/audit')
          .query({ subjectType: 'policy', subjectId: stored.policyId })
          .set(bearer(acmeViewer))
          .expect(200)
      ).body.items as Array<{ action: string; before: unknown }>;
      expect(audit.map((e) => [e.action, e.before])).toEqual([['policy.regenerated', { status: 'draft' }]]);
    });

    it('leaves a disabled policy disabled', async () => {
      const patternId = randomUUID();
      const first = await upsert(generation(patternId));
      await app.http.post(`/policies/${first.policyId}/disable`).set(bearer(acmeAdmin)).expect(200);
      const again = await upsert(generation(patternId, { occurrenceCount: 10, confidence: 0.99 }));
      expect(again).toMatchObject({ policyId: first.policyId, isNew: false, status: 'disabled' });
      expect((await app.http.get(`/policies/${first.policyId}`).set(bearer(acmeViewer)).expect(200)).body.status).toBe(
        'disabled',
      );
    });

    it('keeps tenants apart: the same pattern id in another tenant is another policy', async () => {
      const patternId = randomUUID();
      const mine = await upsert(generation(patternId));
      const theirs = await execute<{ policyId: string; isNew: boolean }>(
        new UpsertGeneratedPolicy({ tenantId: 'globex', input: generation(patternId) }),
      );
      expect(theirs.isNew).toBe(true);
      expect(theirs.policyId).not.toBe(mine.policyId);
      await app.http.get(`/policies/${theirs.policyId}`).set(bearer(acmeViewer)).expect(404);
      const [row] = await app.sql(`SELECT tenant_id, condition FROM policy_rules WHERE id = $1`, [theirs.policyId]);
      expect(row.tenant_id).toBe('globex');
      expect(row.condition).toContain('request.tenantId == "globex"');
    });
  });
});
