import { describe, expect, it } from '@jest/globals';
import type { PgNotifications } from '../database/pg-notifications.js';
import type { ApiKeysRepository } from './api-keys/api-keys.repository.js';
import { CredentialWatch } from './credential-watch.js';
import type { SessionsRepository } from './sessions/sessions.repository.js';

/** The database's side, stubbed: these specs are about the watch's own timing, not its queries. */
function watchWith(liveSessions: Set<string>) {
  const notifications = { on: () => undefined } as unknown as PgNotifications;
  const keys = { activeOf: async (ids: string[]) => new Set(ids) } as unknown as ApiKeysRepository;
  const sessions = {
    liveOf: async (hashes: string[]) => new Set(hashes.filter((h) => liveSessions.has(h))),
  } as unknown as SessionsRepository;
  return new CredentialWatch(notifications, keys, sessions);
}

const principal = { keyId: 'k1', keyName: 'k', tenantId: 't', role: 'viewer' as const, platformAdmin: false };

describe('CredentialWatch', () => {
  it("ends a session's stream once the session expires, though a lagging database clock still calls it live", async () => {
    const watch = watchWith(new Set(['s1'])); // the database never says the session ended
    let closed = false;
    const expiresAt = new Date(Date.now() + 100).toISOString();
    watch.watch({ ...principal, sessionHash: 's1', expiresAt }, () => (closed = true));
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
  });

  it('ends a stream whose session the database no longer has, right after it is watched', async () => {
    const watch = watchWith(new Set());
    let closed = false;
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const unwatch = watch.watch({ ...principal, sessionHash: 's2', expiresAt }, () => (closed = true));
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    unwatch();
  });
});
