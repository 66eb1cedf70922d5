import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

describe('review expiry (RECOVERY_REVIEW_TTL_MS)', () => {
  let app: TestApp;
  let operator: string;
  const auth = (k: string) => ({ Authorization: `Bearer ${k}` });

  // Short, but with room for the test to read the recovery before it passes on a busy machine.
  beforeAll(async () => {
    app = await startTestApp({ RECOVERY_REVIEW_TTL_MS: '2000' });
    operator = await app.keyFor('acme', 'operator');
  });
  afterAll(() => app.stop());

  const queuedRecovery = async (message: string) => {
    const incident = (
      await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType: 'schema', message, agentId: 'agent-x' })
        .expect(201)
    ).body;
    return eventually(async () => {
      const items = (await app.http.get('/recoveries').query({ incidentId: incident.id }).set(auth(operator))).body
        .items;
      return items?.[0];
    }, 'the recovery to be suggested');
  };

  it('a recovery left in review becomes expired (not rejected), with the reason recorded, and can no longer be approved', async () => {
    const recovery = await queuedRecovery('Column "order_total" of relation "orders" does not exist');
    expect(recovery.status).toBe('pending_review');
    const expired = await eventually(async () => {
      const r = (await app.http.get(`/recoveries/${recovery.id}`).set(auth(operator))).body;
      return r.status === 'expired' ? r : null;
    }, 'the recovery to expire');
    expect(expired).toMatchObject({ status: 'expired', decidedBy: 'review expiry' });
    const actions = await app.sql(`SELECT action, automatic, note FROM recovery_actions WHERE recovery_id = $1`, [
      recovery.id,
    ]);
    // Its expiresAt was RECOVERY_REVIEW_TTL_MS from its suggestion.
    expect(actions).toEqual([
      { action: 'expired', automatic: true, note: `no review by ${recovery.expiresAt} (expiresAt)` },
    ]);
    const approve = await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({});
    expect(approve.status).toBe(409);
    expect(approve.body.message).toMatch(/already expired/);
    const listed = (await app.http.get('/recoveries').query({ status: 'expired' }).set(auth(operator)).expect(200)).body
      .items;
    expect(listed.map((r: { id: string }) => r.id)).toContain(recovery.id);
  });

  it('a recovery decided in time is left alone', async () => {
    const recovery = await queuedRecovery('Column "customer_id" of relation "invoices" does not exist');
    const approved = await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({});
    // Whichever came first, the reviewer or the sweep, there is exactly one decision.
    const actions = await eventually(async () => {
      const rows = await app.sql(`SELECT action FROM recovery_actions WHERE recovery_id = $1`, [recovery.id]);
      return rows.length > 0 ? rows : null;
    }, 'a decision');
    await new Promise((r) => setTimeout(r, 500));
    const after = await app.sql(`SELECT action FROM recovery_actions WHERE recovery_id = $1`, [recovery.id]);
    expect(after).toHaveLength(1);
    if (approved.status === 200) expect(actions[0].action).toBe('applied');
  });
});

