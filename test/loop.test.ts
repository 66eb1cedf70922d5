import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { PolicyGenerated } from '../src/integration/events/policy-generated.event.js';
import { RecoverySuggested } from '../src/integration/events/recovery-suggested.event.js';
import { stageTiming } from '../src/integration/events/stage-timing.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

const STAGES = ['incident_created', 'pattern_matched', 'recovery_suggested', 'policy_generated', 'routing_adjusted'];

describe('the loop, end to end (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let operator: string;
  let admin: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BASE_MS: '20', OUTBOX_RETRY_MAX_MS: '200' });
    operator = await app.keyFor('loop', 'operator');
    admin = await app.keyFor('loop', 'admin');
  });
  afterAll(() => app.stop());

  const report = async (body: Record<string, unknown>, key = operator) => {
    const res = await app.http.post('/incidents').set(auth(key)).send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const loop = async (id: string, key = operator) =>
    (await app.http.get(`/integration/loop/${id}`).set(auth(key)).expect(200)).body;
  const untilComplete = (id: string, key = operator) =>
    eventually(async () => {
      const status = await loop(id, key);
      return status.isComplete ? status : null;
    }, `loop of ${id} to complete`);
  const untilState = (id: string, state: string) =>
    eventually(async () => {
      const status = await loop(id);
      return status.state === state ? status : null;
    }, `loop of ${id} to be ${state}`);

  it('carries one incident through all five stages, in order', async () => {
    const id = await report({
      errorType: 'timeout',
      message: 'Upstream call to payments-api timed out after 30000 ms',
      agentId: 'agent-001',
      capability: 'checkout',
    });
    const status = await untilComplete(id);
    expect(status).toMatchObject({
      state: 'complete',
      stagesCompleted: STAGES,
      currentStage: 'routing_adjusted',
      completionPct: 100,
      totalStages: 5,
    });
    expect(status.durationMs).toBe(Date.parse(status.completedAt) - Date.parse(status.startedAt));
    expect(status.details.pattern_matched).toMatchObject({ isNewPattern: true, confidence: 1 });
    const stages = (await app.http.get(`/integration/loop/${id}/stages`).set(auth(operator)).expect(200)).body;
    expect(stages.map((s: { stage: string; status: string }) => [s.stage, s.status])).toEqual(
      STAGES.map((s) => [s, 'completed']),
    );
    for (let i = 1; i < stages.length; i++) {
      expect(stages[i].attempts).toBe(1);
      expect(Date.parse(stages[i].completedAt)).toBeGreaterThanOrEqual(Date.parse(stages[i - 1].completedAt));
      expect(stages[i].durationMs).toBe(Date.parse(stages[i].completedAt) - Date.parse(stages[i].startedAt));
    }
    // The history keeps every event, in loop order.
    const history = await app.sql(`SELECT event_type FROM loop_events WHERE incident_id = $1 ORDER BY seq`, [id]);
    expect(history.map((h) => h.event_type)).toEqual([
      'IncidentCreated',
      'PatternMatched',
      'RecoverySuggested',
      'PolicyGenerated',
      'RoutingAdjusted',
    ]);
    const incident = (await app.http.get(`/incidents/${id}`).set(auth(operator)).expect(200)).body;
    expect(incident.matchedPatternId).toBe(status.details.pattern_matched.patternId);
    expect(incident.loop.isComplete).toBe(true);
  });

  it('files a second similar incident under the same pattern (occurrenceCount 2)', async () => {
    const first = await report({
      errorType: 'rate_limit',
      message: 'HTTP 429 from api.openai.example: rate limit exceeded for key sk-83kd9',
      agentId: 'agent-002',
    });
    const a = await untilComplete(first);
    const second = await report({
      errorType: 'rate_limit',
      message: 'HTTP 429 from api.openai.example: rate limit exceeded for key sk-11az7',
      agentId: 'agent-003',
    });
    const b = await untilComplete(second);
    expect(b.details.pattern_matched.patternId).toBe(a.details.pattern_matched.patternId);
    expect(b.details.pattern_matched.isNewPattern).toBe(false);
    const pattern = (
      await app.http.get(`/catalog/patterns/${a.details.pattern_matched.patternId}`).set(auth(operator)).expect(200)
    ).body;
    expect(pattern).toMatchObject({ occurrenceCount: 2, incidentCount: 2, errorType: 'rate_limit' });
    expect(pattern.affectedAgents.sort()).toEqual(['agent-002', 'agent-003']);
    // One policy per pattern, updated, never duplicated.
    const policies = await app.sql(`SELECT id FROM policy_rules WHERE source_pattern_id = $1`, [pattern.id]);
    expect(policies).toHaveLength(1);
    expect(b.details.policy_generated).toMatchObject({ policyId: policies[0].id, isNewPolicy: false });
  });

  it('auto-applies a 0.95 template on a pattern that allows it; the policy goes active by the third occurrence', async () => {
    const message = (n: number) => `Worker pod ingest-${n}x7 OOMKilled: container exceeded memory limit 2048Mi`;
    const first = await untilComplete(
      await report({ errorType: 'oom', message: message(1), agentId: 'agent-004', capability: 'ingest' }),
    );
    const patternId = first.details.pattern_matched.patternId;
    expect(first.details.recovery_suggested.status).toBe('pending_review');
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(operator))
      .send({ autoApplyRecovery: true })
      .expect(403);
    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'no_such_playbook' } })
      .expect(400);
    const patched = await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(admin))
      .send({
        recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95, params: { target: '{{agentId}}' } },
        autoApplyRecovery: true,
      })
      .expect(200);
    expect(patched.body).toMatchObject({
      autoApplyRecovery: true,
      recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 },
    });

    const second = await untilComplete(
      await report({ errorType: 'oom', message: message(2), agentId: 'agent-004', capability: 'ingest' }),
    );
    expect(second.details.recovery_suggested).toMatchObject({
      status: 'applied',
      autoApplied: true,
      suggestionType: 'template',
      confidence: 0.95,
    });
    const recovery = (
      await app.http.get(`/recoveries/${second.details.recovery_suggested.recoveryId}`).set(auth(operator)).expect(200)
    ).body;
    expect(recovery).toMatchObject({
      status: 'applied',
      playbookId: 'memory_cleanup',
      params: { target: 'agent-004' },
    });
    expect(second.details.policy_generated.status).toBe('draft'); // only two occurrences so far

    const third = await untilComplete(
      await report({ errorType: 'oom', message: message(3), agentId: 'agent-004', capability: 'ingest' }),
    );
    expect(third.details.policy_generated).toMatchObject({ status: 'active' });
    const policy = (
      await app.http.get(`/policies/${third.details.policy_generated.policyId}`).set(auth(operator)).expect(200)
    ).body;
    expect(policy).toMatchObject({
      sourceType: 'recovery',
      sourcePatternId: patternId,
      sourceRecoveryId: third.details.recovery_suggested.recoveryId,
      status: 'active',
    });
    expect(policy.generationConfidence).toBeGreaterThan(0.85);
    // The active policy's adjustment is lasting.
    const adjustments = (
      await app.http.get('/routing/adjustments').query({ policyId: policy.id }).set(auth(operator)).expect(200)
    ).body.items;
    expect(adjustments).toHaveLength(1);
    expect(adjustments[0]).toMatchObject({
      agentId: 'agent-004',
      capability: 'ingest',
      expiresAt: null,
      isActive: true,
    });
  });

  it("lowers agent-001's effective confidence below 1.0 after its incident", async () => {
    const agents = (await app.http.get('/routing/agents').set(auth(operator)).expect(200)).body.items;
    const agent = agents.find((a: { agentId: string }) => a.agentId === 'agent-001');
    expect(agent.effectiveConfidence).toBeLessThan(1);
    expect(agent.effectiveConfidence).toBeGreaterThanOrEqual(0);
    const adjustments = (
      await app.http.get('/routing/adjustments').query({ agentId: 'agent-001' }).set(auth(operator)).expect(200)
    ).body.items;
    expect(adjustments.length).toBeGreaterThanOrEqual(1);
  });

  it('lets a reviewer approve a queued recovery, which strengthens its policy', async () => {
    const status = await untilComplete(
      await report({
        errorType: 'schema',
        message: 'Column "order_total" of relation "orders" does not exist',
        agentId: 'agent-005',
      }),
    );
    const recoveryId = status.details.recovery_suggested.recoveryId;
    const queued = (
      await app.http.get('/recoveries').query({ status: 'pending_review' }).set(auth(operator)).expect(200)
    ).body.items;
    expect(queued.map((r: { id: string }) => r.id)).toContain(recoveryId);
    const before = (await app.http.get(`/policies/${status.details.policy_generated.policyId}`).set(auth(operator)))
      .body.generationConfidence;
    const approved = await app.http
      .post(`/recoveries/${recoveryId}/approve`)
      .set(auth(operator))
      .send({ note: 'ran the migration' })
      .expect(200);
    // Approving answers with the run it started, and the recovery it applied.
    expect(approved.body).toMatchObject({
      status: 'queued',
      recoveryId,
      automatic: false,
      recovery: { status: 'applied', decidedBy: expect.stringContaining('loop operator') },
    });
    await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(409);
    await eventually(async () => {
      const p = (await app.http.get(`/policies/${status.details.policy_generated.policyId}`).set(auth(operator))).body;
      return p.generationConfidence > before;
    }, 'the policy to be re-derived from the applied recovery');
    const history = await app.sql(`SELECT event_type FROM loop_events WHERE incident_id = $1 ORDER BY created_at`, [
      status.incidentId,
    ]);
    expect(history.map((h) => h.event_type)).toContain('RecoveryApplied');
    expect(
      await app.sql(`SELECT 1 FROM policy_rules WHERE source_pattern_id = $1`, [
        status.details.pattern_matched.patternId,
      ]),
    ).toHaveLength(1);
  });

  it("bridge 4 routes by the agent the event carries, and reads the incident's when an event does not carry it", async () => {
    const incidentId = await report({
      errorType: 'quota',
      message: 'Quota exceeded for project 8812',
      agentId: 'agent-read',
      capability: 'triage',
    });
    await untilComplete(incidentId);
    const policy = (
      await app.http
        .post('/policies')
        .set(auth(admin))
        .send({ name: 'bridge 4 input', category: 'operational', action: 'warn', scope: 'tenant', condition: 'true' })
        .expect(201)
    ).body;
    const publish = (incidentAgent?: { agentId: string; capability: string | null }) =>
      app.app.get(TransactionHost).run(() =>
        app.app.get(EventBus).publish(
          new PolicyGenerated({
            tenantId: 'loop',
            incidentId,
            policyId: policy.id,
            patternId: randomUUID(),
            recoveryId: randomUUID(),
            category: 'operational',
            action: 'warn',
            status: 'active',
            confidence: 1,
            isNewPolicy: false,
            timing: stageTiming(),
            incidentAgent,
          }),
        ),
      );
    const adjusted = (agentId: string) =>
      eventually(async () => {
        const items = (
          await app.http
            .get('/routing/adjustments')
            .query({ policyId: policy.id, agentId })
            .set(auth(operator))
            .expect(200)
        ).body.items;
        return items.length > 0 ? items : null;
      }, `an adjustment of ${agentId} from the policy`);

    await publish({ agentId: 'agent-carried', capability: 'triage' });
    expect((await adjusted('agent-carried'))[0]).toMatchObject({ capability: 'triage' });
    // As stored before events carried it: the incident's own agent is read.
    await publish();
    expect((await adjusted('agent-read'))[0]).toMatchObject({ capability: 'triage' });
  });

  describe('bridge 4 across incidents of one pattern (a tenant of their own)', () => {
    let op: string;
    let adminKey: string;
    beforeAll(async () => {
      op = await app.keyFor('loop-routing', 'operator');
      adminKey = await app.keyFor('loop-routing', 'admin');
    });
    const incident = async (body: Record<string, unknown>) => untilComplete(await report(body, op), op);
    const adjustmentsOf = async (policyId: string) =>
      (
        (await app.http.get('/routing/adjustments').query({ policyId }).set(auth(op)).expect(200)).body.items as Array<{
          agentId: string;
          capability: string | null;
          adjustmentType: string;
          magnitude: number;
          isActive: boolean;
          expiresAt: string | null;
        }>
      )
        .map(({ agentId, capability, adjustmentType, magnitude, isActive, expiresAt }) => ({
          agentId,
          capability,
          adjustmentType,
          magnitude,
          isActive,
          expiresAt,
        }))
        .sort((a, b) => a.agentId.localeCompare(b.agentId));
    const setTemplate = (patternId: string, playbookId: string, confidence: number, autoApplyRecovery: boolean) =>
      app.http
        .patch(`/catalog/patterns/${patternId}`)
        .set(auth(adminKey))
        .send({ recoveryTemplate: { playbookId, confidence }, autoApplyRecovery })
        .expect(200);

    it("rewrites earlier agents' adjustments when the policy's action changes: no route_block left under a warn", async () => {
      const message = (n: number) => `Too many requests for tenant batch ${n}: rate limit exceeded, retry-after 30`;
      const body = (n: number, agentId: string) => ({
        errorType: 'RateLimitError',
        message: message(n),
        agentId,
        capability: 'summarise',
      });
      const first = await incident(body(1, 'agent-a'));
      const patternId = first.details.pattern_matched.patternId;
      const policyId = first.details.policy_generated.policyId;
      await setTemplate(patternId, 'backoff_and_route_away', 0.95, true);
      await incident(body(2, 'agent-a'));
      const third = await incident(body(3, 'agent-a'));
      expect(third.details.policy_generated).toMatchObject({ action: 'route_away', status: 'active' });
      expect(await adjustmentsOf(policyId)).toEqual([
        expect.objectContaining({ agentId: 'agent-a', adjustmentType: 'route_block', expiresAt: null }),
      ]);

      // The pattern's fix becomes a plain retry: bridge 3 makes the policy a warn.
      await setTemplate(patternId, 'retry_with_backoff', 0.95, true);
      const fourth = await incident(body(4, 'agent-b'));
      expect(fourth.details.policy_generated).toMatchObject({ policyId, action: 'warn', status: 'active' });
      const rows = await adjustmentsOf(policyId);
      expect(rows).toEqual([
        expect.objectContaining({ agentId: 'agent-a', capability: 'summarise', adjustmentType: 'confidence_penalty' }),
        expect.objectContaining({ agentId: 'agent-b', capability: 'summarise', adjustmentType: 'confidence_penalty' }),
      ]);
      for (const r of rows) {
        expect(r).toMatchObject({ isActive: true, expiresAt: null });
        expect(r.magnitude).toBeLessThan(0);
        expect(r.magnitude).toBeGreaterThanOrEqual(-0.1);
      }
      // Routing agrees with the policy: agent-a is no longer routed away from.
      const route = (
        await app.http
          .post('/routing/route')
          .set(auth(op))
          .send({ capability: 'summarise', candidates: ['agent-a', 'agent-b'] })
          .expect(200)
      ).body;
      const a = route.candidates.find((c: { agentId: string }) => c.agentId === 'agent-a');
      expect(a.eligible).toBe(true);
      expect(
        (
          await app.http
            .post('/policies/evaluate')
            .set(auth(op))
            .send({ agentId: 'agent-a', capability: 'summarise' })
            .expect(200)
        ).body.decision,
      ).toBe('warn');
      // One row per (policy, agent, capability): nothing stacked.
      const [n] = await app.sql(`SELECT count(*)::int AS n FROM routing_adjustments WHERE source_policy_id = $1`, [
        policyId,
      ]);
      expect(n.n).toBe(2);
    });

    it("an incident that names no agent renews no other agent's expired draft adjustment", async () => {
      const message = (n: number) => `Request ${n} to ledger-sync stalled after 30s waiting for upstream`;
      const first = await incident({
        errorType: 'LedgerStallError',
        message: message(1),
        agentId: 'agent-s',
        capability: 'reconcile',
      });
      const policyId = first.details.policy_generated.policyId;
      // A low-confidence template keeps the policy a draft.
      await setTemplate(first.details.pattern_matched.patternId, 'retry_with_backoff', 0.5, false);
      const [temporary] = await adjustmentsOf(policyId);
      expect(temporary).toMatchObject({ agentId: 'agent-s', isActive: true, expiresAt: expect.any(String) });
      // The draft's temporary adjustment runs out.
      await app.sql(
        `UPDATE routing_adjustments SET expires_at = now() - interval '1 hour' WHERE source_policy_id = $1`,
        [policyId],
      );
      const agentS = async () => (await app.http.get('/routing/agents/agent-s').set(auth(op)).expect(200)).body;
      expect(await agentS()).toMatchObject({ effectiveConfidence: 1, activeAdjustments: 0 });
      const [expired] = await adjustmentsOf(policyId);

      const agentless = await incident({ errorType: 'LedgerStallError', message: message(2) });
      expect(agentless.details.policy_generated).toMatchObject({ policyId, status: 'draft' });
      expect(agentless.details.routing_adjusted).toMatchObject({ adjustmentCount: 0 });
      expect(await adjustmentsOf(policyId)).toEqual([expired]);
      expect(await agentS()).toMatchObject({ effectiveConfidence: 1, activeAdjustments: 0 });
    });
  });

  it('bridge 3 reads the recovery when a RecoverySuggested does not carry its playbook (an event stored before it was carried)', async () => {
    const status = await untilComplete(
      await report({
        errorType: 'disk',
        message: 'No space left on device: /var/lib/data/shard-12',
        agentId: 'agent-old',
      }),
    );
    const { recoveryId, playbookId } = status.details.recovery_suggested;
    const policyDecisions = async () =>
      (
        await app.sql(`SELECT count(*)::int AS n FROM decisions WHERE incident_id = $1 AND kind = 'policy'`, [
          status.incidentId,
        ])
      )[0].n as number;
    const before = await policyDecisions();
    await app.app.get(TransactionHost).run(() =>
      app.app.get(EventBus).publish(
        new RecoverySuggested({
          tenantId: 'loop',
          incidentId: status.incidentId,
          patternId: status.details.pattern_matched.patternId,
          recoveryId,
          playbookId,
          suggestionType: 'generated',
          confidence: 0.5,
          autoApplied: false,
          timing: stageTiming(),
        }),
      ),
    );
    await eventually(async () => (await policyDecisions()) === before + 1, 'bridge 3 to derive the policy again');
    const [delivery] = await app.sql(
      `SELECT status FROM outbox_events WHERE incident_id = $1 AND handler = 'bridge_3.recovery-to-policy' ORDER BY id DESC LIMIT 1`,
      [status.incidentId],
    );
    expect(delivery.status).toBe('done');
  });

  it("bridge 3 reads the status a disable committed while it waited for the policy's row, not its snapshot from before: no false policy.activated", async () => {
    const message = (n: number) => `Ledger sync job ${n} aborted: replica lag exceeded the threshold`;
    const first = await untilComplete(
      await report({ errorType: 'replication', message: message(101), agentId: 'agent-lag' }),
    );
    const { policyId } = first.details.policy_generated;
    expect((await app.sql(`SELECT status FROM policy_rules WHERE id = $1`, [policyId]))[0].status).toBe('draft');
    // An admin's disable, committing while bridge 3 waits for the row (the test holds it open).
    const disabling = new pg.Client({ connectionString: app.database.url });
    await disabling.connect();
    try {
      await disabling.query('BEGIN');
      await disabling.query(`UPDATE policy_rules SET status = 'disabled', updated_at = now() WHERE id = $1`, [
        policyId,
      ]);
      const second = await report({ errorType: 'replication', message: message(202), agentId: 'agent-lag' });
      await eventually(
        async () =>
          (
            await app.sql(
              `SELECT 1 FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%policy_rules%'`,
            )
          ).length > 0,
        "bridge 3 to wait for the policy's row",
      );
      await disabling.query('COMMIT');
      expect((await untilComplete(second)).details.pattern_matched.patternId).toBe(
        first.details.pattern_matched.patternId,
      );
    } finally {
      await disabling.query('ROLLBACK').catch(() => undefined);
      await disabling.end();
    }
    const entries = async (action: string) =>
      (
        await app.http
          .get('/audit')
          .query({ action, subjectType: 'policy', subjectId: policyId })
          .set(auth(admin))
          .expect(200)
      ).body.items as Array<{ before: { status: string } | null; after: { status: string } }>;
    expect((await entries('policy.activated')).filter((e) => e.after.status === 'disabled')).toEqual([]);
    // What bridge 3 recorded: a regeneration of the policy as it found it, disabled.
    expect((await entries('policy.regenerated')).map((e) => [e.before?.status, e.after.status])).toEqual([
      ['disabled', 'disabled'],
    ]);
  });

  it('completes 10 concurrent incidents, and concurrent incidents with one new signature share one pattern', async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        report({
          errorType: 'connection',
          message: `connect ECONNREFUSED 10.1.${i}.${i + 5}:5432 while opening pool db-${i}`,
          agentId: `agent-c${i % 3}`,
        }),
      ),
    );
    const statuses = await Promise.all(ids.map((id) => untilComplete(id)));
    expect(statuses.every((s) => s.isComplete)).toBe(true);
    const patterns = new Set(statuses.map((s) => s.details.pattern_matched.patternId));
    expect(patterns.size).toBe(1);
    const [pattern] = await app.sql(`SELECT occurrence_count FROM failure_patterns WHERE id = $1`, [[...patterns][0]]);
    expect(pattern.occurrence_count).toBe(10);
    expect(await app.sql(`SELECT 1 FROM policy_rules WHERE source_pattern_id = $1`, [[...patterns][0]])).toHaveLength(
      1,
    );
  });

  it('answers POST /catalog/match without creating anything', async () => {
    const [{ n: before }] = await app.sql(`SELECT count(*)::int AS n FROM failure_patterns`);
    const known = await app.http
      .post('/catalog/match')
      .set(auth(operator))
      .send({
        errorType: 'rate_limit',
        message: 'HTTP 429 from api.openai.example: rate limit exceeded for key sk-99zz1',
      })
      .expect(200);
    expect(known.body).toMatchObject({ matched: true, pattern: { errorType: 'rate_limit', occurrenceCount: 2 } });
    const unknown = await app.http
      .post('/catalog/match')
      .set(auth(operator))
      .send({ errorType: 'tls', message: 'certificate has expired' })
      .expect(200);
    expect(unknown.body).toMatchObject({ matched: false, pattern: null });
    const [{ n: after }] = await app.sql(`SELECT count(*)::int AS n FROM failure_patterns`);
    expect(after).toBe(before);
    await app.http.post('/catalog/match').set(auth(operator)).send({ errorType: 'tls' }).expect(400);
  });

  it('keeps catalogs per tenant', async () => {
    const other = await app.keyFor('other-tenant', 'operator');
    const mine = await loop(
      (await app.sql(`SELECT incident_id FROM loop_traces WHERE tenant_id = 'loop' LIMIT 1`))[0].incident_id,
    );
    await app.http.get(`/catalog/patterns/${mine.details.pattern_matched.patternId}`).set(auth(other)).expect(404);
    const id = await report(
      { errorType: 'timeout', message: 'Upstream call to payments-api timed out after 30000 ms', agentId: 'agent-001' },
      other,
    );
    const theirs = await untilComplete(id, other);
    expect(theirs.details.pattern_matched.isNewPattern).toBe(true);
  });

  describe('flags', () => {
    const setFlag = (name: string, enabled: boolean, key = ADMIN_KEY, scope = 'global') =>
      app.http.put(`/integration/flags/${name}`).set(auth(key)).send({ enabled, scope }).expect(200);

    it('with bridge_2 off, new loops stop after pattern_matched, held; turning it on completes them', async () => {
      await setFlag('bridge_2', false);
      const ids = await Promise.all(
        [1, 2, 3].map((i) =>
          report({ errorType: 'dns', message: `getaddrinfo ENOTFOUND svc-${i}.internal`, agentId: 'agent-d' }),
        ),
      );
      for (const id of ids) {
        // Bridge 2's hold and bridge 5's record of pattern_matched commit in either order.
        const held = await eventually(async () => {
          const status = await loop(id);
          return status.state === 'held' && status.stagesCompleted.length === 2 ? status : null;
        }, `loop of ${id} to be held after pattern_matched`);
        expect(held.stagesCompleted).toEqual(['incident_created', 'pattern_matched']);
        const stages = (await app.http.get(`/integration/loop/${id}/stages`).set(auth(operator))).body;
        expect(stages.find((s: { stage: string }) => s.stage === 'recovery_suggested')).toMatchObject({
          status: 'held',
          error: expect.stringMatching(/bridge_2 is off/),
        });
      }
      await setFlag('bridge_2', true);
      for (const id of ids) expect((await untilComplete(id)).stagesCompleted).toEqual(STAGES);
    });

    it('with bridge_5 off the loop runs unrecorded and shows held; turned on, its five events are recorded in one batch, in loop order', async () => {
      await setFlag('bridge_5', false);
      const id = await report({
        errorType: 'tls',
        message: 'x509: certificate has expired for host edge-7.example.net',
        agentId: 'agent-e',
      });
      await eventually(
        async () =>
          (
            await app.sql(
              `SELECT 1 FROM outbox_events WHERE incident_id = $1 AND handler = 'bridge_5.loop-status' AND status = 'held'`,
              [id],
            )
          ).length === 5,
        'all five loop events held for bridge 5',
      );
      // Nothing records the stages, and the loop says why instead of running forever.
      const held = await untilState(id, 'held');
      const stages = (await app.http.get(`/integration/loop/${id}/stages`).set(auth(operator)).expect(200)).body;
      expect(stages.find((s: { stage: string }) => s.stage === 'routing_adjusted')).toMatchObject({
        status: 'held',
        error: 'held: bridge_5 is off',
      });
      expect(held.stagesCompleted).not.toContain('routing_adjusted');
      await setFlag('bridge_5', true);
      await untilComplete(id);
      const recorded = await app.sql(
        `SELECT event_type, created_at FROM loop_events WHERE incident_id = $1 ORDER BY seq`,
        [id],
      );
      // One transaction recorded them all (one start time), yet the history keeps loop order.
      expect(new Set(recorded.map((r) => r.created_at.getTime())).size).toBe(1);
      expect(recorded.map((r) => r.event_type)).toEqual([
        'IncidentCreated',
        'PatternMatched',
        'RecoverySuggested',
        'PolicyGenerated',
        'RoutingAdjusted',
      ]);
    });

    it('integration_loop off holds every bridge, and a tenant admin can switch its own tenant', async () => {
      await setFlag('integration_loop', false, admin, 'tenant');
      const id = await report({
        errorType: 'disk',
        message: 'No space left on device writing /var/lib/data/chunk-0042',
      });
      const held = await untilState(id, 'held');
      expect(held.stagesCompleted).toEqual(['incident_created']);
      await setFlag('integration_loop', true, admin, 'tenant');
      await untilComplete(id);
    });
  });

  it('retries a failing bridge, shows failed with the error and a dead letter, and completes after the fix and a retry', async () => {
    const first = await untilComplete(
      await report({ errorType: 'gpu', message: 'CUDA error: device-side assert triggered on gpu 3' }),
    );
    const patternId = first.details.pattern_matched.patternId;
    // A template whose playbook has since left the catalog (PATCH refuses unknown playbooks).
    await app.sql(
      `UPDATE failure_patterns SET recovery_template = '{"playbookId": "retired_playbook"}' WHERE id = $1`,
      [patternId],
    );
    const id = await report({ errorType: 'gpu', message: 'CUDA error: device-side assert triggered on gpu 5' });
    const failed = await untilState(id, 'failed');
    expect(failed.stagesCompleted).toEqual(['incident_created', 'pattern_matched']);
    const stage = (await app.http.get(`/integration/loop/${id}/stages`).set(auth(operator))).body.find(
      (s: { stage: string }) => s.stage === 'recovery_suggested',
    );
    expect(stage).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('unknown playbook "retired_playbook"'),
    });
    const [dead] = await app.sql(
      `SELECT status, attempts FROM outbox_events WHERE incident_id = $1 AND handler = 'bridge_2.pattern-to-recovery'`,
      [id],
    );
    expect(dead).toEqual({ status: 'dead', attempts: 3 });
    await app.http.post(`/integration/loop/${id}/retry/policy_generated`).set(auth(operator)).expect(409);
    await app.http.post(`/integration/loop/${id}/retry/incident_created`).set(auth(operator)).expect(400);

    await app.http
      .patch(`/catalog/patterns/${patternId}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'code_patch' } })
      .expect(200);
    const retried = await app.http
      .post(`/integration/loop/${id}/retry/recovery_suggested`)
      .set(auth(operator))
      .expect(200);
    expect(retried.body.state).toBe('running');
    // The re-queue is a person's decision, in the audit log; the refused retries above are not.
    const keys = (await app.http.get('/admin/api-keys').set(auth(ADMIN_KEY)).expect(200)).body.items as Array<{
      id: string;
      keyPrefix: string;
    }>;
    const audited = (await app.http.get(`/audit?subjectType=loop&subjectId=${id}`).set(auth(operator)).expect(200)).body
      .items;
    expect(audited).toEqual([
      expect.objectContaining({
        actor: keys.find((k) => operator.startsWith(k.keyPrefix))!.id,
        action: 'loop.stage_retried',
        subject: { type: 'loop', id },
        after: { stage: 'recovery_suggested', requeued: 1, loopStatusRequeued: 0, pending: ['recovery_suggested'] },
      }),
    ]);
    const done = await untilComplete(id);
    expect(done.details.recovery_suggested).toMatchObject({ playbookId: 'code_patch', suggestionType: 'template' });
  });

  it('shows a dead letter of bridge 5 (loop status) on the stage its event completes, and retries it', async () => {
    const key = await app.keyFor('loop-b5', 'operator');
    // Bridge 5 cannot record this tenant's RoutingAdjusted: every attempt fails, and it is dead-lettered.
    await app.sql(`CREATE FUNCTION refuse_b5_routing() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN RAISE EXCEPTION 'loop history refused for the test'; END $$`);
    await app.sql(`CREATE TRIGGER refuse_b5_routing BEFORE INSERT ON loop_events FOR EACH ROW
                   WHEN (NEW.tenant_id = 'loop-b5' AND NEW.event_type = 'RoutingAdjusted') EXECUTE FUNCTION refuse_b5_routing()`);
    let id: string;
    try {
      id = await report({ errorType: 'quota', message: 'quota exceeded for project p-17', agentId: 'agent-q' }, key);
      const failed = await eventually(async () => {
        const status = await loop(id, key);
        return status.state === 'failed' ? status : null;
      }, `loop of ${id} to be failed`);
      expect(failed.stagesCompleted).toEqual(STAGES.slice(0, 4));
      const stage = (await app.http.get(`/integration/loop/${id}/stages`).set(auth(key))).body.find(
        (s: { stage: string }) => s.stage === 'routing_adjusted',
      );
      expect(stage).toMatchObject({ status: 'failed', attempts: 3, error: 'loop history refused for the test' });
    } finally {
      await app.sql(`DROP TRIGGER refuse_b5_routing ON loop_events; DROP FUNCTION refuse_b5_routing()`);
    }
    const retried = await app.http.post(`/integration/loop/${id}/retry/routing_adjusted`).set(auth(key)).expect(200);
    expect(retried.body.state).toBe('running');
    const done = await untilComplete(id, key);
    expect(done.stagesCompleted).toEqual(STAGES);
    await app.http.post(`/integration/loop/${id}/retry/routing_adjusted`).set(auth(key)).expect(409);
  });

  it('streams loop_progress over SSE to a real HTTP client until isComplete', async () => {
    const received: Array<{ stagesCompleted: string[]; isComplete: boolean }> = [];
    let id = '';
    const ended = new Promise<void>((resolve, reject) => {
      // Open the stream as soon as the incident exists, before its loop can finish.
      void app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType: 'queue', message: 'SQS receive failed: AccessDenied on queue orders-7' })
        .then((res) => {
          id = res.body.id;
          const req = http.get(`${app.url}/integration/loop/${id}/stream`, { headers: auth(operator) }, (res) => {
            expect(res.headers['content-type']).toMatch(/text\/event-stream/);
            let buffer = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffer += chunk;
              let end;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const message = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const data = message.split('\n').find((l) => l.startsWith('data: '));
                if (message.includes('event: loop_progress') && data) received.push(JSON.parse(data.slice(6)));
              }
            });
            res.on('end', resolve);
          });
          req.on('error', reject);
        }, reject);
    });
    await ended; // the server closes the stream once the loop is complete
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[received.length - 1]).toMatchObject({ incidentId: id, isComplete: true, stagesCompleted: STAGES });
    for (let i = 1; i < received.length; i++) {
      expect(received[i].stagesCompleted.length).toBeGreaterThanOrEqual(received[i - 1].stagesCompleted.length);
    }
  });

  it('streams every loop update of the tenant on /integration/stream', async () => {
    const seen = new Set<string>();
    let close: () => void = () => {};
    let id = '';
    let opened: () => void = () => {};
    const subscribed = new Promise<void>((resolve) => (opened = resolve));
    const gotComplete = new Promise<string>((resolve, reject) => {
      const req = http.get(`${app.url}/integration/stream`, { headers: auth(operator) }, (res) => {
        opened(); // the server answers once it has subscribed the stream
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer
              .slice(0, end)
              .split('\n')
              .find((l) => l.startsWith('data: '));
            buffer = buffer.slice(end + 2);
            if (!data) continue;
            const status = JSON.parse(data.slice(6));
            seen.add(status.incidentId);
            // The stream carries every update of the tenant; wait for this test's incident.
            if (status.isComplete && status.incidentId === id) resolve(status.incidentId);
          }
        });
      });
      req.on('error', reject);
      close = () => req.destroy();
    });
    await subscribed;
    try {
      id = await report({ errorType: 'auth', message: 'JWT expired at 2026-11-24T05:00:00Z for client svc-a' });
      expect(await gotComplete).toBe(id);
      expect(seen.has(id)).toBe(true);
    } finally {
      close();
    }
  });

  it('computes IntegrationStats from stored data', async () => {
    const stats = (await app.http.get('/integration/stats').query({ hours: 1 }).set(auth(operator)).expect(200)).body;
    const [{ total, complete }] = await app.sql(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE is_complete)::int AS complete FROM loop_traces WHERE tenant_id = 'loop'`,
    );
    expect(stats.windowHours).toBe(1);
    expect(stats.totalIncidents).toBe(total);
    expect(stats.loopCompletionRate).toBeCloseTo(complete / total, 3);
    const [{ created }] = await app.sql(
      `SELECT count(*)::int AS created FROM failure_patterns WHERE tenant_id = 'loop'`,
    );
    expect(stats.patternsCreated).toBe(created);
    expect(stats.patternsMatched).toBeGreaterThanOrEqual(total - 1);
    expect(stats.recoveriesApplied).toBeGreaterThanOrEqual(3); // two auto-applied, one approved
    expect(stats.policiesGenerated).toBe((await app.sql(`SELECT 1 FROM policy_rules WHERE tenant_id = 'loop'`)).length);
    expect(stats.routingAdjustments).toBeGreaterThan(0);
    expect(stats.p50LoopCompletionTimeMs).toBeGreaterThan(0);
    expect(stats.p95LoopCompletionTimeMs).toBeGreaterThanOrEqual(stats.p50LoopCompletionTimeMs);
    expect(stats.p99LoopCompletionTimeMs).toBeGreaterThanOrEqual(stats.p95LoopCompletionTimeMs);
    expect(Object.keys(stats.stages)).toEqual(STAGES.slice(1));
    expect(stats.stages.pattern_matched.completed).toBe(total);
    await app.http.get('/integration/stats').query({ hours: -1 }).set(auth(operator)).expect(400);
  });

  it('counts routing adjustments once each, however many incidents rewrote them (DESIGN §4: rewritten, not stacked)', async () => {
    const key = await app.keyFor('adjust-count', 'operator');
    const incident = async (agentId: string, n: number) =>
      untilComplete(
        await report(
          {
            errorType: 'TimeoutError',
            message: `Upstream call to billing timed out after ${3000 + n} ms`,
            agentId,
            capability: 'billing',
          },
          key,
        ),
        key,
      );
    // Six incidents of one pattern on agent-1, two on agent-2: one policy, two adjustments.
    for (let n = 0; n < 6; n++) await incident('agent-1', n);
    for (let n = 6; n < 8; n++) await incident('agent-2', n);
    const adjustments = (await app.http.get('/routing/adjustments').set(auth(key)).expect(200)).body.items;
    expect(adjustments.map((a: { agentId: string; capability: string }) => [a.agentId, a.capability])).toEqual(
      expect.arrayContaining([
        ['agent-1', 'billing'],
        ['agent-2', 'billing'],
      ]),
    );
    expect(adjustments).toHaveLength(2);
    const stats = async () => (await app.http.get('/integration/stats').set(auth(key)).expect(200)).body;
    expect(await stats()).toMatchObject({ totalIncidents: 8, policiesGenerated: 1, routingAdjustments: 2 });

    // Events stored before they carried their adjustments' keys name the agents only: each a
    // (policy, agent) adjustment, not counted again where a keyed event names that policy and agent.
    const [{ policy_id: policyId, incident_id: incidentId }] = await app.sql(
      `SELECT details ->> 'policyId' AS policy_id, incident_id FROM loop_events
        WHERE tenant_id = 'adjust-count' AND event_type = 'RoutingAdjusted' LIMIT 1`,
    );
    for (const agent of ['agent-1', 'agent-old'])
      await app.sql(
        `INSERT INTO loop_events (id, tenant_id, incident_id, stage, event_type, details)
         VALUES (gen_random_uuid(), 'adjust-count', $1, 'routing_adjusted', 'RoutingAdjusted', $2)`,
        [incidentId, { policyId, affectedAgents: [agent], adjustmentCount: 1 }],
      );
    expect((await stats()).routingAdjustments).toBe(3);
  });
});

