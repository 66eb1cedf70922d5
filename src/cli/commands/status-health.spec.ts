import { describe, expect, it } from '@jest/globals';
import type { Escalation, Run } from '../api-types.js';
import { judge, verdictOf } from './status-health.js';

const escalation = (id: string, incidentId: string) => ({ id, incidentId, metric: 'latency_ms' }) as Escalation;
const run = (id: string, status: Run['status'], incidentId: string | null, createdAt = '2026-12-05T10:00:00.000Z') =>
  ({
    id,
    status,
    verdict: status === 'succeeded' ? 'succeeded' : status === 'canceled' || status === 'queued' ? null : 'failed',
    incidentId,
    createdAt,
    playbookId: 'restart',
    agentId: 'a1',
  }) as Run;
const none = { armedEscalations: [], failedRuns: [], succeededRuns: [], resolvedIncidents: new Set<string>() };

describe('judge', () => {
  it('is healthy with nothing armed and nothing failed', () => {
    expect(judge(none)).toEqual({ health: 'healthy', openEscalations: [], failingRuns: [] });
  });

  it('counts an armed escalation as open until its incident is resolved', () => {
    const e = escalation('e1', 'i1');
    expect(judge({ ...none, armedEscalations: [e] })).toMatchObject({ health: 'degraded', openEscalations: [e] });
    expect(judge({ ...none, armedEscalations: [e], resolvedIncidents: new Set(['i1']) }).health).toBe('healthy');
  });

  it('counts a run whose verdict is failed as failing until its incident is resolved, whatever its rollback does', () => {
    const failed = [
      run('r1', 'failed', 'i1'),
      run('r2', 'rolled_back', 'i2'),
      run('r3', 'rollback_failed', 'i3'),
      run('r4', 'awaiting_operator', 'i4'), // a rollback step waits for a person
    ];
    expect(judge({ ...none, failedRuns: failed }).failingRuns).toEqual(failed);
    const judged = judge({ ...none, failedRuns: failed, resolvedIncidents: new Set(['i1', 'i3', 'i4']) });
    expect(judged).toMatchObject({ health: 'degraded', failingRuns: [failed[1]] });
  });

  it('does not count a run without a failed verdict: a manual step waiting, a canceled run', () => {
    const waiting = { ...run('r1', 'awaiting_operator', 'i1'), verdict: null } as Run;
    expect(judge({ ...none, failedRuns: [waiting, run('r2', 'canceled', 'i2')] }).health).toBe('healthy');
  });

  it('counts a run without an incident until a later run of its playbook for its agent succeeded', () => {
    const failed = run('r1', 'failed', null, '2026-12-05T10:00:00.000Z');
    const earlier = run('r0', 'succeeded', null, '2026-12-05T09:00:00.000Z');
    const later = run('r2', 'succeeded', null, '2026-12-05T11:00:00.000Z');
    expect(judge({ ...none, failedRuns: [failed], succeededRuns: [earlier] }).health).toBe('degraded');
    expect(judge({ ...none, failedRuns: [failed], succeededRuns: [{ ...later, agentId: 'a2' }] }).health).toBe(
      'degraded',
    );
    expect(judge({ ...none, failedRuns: [failed], succeededRuns: [later] }).health).toBe('healthy');
  });
});

describe('verdictOf', () => {
  const at = '2026-12-05T10:00:00.000Z';
  it('exits 0 healthy, 1 degraded, 2 when healthy after a degraded check (and 0 again after that)', () => {
    expect(verdictOf('healthy', null)).toEqual({ verdict: 'healthy', exitCode: 0 });
    expect(verdictOf('degraded', null)).toEqual({ verdict: 'degraded', exitCode: 1 });
    expect(verdictOf('degraded', { health: 'degraded', at })).toEqual({ verdict: 'degraded', exitCode: 1 });
    expect(verdictOf('healthy', { health: 'degraded', at })).toEqual({ verdict: 'fixed', exitCode: 2 });
    expect(verdictOf('healthy', { health: 'healthy', at })).toEqual({ verdict: 'healthy', exitCode: 0 });
  });
});
