import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { connectActuator } from './support/actuators.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * When a fourth user name shows that a position is a parameter, the patterns founded for the
 * first three merge: the older keeps its id and takes over the counts, incidents, recoveries and
 * (when it has none) the policy, and the merge is in its history. Real HTTP, real loop.
 */
describe('pattern merges keep the older id and move what hangs on the others', () => {
  let app: TestApp;
  let operator: string;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  const WINDOW_MS = 5000;

  beforeAll(async () => {
    receiver = await startWebhookReceiver(answerHealthy);
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: String(WINDOW_MS),
      OUTBOX_POLL_INTERVAL_MS: '100',
    });
    operator = await app.keyFor('merge', 'operator');
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  const report = async (message: string, agentId: string) => {
    const res = await app.http.post('/incidents').set(auth(operator)).send({ errorType: 'ssh_auth', message, agentId });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    await eventually(
      async () => (await app.http.get(`/integration/loop/${id}`).set(auth(operator)).expect(200)).body.isComplete,
      `loop of ${id}`,
    );
    return id;
  };
  const incident = async (id: string) => (await app.http.get(`/incidents/${id}`).set(auth(operator)).expect(200)).body;
  const pattern = async (id: string) =>
    (await app.http.get(`/catalog/patterns/${id}`).set(auth(operator)).expect(200)).body;

  it('merges the variants into the oldest pattern once a position has shown enough words, and moves incidents, recoveries and the policy', async () => {
    const first = await report('unknown user deploy from gw-west', 'agent-a');
    const second = await report('unknown user maria from gw-west', 'agent-b');
    const third = await report('unknown user oracle from gw-west', 'agent-c');
    const [p1, p2, p3] = await Promise.all(
      [first, second, third].map(async (id) => (await incident(id)).matchedPatternId as string),
    );
    // Three words seen once each are not yet a parameter (2.2 effective words with the margin for the commonest).
    expect(new Set([p1, p2, p3]).size).toBe(3);
    expect(p1! < p2! && p2! < p3!).toBe(true); // ids are time-ordered: p1 is the oldest
    // Each pattern got a recovery and a policy from the loop. Take p1's policy away so one of the others' can move.
    expect(
      await app.sql(`SELECT source_pattern_id FROM policy_rules WHERE tenant_id = 'merge' ORDER BY source_pattern_id`),
    ).toEqual([p1, p2, p3].map((id) => ({ source_pattern_id: id })));
    const [p2Policy] = await app.sql<{ id: string }>(`SELECT id FROM policy_rules WHERE source_pattern_id = $1`, [p2]);
    const [p3Policy] = await app.sql<{ id: string }>(`SELECT id FROM policy_rules WHERE source_pattern_id = $1`, [p3]);
    await app.sql(`DELETE FROM policy_rules WHERE source_pattern_id = $1`, [p1]);

    // The dry run tells what filing it would do, and does nothing.
    const dry = await app.http
      .post('/catalog/match')
      .set(auth(operator))
      .send({ errorType: 'ssh_auth', message: 'unknown user admin from gw-west' })
      .expect(200);
    expect(dry.body).toMatchObject({ matched: true, pattern: { id: p1 }, wouldMerge: [p2, p3] });
    expect((await pattern(p2!)).mergedIntoId).toBeNull();

    const fourth = await report('unknown user admin from gw-west', 'agent-d');
    expect((await incident(fourth)).matchedPatternId).toBe(p1);
    expect((await incident(second)).matchedPatternId).toBe(p1);
    expect((await incident(third)).matchedPatternId).toBe(p1);

    const survivor = await pattern(p1!);
    expect(survivor).toMatchObject({
      template: 'unknown user <*> from gw-west',
      occurrenceCount: 4,
      mergedIntoId: null,
    });
    expect([...survivor.affectedAgents].sort()).toEqual(['agent-a', 'agent-b', 'agent-c', 'agent-d']);
    const merged = (absorbed: string) =>
      expect.objectContaining({
        event: 'merged',
        mergedPatternId: absorbed,
        templateBefore: 'unknown user deploy from gw-west',
        templateAfter: 'unknown user <*> from gw-west',
        occurrencesMoved: 1,
        incidentId: fourth,
      });
    // One history row per absorbed pattern (same transaction, so in no particular order).
    expect(survivor.history).toHaveLength(2);
    expect(survivor.history).toEqual(expect.arrayContaining([merged(p2!), merged(p3!)]));
    // The merged patterns still resolve, naming their survivor; they are no longer listed.
    expect(await pattern(p2!)).toMatchObject({ mergedIntoId: p1 });
    expect(await pattern(p3!)).toMatchObject({ mergedIntoId: p1 });
    const listed = (await app.http.get('/catalog/patterns').set(auth(operator)).expect(200)).body.items.map(
      (p: { id: string }) => p.id,
    );
    expect(listed).toEqual([p1]);

    expect(
      await app.sql(`SELECT DISTINCT source_pattern_id FROM recovery_candidates WHERE tenant_id = 'merge'`),
    ).toEqual([{ source_pattern_id: p1 }]);
    // The oldest of the others' policies moves to the survivor; the other stays with its (resolvable) pattern.
    expect(
      await app.sql(
        `SELECT id, source_pattern_id FROM policy_rules WHERE tenant_id = 'merge' ORDER BY source_pattern_id`,
      ),
    ).toEqual(
      [
        { id: p2Policy!.id, source_pattern_id: p1 },
        { id: p3Policy!.id, source_pattern_id: p3 },
      ].sort((a, b) => a.source_pattern_id!.localeCompare(b.source_pattern_id!)),
    );

    // Later users join the merged pattern directly.
    const fifth = await report('unknown user guest from gw-west', 'agent-a');
    expect((await incident(fifth)).matchedPatternId).toBe(p1);
    expect((await pattern(p1!)).occurrenceCount).toBe(5);
  });

  it('keeps look-alikes one word apart in their own patterns', async () => {
    const filed: Record<string, string[]> = { opened: [], closed: [] };
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      for (const event of ['opened', 'closed'] as const) {
        const id = await report(`session ${event} for user ${user} by root`, 'agent-a');
        filed[event]!.push((await incident(id)).matchedPatternId);
      }
    }
    // Each kind of message ends in one pattern (the user is learned as a parameter)…
    const final = async (ids: string[]) =>
      new Set(await Promise.all(ids.map(async (id) => (await pattern(id)).mergedIntoId ?? id)));
    const [opened, closed] = [await final(filed.opened!), await final(filed.closed!)];
    expect(opened.size).toBe(1);
    expect(closed.size).toBe(1);
    // …and the two never meet: "opened" and "closed" have only ever been two values.
    expect([...opened][0]).not.toBe([...closed][0]);
    // The survivor had a policy of its own: an absorbed pattern's policy stays with that pattern,
    // which still resolves (to its survivor), so no policy points at nothing.
    const absorbed = [...new Set(filed.opened!)].filter((id) => id !== [...opened][0]);
    expect(absorbed.length).toBeGreaterThan(0);
    for (const id of absorbed) {
      expect(await app.sql(`SELECT count(*)::int AS n FROM policy_rules WHERE source_pattern_id = $1`, [id])).toEqual([
        { n: 1 },
      ]);
      expect((await pattern(id)).mergedIntoId).toBe([...opened][0]);
    }
    expect(
      await app.sql(`SELECT count(*)::int AS n FROM policy_rules WHERE source_pattern_id = $1`, [[...opened][0]]),
    ).toEqual([{ n: 1 }]);
  });

  it('a template PATCHed to null is SQL NULL: a later merge carries the absorbed pattern’s template over to it', async () => {
    const tenant = 'merge-null';
    const admin = await app.keyFor(tenant, 'admin');
    const get = async (path: string) => (await app.http.get(path).set(auth(admin)).expect(200)).body;
    const patch = (id: string, body: object) =>
      app.http.patch(`/catalog/patterns/${id}`).set(auth(admin)).send(body).expect(200);
    const filed = async (user: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(admin))
        .send({ errorType: 'ssh_auth', message: `unknown user ${user} from gw-null`, agentId: `agent-${user}` })
        .expect(201);
      const id = res.body.id as string;
      return (await eventually(async () => (await get(`/incidents/${id}`)).matchedPatternId, `${id} filed`)) as string;
    };
    const p1 = await filed('deploy');
    const p2 = await filed('maria');
    expect(p1 < p2).toBe(true);
    // p1 had a template and lost it; p2 gets one.
    await patch(p1, { recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.9 } });
    expect((await patch(p1, { recoveryTemplate: null })).body.recoveryTemplate).toBeNull();
    expect(
      await app.sql(`SELECT recovery_template IS NULL AS sql_null FROM failure_patterns WHERE id = $1`, [p1]),
    ).toEqual([{ sql_null: true }]);
    await patch(p2, { recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true });

    // Two more users make the position a parameter: p2 (and the third) merge into p1, which has no template.
    await filed('oracle');
    expect(await filed('admin')).toBe(p1);
    expect((await get(`/catalog/patterns/${p2}`)).mergedIntoId).toBe(p1);
    expect(await get(`/catalog/patterns/${p1}`)).toMatchObject({
      recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 },
      autoApplyRecovery: true,
    });
  });

  /**
   * Files deploy, maria and oracle (three patterns, p1 < p2 < p3) and then admin, which merges p2 and
   * p3 into p1, for a tenant whose `bridge` is off: what the first three queued for that bridge names
   * patterns absorbed by the time the flag is on again. Waits for the four loops to complete.
   */
  const mergeWhileHeld = async (
    tenant: string,
    bridge: 'bridge_2' | 'bridge_3',
    beforeMerge: (admin: string, p2: string) => Promise<unknown>,
  ) => {
    const admin = await app.keyFor(tenant, 'admin');
    const flag = (enabled: boolean) =>
      app.http.put(`/integration/flags/${bridge}`).set(auth(admin)).send({ enabled, scope: 'tenant' }).expect(200);
    const get = async (path: string) => (await app.http.get(path).set(auth(admin)).expect(200)).body;
    const filed = async (user: string, agentId: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(admin))
        .send({ errorType: 'ssh_auth', message: `unknown user ${user} from gw-west`, agentId });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      const patternId = await eventually(async () => (await get(`/incidents/${id}`)).matchedPatternId, `${id} filed`);
      return { id, patternId: patternId as string };
    };
    await flag(false);
    const first = await filed('deploy', 'agent-a');
    const second = await filed('maria', 'agent-b');
    const third = await filed('oracle', 'agent-c');
    const [p1, p2, p3] = [first.patternId, second.patternId, third.patternId];
    expect(new Set([p1, p2, p3]).size).toBe(3);
    await beforeMerge(admin, p2);
    const fourth = await filed('admin', 'agent-d');
    expect(fourth.patternId).toBe(p1);
    expect((await get(`/catalog/patterns/${p2}`)).mergedIntoId).toBe(p1);
    expect((await get(`/catalog/patterns/${p3}`)).mergedIntoId).toBe(p1);
    await flag(true);
    const incidents = [first.id, second.id, third.id, fourth.id];
    for (const id of incidents)
      await eventually(async () => (await get(`/integration/loop/${id}`)).isComplete, `loop of ${id}`);
    return { p1, incidents, sql: (text: string) => app.sql(text, [tenant]) };
  };

  it("sends bridge 2's work held for an absorbed pattern to its survivor: the family's recoveries, runs and one policy are the survivor's", async () => {
    // p2 gets a trusted template that auto-applies; the merge carries it over to p1.
    const patchP2 = (admin: string, p2: string) =>
      app.http
        .patch(`/catalog/patterns/${p2}`)
        .set(auth(admin))
        .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
        .expect(200);
    // Bridge 2 off: each PatternMatched waits, naming the pattern as bridge 1 filed it (p1, p2, p3, p1).
    const { p1, incidents, sql } = await mergeWhileHeld('merge-held-2', 'bridge_2', patchP2);
    expect(
      await sql(`SELECT source_incident_id, source_pattern_id FROM recovery_candidates WHERE tenant_id = $1`),
    ).toEqual(expect.arrayContaining(incidents.map((id) => ({ source_incident_id: id, source_pattern_id: p1 }))));
    expect(await sql(`SELECT DISTINCT source_pattern_id FROM recovery_candidates WHERE tenant_id = $1`)).toEqual([
      { source_pattern_id: p1 },
    ]);
    expect(await sql(`SELECT source_pattern_id FROM policy_rules WHERE tenant_id = $1`)).toEqual([
      { source_pattern_id: p1 },
    ]);
    const runs = await sql(`SELECT pattern_id FROM recovery_runs WHERE tenant_id = $1`);
    expect(runs.length).toBeGreaterThan(0); // the carried-over template auto-applies
    expect(new Set(runs.map((r) => r.pattern_id))).toEqual(new Set([p1]));
  });

  it("sends bridge 3's work held for an absorbed pattern to its survivor: one policy for the merged family", async () => {
    // Bridge 3 off: bridge 2 suggests a recovery for each (p1, p2, p3) before the merge, and each
    // RecoverySuggested waits, naming that pattern; the merge moves the recoveries to p1.
    const recoveries = (admin: string) =>
      eventually(async () => {
        const { items } = (await app.http.get('/recoveries').set(auth(admin)).expect(200)).body;
        return items.length === 3;
      }, 'a recovery for each of the three');
    const { p1, sql } = await mergeWhileHeld('merge-held-3', 'bridge_3', recoveries);
    expect(await sql(`SELECT DISTINCT source_pattern_id FROM recovery_candidates WHERE tenant_id = $1`)).toEqual([
      { source_pattern_id: p1 },
    ]);
    expect(await sql(`SELECT source_pattern_id FROM policy_rules WHERE tenant_id = $1`)).toEqual([
      { source_pattern_id: p1 },
    ]);
  });

  /**
   * An operator approves p2's recovery while the incident that merges p2 into p1 is being filed.
   * One side goes first and is held (`approval-first`: the approval holds the recovery's lock and
   * waits for its incident, whose row the test holds; `merge-first`: the merge has moved and locked
   * the recoveries and waits to move the runs, whose table the test holds), then the other is sent,
   * and the hold is let go once that one has stopped too, wherever it stops. Today it waits for the
   * first's lock on the recovery, which orders the two (ADR 0012). Either way the run must end up
   * under p1, and neither side may deadlock.
   */
  const approveWhileMerging = async (tenant: string, order: 'approval-first' | 'merge-first') => {
    const admin = await app.keyFor(tenant, 'admin');
    const get = async (path: string) => (await app.http.get(path).set(auth(admin)).expect(200)).body;
    const file = async (user: string, agentId: string) =>
      (
        await app.http
          .post('/incidents')
          .set(auth(admin))
          .send({ errorType: 'ssh_auth', message: `unknown user ${user} from ${tenant}`, agentId })
          .expect(201)
      ).body.id as string;
    const recoveryOf = (incidentId: string) =>
      eventually(
        async () => (await get(`/recoveries?incidentId=${incidentId}`)).items[0],
        `a recovery for ${incidentId}`,
      );
    const p1 = (await recoveryOf(await file('deploy', 'agent-a'))).patternId as string;
    const second = await file('maria', 'agent-b');
    const waiting = await recoveryOf(second);
    const p2 = waiting.patternId as string;
    await recoveryOf(await file('oracle', 'agent-c'));
    expect(waiting.status).toBe('pending_review');
    await eventually(
      async () => (await app.sql(`SELECT count(*)::int AS n FROM outbox_events WHERE processed_at IS NULL`))[0].n === 0,
      'the outbox to drain',
    );

    // The statements each side may be held or wait at.
    const lockIncident = 'FROM incidents WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
    const lockRecovery = 'FROM recovery_candidates WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
    const insertRun = 'INSERT INTO recovery_runs';
    const lockPatterns = 'FROM failure_patterns WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE';
    const moveRecoveries = 'UPDATE recovery_candidates SET source_pattern_id';
    const moveRuns = 'UPDATE recovery_runs SET pattern_id';
    const moveIncidents = 'UPDATE incidents SET matched_pattern_id';
    // The backend running one of `statements` while it waits for a lock one of `blockedBy` holds.
    const waitsAt = (statements: string[], blockedBy: number[], what: string) =>
      eventually(async () => {
        const [row] = await app.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE position(s in query) > 0)
              AND pg_blocking_pids(pid) && $2::int[]`,
          [statements, blockedBy],
        );
        return row?.pid;
      }, what);
    const approve = () =>
      app.http
        .post(`/recoveries/${waiting.id}/approve`)
        .set(auth(admin))
        .send({})
        .then((r) => r);

    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    let approval: Promise<{ status: number; body: any }>;
    let merging: Promise<string>;
    try {
      await blocker.query('BEGIN');
      const blockerPid = (blocker as unknown as { processID: number }).processID;
      if (order === 'approval-first') {
        await blocker.query(`SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE`, [second]);
        approval = approve();
        const approver = await waitsAt([lockIncident], [blockerPid], 'the approval to hold the recovery');
        merging = file('admin', 'agent-d');
        await waitsAt(
          [lockPatterns, moveRecoveries, moveRuns, moveIncidents],
          [approver, blockerPid],
          'the merge to stop',
        );
      } else {
        await blocker.query(`LOCK TABLE recovery_runs IN SHARE ROW EXCLUSIVE MODE`);
        merging = file('admin', 'agent-d');
        const merger = await waitsAt([moveRuns], [blockerPid], 'the merge to hold the recovery');
        approval = approve();
        await waitsAt([lockRecovery, lockIncident, insertRun], [merger, blockerPid], 'the approval to stop');
      }
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    const approved = await approval;
    expect(approved.status).toBe(200);
    const fourth = await merging;
    await eventually(async () => (await get(`/integration/loop/${fourth}`)).isComplete, 'the merging loop');
    expect((await get(`/catalog/patterns/${p2}`)).mergedIntoId).toBe(p1);
    expect(await get(`/recoveries/${waiting.id}`)).toMatchObject({ status: 'applied', patternId: p1 });
    expect((await get(`/runs/${approved.body.id}`)).patternId).toBe(p1);
    expect((await get(`/runs?patternId=${p2}`)).items).toEqual([]);
    // Neither side was rolled back and retried (a deadlock would retry the merge or fail the approval).
    expect(
      await app.sql(`SELECT handler, attempts FROM outbox_events WHERE tenant_id = $1 AND attempts > 1`, [tenant]),
    ).toEqual([]);
  };

  it('an approval that holds the recovery when a merge moves it: the merge waits, and moves the run it started', () =>
    approveWhileMerging('merge-approve-1', 'approval-first'));

  it('an approval of a recovery a merge has moved but not committed: it waits, and starts the run under the survivor', () =>
    approveWhileMerging('merge-approve-2', 'merge-first'));

  it("moves the merged pattern's runs in the same transaction: the survivor learns from their verdicts, cools down on them, and hears recurrences for a run still watching", async () => {
    const admin = await app.keyFor('merge-runs', 'admin');
    await connectActuator(app.http, admin, receiver);
    await app.http.put('/self-healing/guardrails').set(auth(admin)).send({ cooldownMs: 3600_000 }).expect(200);
    const get = async (path: string) => (await app.http.get(path).set(auth(admin)).expect(200)).body;
    const report = async (user: string, agentId: string) =>
      (
        await app.http
          .post('/incidents')
          .set(auth(admin))
          .send({ errorType: 'ssh_auth', message: `unknown user ${user} from gw-east`, agentId, capability: 'login' })
          .expect(201)
      ).body.id as string;
    const recoveryOf = (incidentId: string) =>
      eventually(
        async () => (await get(`/recoveries?incidentId=${incidentId}`)).items[0],
        `a recovery for ${incidentId}`,
      );
    const runOf = (incidentId: string, ok: (r: any) => boolean, what: string) =>
      eventually(async () => (await get(`/runs?incidentId=${incidentId}`)).items.find(ok), what);

    const p1 = (await recoveryOf(await report('deploy', 'agent-a'))).patternId as string;
    const second = await report('maria', 'agent-b');
    const p2 = (await recoveryOf(second)).patternId as string;
    expect(p1 < p2).toBe(true);
    await app.http
      .patch(`/catalog/patterns/${p2}`)
      .set(auth(admin))
      .send({ recoveryTemplate: { playbookId: 'memory_cleanup', confidence: 0.95 }, autoApplyRecovery: true })
      .expect(200);
    // p2's fix runs twice: once to a verdict, once still watching when the merge comes.
    const verified = await report('maria', 'agent-x');
    const verifiedRun = await runOf(verified, (r) => r.verdict === 'succeeded', "the first run's verdict");
    const watching = await report('maria', 'agent-y');
    const watchingRun = await runOf(watching, (r) => r.phase === 'watch', 'the second run to watch');
    expect([verifiedRun.patternId, watchingRun.patternId]).toEqual([p2, p2]);

    // A third user is a pattern of its own; the fourth makes the position a parameter: p2 merges into p1, and its runs move with it.
    await recoveryOf(await report('oracle', 'agent-q'));
    const fourth = await report('admin', 'agent-z');
    const merged = await recoveryOf(fourth);
    expect(merged.patternId).toBe(p1);
    expect((await get(`/catalog/patterns/${p2}`)).mergedIntoId).toBe(p1);
    // A change to the merged pattern would never take effect (its incidents go to p1): refused, naming p1.
    const refused = await app.http
      .patch(`/catalog/patterns/${p2}`)
      .set(auth(admin))
      .send({ autoApplyRecovery: false })
      .expect(409);
    expect(refused.body).toMatchObject({ mergedIntoId: p1, message: expect.stringContaining(p1) });
    expect((await get(`/catalog/patterns/${p2}`)).autoApplyRecovery).toBe(true);
    expect((await get(`/runs?patternId=${p1}`)).items.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([verifiedRun.id, watchingRun.id]),
    );
    expect((await get(`/runs?patternId=${p2}`)).items).toEqual([]);
    // The survivor's confidence counts the absorbed verdict (the template came over with the merge).
    expect(merged).toMatchObject({
      status: 'applied',
      decision: { evidence: { runs: { verified: 1, failed: 0, considered: 1 } } },
    });
    // Its cooldown counts the absorbed run on agent-x.
    const cooled = await recoveryOf(await report('guest', 'agent-x'));
    expect(cooled).toMatchObject({
      patternId: p1,
      status: 'pending_review',
      decision: { heldBy: { guardrail: 'cooldown' } },
    });
    expect(cooled.decision.heldBy.reason).toContain(`pattern ${p1} on agent agent-x`);
    // The run still watching hears a recurrence filed under the survivor.
    const recurrence = await report('root', 'agent-y');
    const failed = await eventually(async () => {
      const r = await get(`/runs/${watchingRun.id}`);
      return r.phase === 'done' ? r : null;
    }, "the watching run's verdict");
    expect(failed).toMatchObject({
      patternId: p1,
      verdict: 'failed',
      reason: expect.stringContaining(`recurrence: incident ${recurrence}`),
    });
  });
});
