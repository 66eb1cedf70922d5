import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import { ApplyRoutingAdjustments } from '../src/governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { driftingClock, type DriftingClock } from './support/app-clock.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** A draft policy's adjustments last this long. */
const TTL_MS = 600_000;
/** The app host's clock off by more than that, either way. */
const DRIFT_MS = 2 * TTL_MS;

/**
 * A draft policy's temporary routing adjustment is written, listed, counted by the router and shown
 * on the agent by one clock, the database's, whatever the app host's clock says (ADR 0008 §10): on a
 * host whose clock drifts by more than the adjustment's lifetime, the router once dropped an
 * adjustment the listing said was in effect, and a draft applied there was born expired.
 */
describe('routing adjustments on a replica whose clock drifts', () => {
  let app: TestApp;
  let clock: DriftingClock;
  let admin: string;
  const auth = () => ({ Authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    clock = driftingClock();
    app = await startTestApp({ DRAFT_ADJUSTMENT_TTL_MS: String(TTL_MS) });
    admin = await app.keyFor('drift', 'admin');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.stop();
  });

  /** A draft policy blocking `agentId`, its adjustment applied as bridge 4 does (in a transaction of its own). */
  async function draftBlocking(agentId: string): Promise<string> {
    const policy = (
      await app.http
        .post('/policies')
        .set(auth())
        .send({
          name: `block ${agentId}`,
          category: 'safety',
          action: 'block',
          scope: 'tenant',
          condition: 'request.capability == "summarise"',
        })
        .expect(201)
    ).body;
    expect(policy.status).toBe('draft');
    await app.app.get(TransactionHost).run(() =>
      app.app.get(CommandBus).execute(
        new ApplyRoutingAdjustments({
          tenantId: 'drift',
          policyId: policy.id,
          agents: [agentId],
          capabilities: [],
        }),
      ),
    );
    return policy.id;
  }

  /** What each view says of the agent's adjustment: the listing, the agents list, the agent, and the router. */
  async function views(agentId: string, other: string) {
    const listed = (await app.http.get('/routing/adjustments').query({ agentId }).set(auth()).expect(200)).body.items;
    const inList = (await app.http.get('/routing/agents').set(auth()).expect(200)).body.items.find(
      (a: { agentId: string }) => a.agentId === agentId,
    );
    const detail = (await app.http.get(`/routing/agents/${agentId}`).set(auth()).expect(200)).body;
    const route = (
      await app.http
        .post('/routing/route')
        .set(auth())
        .send({ capability: 'summarise', candidates: [agentId, other] })
        .expect(200)
    ).body;
    return {
      listedActive: listed.map((a: { isActive: boolean }) => a.isActive),
      agentsList: inList.activeAdjustments,
      agent: detail.activeAdjustments,
      routed: route.candidates.find((c: { agentId: string }) => c.agentId === agentId).effectiveConfidence,
    };
  }

  it("a draft applied on a host whose clock is behind expires a TTL after the database's now", async () => {
    await clock.during(-DRIFT_MS, () => draftBlocking('agent-behind'));
    const [row] = await app.sql<{ ms: number }>(
      `SELECT (extract(epoch FROM expires_at - now()) * 1000)::double precision AS ms FROM routing_adjustments
        WHERE tenant_id = 'drift' AND agent_id = 'agent-behind'`,
    );
    expect(row.ms).toBeGreaterThan(TTL_MS - 30_000);
    expect(row.ms).toBeLessThanOrEqual(TTL_MS);
    expect(await views('agent-behind', 'agent-spare')).toEqual({
      listedActive: [true],
      agentsList: 1,
      agent: 1,
      routed: 0.5,
    });
  });

  it('a host whose clock is ahead counts an adjustment in effect, as the listing does; one run out, nowhere', async () => {
    await draftBlocking('agent-ahead');
    const ahead = await clock.during(DRIFT_MS, () => views('agent-ahead', 'agent-spare'));
    expect(ahead).toEqual({ listedActive: [true], agentsList: 1, agent: 1, routed: 0.5 });

    // Run out by the database's clock: a host behind must not count it either.
    await app.sql(
      `UPDATE routing_adjustments SET expires_at = now() - interval '1 minute' WHERE tenant_id = 'drift' AND agent_id = 'agent-ahead'`,
    );
    const behind = await clock.during(-DRIFT_MS, () => views('agent-ahead', 'agent-spare'));
    expect(behind).toEqual({ listedActive: [false], agentsList: 0, agent: 0, routed: 1 });
  });
});
