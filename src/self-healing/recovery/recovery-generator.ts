import type { Playbook, PlaybookCatalog } from './playbook-catalog.js';

/** What a pattern's owner stored as "the fix for this pattern". */
export interface RecoveryTemplate {
  playbookId: string;
  params?: Record<string, unknown>;
  confidence?: number;
}

export interface RecoveryPatternInput {
  id: string;
  errorType: string;
  template: string;
  occurrenceCount: number;
  recoveryTemplate: RecoveryTemplate | null;
}

export interface RecoveryIncidentInput {
  message: string;
  agentId?: string | null;
  capability?: string | null;
}

export interface RecoverySuggestion {
  playbookId: string;
  /** The playbook's name. */
  action: string;
  /** The playbook steps' instructions, for a reviewer to read; a run executes the playbook itself. */
  steps: string[];
  params: Record<string, unknown>;
  suggestionType: 'template' | 'generated';
  /**
   * What is known before any run (the prior of the learning rule, ADR 0014): the template's
   * confidence, else the playbook's baseConfidence; for a generated one, match strength ×
   * baseConfidence. Runs and reviews then move it (src/self-healing/learning/).
   */
  confidence: number;
  /** Where that confidence came from. */
  confidenceFrom: 'template' | 'playbook' | 'generator';
}

/** Produces a suggestion for a pattern without a template. An LLM-backed generator may implement this later. */
export interface RecoveryGenerator {
  generate(
    pattern: RecoveryPatternInput,
    incident: RecoveryIncidentInput,
  ): Promise<Omit<RecoverySuggestion, 'confidenceFrom'>> | Omit<RecoverySuggestion, 'confidenceFrom'>;
}

/** A template or generator named a playbook the catalog does not have. */
export class UnknownPlaybookError extends Error {
  override readonly name = 'UnknownPlaybookError';
  constructor(readonly playbookId: string) {
    super(`unknown playbook "${playbookId}": it is not in the playbook catalog`);
  }
}

/**
 * The certainty auto-apply needs: the learning rule (ADR 0014) auto-applies a fix only when it is
 * this sure that the fix works at least RELIABILITY_FLOOR of the time.
 */
export const AUTO_APPLY_THRESHOLD = 0.9;

/**
 * Generates from the playbook catalog by error type and message keywords.
 * confidence = match strength (PlaybookCatalog.choose, in [0, 1]) × the playbook's baseConfidence,
 * so a perfect match is only as trusted as the playbook itself, and the fallback playbook
 * (strength 0.2) always lands in review.
 */
export class PlaybookRecoveryGenerator implements RecoveryGenerator {
  constructor(private readonly catalog: PlaybookCatalog) {}

  generate(pattern: RecoveryPatternInput, incident: RecoveryIncidentInput): Omit<RecoverySuggestion, 'confidenceFrom'> {
    const { playbook, strength } = this.catalog.choose(pattern.errorType, incident.message || pattern.template);
    return {
      ...fromPlaybook(playbook, {}),
      suggestionType: 'generated',
      confidence: clamp01(round4(strength * playbook.baseConfidence)),
    };
  }
}

/**
 * Builds a suggestion from the pattern's recovery template.
 * confidence = the template's own confidence (what its owner set), else the playbook's
 * baseConfidence: the prior; the pattern's runs move it (ADR 0014).
 * String params may use {{patternId}}, {{errorType}}, {{agentId}} and {{capability}}.
 */
export function instantiateTemplate(
  catalog: PlaybookCatalog,
  pattern: RecoveryPatternInput,
  incident: RecoveryIncidentInput,
): RecoverySuggestion {
  const template = pattern.recoveryTemplate;
  if (!template) throw new Error(`pattern ${pattern.id} has no recovery template`);
  const playbook = catalog.get(template.playbookId);
  if (!playbook) throw new UnknownPlaybookError(template.playbookId);

  const own = typeof template.confidence === 'number';
  const confidence = own ? template.confidence! : playbook.baseConfidence;
  const vars: Record<string, string> = {
    patternId: pattern.id,
    errorType: pattern.errorType,
    agentId: incident.agentId ?? '',
    capability: incident.capability ?? '',
  };
  const params = Object.fromEntries(
    Object.entries(template.params ?? {}).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace(/\{\{(\w+)\}\}/g, (all, name: string) => vars[name] ?? all) : v,
    ]),
  );
  return {
    ...fromPlaybook(playbook, params),
    suggestionType: 'template',
    confidence: clamp01(confidence),
    confidenceFrom: own ? 'template' : 'playbook',
  };
}

/**
 * Bridge 2's choice: the pattern's template when it has one, else the generator.
 * A generator's answer is checked against the catalog (an LLM may invent playbooks)
 * and its confidence clamped to [0, 1].
 */
export async function suggestRecovery(
  catalog: PlaybookCatalog,
  generator: RecoveryGenerator,
  pattern: RecoveryPatternInput,
  incident: RecoveryIncidentInput,
): Promise<RecoverySuggestion> {
  if (pattern.recoveryTemplate) return instantiateTemplate(catalog, pattern, incident);
  const suggestion = await generator.generate(pattern, incident);
  if (!catalog.has(suggestion.playbookId)) throw new UnknownPlaybookError(suggestion.playbookId);
  return { ...suggestion, confidence: clamp01(suggestion.confidence), confidenceFrom: 'generator' };
}

function fromPlaybook(playbook: Playbook, params: Record<string, unknown>) {
  return {
    playbookId: playbook.id,
    action: playbook.name,
    steps: playbook.steps.map((s) => s.instruction),
    params: { ...playbook.defaultParams, ...params },
  };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

// Keeps products like 0.9 × 0.95 free of float noise in stored values.
function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
