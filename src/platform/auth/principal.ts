export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: string;
  keyName: string;
  tenantId: string;
  role: Role;
  platformAdmin: boolean;
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** How a principal appears in audit columns (flag history, decisions). */
export function actorOf(p: Principal): string {
  return `${p.keyName} (${p.keyId})`;
}
