import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AuditTrail } from '../../audit/audit-trail.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { NotifyBatcher } from '../../database/notify-batcher.js';
import { TransactionHost } from '../../database/transaction-host.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { Principal } from '../principal.js';
import { type SessionView, viewOf } from './session.view.js';
import { SessionsRepository } from './sessions.repository.js';

export const SESSION_COOKIE = 'pl_session';
/** Told when a session is ended (sign-out): each replica re-checks the streams opened with a session (CredentialWatch). */
export const SESSIONS_CHANNEL = 'console_sessions_ended';
// Tokens are 256 random bits: a plain SHA-256 is enough, as for API keys.
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Console sign-in: an API key exchanged for an opaque session token, stored hashed, expiring. */
@Injectable()
export class SessionService {
  constructor(
    private readonly tx: TransactionHost,
    private readonly sessions: SessionsRepository,
    private readonly keys: ApiKeyService,
    private readonly notifier: NotifyBatcher,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** null when the key is unknown or revoked. The token is returned this once. */
  async create(apiKey: string): Promise<{ token: string; session: SessionView } | null> {
    const principal = await this.keys.authenticate(apiKey);
    if (!principal) return null;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessionTtlMs);
    await this.tx.run(async () => {
      await this.sessions.insert(hash(token), principal.keyId, expiresAt);
      await this.audit.record({
        tenantId: principal.tenantId,
        actor: principal.keyId,
        action: 'session.created',
        subject: sessionSubject(token),
        after: { keyName: principal.keyName, expiresAt: expiresAt.toISOString() },
      });
    });
    return { token, session: { ...viewOf(principal), expiresAt: expiresAt.toISOString() } };
  }

  /** The session's principal while the session is unexpired and its key unrevoked. */
  async authenticate(token: string): Promise<(Principal & { expiresAt: string }) | null> {
    const sessionHash = hash(token);
    const row = await this.sessions.findLive(sessionHash);
    if (!row) return null;
    return {
      sessionHash,
      keyId: row.id,
      keyName: row.name,
      tenantId: row.tenant_id,
      role: row.role,
      platformAdmin: row.platform_admin,
      expiresAt: row.expires_at.toISOString(),
    };
  }

  async end(token: string): Promise<void> {
    await this.tx.run(async () => {
      const ended = await this.sessions.delete(hash(token));
      if (!ended) return;
      await this.audit.record({
        tenantId: ended.tenant_id,
        actor: ended.key_id,
        action: 'session.ended',
        subject: sessionSubject(token),
        before: { keyName: ended.name },
      });
      this.notifier.notifyAfterCommit(SESSIONS_CHANNEL);
    });
  }
}

/** How the audit log names a session: the first 16 hex digits of its token's stored SHA-256, never the token. */
const sessionSubject = (token: string) => ({ type: 'session', id: hash(token).slice(0, 16) });

/**
 * The session token from a Cookie header, if any. A value that does not percent-decode is returned
 * as it is: no session has it (tokens are base64url), so it fails like any wrong token (401,
 * counted by the auth-failure throttle) instead of throwing.
 */
export function sessionTokenOf(cookieHeader: string | undefined): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE && value.length) return decodeOr(value.join('='));
  }
  return null;
}

function decodeOr(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
