import { describe, expect, it } from '@jest/globals';
import {
  RecoveryRunFinished,
  type RecoveryRunFinishedProps,
} from '../../../self-healing/events/recovery-run-finished.event.js';
import { runEventOf } from './notices.js';

const finished = (over: Partial<RecoveryRunFinishedProps>) =>
  new RecoveryRunFinished({
    tenantId: 't',
    runId: 'r',
    incidentId: null,
    recoveryId: null,
    patternId: null,
    agentId: null,
    capability: null,
    playbook: 'p',
    outcome: 'failed',
    automatic: true,
    reason: null,
    rollbackFailed: false,
    timedOut: false,
    ...over,
  });

describe('runEventOf', () => {
  it.each([
    ['a failure', { outcome: 'failed' }, 'run.failed'],
    ['a rolled-back failure', { outcome: 'rolled_back' }, 'run.rolled_back'],
    ["a step's deadline", { outcome: 'failed', timedOut: true }, 'run.timed_out'],
    ['a run nobody answered', { outcome: 'canceled', timedOut: true }, 'run.timed_out'],
    ["an operator's cancel", { outcome: 'canceled' }, null],
    ['a canceled run whose rollback failed', { outcome: 'canceled', rollbackFailed: true }, 'run.rollback_failed'],
    ['a timeout whose rollback failed', { outcome: 'rollback_failed', timedOut: true }, 'run.rollback_failed'],
    ['a verified run', { outcome: 'succeeded' }, null],
    [
      'an event stored before timedOut, by its reason',
      { outcome: 'failed', timedOut: undefined, reason: 'timed_out: x' },
      'run.timed_out',
    ],
  ] as const)('%s', (_what, over, event) => {
    expect(runEventOf(finished(over as Partial<RecoveryRunFinishedProps>))).toBe(event);
  });
});
