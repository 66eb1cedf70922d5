import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import pg from 'pg';
import {
  RecordRunOutcomeForTrust,
  type RecordRunOutcomeForTrustProps,
} from '../src/governance/routing/trust/record-run-outcome-for-trust/record-run-outcome-for-trust.command.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { RecoveryRunFinished } from '../src/self-healing/events/recovery-run-finished.event.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const RUN_1 = '0190a0a0-0000-7000-8000-000000000101';
const RUN_2 = '0190a0a0-0000-7000-8000-000000000102';
const RUN_3 = '0190a0a0-0000-7000-8000-000000000103';
const RUN_4 = '0190a0a0-0000-7000-8000-000000000104';

describe('trust from recovery runs (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let operator: string;
  const auth = () => ({ Authorization: `Bearer ${operator}` });
  const record = (p: Omit<RecordRunOutcomeForTrustProps, 'tenantId'>) =>
    app.app.get(CommandBus).execute(new RecordRunOutcomeForTrust({ tenantId: 'trust', ...p }));
  const agent = async (id: string) => (await app.http.get(`/routing/agents/${id}`).set(auth()).expect(200)).body;
  const route = async () =>
    (await app.http.post('/routing/route').set(auth()).send({ capability: 'deploy' }).expect(200)).body;

  beforeAll(async () => {
    app = await startTestApp();
    operator = await app.keyFor('trust', 'operator');
    await app.http
      .put('/routing/agents/fixer')
      .set(auth())
      .send({ capabilities: ['deploy', 'ci'], baseConfidence: 0.75 })
      .expect(200);
    await app.http
      .put('/routing/agents/steady')
      .set(auth())
      .send({ capabilities: ['deploy'], baseConfidence: 0.8 })
      .expect(200);
  });
  afterAll(() => app.stop());

  it("a verified run raises the capability's trust toward 1, kept with its reason and run, and routing uses it at once", async () => {
    expect((await route()).agentId).toBe('steady'); // 0.8 beats 0.75
    const change = await record({
      runId: RUN_1,
      agentId: 'fixer',
      capability: 'deploy',
      outcome: 'succeeded',
      reason: 'verification passed',
    });
    expect(change).toMatchObject({ previousTrust: 0.75, newTrust: 0.8125, runId: RUN_1 });
    const view = await agent('fixer');
    expect(view.baseConfidence).toBe(0.75); // the agent's other capabilities keep their base
    expect(view.trustByCapability).toEqual({ deploy: 0.8125 });
    expect(view.effectiveConfidenceByCapability).toEqual({ ci: 0.75, deploy: 0.8125 });
    expect(view.trustHistory).toEqual([
      expect.objectContaining({
        capability: 'deploy',
        previousTrust: 0.75,
        newTrust: 0.8125,
        runId: RUN_1,
        outcome: 'succeeded',
        reason: `0.75 → 0.8125 after run ${RUN_1} (succeeded): verification passed`,
      }),
    ]);
    const decision = await route();
    expect(decision.agentId).toBe('fixer');
    expect(decision.candidates.find((c: { agentId: string }) => c.agentId === 'fixer').effectiveConfidence).toBe(
      0.8125,
    );
  });

  it("an agent's detail is read in one snapshot: a trust change committed meanwhile shows whole or not at all", async () => {
    await app.http
      .put('/routing/agents/skewed')
      .set(auth())
      .send({ capabilities: ['ci'], baseConfidence: 0.75 })
      .expect(200);
    // The change is written as the trust rule writes it, by a transaction that also holds the
    // history's table: the detail's read of the agent goes ahead, its read of the history waits.
    const writer = new pg.Client({ connectionString: app.database.url });
    await writer.connect();
    try {
      await writer.query(`BEGIN; LOCK TABLE agent_trust_changes IN ACCESS EXCLUSIVE MODE`);
      await writer.query(
        `INSERT INTO agent_trust_changes (id, tenant_id, agent_id, capability, run_id, outcome, previous_trust, new_trust, reason)
         VALUES ($1, 'trust', 'skewed', 'ci', $2, 'succeeded', 0.75, 0.8125, 'verification passed')`,
        ['0190a0a0-0000-7000-8000-000000000199', RUN_4],
      );
      await writer.query(
        `INSERT INTO agent_trust (tenant_id, agent_id, capability, trust) VALUES ('trust', 'skewed', 'ci', 0.8125)`,
      );
      const detail = agent('skewed');
      const writerPid = (writer as unknown as { processID: number }).processID;
      await eventually(async () => {
        const [{ n }] = await app.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
          [writerPid],
        );
        return n > 0;
      }, 'the detail to wait for the history');
      await writer.query('COMMIT');
      const view = await detail;
      const seen = view.trustHistory.length > 0;
      expect(view.trustByCapability).toEqual(seen ? { ci: 0.8125 } : {});
    } finally {
      await writer.end();
    }
  });

  it('counts a run once: a repeated delivery changes nothing', async () => {
    expect(await record({ runId: RUN_1, agentId: 'fixer', capability: 'deploy', outcome: 'succeeded' })).toBeNull();
    expect((await agent('fixer')).trustHistory).toHaveLength(1);
    expect((await agent('fixer')).trustByCapability.deploy).toBe(0.8125);
  });

  it('a failed or rolled-back run lowers it, and routing turns away at once', async () => {
    const change = await record({
      runId: RUN_2,
      agentId: 'fixer',
      capability: 'deploy',
      outcome: 'rolled_back',
      reason: 'the patch failed its tests',
    });
    expect(change).toMatchObject({ previousTrust: 0.8125, newTrust: 0.6094 });
    expect((await route()).agentId).toBe('steady');
    const history = (await agent('fixer')).trustHistory;
    expect(history.map((h: { runId: string }) => h.runId)).toEqual([RUN_2, RUN_1]); // newest first
  });

  it("a canceled run or an unknown agent changes nothing; a run without a capability moves the agent's base confidence", async () => {
    expect(await record({ runId: RUN_3, agentId: 'fixer', capability: 'deploy', outcome: 'canceled' })).toBeNull();
    expect(await record({ runId: RUN_3, agentId: 'nobody', capability: 'deploy', outcome: 'succeeded' })).toBeNull();
    expect(await record({ runId: RUN_4, agentId: 'steady', capability: null, outcome: 'failed' })).toMatchObject({
      capability: null,
      previousTrust: 0.8,
      newTrust: 0.6,
    });
    const steady = await agent('steady');
    expect(steady.baseConfidence).toBe(0.6);
    expect(steady.trustHistory[0].reason).toBe(`0.8 → 0.6 after run ${RUN_4} (failed)`);
    // Another tenant sees none of it.
    const other = await app.keyFor('trust-other', 'viewer');
    expect((await app.http.get('/routing/agents/steady').set('Authorization', `Bearer ${other}`)).status).toBe(404);
  });

  it("RecoveryRunFinished, delivered through the outbox, moves the trust of the run's agent and capability", async () => {
    const runId = '0190a0a0-0000-7000-8000-000000000105';
    const before = (await agent('fixer')).effectiveConfidenceByCapability.ci;
    await app.app.get(TransactionHost).run(() =>
      app.app.get(EventBus).publish(
        new RecoveryRunFinished({
          tenantId: 'trust',
          runId,
          incidentId: '0190a0a0-0000-7000-8000-000000000200',
          recoveryId: '0190a0a0-0000-7000-8000-000000000201',
          patternId: '0190a0a0-0000-7000-8000-000000000202',
          agentId: 'fixer',
          capability: 'ci',
          playbook: 'pipeline_timeout_fix',
          outcome: 'succeeded',
          automatic: true,
          reason: 'verified after the patch',
        }),
      ),
    );
    const change = await eventually(
      async () => (await agent('fixer')).trustHistory.find((h: { runId: string }) => h.runId === runId),
      'the trust change',
    );
    expect(change).toMatchObject({
      capability: 'ci',
      previousTrust: before,
      newTrust: 0.8125,
      reason: `0.75 → 0.8125 after run ${runId} (succeeded): verified after the patch`,
    });
  });
  it("a batch of outcomes of several agents: each agent's changes apply one after another, in order, none lost", async () => {
    for (const id of ['batch-a', 'batch-b'])
      await app.http
        .put(`/routing/agents/${id}`)
        .set(auth())
        .send({ capabilities: ['deploy'], baseConfidence: 0.5 })
        .expect(200);
    const outcomes = [
      ['batch-a', 'succeeded'],
      ['batch-b', 'failed'],
      ['batch-a', 'succeeded'],
      ['batch-b', 'succeeded'],
      ['batch-a', 'failed'],
    ] as const;
    const runIds = outcomes.map((_, i) => `0190a0a0-0000-7000-8000-0000000003${String(i).padStart(2, '0')}`);
    // Published together, so the relay takes them in one batch (one transaction).
    await app.app.get(TransactionHost).run(async () => {
      for (const [i, [agentId, outcome]] of outcomes.entries())
        await app.app.get(EventBus).publish(
          new RecoveryRunFinished({
            tenantId: 'trust',
            runId: runIds[i]!,
            incidentId: '0190a0a0-0000-7000-8000-000000000200',
            recoveryId: '0190a0a0-0000-7000-8000-000000000201',
            patternId: '0190a0a0-0000-7000-8000-000000000202',
            agentId,
            capability: 'deploy',
            playbook: 'pipeline_timeout_fix',
            outcome,
            automatic: true,
            reason: null,
          }),
        );
    });
    for (const id of ['batch-a', 'batch-b']) {
      const mine = runIds.filter((_, i) => outcomes[i]![0] === id);
      const history = await eventually(async () => {
        const h = (await agent(id)).trustHistory as Array<{ runId: string; previousTrust: number; newTrust: number }>;
        return h.length === mine.length ? h : null;
      }, `${id}'s ${mine.length} trust changes`);
      // Oldest first: each change starts where the one before it ended.
      const chain = [...history].reverse();
      expect(chain.map((c) => c.runId)).toEqual(mine);
      expect(chain[0]!.previousTrust).toBe(0.5);
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.previousTrust).toBe(chain[i - 1]!.newTrust);
      expect((await agent(id)).trustByCapability.deploy).toBe(chain.at(-1)!.newTrust);
    }
  });
});
