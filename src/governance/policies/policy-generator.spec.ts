import { describe, expect, it } from '@jest/globals';
import { CelProgramCache, MAX_CONDITION_LENGTH, evaluateCondition, validateCondition } from './cel.js';
import { generatePolicy, type PolicyGenerationInput } from './policy-generator.js';

// Playbooks as bridge 3 hands them over (their policy blocks as config/playbooks.json ships them).
const playbooks: Record<string, PolicyGenerationInput['playbook']> = {
  backoff_and_route_away: {
    id: 'backoff_and_route_away',
    name: 'Back off and route away',
    policy: { category: 'routing', action: 'route_away' },
  },
  code_patch: { id: 'code_patch', name: 'Code patch', policy: { category: 'safety', action: 'block' } },
  retry_with_backoff: {
    id: 'retry_with_backoff',
    name: 'Retry with exponential backoff',
    policy: { category: 'operational', action: 'warn' },
  },
};

const input = (
  over: {
    pattern?: Partial<PolicyGenerationInput['pattern']>;
    recovery?: Partial<PolicyGenerationInput['recovery']>;
    playbookId?: string;
    tenantId?: string;
  } = {},
): PolicyGenerationInput => {
  const playbookId = over.playbookId ?? 'backoff_and_route_away';
  return {
    tenantId: over.tenantId ?? 't1',
    pattern: {
      id: 'pat-1',
      errorType: 'RateLimitError',
      template: 'rate limit exceeded for <*>',
      occurrenceCount: 5,
      affectedAgents: ['agent-a', 'agent-b'],
      capabilities: ['summarise'],
      ...over.pattern,
    },
    recovery: { id: 'rec-1', playbookId, confidence: 0.9, status: 'pending_review', ...over.recovery },
    playbook: playbooks[playbookId]!,
  };
};

const cache = new CelProgramCache();
const matches = (condition: string, request: Record<string, string>) =>
  evaluateCondition(cache, condition, { request }).matched;

