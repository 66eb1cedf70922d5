import { APP_CONFIG, ConfigError, type AppConfig } from '../platform/config/config.js';
import { loadPlaybookCatalog, PlaybookCatalogFileError, type PlaybookCatalog } from './recovery/playbook-catalog.js';
import { PlaybookRecoveryGenerator, type RecoveryGenerator } from './recovery/recovery-generator.js';

export const PLAYBOOK_CATALOG = Symbol('PLAYBOOK_CATALOG');
export const RECOVERY_GENERATOR = Symbol('RECOVERY_GENERATOR');

/**
 * PLAYBOOK_CATALOG_PATH's file, read and validated before anything starts (startApp calls this
 * before the database): one it cannot use is a ConfigError naming the variable, the path and what
 * is wrong, which the entry point prints as one line with exit 78, as for any bad variable.
 * (The shipped catalog is not checked here: it is part of the build, and its specs load it.)
 */
export function checkPlaybookCatalogPath(config: AppConfig): void {
  if (config.playbookCatalogPath === null) return;
  try {
    loadPlaybookCatalog(config.playbookCatalogPath);
  } catch (err) {
    if (!(err instanceof PlaybookCatalogFileError)) throw err;
    // One line whatever the parser said (a JSON error's message is, but the text is not ours).
    throw new ConfigError('PLAYBOOK_CATALOG_PATH', `file ${err.path} ${err.problem.replace(/\s*\n\s*/g, ' ')}`);
  }
}

export const playbookProviders = [
  // Loaded and validated once the app is built (a PLAYBOOK_CATALOG_PATH checked before the database already).
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
