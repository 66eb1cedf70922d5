import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// A playbook's policy hint for bridge 3 is written in governance's vocabulary.
import {
  POLICY_ACTIONS,
  POLICY_CATEGORIES,
  type PolicyAction,
  type PolicyCategory,
} from '../../governance/policies/policy.view.js';
import { onlyFields, validateStepList, type PlaybookStep } from './playbook-steps.js';

export interface PlaybookMatch {
  /** Error types this playbook is made for; compared case- and punctuation-insensitively. */
  errorTypes: string[];
  /** Lower-case phrases looked for at word starts in the message (and the split-up error type). */
  keywords: string[];
}

export interface Playbook {
  id: string;
  name: string;
  description: string;
  /** What a run executes, in order (DESIGN §8). */
  steps: PlaybookStep[];
  /** Checks run after the steps; a failed one fails the run. */
  verify: PlaybookStep[];
  /** Undo steps, run after a failure or a cancel. */
  rollback: PlaybookStep[];
  /** Parameters a suggestion starts from; a recovery template's params override them. */
  defaultParams: Record<string, unknown>;
  match: PlaybookMatch;
  policy: { category: PolicyCategory; action: PolicyAction };
  baseConfidence: number;
  /**
   * For an incident reported by monitoring (Alertmanager): the run's watch also waits for
   * monitoring to resolve it, and fails when the resolution does not come inside the window.
   */
  awaitResolution: boolean;
  /**
   * What a failed step does (DESIGN §13): `pause` waits for an operator to retry, skip or roll
   * back; `rollback` rolls back at once. Null: runs started by a person pause, automatic ones roll back.
   */
  onFailure: OnFailure | null;
}

export const ON_FAILURE = ['pause', 'rollback'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** What a failed step of this run does: the playbook's choice, else a person's run pauses and an automatic one rolls back. */
export const onFailureOf = (playbook: Playbook, automatic: boolean): OnFailure =>
  playbook.onFailure ?? (automatic ? 'rollback' : 'pause');

/**
 * A playbook with a canary step: its runs are also bounded by the canary guardrails (DESIGN §13).
 * The one answer for the decision to auto-apply (SuggestRecovery) and for the dry run (PlanRun).
 */
export const hasCanaryStep = (playbook: Playbook): boolean =>
  [...playbook.steps, ...playbook.verify, ...playbook.rollback].some((step) => step.kind === 'canary');

export interface PlaybookChoice {
  playbook: Playbook;
  /** How well the incident matched, in [0, 1]. See PlaybookCatalog.choose. */
  strength: number;
  /** The playbook keywords found in the message (for explanations and tests). */
  matchedKeywords: string[];
}

/** Strength given to the fallback playbook when no playbook matches at all. */
export const FALLBACK_STRENGTH = 0.2;
// Evidence weights combined in choose(); see there.
const EXACT_TYPE_EVIDENCE = 0.8;
const PARTIAL_TYPE_EVIDENCE = 0.5;

export class PlaybookCatalog {
  private readonly byId = new Map<string, Playbook>();

  constructor(
    playbooks: Playbook[],
    private readonly fallbackId: string,
  ) {
    for (const p of playbooks) this.byId.set(p.id, p);
    if (!this.byId.has(fallbackId)) throw new Error(`fallback playbook "${fallbackId}" is not in the catalog`);
  }

  get(id: string): Playbook | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Playbook[] {
    return [...this.byId.values()];
  }

  get fallback(): Playbook {
    return this.byId.get(this.fallbackId)!;
  }

  /**
   * Picks the playbook that best fits an incident.
   *
   * Two independent pieces of evidence are combined as a noisy-OR,
   * `strength = 1 − (1 − typeEvidence) × (1 − keywordEvidence)`:
   * - typeEvidence: 0.8 when the error type is one of the playbook's errorTypes,
   *   0.5 when a keyword appears in the split-up error type ("UpstreamTimeoutError"
   *   → "upstream timeout error"), else 0;
   * - keywordEvidence: `1 − 0.5^k` for k distinct keywords found in the message.
   * So an exact type plus one keyword gives 0.9, a keyword alone 0.5. Ties go to the
   * playbook listed first in the catalog. With no evidence at all the fallback playbook
   * is returned with FALLBACK_STRENGTH.
   */
  choose(errorType: string, message: string): PlaybookChoice {
    const type = normaliseType(errorType);
    const typeWords = humanise(errorType);
    const text = ` ${String(message ?? '').toLowerCase()} `;

    let best: PlaybookChoice | null = null;
    for (const playbook of this.byId.values()) {
      let typeEvidence = 0;
      if (type && playbook.match.errorTypes.some((t) => normaliseType(t) === type)) typeEvidence = EXACT_TYPE_EVIDENCE;
      else if (playbook.match.keywords.some((k) => containsWordStart(typeWords, k)))
        typeEvidence = PARTIAL_TYPE_EVIDENCE;

      const matchedKeywords = playbook.match.keywords.filter((k) => containsWordStart(text, k));
      const keywordEvidence = 1 - 0.5 ** matchedKeywords.length;

      const strength = 1 - (1 - typeEvidence) * (1 - keywordEvidence);
      if (strength > 0 && (!best || strength > best.strength)) best = { playbook, strength, matchedKeywords };
    }
    return best ?? { playbook: this.fallback, strength: FALLBACK_STRENGTH, matchedKeywords: [] };
  }
}

/** "CUDA_OutOfMemory-Error" → "cudaoutofmemoryerror": error types compare on letters and digits only. */
function normaliseType(s: string): string {
  return String(s ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** "CUDAOutOfMemoryError" / "out_of_memory" → " cuda out of memory error " so keywords can be found in it. */
function humanise(s: string): string {
  const spaced = String(s ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[^A-Za-z0-9]+/g, ' ');
  return ` ${spaced.toLowerCase()} `;
}

// A keyword must start a word ("oom" matches "OOM killed", not "room") but may be a
// prefix ("deserializ" matches "deserialization").
function containsWordStart(text: string, keyword: string): boolean {
  const k = keyword.toLowerCase();
  let i = text.indexOf(k);
  while (i !== -1) {
    if (i === 0 || !/[a-z0-9]/.test(text[i - 1]!)) return true;
    i = text.indexOf(k, i + 1);
  }
  return false;
}

/** Where the shipped catalog lives: the nearest `config/playbooks.json` above this module (works from src/ and dist/), else under the working directory. */
export function defaultPlaybookCatalogPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'config', 'playbooks.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(process.cwd(), 'config', 'playbooks.json');
}

/** A catalog file that cannot be used; `problem` says what is wrong with it (without its path). */
export class PlaybookCatalogFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`playbook catalog ${path} ${problem}`, options);
  }
}

