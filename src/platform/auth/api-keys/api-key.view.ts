import type { Role } from '../principal.js';
import type { KeyRow } from './api-keys.repository.js';

export interface ApiKeyView {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  platformAdmin: boolean;
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const apiKeyView = (r: KeyRow): ApiKeyView => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  role: r.role,
  platformAdmin: r.platform_admin,
  keyPrefix: r.key_prefix,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});
