import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadPlaybookCatalog, type PlaybookCatalog } from './playbook-catalog.js';
import {
  PlaybookRecoveryGenerator,
  UnknownPlaybookError,
  instantiateTemplate,
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

  it('instantiates a template with its own confidence (the prior runs move it later)', () => {
    const s = instantiateTemplate(
      catalog,
      pattern({
        recoveryTemplate: {
          playbookId: 'reconnect',
          params: { host: 'db-{{agentId}}', maxReconnectAttempts: 9 },
          confidence: 0.5,
        },
      }),
      incident,
    );
    expect(s).toMatchObject({
      playbookId: 'reconnect',
      suggestionType: 'template',
      confidence: 0.5,
      confidenceFrom: 'template',
    });
    // Template params override the playbook defaults; placeholders are filled from the incident.
    expect(s.params).toEqual({ maxReconnectAttempts: 9, reconnectDelayMs: 1000, host: 'db-agent-a' });
  });

  it('uses template confidence, then playbook baseConfidence', () => {
    const withConf = instantiateTemplate(
      catalog,
      pattern({ recoveryTemplate: { playbookId: 'data_fix', confidence: 0.42 } }),
      incident,
    );
    expect(withConf.confidence).toBe(0.42);
    // A confidence of 0 is what the owner said, not missing.
    expect(
      instantiateTemplate(catalog, pattern({ recoveryTemplate: { playbookId: 'data_fix', confidence: 0 } }), incident)
        .confidence,
    ).toBe(0);
    const bare = instantiateTemplate(catalog, pattern({ recoveryTemplate: { playbookId: 'data_fix' } }), incident);
    expect(bare).toMatchObject({ confidence: catalog.get('data_fix')!.baseConfidence, confidenceFrom: 'playbook' });
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
      pattern({ recoveryTemplate: { playbookId: 'memory_cleanup' } }),
      incident,
    );
    expect(fromTemplate.suggestionType).toBe('template');
    expect(calls).toBe(0);

    const generated = await suggestRecovery(catalog, counting, pattern(), incident);
    expect(generated).toMatchObject({ suggestionType: 'generated', confidenceFrom: 'generator' });
    expect(generated.playbookId).toBe('retry_with_backoff');
    expect(calls).toBe(1);
  });

  it('suggestRecovery rejects an unknown template playbook and a generator that invents one', async () => {
    await expect(
      suggestRecovery(catalog, generator, pattern({ recoveryTemplate: { playbookId: 'ghost' } }), incident),
    ).rejects.toBeInstanceOf(UnknownPlaybookError);
    const inventive: RecoveryGenerator = {
      generate: () => ({
        playbookId: 'reboot_universe',
        action: 'x',
        steps: [],
        params: {},
        suggestionType: 'generated',
        confidence: 2,
      }),
    };
    await expect(suggestRecovery(catalog, inventive, pattern(), incident)).rejects.toThrow(/reboot_universe/);
  });
});