/** What a failed read of the catalog says, in words rather than Node's `ENOENT: …, open '<path>'`. */
function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EISDIR') return 'is a folder, not a file';
  if (code === 'EACCES' || code === 'EPERM') return `cannot be read by this user (uid ${process.getuid?.() ?? '?'})`;
  return `cannot be read: ${(err as Error).message}`;
}

/** Reads and validates a catalog file. Throws a PlaybookCatalogFileError naming the file, playbook and field at fault. */
export function loadPlaybookCatalog(path: string = defaultPlaybookCatalogPath()): PlaybookCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlaybookCatalogFileError(path, unreadable(err), { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PlaybookCatalogFileError(path, `is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parsePlaybookCatalog(data);
  } catch (err) {
    throw new PlaybookCatalogFileError(path, `is not a valid catalog: ${(err as Error).message}`, { cause: err });
  }
}

/** Validates already-parsed catalog JSON: `{ fallbackPlaybookId?, playbooks: [...] }`. */
export function parsePlaybookCatalog(data: unknown): PlaybookCatalog {
  if (!isObject(data)) throw new Error('the catalog must be a JSON object');
  onlyFields(data, ['version', 'fallbackPlaybookId', 'playbooks'], '', 'the catalog', (field, rule) => {
    throw new Error(`field "${field}" ${rule}`);
  });
  if (!Array.isArray(data.playbooks) || data.playbooks.length === 0) {
    throw new Error('field "playbooks" must be a non-empty array');
  }
  const playbooks: Playbook[] = [];
  const seen = new Set<string>();
  data.playbooks.forEach((raw: unknown, index: number) => {
    const p = validatePlaybook(raw, index);
    if (seen.has(p.id)) throw new Error(`playbook "${p.id}" (index ${index}): duplicate id`);
    seen.add(p.id);
    playbooks.push(p);
  });

  const fallbackId = data.fallbackPlaybookId ?? 'investigate';
  if (typeof fallbackId !== 'string' || !seen.has(fallbackId)) {
    throw new Error(
      `field "fallbackPlaybookId" must name a playbook in the catalog (got ${JSON.stringify(fallbackId)})`,
    );
  }
  return new PlaybookCatalog(playbooks, fallbackId);
}

const PLAYBOOK_FIELDS = [
  'id',
  'name',
  'description',
  'defaultParams',
  'steps',
  'verify',
  'rollback',
  'match',
  'policy',
  'baseConfidence',
  'awaitResolution',
  'onFailure',
];

function validatePlaybook(raw: unknown, index: number): Playbook {
  const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
  const where = id ? `playbook "${id}" (index ${index})` : `playbook at index ${index}`;
  const fail = (field: string, rule: string): never => {
    throw new Error(`${where}: field "${field}" ${rule}`);
  };
  if (!isObject(raw)) throw new Error(`${where}: must be an object`);

  onlyFields(raw, PLAYBOOK_FIELDS, '', 'a playbook', fail);
  if (!id || !/^[a-z][a-z0-9_]*$/.test(id)) fail('id', 'must be a snake_case string');
  const name = nonEmptyString(raw.name) ?? fail('name', 'must be a non-empty string');
  const description = nonEmptyString(raw.description) ?? fail('description', 'must be a non-empty string');

  if (raw.defaultParams !== undefined && !isObject(raw.defaultParams)) fail('defaultParams', 'must be an object');
  const paramNames = new Set(Object.keys((raw.defaultParams as Record<string, unknown> | undefined) ?? {}));
  const stepIds = new Set<string>();
  const steps = validateStepList(raw.steps, 'steps', paramNames, stepIds, fail);
  const verify = validateStepList(raw.verify, 'verify', paramNames, stepIds, fail);
  const rollback = validateStepList(raw.rollback, 'rollback', paramNames, stepIds, fail);
  // One trial per run, among its steps: a run holds its canary until it ends (ADR 0018), so a second
  // canary, or one in the rollback, could wait for a canary another such run holds, each for ever.
  for (const [list, items] of [
    ['verify', verify],
    ['rollback', rollback],
  ] as const)
    items.forEach(
      (step, i) => step.kind === 'canary' && fail(`${list}[${i}].kind`, 'canary is only for the steps list'),
    );
  const canaries = steps.flatMap((step, i) => (step.kind === 'canary' ? [i] : []));
  if (canaries.length > 1) fail(`steps[${canaries[1]}].kind`, 'canary: a playbook has one canary step at most');

  const match = raw.match;
  if (!isObject(match)) fail('match', 'must be an object with errorTypes and keywords');
  const m = match as Record<string, unknown>;
  onlyFields(m, ['errorTypes', 'keywords'], 'match', 'match', fail);
  if (!isStringArray(m.errorTypes)) fail('match.errorTypes', 'must be an array of non-empty strings');
  if (!isStringArray(m.keywords)) fail('match.keywords', 'must be an array of non-empty strings');

  const policy = raw.policy;
  if (!isObject(policy)) fail('policy', 'must be an object with category and action');
  const pol = policy as Record<string, unknown>;
  onlyFields(pol, ['category', 'action'], 'policy', 'policy', fail);
  if (!(POLICY_CATEGORIES as readonly unknown[]).includes(pol.category)) {
    fail('policy.category', `must be one of ${POLICY_CATEGORIES.join(', ')}`);
  }
  if (!(POLICY_ACTIONS as readonly unknown[]).includes(pol.action)) {
    fail('policy.action', `must be one of ${POLICY_ACTIONS.join(', ')}`);
  }

  const base = raw.baseConfidence;
  if (typeof base !== 'number' || !Number.isFinite(base) || base < 0 || base > 1) {
    fail('baseConfidence', 'must be a number in [0, 1]');
  }
  if (raw.awaitResolution !== undefined && typeof raw.awaitResolution !== 'boolean')
    fail('awaitResolution', 'must be true or false');
  if (raw.onFailure !== undefined && !(ON_FAILURE as readonly unknown[]).includes(raw.onFailure))
    fail('onFailure', `must be one of ${ON_FAILURE.join(', ')}`);

  return {
    id: id!,
    name,
    description,
    steps,
    verify,
    rollback,
    defaultParams: { ...((raw.defaultParams as Record<string, unknown> | undefined) ?? {}) },
    match: {
      errorTypes: [...(m.errorTypes as string[])],
      // Keywords are matched against lower-cased text.
      keywords: (m.keywords as string[]).map((k) => k.toLowerCase()),
    },
    policy: { category: pol.category as PolicyCategory, action: pol.action as PolicyAction },
    baseConfidence: base as number,
    awaitResolution: raw.awaitResolution === true,
    onFailure: (raw.onFailure as OnFailure | undefined) ?? null,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => nonEmptyString(s) !== undefined);
}
