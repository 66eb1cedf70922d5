import type { FlagName } from '../config/config.js';

export interface FlagView {
  name: FlagName;
  /** What applies to the caller's tenant: tenant override, else global value, else env default. */
  enabled: boolean;
  globalEnabled: boolean;
  globalSource: 'default' | 'override';
  tenantOverride: boolean | null;
  updatedAt: string | null;
  updatedBy: string | null;
}
