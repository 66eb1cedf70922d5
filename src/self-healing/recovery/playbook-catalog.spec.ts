import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FALLBACK_STRENGTH,
  type PlaybookCatalog,
  defaultPlaybookCatalogPath,
  loadPlaybookCatalog,
  parsePlaybookCatalog,
} from './playbook-catalog.js';

const validPlaybook = (over: Record<string, unknown> = {}) => ({
  id: 'investigate',
  name: 'Investigate',
  description: 'Look into it',
  steps: [{ id: 'look', kind: 'manual', instruction: 'Look' }],
  match: { errorTypes: [], keywords: [] },
  policy: { category: 'custom', action: 'escalate' },
  baseConfidence: 0.5,
  ...over,
});

describe('shipped catalog (config/playbooks.json)', () => {
  let catalog: PlaybookCatalog;
  beforeAll(() => {
    catalog = loadPlaybookCatalog();
  });

  it('is found from the module and loads the required playbooks', () => {
    expect(defaultPlaybookCatalogPath()).toMatch(/config[\\/]playbooks\.json$/);
    const ids = catalog.all().map((p) => p.id);
    for (const id of [
      'retry_with_backoff',
      'backoff_and_route_away',
      'memory_cleanup',
      'data_fix',
      'reconnect',
      'code_patch',
    ]) {
      expect(ids).toContain(id);
    }
    expect(catalog.get('retry_with_backoff')?.policy).toEqual({ category: 'operational', action: 'warn' });
    expect(catalog.get('nope')).toBeUndefined();
  });

  it.each([
    ['TimeoutError', 'request to upstream timed out after 30000ms', 'retry_with_backoff'],
    ['Error', 'context deadline exceeded', 'retry_with_backoff'],
    ['UpstreamTimeoutError', 'no response', 'retry_with_backoff'],
    ['RateLimitError', 'rate limit exceeded for model gpt-x', 'backoff_and_route_away'],
    ['HTTPError', 'HTTP 429 Too Many Requests', 'backoff_and_route_away'],
    ['Error', 'monthly quota exhausted', 'backoff_and_route_away'],
    ['OutOfMemoryError', 'JavaScript heap out of memory', 'memory_cleanup'],
    ['RuntimeError', 'CUDA out of memory. Tried to allocate 2.00 GiB', 'memory_cleanup'],
    ['OOMKilled', 'container killed', 'memory_cleanup'],
    ['SchemaValidationError', 'payload does not match schema v3', 'data_fix'],
    ['Error', 'insert violates unique constraint "users_email_key"', 'data_fix'],
    ['DeserializationError', 'cannot deserialize field price', 'data_fix'],
    ['ConnectionError', 'connect ECONNREFUSED 10.0.0.12:5432', 'reconnect'],
    ['Error', 'write EPIPE: broken pipe', 'reconnect'],
    ['Error', 'getaddrinfo ENOTFOUND api.example.com (DNS lookup failed)', 'reconnect'],
    ['TypeError', "Cannot read properties of undefined (reading 'id')", 'code_patch'],
    ['NullPointerException', 'null reference in OrderService.total', 'code_patch'],
    ['AssertionError', 'assert failed: total >= 0', 'code_patch'],
  ])('%s "%s" → %s', (errorType, message, expected) => {
    const choice = catalog.choose(errorType, message);
    expect(choice.playbook.id).toBe(expected);
    expect(choice.strength).toBeGreaterThan(FALLBACK_STRENGTH);
    expect(choice.strength).toBeLessThanOrEqual(1);
  });

  it('scores exact type + keywords above keywords alone above type words alone', () => {
    const exactAndKeyword = catalog.choose('TimeoutError', 'the call timed out');
    const exactOnly = catalog.choose('TimeoutError', 'no details');
    const keywordOnly = catalog.choose('Error', 'the call timed out');
    expect(exactAndKeyword.strength).toBeCloseTo(0.9);
    expect(exactOnly.strength).toBeCloseTo(0.8);
    expect(keywordOnly.strength).toBeCloseTo(0.5);
    expect(exactAndKeyword.matchedKeywords).toEqual(['timed out']);
  });

  it('matches keywords only at word starts ("oom" is not in "room")', () => {
    const choice = catalog.choose('Error', 'no room left in the booking');
    expect(choice.playbook.id).toBe('investigate');
  });

  it('falls back to the investigate playbook with low strength when nothing matches', () => {
    const choice = catalog.choose('WeirdError', 'the flux capacitor hummed');
    expect(choice.playbook.id).toBe('investigate');
    expect(choice.strength).toBe(FALLBACK_STRENGTH);
    expect(choice.matchedKeywords).toEqual([]);
  });
});