describe('generatePolicy', () => {
  it('takes category and action from the playbook policy block', () => {
    expect(generatePolicy(input())).toMatchObject({ category: 'routing', action: 'route_away' });
    expect(generatePolicy(input({ playbookId: 'code_patch' }))).toMatchObject({ category: 'safety', action: 'block' });
    expect(generatePolicy(input({ playbookId: 'retry_with_backoff' }))).toMatchObject({
      category: 'operational',
      action: 'warn',
    });
  });

  it('writes a valid CEL condition that matches affected agents only', () => {
    const policy = generatePolicy(input());
    expect(policy.condition).toBe(
      'request.tenantId == "t1" && request.agentId in ["agent-a", "agent-b"] && request.capability == "summarise"',
    );
    expect(validateCondition(policy.condition)).toEqual({ ok: true });
    expect(matches(policy.condition, { tenantId: 't1', agentId: 'agent-b', capability: 'summarise' })).toBe(true);
    expect(matches(policy.condition, { tenantId: 't1', agentId: 'agent-z', capability: 'summarise' })).toBe(false);
    expect(matches(policy.condition, { tenantId: 't1', agentId: 'agent-a', capability: 'translate' })).toBe(false);
    expect(matches(policy.condition, { tenantId: 't2', agentId: 'agent-a', capability: 'summarise' })).toBe(false);
  });

  it('scopes to the agent when exactly one agent is affected, else to the tenant', () => {
    const one = generatePolicy(input({ pattern: { affectedAgents: ['agent-a', 'agent-a'], capabilities: [] } }));
    expect(one).toMatchObject({ scope: 'agent', scopeAgentId: 'agent-a' });
    expect(one.condition).toBe('request.tenantId == "t1" && request.agentId == "agent-a"');
    expect(matches(one.condition, { tenantId: 't1', agentId: 'agent-a', capability: 'anything' })).toBe(true);

    expect(generatePolicy(input())).toMatchObject({ scope: 'tenant', scopeAgentId: null });
    const none = generatePolicy(input({ pattern: { affectedAgents: [], capabilities: [] } }));
    expect(none).toMatchObject({ scope: 'tenant', scopeAgentId: null, condition: 'request.tenantId == "t1"' });
  });

  it('names the agents while they fit a condition; a pattern seen on more is the tenant’s (the loop never stops at bridge 3)', () => {
    const pods = (n: number) =>
      Array.from({ length: n }, (_, i) => `ingest-worker-7f9c4d-${String(i).padStart(8, '0')}`);
    const some = generatePolicy(input({ pattern: { affectedAgents: pods(100) } }));
    expect(some.condition).toContain('request.agentId in [');
    expect(some.condition.length).toBeLessThanOrEqual(MAX_CONDITION_LENGTH);
    // 150 pods' names would not fit: the agents are left out, the capability kept.
    const many = generatePolicy(input({ pattern: { affectedAgents: pods(150) } }));
    expect(many).toMatchObject({
      scope: 'tenant',
      scopeAgentId: null,
      condition: 'request.tenantId == "t1" && request.capability == "summarise"',
    });
    expect(many.description).toContain('all agents of the tenant (seen on 150 agents) for summarise');
    expect(validateCondition(many.condition)).toEqual({ ok: true });
    expect(matches(many.condition, { tenantId: 't1', agentId: 'a-new-pod', capability: 'summarise' })).toBe(true);
    // Capabilities too many as well: the tenant alone.
    const everything = generatePolicy(
      input({ pattern: { affectedAgents: pods(150), capabilities: pods(150).map((p) => `cap-${p}`) } }),
    );
    expect(everything.condition).toBe('request.tenantId == "t1"');
  });

  it('escapes quotes and backslashes so ids cannot break out of the string', () => {
    const evil = 'x" || true || "';
    const policy = generatePolicy(
      input({ tenantId: 'ten\\"ant', pattern: { affectedAgents: [evil], capabilities: ['c\\d'] } }),
    );
    expect(validateCondition(policy.condition)).toEqual({ ok: true });
    expect(matches(policy.condition, { tenantId: 'ten\\"ant', agentId: evil, capability: 'c\\d' })).toBe(true);
    expect(matches(policy.condition, { tenantId: 'ten\\"ant', agentId: 'someone-else', capability: 'c\\d' })).toBe(
      false,
    );
    expect(matches(policy.condition, { tenantId: 'ten\\"ant', agentId: 'x', capability: 'c\\d' })).toBe(false);
  });

  it('boosts confidence for an applied recovery and keeps it for a pending one', () => {
    expect(generatePolicy(input({ recovery: { confidence: 0.8, status: 'pending_review' } })).confidence).toBe(0.8);
    expect(generatePolicy(input({ recovery: { confidence: 0.8, status: 'applied' } })).confidence).toBe(0.9);
    expect(generatePolicy(input({ recovery: { confidence: 1.4, status: 'applied' } })).confidence).toBe(1);
  });

  it('is active only when confidence > 0.85 and the pattern occurred at least 3 times', () => {
    const status = (
      confidence: number,
      occurrenceCount: number,
      recoveryStatus: 'applied' | 'pending_review' = 'pending_review',
    ) =>
      generatePolicy(input({ recovery: { confidence, status: recoveryStatus }, pattern: { occurrenceCount } })).status;
    expect(status(0.85, 3)).toBe('draft');
    expect(status(0.851, 3)).toBe('active');
    expect(status(0.95, 2)).toBe('draft');
    expect(status(0.95, 3)).toBe('active');
    // 0.7 applied → exactly 0.85 (not 0.8500000000000001): still a draft.
    expect(status(0.7, 10, 'applied')).toBe('draft');
    expect(status(0.71, 10, 'applied')).toBe('active');
  });

  it('is deterministic and names the pattern', () => {
    const a = generatePolicy(input());
    expect(generatePolicy(input({ pattern: { affectedAgents: ['agent-b', 'agent-a'] } }))).toEqual(a);
    expect(a.name).toContain('pat-1');
    expect(a.description).toContain('rec-1');
  });
});