describe('held deliveries whose flag is on without a flag change saying so', () => {
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  const loopOf = async (app: TestApp, key: string, id: string) =>
    (await app.http.get(`/integration/loop/${id}`).set(auth(key)).expect(200)).body;
  const untilHeldAtBridge3 = (app: TestApp, key: string, id: string) =>
    eventually(async () => {
      const status = await loopOf(app, key, id);
      return status.state === 'held' && status.stagesCompleted.length === 3 ? status : null;
    }, `loop of ${id} to be held before policy_generated`);
  const untilComplete = (app: TestApp, key: string, id: string) =>
    eventually(async () => {
      const status = await loopOf(app, key, id);
      return status.isComplete ? status : null;
    }, `loop of ${id} to complete`);

  it('a restart with BRIDGE_3_ENABLED=true releases what bridge 3 held under BRIDGE_3_ENABLED=false', async () => {
    const url = await createTestDatabase();
    const before = await startTestApp({ BRIDGE_3_ENABLED: 'false' }, [], url);
    let operator: string;
    let id: string;
    try {
      operator = await before.keyFor('restart', 'operator');
      id = (
        await before.http
          .post('/incidents')
          .set(auth(operator))
          .send({ errorType: 'timeout', message: 'Call to ledger-api timed out after 5000 ms', agentId: 'agent-r' })
          .expect(201)
      ).body.id;
      const held = await untilHeldAtBridge3(before, operator, id);
      expect(held.stagesCompleted).toEqual(STAGES.slice(0, 3));
    } finally {
      await before.stop();
    }
    // The env default changed; no flag row did, so no flag-change NOTIFY is ever sent.
    const after = await startTestApp({}, [], url);
    try {
      const flags = (await after.http.get('/integration/flags').set(auth(operator)).expect(200)).body.items;
      expect(flags.find((f: { name: string }) => f.name === 'bridge_3')).toMatchObject({ enabled: true });
      expect((await untilComplete(after, operator, id)).stagesCompleted).toEqual(STAGES);
    } finally {
      await after.stop();
    }
  });

  it('the sweep releases what is held though its flag is on, when the flag change released nothing (its NOTIFY lost, or its release failed)', async () => {
    const app = await startTestApp({ OUTBOX_HELD_SWEEP_MS: '200' });
    try {
      const operator = await app.keyFor('sweep', 'operator');
      const admin = await app.keyFor('sweep', 'admin');
      await app.http
        .put('/integration/flags/bridge_3')
        .set(auth(admin))
        .send({ enabled: false, scope: 'tenant' })
        .expect(200);
      const id = (
        await app.http
          .post('/incidents')
          .set(auth(operator))
          .send({ errorType: 'timeout', message: 'Call to ledger-api timed out after 7000 ms', agentId: 'agent-s' })
          .expect(201)
      ).body.id;
      await untilHeldAtBridge3(app, operator, id);
      // Turned on behind the relays' backs: no NOTIFY, so no release but the sweep's.
      await app.sql(`UPDATE feature_flags SET enabled = true WHERE name = 'bridge_3' AND tenant_id = 'sweep'`);
      expect((await untilComplete(app, operator, id)).stagesCompleted).toEqual(STAGES);
    } finally {
      await app.stop();
    }
  });
});
