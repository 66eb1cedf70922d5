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
  /** Set when the request came with a console session: the stored SHA-256 of its token. */
  sessionHash?: string;
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

const KEY_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY_ID_LABEL = new RegExp(`^(?:${KEY_ID}|.*\\((${KEY_ID})\\))$`);

/** The API key id an actor names: the actor itself when it is one, the id in an actorOf label; else null. */
export function keyIdOfActor(actor: string): string | null {
  const match = KEY_ID_LABEL.exec(actor);
  return match ? (match[1] ?? actor) : null;
}
