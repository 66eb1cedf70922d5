import { describe, expect, it } from '@jest/globals';
import type { Notice } from '../notice.js';
import { quietUntil, ruleTakes } from './rule-match.js';
import type { RuleView } from './rule.view.js';

const rule = (r: Partial<RuleView> = {}): RuleView => ({
  name: 'oncall',
  channel: 'slack',
  events: ['run.failed'],
  minSeverity: 'low',
  agents: null,
  capabilities: null,
  quietHours: null,
  repeatIntervalMs: 0,
  afterMs: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...r,
});

const notice = (n: Partial<Notice> = {}): Notice => ({
  event: 'run.failed',
  severity: 'high',
  title: 'Recovery run failed',
  summary: 'step restart failed',
  subjectKey: 'fault:p1:agent-7:',
  subject: { type: 'run', id: 'r1' },
  agentId: 'agent-7',
  capability: 'billing',
  facts: [],
  links: [],
  occurredAt: '2026-01-05T10:00:00Z',
  ...n,
});

const now = new Date('2026-01-05T10:00:00Z'); // a monday

describe('which rules take a notice', () => {
  it('matches the event, and never a test message', () => {
    expect(ruleTakes(rule(), notice(), now)).toBe(true);
    expect(ruleTakes(rule({ events: ['run.rolled_back'] }), notice(), now)).toBe(false);
    expect(ruleTakes(rule(), notice({ event: 'test' }), now)).toBe(false);
  });

  it('takes the minimum severity and above', () => {
    expect(ruleTakes(rule({ minSeverity: 'high' }), notice({ severity: 'high' }), now)).toBe(true);
    expect(ruleTakes(rule({ minSeverity: 'high' }), notice({ severity: 'critical' }), now)).toBe(true);
    expect(ruleTakes(rule({ minSeverity: 'high' }), notice({ severity: 'medium' }), now)).toBe(false);
  });

  it('filters by agent and capability when the rule names any', () => {
    expect(ruleTakes(rule({ agents: ['agent-7'] }), notice(), now)).toBe(true);
    expect(ruleTakes(rule({ agents: ['agent-8'] }), notice(), now)).toBe(false);
    expect(ruleTakes(rule({ agents: ['agent-7'] }), notice({ agentId: null }), now)).toBe(false);
    expect(ruleTakes(rule({ capabilities: ['billing'] }), notice(), now)).toBe(true);
    expect(ruleTakes(rule({ capabilities: ['search'] }), notice(), now)).toBe(false);
  });

  it('lets a notice about the whole tenant through every agent and capability filter, and no other without them', () => {
    const tenantWide = notice({ event: 'killswitch.changed', agentId: null, capability: null, tenantWide: true });
    const filtered = { events: ['killswitch.changed' as const], agents: ['agent-7'], capabilities: ['billing'] };
    expect(ruleTakes(rule(filtered), tenantWide, now)).toBe(true);
    expect(ruleTakes(rule({ ...filtered, agents: null }), tenantWide, now)).toBe(true);
    expect(ruleTakes(rule({ ...filtered, capabilities: null }), tenantWide, now)).toBe(true);
    // Not said to be about the whole tenant: an agent or capability it lacks is not known, and matches no filter.
    const unknown = { ...tenantWide, tenantWide: undefined };
    expect(ruleTakes(rule({ ...filtered, capabilities: null }), unknown, now)).toBe(false);
    expect(ruleTakes(rule({ ...filtered, agents: null }), unknown, now)).toBe(false);
    // An agent's own kill switch: its agent filter applies; which capabilities it stops is not known.
    const agentSwitch = notice({ event: 'killswitch.changed', agentId: 'agent-7', capability: null });
    expect(ruleTakes(rule({ ...filtered, capabilities: null }), agentSwitch, now)).toBe(true);
    expect(ruleTakes(rule({ ...filtered, agents: ['agent-8'], capabilities: null }), agentSwitch, now)).toBe(false);
    // Still its event and severity.
    expect(ruleTakes(rule({ ...filtered, events: ['run.failed'] }), tenantWide, now)).toBe(false);
    expect(ruleTakes(rule({ ...filtered, minSeverity: 'critical' }), tenantWide, now)).toBe(false);
  });

  it('tells of a waiting review only once it has waited afterMs (30 minutes by default)', () => {
    const waiting = (minutes: number) =>
      notice({ event: 'review.waiting', waitingSince: new Date(now.getTime() - minutes * 60_000).toISOString() });
    const reviews = rule({ events: ['review.waiting'] });
    expect(ruleTakes(reviews, waiting(29), now)).toBe(false);
    expect(ruleTakes(reviews, waiting(30), now)).toBe(true);
    expect(ruleTakes({ ...reviews, afterMs: 5 * 60_000 }, waiting(6), now)).toBe(true);
  });
});

describe('quiet hours', () => {
  it('hold a message until they end, in their own time zone', () => {
    const nightly = rule({
      quietHours: {
        days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
        from: '22:00',
        to: '07:00',
        timeZone: 'Europe/Berlin',
      },
    });
    // 23:30 in Berlin (22:30Z in winter): held until 07:00 Berlin = 06:00Z.
    expect(quietUntil(nightly, new Date('2026-01-05T22:30:00Z'))?.toISOString()).toBe('2026-01-06T06:00:00.000Z');
    expect(quietUntil(nightly, new Date('2026-01-05T12:00:00Z'))).toBeNull();
    expect(quietUntil(rule(), now)).toBeNull();
  });
});
