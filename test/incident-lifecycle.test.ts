import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('incident lifecycle: open → mitigating → resolved, acknowledged by an operator', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let otherTenant: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  /** An hour ago, to the second, as a reporter would send it. */
  const occurredAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000).toISOString();
  const report = async () =>
    (
      await app.http
        .post('/incidents')
        .set(bearer(operator))
        .send({ errorType: 'timeout', message: 'upstream timed out after 30000 ms', agentId: 'agent-7', occurredAt })
        .expect(201)
    ).body;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    operator = await app.keyFor('acme', 'operator');
    viewer = await app.keyFor('acme', 'viewer');
    otherTenant = await app.keyFor('globex', 'operator');
  });
  afterAll(() => app.stop());

  it('starts open, unacknowledged and unresolved', async () => {
    const created = await report();
    expect(created).toMatchObject({
      status: 'open',
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
    });
    const read = await app.http.get(`/incidents/${created.id}`).set(bearer(viewer)).expect(200);
    expect(read.body.status).toBe('open');
  });

  it('acknowledges once; a second acknowledgement is a conflict', async () => {
    const { id } = await report();
    const acked = await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(operator)).expect(200);
    expect(acked.body.acknowledgedBy).toMatch(/acme operator/);
    expect(Date.parse(acked.body.acknowledgedAt)).not.toBeNaN();
    expect(acked.body.status).toBe('open');
    const again = await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(operator)).expect(409);
    expect(again.body.message).toMatch(/already acknowledged/);
  });

  it('resolves once with the resolver and time; resolving twice answers 409 and changes nothing', async () => {
    const { id } = await report();
    const resolved = await app.http
      .post(`/incidents/${id}/resolve`)
      .set(bearer(operator))
      .send({ note: 'rolled the pod' })
      .expect(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedBy: expect.stringMatching(/acme operator/) });
    const again = await app.http.post(`/incidents/${id}/resolve`).set(bearer(operator)).send({}).expect(409);
    expect(again.body.message).toMatch(/already resolved/);
    const [row] = await app.sql(`SELECT resolved_at FROM incidents WHERE id = $1`, [id]);
    expect(row.resolved_at.toISOString()).toBe(resolved.body.resolvedAt);
    const timeline = await app.http.get(`/incidents/${id}/timeline`).set(bearer(viewer)).expect(200);
    const lifecycle = timeline.body.items.filter((i: { kind: string }) => i.kind === 'lifecycle');
    expect(lifecycle).toHaveLength(1);
    expect(lifecycle[0].summary).toMatch(/resolved by .*rolled the pod/);
    // MTTR is measured from when it occurred.
    expect(lifecycle[0].details.mttrMs).toBe(Date.parse(resolved.body.resolvedAt) - Date.parse(occurredAt));
  });

  it('takes occurredAt only as an instant with an offset, at most 5 min ahead of our clock and 30 days old (MTTR stays meaningful)', async () => {
    const post = (when: string) =>
      app.http
        .post('/incidents')
        .set(bearer(operator))
        .send({ errorType: 'timeout', message: 'upstream timed out', occurredAt: when });
    const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const refused: Array<[string, RegExp]> = [
      [iso(3600_000), /in the future/], // an hour ahead: fastest MTTR would be negative
      ['0001-01-01T00:00:00Z', /days in the past/], // year 1 would wreck the average
      [iso(-31 * 86_400_000), /days in the past/],
      [iso(-3600_000).replace('Z', ''), /with an offset/], // read in the server's zone otherwise
      [iso(-3600_000).slice(0, 10), /with an offset/], // a date alone is no instant
    ];
    for (const [when, why] of refused) {
      const res = await post(when).expect(400);
      expect({ when, fields: res.body.fields }).toEqual({
        when,
        fields: [{ field: 'occurredAt', errors: [expect.stringMatching(why)] }],
      });
    }
    // Inside the bounds: another zone, a month-old incident.
    for (const when of [iso(-7200_000).replace('Z', '+00:00'), iso(-29 * 86_400_000)]) {
      const res = await post(when).expect(201);
      expect(res.body.occurredAt).toBe(new Date(when).toISOString());
    }
    // A reporter's clock a little ahead is accepted, but nothing occurs after we receive it.
    const sent = Date.now();
    const ahead = await post(iso(60_000)).expect(201);
    expect(Date.parse(ahead.body.occurredAt)).toBeGreaterThanOrEqual(sent);
    expect(Date.parse(ahead.body.occurredAt)).toBeLessThanOrEqual(Date.parse(ahead.body.createdAt));
  });

  it('stores an occurredAt ahead of our clock as the receipt time: resolved at once, its MTTR is not negative', async () => {
    const desk = await app.keyFor('skewed', 'operator');
    const created = (
      await app.http
        .post('/incidents')
        .set(bearer(desk))
        .send({
          errorType: 'timeout',
          message: 'clock ahead',
          occurredAt: new Date(Date.now() + 4 * 60_000).toISOString(),
        })
        .expect(201)
    ).body;
    expect(Date.parse(created.occurredAt)).toBeLessThanOrEqual(Date.parse(created.createdAt));
    const [row] = await app.sql(`SELECT occurred_at <= created_at AS before_receipt FROM incidents WHERE id = $1`, [
      created.id,
    ]);
    expect(row.before_receipt).toBe(true);
    await app.http.post(`/incidents/${created.id}/resolve`).set(bearer(desk)).send({}).expect(200);
    const timeline = await app.http.get(`/incidents/${created.id}/timeline`).set(bearer(desk)).expect(200);
    const [resolved] = timeline.body.items.filter((i: { kind: string }) => i.kind === 'lifecycle');
    expect(resolved.details.mttrMs).toBeGreaterThanOrEqual(0);
    const stats = (await app.http.get('/integration/stats').query({ hours: 1 }).set(bearer(desk)).expect(200)).body;
    expect(stats.mttrMs.fastest).toBeGreaterThanOrEqual(0);
  });

  it('two concurrent resolutions: exactly one wins', async () => {
    const { id } = await report();
    const answers = await Promise.all(
      [1, 2, 3].map(() => app.http.post(`/incidents/${id}/resolve`).set(bearer(operator)).send({})),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
  });

  it('filters the list by status', async () => {
    const open = await report();
    const done = await report();
    await app.http.post(`/incidents/${done.id}/resolve`).set(bearer(operator)).send({}).expect(200);
    const resolved = await app.http.get('/incidents?status=resolved&limit=200').set(bearer(viewer)).expect(200);
    const ids = resolved.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(done.id);
    expect(ids).not.toContain(open.id);
    expect(resolved.body.items.every((i: { status: string }) => i.status === 'resolved')).toBe(true);
    const bad = await app.http.get('/incidents?status=closed').set(bearer(viewer)).expect(400);
    expect(JSON.stringify(bad.body)).toContain('status');
  });

  it('needs the operator role, answers 404 for another tenant or no such incident, and validates the note', async () => {
    const { id } = await report();
    await app.http.post(`/incidents/${id}/resolve`).set(bearer(viewer)).send({}).expect(403);
    await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(viewer)).expect(403);
    await app.http.post(`/incidents/${id}/resolve`).set(bearer(otherTenant)).send({}).expect(404);
    await app.http.post(`/incidents/${id}/acknowledge`).set(bearer(otherTenant)).expect(404);
    await app.http
      .post(`/incidents/0190a5a0-0000-7000-8000-000000000000/resolve`)
      .set(bearer(operator))
      .send({})
      .expect(404);
    const bad = await app.http.post(`/incidents/${id}/resolve`).set(bearer(operator)).send({ note: 42 }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('note');
    const [row] = await app.sql(`SELECT status FROM incidents WHERE id = $1`, [id]);
    expect(row.status).toBe('open');
  });
});
