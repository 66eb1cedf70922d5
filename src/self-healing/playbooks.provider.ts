import { loadPlaybookCatalog, type PlaybookCatalog } from './recovery/playbook-catalog.js';
import { PlaybookRecoveryGenerator, type RecoveryGenerator } from './recovery/recovery-generator.js';

export const PLAYBOOK_CATALOG = Symbol('PLAYBOOK_CATALOG');
export const RECOVERY_GENERATOR = Symbol('RECOVERY_GENERATOR');

export const playbookProviders = [
  // Loaded and validated once at start-up: a broken config/playbooks.json stops the app.
  { provide: PLAYBOOK_CATALOG, useFactory: (): PlaybookCatalog => loadPlaybookCatalog() },
  // The one place to plug in another generator (an LLM-backed one, behind configuration).
  { provide: RECOVERY_GENERATOR, useFactory: (c: PlaybookCatalog): RecoveryGenerator => new PlaybookRecoveryGenerator(c), inject: [PLAYBOOK_CATALOG] },
];
