import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { counterValue } from './support/metrics.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const KIB = 1024;

/**
 * Body limits of the intake routes, at the default INTAKE_MAX_BATCH (1 000): a full batch of
 * realistic items fits (Alertmanager does not retry a 413, so a batch refused for its bytes is
 * lost), a larger body is still a 413 naming the route's limit, and every other route keeps 256 KiB.
 */
describe('intake body limits', () => {
  let app: TestApp;
  let operator: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const startsAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000).toISOString();
  const hex = (n: number) => n.toString(16).padStart(16, '0');

  /** An alert as Alertmanager sends one from a Prometheus rule: four labels, a summary, ~370 bytes. */
  const realisticAlert = (i: number, description?: string) => ({
    status: 'firing',
    labels: {
      alertname: 'HighErrorRate',
      service: `checkout-${i}`,
      instance: `10.0.${i >> 8}.${i & 255}:9100`,
      severity: 'critical',
    },
    annotations: { summary: `errors of checkout-${i} over 5 %`, ...(description ? { description } : {}) },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=errors%3Arate5m+%3E+0.05',
    fingerprint: hex(0xa1e7000 + i),
  });
  const bytes = (body: unknown) => Buffer.byteLength(JSON.stringify(body));
  const incidentCount = async () =>
    Number((await app.sql(`SELECT count(*) AS n FROM incidents WHERE tenant_id = 'acme'`))[0].n);

  beforeAll(async () => {
    app = await startTestApp();
    operator = await app.keyFor('acme', 'operator');
  });
  afterAll(() => app.stop());

  it('takes a full batch of 1 000 realistic alerts, a body over 256 KiB', async () => {
    const alerts = Array.from({ length: 1000 }, (_, i) => realisticAlert(i));
    const perAlert = bytes(alerts) / alerts.length;
    expect(perAlert).toBeGreaterThan(300);
    expect(perAlert).toBeLessThan(400);
    const body = alertmanagerEnvelope(alerts, 'firing', '{}:{alertname="HighErrorRate"}');
    expect(bytes(body)).toBeGreaterThan(256 * KIB);

    const res = await app.http.post('/intake/alertmanager').set(bearer(operator)).send(body).expect(200);
    expect(res.body).toMatchObject({ created: 1000, deduplicated: 0, rejected: 0, truncatedAlerts: 0 });
    expect(await incidentCount()).toBe(1000);
  });

  it('takes a full batch of 1 000 samples with the longest names the samples take', async () => {
    const now = Date.now();
    const samples = Array.from({ length: 1000 }, (_, i) => ({
      metric: 'latency_ms',
      agentId: `agent-${String(i).padStart(4, '0')}-${'a'.repeat(117)}`,
      capability: `capability-${'c'.repeat(117)}`,
      value: 123.456789,
      at: new Date(now - (i + 1) * 1000).toISOString(),
    }));
    expect(samples[0].agentId).toHaveLength(128);
    expect(samples[0].capability).toHaveLength(128);
    expect(bytes({ samples })).toBeGreaterThan(256 * KIB);

    const res = await app.http.post('/signals/metrics').set(bearer(operator)).send({ samples }).expect(200);
    expect(res.body).toMatchObject({ accepted: 1000, repeated: 0 });
  });

  it("refuses a body over the intake routes' limit with a 413 naming it, writing nothing", async () => {
    const before = await incidentCount();
    // 500 alerts (under INTAKE_MAX_BATCH) of ~9 KiB each: over 1 000 × 4 KiB.
    const alerts = Array.from({ length: 500 }, (_, i) => realisticAlert(5000 + i, 'd'.repeat(9 * KIB)));
    const body = alertmanagerEnvelope(alerts, 'firing', '{}:{alertname="HighErrorRate"}');
    expect(bytes(body)).toBeGreaterThan(4000 * KIB);

    const res = await app.http.post('/intake/alertmanager').set(bearer(operator)).send(body).expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect(res.body.message).toMatch(
      /^request body is over 4000 KiB, this route's limit \(4 KiB per item of INTAKE_MAX_BATCH/,
    );
    expect(await incidentCount()).toBe(before);

    const samples = Array.from({ length: 1000 }, () => ({ metric: 'latency_ms', value: 1, note: 'n'.repeat(5 * KIB) }));
    const tooBig = await app.http.post('/signals/metrics').set(bearer(operator)).send({ samples }).expect(413);
    expect(tooBig.body.message).toMatch(/^request body is over 4000 KiB, this route's limit/);
  });

  it('keeps 256 KiB on every other route, also on the intake paths with another method', async () => {
    const before = await incidentCount();
    const blob = 'a'.repeat(300 * KIB);
    const big = await app.http
      .post('/incidents')
      .set(bearer(operator))
      .send({ errorType: 'timeout', message: 'x', context: { blob } })
      .expect(413);
    expect(big.body).toMatchObject({ statusCode: 413, message: 'request body is over 256 KiB' });
    expect(await incidentCount()).toBe(before);
    const settings = await app.http
      .put('/signals/settings')
      .set(bearer(await app.keyFor('acme', 'admin')))
      .send({ metrics: { queue_depth: { direction: 'up', warningPct: 30, criticalPct: 100, blob } } })
      .expect(413);
    expect(settings.body.message).toBe('request body is over 256 KiB');
  });

  it('reads no intake body for a caller without a key that holds: 401 before the body is parsed', async () => {
    // Not JSON at all, and over 256 KiB: read, it would be a 400 (malformed) or a 413.
    const junk = `{"alerts": [${'x'.repeat(300 * KIB)}`;
    for (const auth of [{}, bearer('plk_not-a-key-of-anyone')]) {
      for (const route of ['/intake/alertmanager', '/signals/metrics']) {
        const res = await app.http.post(route).set(auth).set('Content-Type', 'application/json').send(junk);
        expect({ route, status: res.status }).toEqual({ route, status: 401 });
        expect(res.body).toMatchObject({ statusCode: 401 });
      }
    }
    // With a key that holds, the same body is read (and refused as malformed).
    const read = await app.http
      .post('/intake/alertmanager')
      .set(bearer(operator))
      .set('Content-Type', 'application/json')
      .send(junk);
    expect(read.status).toBe(400);
  });

  it("says in the answer and a metric how many alerts Alertmanager left out of the group (max_alerts' truncatedAlerts)", async () => {
    const before = await counterValue(app, 'intake_alerts_truncated_total');
    const body = {
      ...alertmanagerEnvelope([realisticAlert(9000), realisticAlert(9001)], 'firing', '{}:{alertname="HighErrorRate"}'),
      truncatedAlerts: 7,
    };
    const res = await app.http.post('/intake/alertmanager').set(bearer(operator)).send(body).expect(200);
    expect(res.body).toMatchObject({ created: 2, truncatedAlerts: 7 });
    expect(await counterValue(app, 'intake_alerts_truncated_total')).toBe(before + 7);
    // A sender's absurd count is answered as sent, but counts at most a million.
    const absurd = { ...body, truncatedAlerts: 1e15 };
    await app.http.post('/intake/alertmanager').set(bearer(operator)).send(absurd).expect(200);
    expect(await counterValue(app, 'intake_alerts_truncated_total')).toBe(before + 7 + 1_000_000);
  });
});
