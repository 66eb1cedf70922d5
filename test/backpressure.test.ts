import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OutboxBacklog } from '../src/platform/outbox/outbox-backlog.js';
import { OutboxRelay } from '../src/platform/outbox/outbox.relay.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** POST /incidents refuses new work while the outbox is too far behind, and takes it again once it catches up. */
describe('back-pressure on POST /incidents (real PostgreSQL, real HTTP)', () => {
  let app: TestApp;
  let operator: string;

  // No relay at first, so the backlog only grows: each incident adds deliveries for bridges 1 and 5.
  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false', OUTBOX_BACKLOG_LIMIT: '3' });
    operator = await app.keyFor('bp', 'operator');
  });
  afterAll(() => app.stop());

  const report = (message: string) =>
    app.http
      .post('/incidents')
      .set('Authorization', `Bearer ${operator}`)
      .send({ errorType: 'timeout', message, agentId: 'agent-001' });
  const incidents = async () => (await app.sql(`SELECT count(*)::int AS n FROM incidents WHERE tenant_id = 'bp'`))[0].n;

  it('answers 429 with Retry-After while more deliveries than OUTBOX_BACKLOG_LIMIT are pending, writing nothing', async () => {
    await report('upstream payments timed out after 30 s').expect(201);
    await report('upstream payments timed out after 31 s').expect(201);
    await eventually(
      async () => app.app.get(OutboxBacklog).overLimit() !== null,
      'the backlog count to pass the limit',
    );
    const refused = await report('upstream payments timed out after 32 s').expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(refused.body.message).toBe(
      'the loop is behind (4 outbox deliveries pending, over the limit of 3); retry later',
    );
    expect(await incidents()).toBe(2);
  });

  it('refuses Alertmanager webhooks with a 503, which Alertmanager retries (it does not retry a 429), writing nothing', async () => {
    const refused = await app.http
      .post('/intake/alertmanager')
      .set('Authorization', `Bearer ${operator}`)
      .send({
        version: '4',
        groupKey: '{}',
        status: 'firing',
        receiver: 'r',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Down' },
            annotations: {},
            startsAt: '2026-12-01T00:00:00Z',
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: 'f1',
          },
        ],
      })
      .expect(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(await incidents()).toBe(2);
  });

  it('takes incidents again once the bridges have caught up', async () => {
    app.app.get(OutboxRelay).start();
    await eventually(
      async () => (await report('upstream payments timed out after 33 s')).status === 201,
      'an incident to be accepted again',
      20_000,
    );
    expect(await incidents()).toBe(3);
  });
});
