import { describe, expect, it } from '@jest/globals';
import { fingerprintOf, labelOf, nameOf, severityOf } from './alertmanager-payload.js';
import { readWebhookPayload } from './read-webhook-payload.js';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'HighLatency', service: 'checkout', severity: 'critical' },
  annotations: { summary: 'p99 over 2 s' },
  startsAt: '2026-12-01T10:00:00.000Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph',
  fingerprint: 'a1b2c3d4e5f60718',
  ...over,
});
const payload = (over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="HighLatency"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'pillar-loop',
  groupLabels: { alertname: 'HighLatency' },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://am:9093',
  alerts: [alert()],
  ...over,
});

/** What POST /intake/alertmanager makes of a body: the payload and its refused alerts, or the fields its 400 names. */
function parseWebhookPayload(body: unknown) {
  const read = readWebhookPayload(body);
  return read.payload
    ? { parsed: read.payload, rejected: read.rejected, problems: [] }
    : { parsed: null, rejected: [], problems: read.problems };
}

describe('readWebhookPayload', () => {
  it('takes a version 4 payload as Alertmanager sends it (and ignores fields only Grafana sends)', () => {
    const { parsed, problems } = parseWebhookPayload({ ...payload(), orgId: 1 });
    expect(problems).toEqual([]);
    expect(parsed?.alerts[0]).toMatchObject({
      status: 'firing',
      fingerprint: 'a1b2c3d4e5f60718',
      labels: { alertname: 'HighLatency' },
    });
  });

  it("takes Grafana's webhook contact point's payload: version 1, with the fields only Grafana sends", () => {
    // As Grafana documents it (alerting, webhook notifier): the same shape, and its own extras.
    const grafana = {
      ...payload({ version: '1', groupKey: '{}:{}', externalURL: 'https://grafana.example/' }),
      orgId: 1,
      title: '[FIRING:1]  (blue)',
      state: 'alerting',
      message: '**Firing**',
      alerts: [
        {
          ...alert(),
          silenceURL: 'https://grafana.example/alerting/silence/new',
          dashboardURL: '',
          panelURL: '',
          values: { B: 44.2, C: 1 },
        },
      ],
    };
    const { parsed, problems } = parseWebhookPayload(grafana);
    expect(problems).toEqual([]);
    expect(parsed).toMatchObject({ version: '1', alerts: [{ status: 'firing', fingerprint: 'a1b2c3d4e5f60718' }] });
  });

  it('names every offending field', () => {
    const { parsed, problems } = parseWebhookPayload(
      payload({
        version: '3',
        status: 'on fire',
        alerts: [alert({ labels: { service: 'x' }, startsAt: 'yesterday' }), 7],
      }),
    );
    expect(parsed).toBeNull();
    expect(problems.map((p) => p.field).sort()).toEqual([
      'alerts[0].labels.alertname',
      'alerts[0].startsAt',
      'alerts[1]',
      'status',
      'version',
    ]);
  });

  it('refuses a bad alert on its own: the others are taken, the refused one named by its place', () => {
    const { parsed, rejected, problems } = parseWebhookPayload(
      payload({ alerts: [alert({ labels: { service: 'x' } }), alert({ fingerprint: 'f2' }), 'oops'] }),
    );
    expect(problems).toEqual([]);
    expect(parsed?.alerts.map((a) => a.fingerprint)).toEqual(['f2']);
    expect(rejected).toEqual([
      { index: 0, fields: [{ field: 'alerts[0].labels.alertname', errors: [expect.stringMatching(/is required/)] }] },
      { index: 2, fields: [{ field: 'alerts[2]', errors: ['must be a JSON object'] }] },
    ]);
  });

  it('reads only labels the alert has itself: no alertname inherited from Object.prototype', () => {
    const labels = JSON.parse('{"__proto__": {"alertname": "x"}}');
    expect(labelOf(labels, 'alertname')).toBeUndefined();
    // Such an alert is refused on its own before anything reads its labels: the key is the problem.
    const { parsed, problems } = parseWebhookPayload(payload({ alerts: [alert({ labels })] }));
    expect(parsed).toBeNull();
    expect(problems.map((p) => p.field)).toEqual(['alerts[0].labels.__proto__']);
  });

  it('refuses a payload without alerts and a body that is not an object', () => {
    const a = parseWebhookPayload(payload({ alerts: [] }));
    expect(a.parsed).toBeNull();
    expect(a.problems.map((p) => p.field)).toEqual(['alerts']);
    const b = parseWebhookPayload([1, 2]);
    expect(b.parsed).toBeNull();
    expect(b.problems.map((p) => p.field)).toEqual(['body']);
  });

  it('derives a fingerprint from the labels when the sender gives none, independent of label order', () => {
    const { parsed } = parseWebhookPayload(payload({ alerts: [alert({ fingerprint: undefined })] }));
    expect(parsed?.alerts[0].fingerprint).toBe(
      fingerprintOf({ severity: 'critical', service: 'checkout', alertname: 'HighLatency' }),
    );
    expect(fingerprintOf({ a: '1' })).not.toBe(fingerprintOf({ a: '2' }));
  });
});

describe('severityOf and nameOf', () => {
  it('maps Prometheus severities, unknown and missing ones to medium', () => {
    expect(severityOf('critical')).toBe('critical');
    expect(severityOf('Warning')).toBe('medium');
    expect(severityOf('info')).toBe('low');
    expect(severityOf('error')).toBe('high');
    expect(severityOf('sev-whatever')).toBe('medium');
    expect(severityOf(undefined)).toBe('medium');
    expect(severityOf('constructor')).toBe('medium');
  });

  it('makes label values into valid agent names', () => {
    expect(nameOf('node-exporter')).toBe('node-exporter');
    expect(nameOf(' my service ')).toBe('my_service_');
    expect(nameOf('__')).toBeNull();
    expect(nameOf(undefined)).toBeNull();
    expect(nameOf('x'.repeat(300))).toHaveLength(128);
  });
});