describe('catalog validation', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'playbooks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('loads a valid file from a given path', () => {
    const path = write('ok.json', { playbooks: [validPlaybook()] });
    const catalog = loadPlaybookCatalog(path);
    expect(catalog.all()).toHaveLength(1);
    expect(catalog.fallback.id).toBe('investigate');
    expect(catalog.get('investigate')?.defaultParams).toEqual({});
  });

  it('names the playbook and field that are wrong', () => {
    const path = write('bad-confidence.json', {
      playbooks: [validPlaybook(), validPlaybook({ id: 'retry', baseConfidence: 1.5 })],
    });
    expect(() => loadPlaybookCatalog(path)).toThrow(
      /bad-confidence\.json is not a valid catalog: playbook "retry" \(index 1\): field "baseConfidence"/,
    );
  });

  it.each([
    [
      'policy.action',
      validPlaybook({ id: 'x', policy: { category: 'custom', action: 'explode' } }),
      /playbook "x".*"policy\.action" must be one of block, warn, escalate, route_away/,
    ],
    [
      'policy.category',
      validPlaybook({ id: 'x', policy: { category: 'fun', action: 'warn' } }),
      /playbook "x".*"policy\.category"/,
    ],
    ['steps', validPlaybook({ id: 'x', steps: [] }), /playbook "x".*"steps"/],
    [
      'match.keywords',
      validPlaybook({ id: 'x', match: { errorTypes: [], keywords: [1] } }),
      /playbook "x".*"match\.keywords"/,
    ],
    ['name', validPlaybook({ id: 'x', name: '' }), /playbook "x".*"name"/],
    ['id', validPlaybook({ id: 42 }), /playbook at index 1.*"id"/],
    // A misspelt field would be dropped, and its default used: refused, at every level.
    [
      'playbook field (onfailure)',
      validPlaybook({ id: 'x', onfailure: 'rollback' }),
      /playbook "x".*field "onfailure" is not a field of a playbook \(its fields: id, name, .*onFailure\)/,
    ],
    [
      'step field (timeout)',
      validPlaybook({ id: 'x', steps: [{ id: 'a', kind: 'manual', instruction: 'do it', timeout: 600000 }] }),
      /playbook "x".*field "steps\[0\]\.timeout" is not a field of a step/,
    ],
    [
      'match field',
      validPlaybook({ id: 'x', match: { errorTypes: [], keywords: [], errorType: ['Oops'] } }),
      /playbook "x".*field "match\.errorType" is not a field of match/,
    ],
    [
      'policy field',
      validPlaybook({ id: 'x', policy: { category: 'custom', action: 'warn', severity: 'high' } }),
      /playbook "x".*field "policy\.severity" is not a field of policy/,
    ],
  ])('rejects a bad %s', (_field, bad, message) => {
    expect(() => parsePlaybookCatalog({ playbooks: [validPlaybook(), bad] })).toThrow(message);
  });

  it('takes one canary step at most, among the steps only (ADR 0018)', () => {
    // The shipped tune_config's canary step, as the catalog file has it.
    const file = JSON.parse(readFileSync(defaultPlaybookCatalogPath(), 'utf8')) as {
      playbooks: Array<{ id: string; steps: Array<Record<string, unknown>> }>;
    };
    const raw = file.playbooks.find((p) => p.id === 'tune_config')!.steps.find((step) => step.kind === 'canary')!;
    const tune = (over: Record<string, unknown>) => validPlaybook({ id: 'tune', ...over });
    expect(() => parsePlaybookCatalog({ playbooks: [validPlaybook(), tune({ steps: [raw] })] })).not.toThrow();
    expect(() =>
      parsePlaybookCatalog({ playbooks: [validPlaybook(), tune({ steps: [raw, { ...raw, id: 'again' }] })] }),
    ).toThrow(/playbook "tune".*field "steps\[1\]\.kind" canary: a playbook has one canary step at most/);
    expect(() =>
      parsePlaybookCatalog({
        playbooks: [
          validPlaybook(),
          tune({ steps: [{ id: 'look2', kind: 'manual', instruction: 'Look' }], rollback: [raw] }),
        ],
      }),
    ).toThrow(/playbook "tune".*field "rollback\[0\]\.kind" canary is only for the steps list/);
  });

  it('rejects duplicate ids, a missing fallback, bad JSON and a missing file', () => {
    expect(() => parsePlaybookCatalog({ playbooks: [validPlaybook(), validPlaybook()] })).toThrow(
      /"investigate".*duplicate id/,
    );
    expect(() => parsePlaybookCatalog({ fallbackPlaybookId: 'ghost', playbooks: [validPlaybook()] })).toThrow(
      /fallbackPlaybookId/,
    );
    expect(() => parsePlaybookCatalog({ playbooks: [] })).toThrow(/"playbooks" must be a non-empty array/);
    expect(() => parsePlaybookCatalog({ fallbackPlaybook: 'investigate', playbooks: [validPlaybook()] })).toThrow(
      /field "fallbackPlaybook" is not a field of the catalog/,
    );
    expect(() => loadPlaybookCatalog(write('broken.json', '{ "playbooks": ['))).toThrow(
      /broken\.json is not valid JSON/,
    );
    expect(() => loadPlaybookCatalog(join(dir, 'missing.json'))).toThrow(/catalog .*missing\.json does not exist$/);
    expect(() => loadPlaybookCatalog(dir)).toThrow(/is a folder, not a file$/);
  });
});
