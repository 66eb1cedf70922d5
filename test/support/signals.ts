import { expect } from '@jest/globals';
import type { TestApp } from './test-app.js';

const HOUR = 3_600_000;

/**
 * A degradation escalation of `agentId`'s latency through `POST /signals/metrics`: thirty hours of
 * steady samples, then three breaches in a row. Answers the incident it opened.
 */
export async function latencyEscalation(app: TestApp, key: string, agentId: string): Promise<string> {
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 40 * HOUR;
  const samples = Array.from({ length: 33 }, (_, i) => ({
    metric: 'latency_ms',
    agentId,
    value: i < 30 ? 100 : 200,
    at: new Date(t0 + i * HOUR).toISOString(),
  }));
  const res = await app.http
    .post('/signals/metrics')
    .set({ Authorization: `Bearer ${key}` })
    .send({ samples })
    .expect(200);
  expect(res.body.escalations).toHaveLength(1);
  return res.body.escalations[0].incidentId as string;
}
