import { APP_CONFIG, type AppConfig } from '../platform/config/config.js';
import { loadPlaybookCatalog, type PlaybookCatalog } from './recovery/playbook-catalog.js';
import { PlaybookRecoveryGenerator, type RecoveryGenerator } from './recovery/recovery-generator.js';

export const PLAYBOOK_CATALOG = Symbol('PLAYBOOK_CATALOG');
export const RECOVERY_GENERATOR = Symbol('RECOVERY_GENERATOR');

export const playbookProviders = [
  // Loaded and validated once at start-up: a broken catalog stops the app.
  {
    provide: PLAYBOOK_CATALOG,
    useFactory: (config: AppConfig): PlaybookCatalog => loadPlaybookCatalog(config.playbookCatalogPath ?? undefined),
    inject: [APP_CONFIG],
  },
  // The one place to plug in another generator (an LLM-backed one, behind configuration).
  {
    provide: RECOVERY_GENERATOR,
    useFactory: (c: PlaybookCatalog): RecoveryGenerator => new PlaybookRecoveryGenerator(c),
    inject: [PLAYBOOK_CATALOG],
  },
];
