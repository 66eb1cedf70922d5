import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { counterValue } from './support/metrics.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** Debian's package; `.ci/run` installs it on a fresh machine. */
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * The real Alertmanager, configured with a webhook receiver pointing at the real app (Bearer key
 * in `http_config.authorization`): alerts posted to its own API become incidents once per
 * fingerprint however often it repeats them, their loops complete, and resolving one resolves its incident.
 */
describe('with the real Alertmanager', () => {
  let app: TestApp;
  let viewer: string;
  let alertmanager: ChildProcess | null = null;
  let amUrl: string;
  let dir: string;
  let amLog = '';
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    if (!existsSync(ALERTMANAGER)) {
      throw new Error(
        `${ALERTMANAGER} is missing: install the Debian package prometheus-alertmanager (apt-get install -y prometheus-alertmanager; .ci/run does this)`,
      );
    }
    app = await startTestApp();
    const operator = await app.keyFor('acme', 'operator');
    viewer = await app.keyFor('acme', 'viewer');
    dir = mkdtempSync(path.join(tmpdir(), 'alertmanager-'));
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: pillar-loop',
        "  group_by: ['...']", // every alert its own group: one notification per fingerprint
        '  group_wait: 100ms',
        '  group_interval: 300ms',
        '  repeat_interval: 1s', // repeats arrive while the test runs: they must deduplicate
        '  routes:',
        // One group of up to 1 000 alerts, as the README recommends (max_alerts ≤ INTAKE_MAX_BATCH);
        // group_wait lets the whole batch in before the first notification, no repeats after it.
        '    - matchers: [\'batch="bulk"\']',
        '      receiver: pillar-loop',
        "      group_by: ['alertname']",
        '      group_wait: 1s',
        '      group_interval: 5s',
        '      repeat_interval: 1h',
        // A group larger than its webhook's max_alerts: Alertmanager sends the first 2, truncatedAlerts the rest.
        '    - matchers: [\'batch="truncated"\']',
        '      receiver: pillar-loop-max-2',
        "      group_by: ['alertname']",
        '      group_wait: 1s',
        '      group_interval: 5s',
        '      repeat_interval: 1h',
        'receivers:',
        '  - name: pillar-loop',
        '    webhook_configs:',
        `      - url: ${app.url}/intake/alertmanager`,
        '        send_resolved: true',
        '        max_alerts: 1000', // the README's configuration: ≤ INTAKE_MAX_BATCH (1 000 by default)
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${operator}`,
        '  - name: pillar-loop-max-2',
        '    webhook_configs:',
        `      - url: ${app.url}/intake/alertmanager`,
        '        max_alerts: 2',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${operator}`,
        '',
      ].join('\n'),
    );
    alertmanager = spawn(
      ALERTMANAGER,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=', // no gossip port: a single instance
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    alertmanager.stdout!.on('data', (d) => (amLog += d));
    alertmanager.stderr!.on('data', (d) => (amLog += d));
    await eventually(async () => {
      if (alertmanager!.exitCode !== null) throw new Error(`alertmanager exited: ${amLog}`);
      return (await fetch(`${amUrl}/-/ready`).catch(() => null))?.ok;
    }, 'Alertmanager to be ready');
  });

  afterAll(async () => {
    if (alertmanager && alertmanager.exitCode === null) {
      const exited = new Promise((r) => alertmanager!.once('exit', r));
      alertmanager.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    await app?.stop();
  });

  const postAlerts = async (alerts: unknown[]) => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
  };
  const alert = (service: string, extra: Record<string, string> = {}) => ({
    labels: { alertname: 'HighErrorRate', service, capability: 'checkout', severity: 'warning', ...extra },
    annotations: { summary: `error rate of ${service} over 5 %`, description: 'for 10 minutes' },
    generatorURL: 'http://prometheus.example:9090/graph',
  });
  const incidents = async () =>
    (await app.http.get('/incidents?source=alertmanager&limit=200').set(bearer(viewer)).expect(200)).body
      .items as Array<Record<string, any>>;

  it('turns each fingerprint into one incident, deduplicates repeats, completes the loops and resolves on resolution', async () => {
    const startsAt = new Date().toISOString();
    const fired = ['cart', 'payments', 'search'].map((s) => ({ ...alert(s), startsAt }));
    await postAlerts(fired);

    // Alertmanager's own fingerprints are the incidents' fingerprints.
    const amAlerts = await eventually(async () => {
      const list = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as Array<{
        fingerprint: string;
        labels: Record<string, string>;
      }>;
      return list.length === 3 && list;
    }, 'Alertmanager to hold the three alerts');
    const fingerprintOf = new Map(amAlerts.map((a) => [a.labels.service, a.fingerprint]));

    // Repeats (repeat_interval 1 s) go to the same incidents: repeatCount rises, no new incident.
    const repeated = await eventually(
      async () => {
        const list = await incidents();
        return list.length === 3 && list.every((i) => i.repeatCount >= 2) && list;
      },
      'three incidents, each notified more than once',
      30_000,
    );
    expect(repeated.map((i) => i.agentId).sort()).toEqual(['cart', 'payments', 'search']);
    for (const i of repeated) {
      expect(i).toMatchObject({
        source: 'alertmanager',
        errorType: 'higherrorrate',
        capability: 'checkout',
        severity: 'medium',
        status: 'open',
      });
      expect(i.fingerprint).toBe(fingerprintOf.get(i.agentId));
    }
    const rows = await app.sql(
      `SELECT fingerprint, count(*)::int AS n FROM incidents WHERE tenant_id = 'acme' GROUP BY fingerprint`,
    );
    expect(rows.every((r) => r.n === 1)).toBe(true);

    for (const i of repeated) {
      await eventually(
        async () => (await app.http.get(`/integration/loop/${i.id}`).set(bearer(viewer))).body.isComplete,
        `the loop of ${i.agentId}`,
      );
    }

    // Resolving one alert (endsAt in the past) resolves its incident, and only that one.
    await postAlerts([{ ...alert('payments'), startsAt, endsAt: new Date(Date.now() - 1000).toISOString() }]);
    const payments = repeated.find((i) => i.agentId === 'payments')!;
    const resolved = await eventually(
      async () => {
        const read = (await app.http.get(`/incidents/${payments.id}`).set(bearer(viewer))).body;
        return read.status === 'resolved' && read;
      },
      'the payments incident to be resolved by monitoring',
      30_000,
    );
    expect(resolved.resolvedBy).toBe('monitoring');
    const after = await incidents();
    expect(after).toHaveLength(3);
    expect(after.filter((i) => i.status === 'resolved').map((i) => i.id)).toEqual([payments.id]);
  });

  const incidentsOf = async (agentPrefix: string) =>
    Number(
      (
        await app.sql(`SELECT count(*) AS n FROM incidents WHERE tenant_id = 'acme' AND agent_id LIKE $1`, [
          `${agentPrefix}-%`,
        ])
      )[0].n,
    );

  it('takes a group of 1 000 realistic alerts in one notification (over 256 KiB): one incident each', async () => {
    const startsAt = new Date().toISOString();
    const bulk = Array.from({ length: 1000 }, (_, i) => ({
      labels: {
        alertname: 'BulkErrorRate',
        batch: 'bulk',
        service: `bulk-${i}`,
        instance: `10.1.${i >> 8}.${i & 255}:9100`,
        severity: 'critical',
      },
      annotations: { summary: `errors of bulk-${i} over 5 %`, description: 'for 10 minutes' },
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=errors%3Arate5m+%3E+0.05',
      startsAt,
    }));
    // Alertmanager adds status, endsAt and its fingerprint to each: its notification is larger still.
    expect(Buffer.byteLength(JSON.stringify(bulk))).toBeGreaterThan(256 * 1024);
    await postAlerts(bulk);
    await eventually(
      async () => (await incidentsOf('bulk')) === 1000,
      'the 1 000 alerts of one notification to become incidents',
      60_000,
    ).catch((err: Error) => {
      // Alertmanager logs why a notification failed (a 413 is not retried).
      throw new Error(`${err.message}; Alertmanager's log: ${amLog.slice(-1000)}`);
    });
  });

  it("counts the alerts a webhook's max_alerts left out (truncatedAlerts), taking the ones sent", async () => {
    const before = await counterValue(app, 'intake_alerts_truncated_total');
    const startsAt = new Date().toISOString();
    await postAlerts(
      Array.from({ length: 5 }, (_, i) => ({
        labels: { alertname: 'TruncatedGroup', batch: 'truncated', service: `trunc-${i}`, severity: 'warning' },
        annotations: { summary: `trunc-${i} is down` },
        startsAt,
      })),
    );
    await eventually(
      async () =>
        (await incidentsOf('trunc')) === 2 && (await counterValue(app, 'intake_alerts_truncated_total')) > before,
      'the 2 alerts sent to become incidents, and the 3 left out to be counted',
      30_000,
    );
    expect(await counterValue(app, 'intake_alerts_truncated_total')).toBe(before + 3);
  });
});
