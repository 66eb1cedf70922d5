import { describe, expect, it } from '@jest/globals';
import type { StepRow } from '../run.view.js';
import { personActedIn } from './person-acted.js';

const step = (over: Partial<StepRow> = {}): StepRow =>
  ({
    step_id: 'apply',
    list: 'steps',
    kind: 'webhook',
    runs_as: 'webhook',
    status: 'succeeded',
    error: null,
    webhook_id: 'r1.apply',
    started_at: new Date(),
    ...over,
  }) as StepRow;

describe('personActedIn', () => {
  const automatic = { automatic: true };

  it('an automatic run whose steps the actuator did: no person', () => {
    expect(
      personActedIn(automatic, [step(), step({ step_id: 'ok', list: 'verify', kind: 'check', runs_as: 'check' })]),
    ).toBe(false);
  });

  it('a run a person approved or started', () => {
    expect(personActedIn({ automatic: false }, [step()])).toBe(true);
  });

  it('a step that waited for a person: a manual one, or a webhook without its actuator', () => {
    expect(personActedIn(automatic, [step({ kind: 'manual', runs_as: 'manual' })])).toBe(true);
    expect(personActedIn(automatic, [step({ kind: 'webhook', runs_as: 'manual' })])).toBe(true);
  });

  it('a manual step skipped by its condition, or a manual rollback step that never ran: no person', () => {
    const unrun = { kind: 'manual', runs_as: 'manual', started_at: null } as const;
    expect(personActedIn(automatic, [step({ ...unrun, status: 'skipped' })])).toBe(false);
    expect(personActedIn(automatic, [step({ ...unrun, list: 'rollback', status: 'pending' })])).toBe(false);
  });

  it("an operator's retry of a failed step: its call id says so", () => {
    expect(personActedIn(automatic, [step({ webhook_id: 'r1.apply.retry-1' })])).toBe(true);
  });

  it("an operator's skip of a failed step keeps its error; the engine's own skips store none", () => {
    expect(personActedIn(automatic, [step({ status: 'skipped', error: 'HTTP 500' })])).toBe(true);
    expect(personActedIn(automatic, [step({ status: 'skipped', error: null, started_at: null })])).toBe(false);
  });

  it("a step's work order completed or failed by a person's key; a coding agent's, or one of unknown finisher: no person", () => {
    const escalated = { kind: 'escalate', runs_as: 'escalate', work_order_id: 'wo-1' } as const;
    const by = (finishedByRole?: string) => ({ body: { outcome: 'completed' }, by: 'work order wo-1', finishedByRole });
    expect(personActedIn(automatic, [step({ ...escalated, output: by('operator') })])).toBe(true);
    expect(personActedIn(automatic, [step({ ...escalated, status: 'failed', output: by('admin') })])).toBe(true);
    expect(personActedIn(automatic, [step({ ...escalated, output: by('agent') })])).toBe(false);
    expect(personActedIn(automatic, [step({ ...escalated, output: by() })])).toBe(false);
    expect(personActedIn(automatic, [step({ ...escalated, status: 'running', output: null })])).toBe(false);
  });
});
