import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

describe('review expiry (RECOVERY_REVIEW_TTL_MS)', () => {
  let app: TestApp;
  let operator: string;
  const auth = (k: string) => ({ Authorization: `Bearer ${k}` });

  beforeAll(async () => {
    app = await startTestApp({ RECOVERY_REVIEW_TTL_MS: '400' });
    operator = await app.keyFor('acme', 'operator');
  });
  afterAll(() => app.stop());

  const queuedRecovery = async (message: string) => {
    const incident = (await app.http.post('/incidents').set(auth(operator)).send({ errorType: 'schema', message, agentId: 'agent-x' }).expect(201)).body;
    return eventually(async () => {
      const items = (await app.http.get('/recoveries').query({ incidentId: incident.id }).set(auth(operator))).body.items;
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
    const actions = await app.sql(`SELECT action, automatic, note FROM recovery_actions WHERE recovery_id = $1`, [recovery.id]);
    expect(actions).toEqual([{ action: 'expired', automatic: true, note: expect.stringContaining('RECOVERY_REVIEW_TTL_MS') }]);
    const approve = await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({});
    expect(approve.status).toBe(409);
    expect(approve.body.message).toMatch(/already expired/);
    const listed = (await app.http.get('/recoveries').query({ status: 'expired' }).set(auth(operator)).expect(200)).body.items;
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
