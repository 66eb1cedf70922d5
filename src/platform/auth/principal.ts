/** The ordered roles: each may do what the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** Outside the order: a coding agent's key, allowed only on routes marked @AllowAgent() (work orders). */
export const AGENT_ROLE = 'agent';
export const KEY_ROLES = [...ROLES, AGENT_ROLE] as const;
export type Role = (typeof KEY_ROLES)[number];

/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: string;
  keyName: string;
  tenantId: string;
  role: Role;
  platformAdmin: boolean;
}

/** `agent` is below every ordered role, so it passes no minimum. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  const rank = (r: Role) => (ROLES as readonly string[]).indexOf(r);
  return rank(role) >= 0 && rank(role) >= rank(minimum);
}

/** How a principal appears in audit columns (flag history, decisions). */
export function actorOf(p: Principal): string {
  return `${p.keyName} (${p.keyId})`;
}
