import type { ApiClient } from './api-client.js';
import { CliError } from './exit-codes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tail as lists print it (`…3f9a1c`), with or without the ellipsis; at least 4 hex digits. */
const TAIL = /^(?:…|\.\.\.)?([0-9a-f]{4,31})$/i;
/** How far back a tail is looked for: the newest this many of the kind. */
export const TAIL_SEARCH_DEPTH = 1000;

const LISTS = { run: '/runs', recovery: '/recoveries' } as const;
export type Resolvable = keyof typeof LISTS;

/**
 * A whole id, or the tail the lists show (like docker's short ids, from the other end: the head of
 * a UUIDv7 is a timestamp shared by ids of the same minute). A tail must name exactly one of the
 * newest TAIL_SEARCH_DEPTH; otherwise the command stops and says so, acting on nothing.
 */
export async function resolveId(api: ApiClient, kind: Resolvable, given: string): Promise<string> {
  if (UUID.test(given)) return given.toLowerCase();
  const tail = TAIL.exec(given)?.[1];
  if (!tail)
    throw new CliError(`${given} is neither a ${kind} id nor the tail of one (hex digits, as lists show them)`);
  const ids = (await api.all<{ id: string }>(LISTS[kind], {}, TAIL_SEARCH_DEPTH)).map((r) => r.id);
  return matchTail(ids, tail, kind);
}

export function matchTail(ids: string[], tail: string, kind: string): string {
  const wanted = tail.toLowerCase();
  const found = ids.filter((id) => id.replace(/-/g, '').toLowerCase().endsWith(wanted));
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new CliError(`no ${kind} among the newest ${ids.length} ends in ${wanted}: give its whole id`);
  }
  const longer = found.map((id) => `…${id.replace(/-/g, '').slice(-(wanted.length + 4))}`);
  throw new CliError(`${found.length} ${kind}s end in ${wanted} (${longer.join(', ')}): give more of the id`);
}
