import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadPlaybookCatalog, type PlaybookCatalog } from './playbook-catalog.js';
import {
  PlaybookRecoveryGenerator,
  UnknownPlaybookError,
  instantiateTemplate,
  shouldAutoApply,
  suggestRecovery,
  type RecoveryGenerator,
  type RecoveryPatternInput,
} from './recovery-generator.js';

const pattern = (over: Partial<RecoveryPatternInput> = {}): RecoveryPatternInput => ({
  id: 'pat-1',
  errorType: 'TimeoutError',
  template: 'request to <*> timed out after <*>ms',
  occurrenceCount: 4,
  recoveryTemplate: null,
  recoverySuccessRate: null,
  ...over,
});
const incident = { message: 'request to billing timed out after 3000ms', agentId: 'agent-a', capability: 'invoice' };

describe('recovery generation', () => {
  let catalog: PlaybookCatalog;
  let generator: PlaybookRecoveryGenerator;
  beforeAll(() => {
    catalog = loadPlaybookCatalog();
    generator = new PlaybookRecoveryGenerator(catalog);
  });

  it('generates from the catalog with confidence = match strength × baseConfidence', () => {
    const s = generator.generate(pattern(), incident);
    const retry = catalog.get('retry_with_backoff')!;
    expect(s.playbookId).toBe('retry_with_backoff');
    expect(s.action).toBe(retry.name);
    expect(s.steps).toEqual(retry.steps.map((step) => step.instruction));
    expect(s.params).toEqual(retry.defaultParams);
    expect(s.suggestionType).toBe('generated');
    // exact type (0.8) + one keyword (0.5) → strength 0.9; × 0.95
    expect(s.confidence).toBeCloseTo(0.9 * retry.baseConfidence, 4);
  });

  it('falls back to a low-confidence suggestion when nothing matches', () => {
    const s = generator.generate(pattern({ errorType: 'Mystery' }), { message: 'something odd' });
    expect(s.playbookId).toBe('investigate');
    expect(s.confidence).toBeLessThan(0.2);
  });

  it('instantiates a template with the past success rate as confidence', () => {
    const s = instantiateTemplate(
      catalog,
      pattern({
        recoveryTemplate: { playbookId: 'reconnect', params: { host: 'db-{{agentId}}', maxReconnectAttempts: 9 }, confidence: 0.5 },
        recoverySuccessRate: 0.97,
      }),
      incident,
    );
    expect(s).toMatchObject({ playbookId: 'reconnect', suggestionType: 'template', confidence: 0.97 });
    // Template params override the playbook defaults; placeholders are filled from the incident.
    expect(s.params).toEqual({ maxReconnectAttempts: 9, reconnectDelayMs: 1000, host: 'db-agent-a' });
  });

  it('uses template confidence, then playbook baseConfidence, when there is no success rate', () => {
    const withConf = instantiateTemplate(catalog, pattern({ recoveryTemplate: { playbookId: 'data_fix', confidence: 0.42 } }), incident);
    expect(withConf.confidence).toBe(0.42);
    const bare = instantiateTemplate(catalog, pattern({ recoveryTemplate: { playbookId: 'data_fix' } }), incident);
    expect(bare.confidence).toBe(catalog.get('data_fix')!.baseConfidence);
    // A success rate of 0 is known (all rejected), not missing.
    const failed = instantiateTemplate(
      catalog,
      pattern({ recoveryTemplate: { playbookId: 'data_fix', confidence: 0.9 }, recoverySuccessRate: 0 }),
      incident,
    );
    expect(failed.confidence).toBe(0);
  });

  it('throws UnknownPlaybookError naming the playbook', () => {
    const p = pattern({ recoveryTemplate: { playbookId: 'summon_wizard' } });
    expect(() => instantiateTemplate(catalog, p, incident)).toThrow(UnknownPlaybookError);
    expect(() => instantiateTemplate(catalog, p, incident)).toThrow(/summon_wizard/);
  });

  it('suggestRecovery prefers the template and otherwise asks the generator', async () => {
    let calls = 0;
    const counting: RecoveryGenerator = {
      generate: async (p, i) => {
        calls++;
        return generator.generate(p, i);
      },
    };
    const fromTemplate = await suggestRecovery(
      catalog,
      counting,
      pattern({ recoveryTemplate: { playbookId: 'memory_cleanup' }, recoverySuccessRate: 0.5 }),
      incident,
    );
    expect(fromTemplate.suggestionType).toBe('template');
    expect(calls).toBe(0);

    const generated = await suggestRecovery(catalog, counting, pattern(), incident);
    expect(generated.suggestionType).toBe('generated');
    expect(generated.playbookId).toBe('retry_with_backoff');
    expect(calls).toBe(1);
  });

  it('suggestRecovery rejects an unknown template playbook and a generator that invents one', async () => {
    await expect(
      suggestRecovery(catalog, generator, pattern({ recoveryTemplate: { playbookId: 'ghost' } }), incident),
    ).rejects.toBeInstanceOf(UnknownPlaybookError);
    const inventive: RecoveryGenerator = {
      generate: () => ({ playbookId: 'reboot_universe', action: 'x', steps: [], params: {}, suggestionType: 'generated', confidence: 2 }),
    };
    await expect(suggestRecovery(catalog, inventive, pattern(), incident)).rejects.toThrow(/reboot_universe/);
  });

  it('auto-applies only above 0.9 and only when the pattern allows it', () => {
    expect(shouldAutoApply({ confidence: 0.9 }, true)).toBe(false);
    expect(shouldAutoApply({ confidence: 0.9000001 }, true)).toBe(true);
    expect(shouldAutoApply({ confidence: 1 }, false)).toBe(false);
    expect(shouldAutoApply({ confidence: 0.5 }, true)).toBe(false);
  });
});
