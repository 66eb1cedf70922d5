import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PgNotifications } from '../database/pg-notifications.js';
import { API_KEYS_CHANNEL, KEY_CREATED } from './api-keys/api-key.service.js';
import { ApiKeysRepository } from './api-keys/api-keys.repository.js';
import type { Principal } from './principal.js';
import { SESSIONS_CHANNEL } from './sessions/session.service.js';
import { SessionsRepository } from './sessions/sessions.repository.js';

type Close = () => void;
/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer wait is made in steps. */
const LONGEST_TIMER_MS = 2_147_483_647;

/**
 * A long-lived response (an SSE stream) is authenticated once, when it opens. This ends it once
 * the credential it was opened with no longer holds: its API key revoked, or its console session
 * ended (signed out, expired, its key revoked). The credentials of every watched response are
 * checked again whenever keys change (API_KEYS_CHANNEL) or a session ends (SESSIONS_CHANNEL), on
 * every replica, and after the LISTEN connection reconnects (a notification may have been missed);
 * a session's stream also ends when the session expires (by this process's clock). Each
 * credential is checked once more right after it is watched: a revocation committed between the
 * request's authentication and the watch is not missed. When a check fails (the database unreachable), its responses are ended: their clients
 * reconnect and authenticate afresh.
 */
@Injectable()
export class CredentialWatch implements OnModuleInit {
  private readonly logger = new Logger(CredentialWatch.name);
  private readonly byKey = new Map<string, Set<Close>>();
  private readonly bySession = new Map<string, Set<Close>>();
  private rechecking = false;
  private recheckAgain = false;

  constructor(
    private readonly notifications: PgNotifications,
    private readonly keys: ApiKeysRepository,
    private readonly sessions: SessionsRepository,
  ) {}

  onModuleInit(): void {
    // A new key changes no existing one; anything else (a revocation, '' after a reconnect) may have.
    this.notifications.on(API_KEYS_CHANNEL, (payload) => payload !== KEY_CREATED && this.recheck());
    this.notifications.on(SESSIONS_CHANNEL, () => this.recheck());
  }

  /**
   * Calls `close` once the credential `p` was authenticated with no longer holds (the session when
   * there is one, else the key). Answers the function that stops watching (call it on close).
   */
  watch(p: Principal & { expiresAt?: string }, close: Close): () => void {
    const session = p.sessionHash;
    const unwatch = session ? add(this.bySession, session, close) : add(this.byKey, p.keyId, close);
    let timer: NodeJS.Timeout | undefined;
    if (session && p.expiresAt) {
      const expiresAt = Date.parse(p.expiresAt);
      const arm = () => {
        timer = setTimeout(
          // A session's expiry is fixed when it is made: past it, the stream ends without asking the
          // database (whose clock may lag this one's, and nothing would ask again).
          () => (Date.now() < expiresAt ? arm() : close()),
          Math.min(Math.max(0, expiresAt - Date.now()), LONGEST_TIMER_MS),
        );
        timer.unref();
      };
      arm();
    }
    void (session ? this.check([], [session]) : this.check([p.keyId], []));
    return () => {
      clearTimeout(timer);
      unwatch();
    };
  }

  /** Checks every watched credential; a change meanwhile checks them all again afterwards. */
  private recheck(): void {
    if (this.rechecking) {
      this.recheckAgain = true;
      return;
    }
    this.rechecking = true;
    void (async () => {
      try {
        do {
          this.recheckAgain = false;
          await this.check([...this.byKey.keys()], [...this.bySession.keys()]);
        } while (this.recheckAgain);
      } finally {
        this.rechecking = false;
      }
    })();
  }

  private async check(keyIds: string[], sessionHashes: string[]): Promise<void> {
    if (keyIds.length === 0 && sessionHashes.length === 0) return;
    let liveKeys = new Set<string>();
    let liveSessions = new Set<string>();
    try {
      [liveKeys, liveSessions] = await Promise.all([
        keyIds.length > 0 ? this.keys.activeOf(keyIds) : liveKeys,
        sessionHashes.length > 0 ? this.sessions.liveOf(sessionHashes) : liveSessions,
      ]);
    } catch (err) {
      this.logger.warn(`could not check the credentials of open streams, ending them: ${String(err)}`);
    }
    for (const id of keyIds) if (!liveKeys.has(id)) closeAll(this.byKey.get(id));
    for (const hash of sessionHashes) if (!liveSessions.has(hash)) closeAll(this.bySession.get(hash));
  }
}

function add(map: Map<string, Set<Close>>, key: string, close: Close): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(close);
  return () => {
    set.delete(close);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

/** Each close unwatches itself: go through a copy. */
function closeAll(closes: Set<Close> | undefined): void {
  for (const close of [...(closes ?? [])]) close();
}
