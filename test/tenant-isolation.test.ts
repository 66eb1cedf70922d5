import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { CreateWorkOrder } from '../src/self-healing/patches/create-work-order/create-work-order.command.js';
import { LeakyProbeModule } from './support/leaky-probe.module.js';
import { walkRoutes, type Finding, type TenantKeys, type WalkFigures } from './support/route-walker.js';
import { openSse } from './support/sse.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
/** In every text of the owner tenant's data, and in nothing the intruder sends. */
const MARK = 'iso-a-7c1e';

/**
 * Issue 20 item 7: every route of the OpenAPI document, walked as another tenant and with each
 * role (test/support/route-walker.ts says what is checked). The app also mounts test-only routes
 * that forget tenant scoping, leak a list, or let a viewer write (test/support/leaky-probe.module.ts):
 * the walk must find exactly those, which proves it finds such a route when one is added.
 */
describe('tenant isolation and roles on every route of the OpenAPI document', () => {
  let app: TestApp;
  let owner: TenantKeys;
  let intruder: TenantKeys;
  let findings: Finding[];
  let figures: WalkFigures;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '200' }, [LeakyProbeModule]);
    const keys = async (tenant: string) => ({
      viewer: await app.keyFor(tenant, 'viewer'),
      operator: await app.keyFor(tenant, 'operator'),
      admin: await app.keyFor(tenant, 'admin'),
    });
    owner = await keys('iso-a');
    intruder = await keys('iso-b');

    // One of every kind of object the owner tenant can have.
    const incident = await app.http
      .post('/incidents')
      .set(auth(owner.operator))
      .send({
        errorType: 'OutOfMemoryError',
        message: `Worker pod ${MARK} OOMKilled: container exceeded memory limit 2048Mi`,
        agentId: `agent-${MARK}`,
        capability: 'iso-cap',
      })
      .expect(201);
    ids.incident = incident.body.id;
    const recovery = await eventually(
      async () =>
        (await app.http.get(`/recoveries?incidentId=${ids.incident}`).set(auth(owner.viewer))).body.items?.[0],
      "the owner's recovery",
    );
    ids.recovery = recovery.id;
    ids.pattern = recovery.patternId;
    // No actuator named ops: the run's steps wait for an operator, so it stays put.
    const run = (
      await app.http.post(`/recoveries/${ids.recovery}/approve`).set(auth(owner.operator)).send({}).expect(200)
    ).body;
    ids.run = run.id;
    ids.step = run.steps[0].id;
    ids.policy = (
      await app.http
        .post('/policies')
        .set(auth(owner.admin))
        .send({
          name: `policy ${MARK}`,
          category: 'safety',
          action: 'warn',
          scope: 'tenant',
          condition: 'request.capability == "iso-cap"',
        })
        .expect(201)
    ).body.id;
    await app.http
      .put('/actuators/iso-act')
      .set(auth(owner.admin))
      .send({ url: `https://${MARK}.example.com/hook` })
      .expect(201);
    await app.http
      .put('/notifications/channels/iso-chan')
      .set(auth(owner.admin))
      .send({ type: 'webhook', url: `https://${MARK}.example.com/notify` })
      .expect(201);
    await app.http
      .put('/notifications/rules/iso-rule')
      .set(auth(owner.admin))
      .send({ channel: 'iso-chan', events: ['run.failed'], repeatIntervalMs: 0 })
      .expect(201);
    ids.delivery = (
      await app.http.post('/notifications/channels/iso-chan/test').set(auth(owner.admin)).expect(202)
    ).body.id;
    // A dead letter of the owner's outbox (GET/POST /integration/outbox/deliveries/{id}).
    ids.outboxDelivery = (
      await app.sql<{ id: string }>(
        `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, payload, status, attempts, last_error, processed_at)
         VALUES (gen_random_uuid(), 'PolicyActivated', 'bridge_4.policy-to-routing', 'iso-a', '{}', 'dead', 1, 'boom', now())
         RETURNING id::text`,
      )
    )[0]!.id;
    // The intruder's own channel, under another name: its PUT of a rule names it.
    await app.http
      .put('/notifications/channels/iso-b-chan')
      .set(auth(intruder.admin))
      .send({ type: 'webhook', url: 'https://iso-b.example.com/notify' })
      .expect(201);
    // The run waits for its operator at its first step: an item of the owner's inbox.
    ids.inboxItem = `operator_step:${ids.run}:${ids.step}`;
    await eventually(
      async () =>
        (await app.http.get('/inbox').set(auth(owner.viewer))).body.items?.some(
          (i: { id: string }) => i.id === ids.inboxItem,
        ),
      "the owner's inbox item",
    );
    ids.workOrder = (
      await app.app.get(CommandBus).execute(
        new CreateWorkOrder({
          tenantId: 'iso-a',
          runId: ids.run,
          incidentId: ids.incident,
          stepId: null,
          description: `fix ${MARK}`,
          priority: 'low',
          complexity: 'small',
          context: {
            incident: null,
            pattern: null,
            affectedAgents: [`agent-${MARK}`],
            capabilities: ['iso-cap'],
            lastErrors: [],
            runId: ids.run,
          },
        }),
      )
    ).id;

    const doc = (await app.http.get('/docs-json').set(auth(ADMIN_KEY)).expect(200)).body;
    // The owner's own live stream: the positive control while the intruder's stream is read.
    const heard: string[] = [];
    const ownStream = openSse(`${app.url}/integration/stream`, auth(owner.viewer), (_event, data) =>
      heard.push(JSON.stringify(data)),
    );
    await ownStream.opened;
    let pokes = 0;
    try {
      ({ findings, figures } = await walkRoutes({
        baseUrl: app.url,
        doc,
        intruder,
        objects: {
          incidents: ids.incident,
          loop: ids.incident,
          patterns: ids.pattern,
          recoveries: ids.recovery,
          policies: ids.policy,
          runs: ids.run,
          steps: ids.step,
          actuators: 'iso-act',
          'work-orders': ids.workOrder,
          agents: `agent-${MARK}`,
          channels: 'iso-chan',
          rules: 'iso-rule',
          deliveries: ids.delivery,
          'outbox/deliveries': ids.outboxDelivery,
          inbox: ids.inboxItem,
        },
        vocabulary: { flags: 'bridge_1', retry: 'pattern_matched', 'api-keys': '0190a0a0-0000-7000-8000-0000000000ee' },
        markers: [ids.incident, ids.pattern, ids.recovery, ids.policy, ids.run, ids.workOrder, ids.delivery, MARK],
        bodies: {
          'POST /policies': {
            name: 'intruder policy',
            category: 'safety',
            action: 'warn',
            scope: 'tenant',
            condition: 'request.agentId == "agent-b"',
          },
          'PUT /integration/flags/{name}': { enabled: true, scope: 'tenant' },
          // The owner's capability: the owner's policy (request.capability == "iso-cap") would match, were it seen.
          'POST /policies/evaluate': { agentId: 'agent-b', capability: 'iso-cap' },
          'POST /routing/route': { capability: 'iso-cap' },
          'PUT /notifications/rules/{name}': { channel: 'iso-b-chan', events: ['run.failed'], repeatIntervalMs: 0 },
          'POST /inbox/{id}/snooze': { until: new Date(Date.now() + 3_600_000).toISOString() },
          'POST /catalog/match': {
            errorType: 'OutOfMemoryError',
            message: 'Worker pod ingest-9 OOMKilled: container exceeded memory limit 4096Mi',
          },
          'POST /signals/metrics': { samples: [{ metric: 'latency_ms', agentId: 'agent-b', value: 120 }] },
          'POST /intake/alertmanager': alertmanagerEnvelope(
            [
              {
                status: 'firing',
                labels: { alertname: 'HighLatency', service: 'agent-b' },
                annotations: { summary: 'p99 over 2 s' },
                startsAt: '2026-12-01T10:00:00Z',
                endsAt: '0001-01-01T00:00:00Z',
                generatorURL: 'http://p:9090',
                fingerprint: 'fp-b',
              },
            ],
            'firing',
            '{}:{alertname="HighLatency"}',
          ),
        },
        publicRoutes: {
          'GET /health/live': 'a liveness probe',
          'GET /health/ready': 'a readiness probe',
          'POST /auth/session': 'sign-in: the key is in the body',
          'DELETE /auth/session': "sign-out: ends the cookie's own session",
          'POST /runs/{id}/steps/{stepId}/result':
            "an actuator's late result: authenticated by its step's callback token (test/recovery-runs.test.ts)",
        },
        platformRoutes: /^\/(admin\/|metrics$)/,
        upserts: {
          'PUT /actuators/{name}': "actuator names are per tenant: the PUT creates the caller's own",
          'PUT /routing/agents/{id}': "agent ids are per tenant: the PUT registers the caller's own",
          'PUT /notifications/channels/{name}': "channel names are per tenant: the PUT creates the caller's own",
          'PUT /notifications/rules/{name}': "rule names are per tenant: the PUT creates the caller's own",
        },
        readLikeWrites: {
          'POST /policies/evaluate':
            'evaluates a request against the policies; stores the evaluation for the audit of reads',
          'POST /policies/validate': 'parses a condition',
          'POST /catalog/match': 'says which pattern would match, creating nothing',
          'POST /recoveries/{id}/dry-run':
            'answers the plan of the run approving it would start, starting and calling nothing (test/dry-run.test.ts)',
        },
        adminOnly: [
          /^PUT \/integration\/flags\//,
          /^POST \/policies(\/\{id\}\/(activate|disable))?$/,
          /^(POST|DELETE) \/guard\/killswitch$/,
          /\/actuators/,
          /^PUT \/self-healing\/guardrails$/,
          /^PUT \/signals\/settings$/,
          /^PATCH \/catalog\/patterns\//,
          /^POST \/audit\//,
          /\/notifications\/channels/,
          /^(PUT|DELETE) \/notifications\/rules\//,
        ],
        whileStreaming: async () => {
          const res = await app.http
            .post('/incidents')
            .set(auth(owner.operator))
            .send({ errorType: 'timeout', message: `stream poke ${MARK} ${++pokes}` })
            .expect(201);
          await eventually(async () => heard.some((h) => h.includes(res.body.id)), 'the owner to hear its own update');
        },
      }));
    } finally {
      ownStream.close();
    }
    console.log(`isolation walk: ${JSON.stringify(figures)}; findings: ${JSON.stringify(findings, null, 1)}`);
  }, 180_000);
  afterAll(() => app.stop());

  it('walks every route of the document, and every real route passes', () => {
    const real = findings.filter((f) => !f.route.includes('/isolation-probe/'));
    expect(real).toEqual([]);
    expect(figures.routes).toBeGreaterThanOrEqual(80);
    expect(figures.objectRoutes).toBeGreaterThanOrEqual(30);
    expect(figures.streams).toBe(1); // /integration/stream; the per-incident one names an object
  });

  it('finds each test-only route that forgets tenant scoping, leaks a list, or lets a viewer write; passes the one that is right', () => {
    const probe = findings.filter((f) => f.route.includes('/isolation-probe/'));
    expect(probe.map((f) => f.route).sort()).toEqual([
      'GET /isolation-probe/incidents/{id}',
      'GET /isolation-probe/recent',
      'POST /isolation-probe/incidents/{id}/notes',
    ]);
    expect(probe.find((f) => f.route === 'GET /isolation-probe/incidents/{id}')!.problem).toMatch(
      /another tenant's object answered 200, not 404/,
    );
    expect(probe.find((f) => f.route === 'GET /isolation-probe/recent')!.problem).toContain(ids.incident);
    expect(probe.find((f) => f.route === 'POST /isolation-probe/incidents/{id}/notes')!.problem).toMatch(
      /a viewer may POST it/,
    );
  });

  it("left the owner's objects as they were", async () => {
    const get = async (path: string) => (await app.http.get(path).set(auth(owner.admin)).expect(200)).body;
    expect(await get(`/incidents/${ids.incident}`)).toMatchObject({ status: 'mitigating', acknowledgedAt: null });
    expect(await get(`/runs/${ids.run}`)).toMatchObject({ status: 'awaiting_operator', cancelRequestedBy: null });
    expect(await get(`/patches/work-orders/${ids.workOrder}`)).toMatchObject({ status: 'queued', claimedBy: null });
    expect(await get(`/policies/${ids.policy}`)).toMatchObject({ status: 'draft', name: `policy ${MARK}` });
    expect(await get('/actuators/iso-act')).toMatchObject({ url: `https://${MARK}.example.com/hook` });
    expect((await get(`/catalog/patterns/${ids.pattern}`)).autoApplyRecovery).toBe(false);
    expect(await get('/notifications/channels/iso-chan')).toMatchObject({ url: `https://${MARK}.example.com/notify` });
    expect(await get('/notifications/rules/iso-rule')).toMatchObject({ channel: 'iso-chan', events: ['run.failed'] });
    const item = (await get('/inbox?snoozed=include')).items.find((i: { id: string }) => i.id === ids.inboxItem);
    expect(item).toMatchObject({ assignee: null, snoozedUntil: null });
  });
});
