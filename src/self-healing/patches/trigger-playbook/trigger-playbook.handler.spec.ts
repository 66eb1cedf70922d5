import { describe, expect, it } from '@jest/globals';
import type { RunPhase, RunStatus, StepRow } from '../../runs/run.view.js';
import { settled } from './trigger-playbook.handler.js';

const run = (phase: RunPhase, status: RunStatus) => ({ phase, status });
const escalated = [{ work_order_id: '0190a0a0-0000-7000-8000-000000000001' } as StepRow];

describe('when POST /patches/trigger stops waiting for its run', () => {
  it('answers once the run escalated, finished, is verifying or waits for a person', () => {
    expect(settled(run('verify', 'verifying'), [])).toBe(true);
    expect(settled(run('watch', 'verifying'), [])).toBe(true);
    expect(settled(run('done', 'succeeded'), [])).toBe(true);
    expect(settled(run('steps', 'awaiting_operator'), [])).toBe(true);
    expect(settled(run('steps', 'awaiting_patch'), escalated)).toBe(true);
  });

  it('waits while the run is still under way', () => {
    expect(settled(run('steps', 'running'), [])).toBe(false);
    expect(settled(run('steps', 'queued'), [])).toBe(false);
    expect(settled(run('steps', 'awaiting_patch'), [])).toBe(false); // its work order not yet made
    expect(settled(run('rollback', 'running'), [])).toBe(false);
  });
});