describe('approval requests with an expiresAt (DESIGN §13)', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let admin: string;
  const auth = (k: string) => ({ Authorization: `Bearer ${k}` });

  // A TTL long enough for the test to move an expiry before it passes, even on a busy machine.
  beforeAll(async () => {
    app = await startTestApp({ RECOVERY_REVIEW_TTL_MS: '6000' });
    operator = await app.keyFor('acme', 'operator');
    viewer = await app.keyFor('acme', 'viewer');
    admin = await app.keyFor('acme', 'admin');
  });
  afterAll(() => app.stop());

  const queuedRecovery = async (message: string, agentId: string) => {
    const incident = (
      await app.http.post('/incidents').set(auth(operator)).send({ errorType: 'schema', message, agentId }).expect(201)
    ).body;
    return eventually(async () => {
      const items = (await app.http.get('/recoveries').query({ incidentId: incident.id }).set(auth(operator))).body
        .items;
      return items?.[0];
    }, 'the recovery to be suggested');
  };

  it('an approval request carries expiresAt, which an operator may move; past it the recovery is expired (audited), never a rejection', async () => {
    const message = 'Column "ledger_ref" of relation "payments" does not exist';
    const patchOf =
      (id: string) =>
      (body: object, k = operator) =>
        app.http.patch(`/recoveries/${id}`).set(auth(k)).send(body);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    // Given an hour as soon as it is suggested, before the others go through the loop.
    const kept = await queuedRecovery(message, 'agent-kept');
    const patch = patchOf(kept.id);
    expect((await patch({ expiresAt: later }).expect(200)).body.expiresAt).toBe(later);
    // Suggested after kept, so past its expiresAt kept's own (RECOVERY_REVIEW_TTL_MS) has passed as well.
    const other = await queuedRecovery(message, 'agent-other');
    const moved = await queuedRecovery(message, 'agent-moved');
    expect(Date.parse(kept.expiresAt)).toBeGreaterThan(Date.parse(kept.createdAt)); // RECOVERY_REVIEW_TTL_MS from its suggestion
    expect(Date.parse(other.expiresAt)).toBeGreaterThanOrEqual(Date.parse(kept.expiresAt));
    expect((await patch({ expiresAt: later }, viewer)).status).toBe(403);
    expect((await patch({ expiresAt: later }, await app.keyFor('acme-other', 'operator'))).status).toBe(404);
    expect((await patch({ expiresAt: 'tomorrow' })).body.fields.map((f: { field: string }) => f.field)).toEqual([
      'expiresAt',
    ]);
    expect((await patch({ expiresAt: '2020-01-01T00:00:00Z' })).body).toMatchObject({
      statusCode: 400,
      fields: [{ field: 'expiresAt' }],
    });

    // Another one is given an hour, then brought forward: it expires by its own expiresAt.
    const patchMoved = patchOf(moved.id);
    await patchMoved({ expiresAt: later }).expect(200);
    const soon = new Date(Date.now() + 2000).toISOString(); // still ahead when the PATCH arrives
    await patchMoved({ expiresAt: soon }).expect(200);
    await eventually(
      async () => (await app.http.get(`/recoveries/${moved.id}`).set(auth(operator))).body.status === 'expired',
      'the one brought forward to expire',
    );
    const [action] = await app.sql(`SELECT action, note FROM recovery_actions WHERE recovery_id = $1`, [moved.id]);
    expect(action).toEqual({ action: 'expired', note: `no review by ${soon} (expiresAt)` });
    expect((await patchMoved({ expiresAt: later })).status).toBe(409);
    const audit = async (action: string, id: string) =>
      (await app.http.get('/audit').query({ action, subjectId: id }).set(auth(admin)).expect(200)).body.items;
    expect((await audit('recovery.expiry_set', moved.id)).map((e: { after: unknown }) => e.after)).toEqual([
      { expiresAt: soon },
      { expiresAt: later },
    ]);
    expect(await audit('recovery.expired', moved.id)).toEqual([
      expect.objectContaining({ actor: 'system', reason: `no review by ${soon} (expiresAt)` }),
    ]);

    // The request of the same fault left at the TTL expires; the one given an hour waits on.
    await eventually(
      async () => (await app.http.get(`/recoveries/${other.id}`).set(auth(operator))).body.status === 'expired',
      'the other to expire',
    );
    expect((await app.http.get(`/recoveries/${kept.id}`).set(auth(operator)).expect(200)).body.status).toBe(
      'pending_review',
    );
    expect(await audit('recovery.expired', kept.id)).toEqual([]);

    // The learning rule counts approvals and rejections only: the two expired requests are neither.
    const next = await queuedRecovery(message, 'agent-next');
    expect(next.patternId).toBe(kept.patternId);
    expect(next.decision.evidence.reviews).toEqual(kept.decision.evidence.reviews);
  });

  it('a request past its expiresAt, not yet swept, cannot be given a new expiresAt and then approved', async () => {
    const recovery = await queuedRecovery('Column "refund_ref" of relation "refunds" does not exist', 'agent-late');
    const patch = (expiresAt: string) =>
      app.http.patch(`/recoveries/${recovery.id}`).set(auth(operator)).send({ expiresAt });
    await patch(new Date(Date.now() + 3_600_000).toISOString()).expect(200);
    // Its expiresAt passes (stored in the past: time passing, without the wait), before the sweep comes by.
    await app.sql(`UPDATE recovery_candidates SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      recovery.id,
    ]);
    const approve = () => app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({});
    const first = await approve();
    expect(first.status).toBe(409);
    expect(first.body.message).toMatch(/already expired/);

    const revived = await patch(new Date(Date.now() + 3_600_000).toISOString());
    expect(revived.status).toBe(409);
    expect(revived.body.message).toMatch(/already expired/);
    const again = await approve();
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already expired/);
    expect(await app.sql(`SELECT id FROM recovery_runs WHERE recovery_id = $1`, [recovery.id])).toEqual([]);
  });

  it('an approval that waited for the recovery past its expiresAt is refused: the time is read once the lock is held', async () => {
    const recovery = await queuedRecovery('Column "tax_code" of relation "invoices" does not exist', 'agent-held');
    const expiresAt = new Date(Date.now() + 3_000);
    await app.http
      .patch(`/recoveries/${recovery.id}`)
      .set(auth(operator))
      .send({ expiresAt: expiresAt.toISOString() })
      .expect(200);
    // Another transaction holds the recovery, changing nothing, while the approval waits for it.
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM recovery_candidates WHERE id = $1 FOR UPDATE`, [recovery.id]);
      const holderPid = (holder as unknown as { processID: number }).processID;
      const approval = app.http
        .post(`/recoveries/${recovery.id}/approve`)
        .set(auth(operator))
        .send({})
        .then((r) => r);
      await eventually(async () => {
        const [{ n }] = await app.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
          [holderPid],
        );
        return n > 0;
      }, 'the approval to wait for the recovery');
      await eventually(
        async () => (await app.sql(`SELECT now() > $1::timestamptz AS past`, [expiresAt]))[0].past,
        'its expiresAt to pass',
      );
      await holder.query('COMMIT');
      const answer = await approval;
      expect({ status: answer.status, message: answer.body.message }).toEqual({
        status: 409,
        message: expect.stringMatching(/already expired/),
      });
    } finally {
      await holder.end();
    }
    expect(await app.sql(`SELECT id FROM recovery_runs WHERE recovery_id = $1`, [recovery.id])).toEqual([]);
  });
});
