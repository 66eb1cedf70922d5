// Issue 14's benchmark case: 1 000 Alertmanager alerts posted to POST /intake/alertmanager in
// batches of 100 (sequentially, as one Alertmanager sends them), 400 distinct fingerprints, so
// 600 alerts must deduplicate onto open incidents; the figures say whether they did.
import { performance } from 'node:perf_hooks';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';

export interface AlertmanagerIntakeResult {
  alerts: number;
  batchSize: number;
  fingerprints: number;
  seconds: number;
  alertsPerS: number;
  batchMs: { p50: number; max: number };
  created: number;
  deduplicated: number;
  /** Incidents the tenant holds afterwards, and the sum of their repeat counts (should be fingerprints and alerts). */
  incidents: number;
  repeatCountSum: number;
  dedupCorrect: boolean;
}

async function call(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

export async function runAlertmanagerIntakeBench(
  baseUrl: string,
  adminKey: string,
  alerts = 1000,
  batchSize = 100,
  fingerprints = 400,
): Promise<AlertmanagerIntakeResult> {
  const tenantId = `bench-intake-${Date.now().toString(36)}`;
  const { key } = await call(baseUrl, adminKey, 'POST', '/admin/api-keys', {
    tenantId,
    name: 'bench intake',
    role: 'operator',
  });
  const alert = (i: number) => {
    const n = i % fingerprints;
    return {
      status: 'firing',
      labels: {
        alertname: `BenchAlert${n % 20}`,
        service: `svc-${n % 50}`,
        instance: `10.0.${n >> 8}.${n & 255}:9100`,
        severity: n % 3 ? 'warning' : 'critical',
      },
      annotations: { summary: `bench alert ${n} over threshold`, description: `value ${i} for 5 minutes` },
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `bench-${n.toString(16).padStart(16, '0')}`,
    };
  };
  let created = 0;
  let deduplicated = 0;
  const batchMs: number[] = [];
  const started = performance.now();
  for (let from = 0; from < alerts; from += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, alerts - from) }, (_, j) => alert(from + j));
    const t = performance.now();
    const res = await call(baseUrl, key, 'POST', '/intake/alertmanager', alertmanagerEnvelope(batch));
    batchMs.push(performance.now() - t);
    created += res.created;
    deduplicated += res.deduplicated;
  }
  const seconds = (performance.now() - started) / 1000;
  let incidents = 0;
  let repeatCountSum = 0;
  for (let cursor: string | null = null; ;) {
    const page: { items: Array<{ repeatCount: number }>; nextCursor: string | null } = await call(
      baseUrl,
      key,
      'GET',
      `/incidents?source=alertmanager&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    incidents += page.items.length;
    repeatCountSum += page.items.reduce((s, i) => s + i.repeatCount, 0);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  batchMs.sort((a, b) => a - b);
  return {
    alerts,
    batchSize,
    fingerprints,
    seconds,
    alertsPerS: alerts / seconds,
    batchMs: { p50: batchMs[Math.floor(batchMs.length / 2)]!, max: batchMs[batchMs.length - 1]! },
    created,
    deduplicated,
    incidents,
    repeatCountSum,
    dedupCorrect:
      created === fingerprints &&
      deduplicated === alerts - fingerprints &&
      incidents === fingerprints &&
      repeatCountSum === alerts,
  };
}
