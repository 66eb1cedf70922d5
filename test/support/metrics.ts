import { MetricsService } from '../../src/platform/metrics/metrics.service.js';
import type { TestApp } from './test-app.js';

/** A counter's value in the app's metrics for exactly these labels (0 before it was counted). */
export async function counterValue(app: TestApp, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = app.app.get(MetricsService).registry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  const same = (l: Record<string, unknown>) =>
    Object.keys(l).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => l[k] === v);
  return values.find((v) => same(v.labels))?.value ?? 0;
}
