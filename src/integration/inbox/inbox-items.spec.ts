import { describe, expect, it } from '@jest/globals';
import type { PolicyView } from '../../governance/policies/policy.view.js';
import { fromDraftPolicy, withIncidentPriority, type WaitingItem } from './inbox-items.js';

describe('inbox item titles', () => {
  const draft = (name: string) =>
    fromDraftPolicy({ id: 'p1', name, createdAt: '2026-12-06T00:00:00.000Z' } as PolicyView);

  it('cuts a long title to 200 characters with an ellipsis', () => {
    const title = draft('x'.repeat(300)).title;
    expect(title).toHaveLength(200);
    expect(title.endsWith('x…')).toBe(true);
  });

  it('never cuts in the middle of a surrogate pair (half an emoji is stored as U+FFFD, and audited)', () => {
    const prefix = 'Draft policy waits for activation: ';
    // The emoji's first half falls on the last character kept.
    const name = 'x'.repeat(199 - prefix.length - 1) + '🔥' + 'y'.repeat(50);
    const title = draft(name).title;
    expect(title).toBe(prefix + 'x'.repeat(199 - prefix.length - 1) + '…');
    expect(/[\ud800-\udfff]/.test(title)).toBe(false);
  });
});

describe('a review’s and a held recovery’s priority', () => {
  const item = (kind: WaitingItem['kind'], subjectType: string, incidentIds: string[]): WaitingItem => ({
    id: `${kind}:s1`,
    kind,
    title: 't',
    subject: { type: subjectType, id: 's1' } as WaitingItem['subject'],
    priority: 'medium',
    createdAt: '2026-12-07T00:00:00.000Z',
    deadline: null,
    link: '/console',
    incidentIds,
    agentId: null,
    capability: null,
  });
  const open = new Map([
    ['i-low', 'low'],
    ['i-high', 'high'],
    ['i-critical', 'critical'],
  ]);

  it('is the highest severity of its open incidents', () => {
    expect(withIncidentPriority(item('review', 'pattern', ['i-low', 'i-high']), open).priority).toBe('high');
    expect(withIncidentPriority(item('review', 'pattern', ['i-low']), open).priority).toBe('low');
    expect(withIncidentPriority(item('guardrail_hold', 'recovery', ['i-critical']), open).priority).toBe('critical');
  });

  it('leaves out incidents that are not open (resolved, or not found), and is medium when none is', () => {
    expect(withIncidentPriority(item('review', 'pattern', ['i-gone', 'i-low']), open).priority).toBe('low');
    expect(withIncidentPriority(item('review', 'pattern', ['i-gone']), open).priority).toBe('medium');
  });

  it('leaves what its pillar ranked as it is (a run held by the kill switch, a work order)', () => {
    const run = { ...item('guardrail_hold', 'run', ['i-critical']), priority: 'low' as const };
    expect(withIncidentPriority(run, open)).toBe(run);
    const order = { ...item('work_order', 'work_order', ['i-critical']), priority: 'low' as const };
    expect(withIncidentPriority(order, open)).toBe(order);
  });
});
