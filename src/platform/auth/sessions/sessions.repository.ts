import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../database/transaction-host.js';
import type { Role } from '../principal.js';

/** A live session with its key (table `console_sessions` joined to `api_keys`). */
export interface SessionKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: Role;
  platform_admin: boolean;
  expires_at: Date;
}

/** The SQL of console sessions (stored by the hash of their token). */
@Injectable()
export class SessionsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** Stores a session, clearing the expired ones on the way. */
  async insert(tokenHash: string, keyId: string, expiresAt: Date): Promise<void> {
    await this.tx.query(`DELETE FROM console_sessions WHERE expires_at < now()`);
    await this.tx.query(`INSERT INTO console_sessions (token_hash, key_id, expires_at) VALUES ($1, $2, $3)`, [
      tokenHash,
      keyId,
      expiresAt,
    ]);
  }

  /** The session's key while the session is unexpired and the key unrevoked. */
  async findLive(tokenHash: string): Promise<SessionKeyRow | null> {
    const [row] = await this.tx.queryOutside<SessionKeyRow>(
      `SELECT k.id, k.tenant_id, k.name, k.role, k.platform_admin, s.expires_at
         FROM console_sessions s JOIN api_keys k ON k.id = s.key_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
      [tokenHash],
    );
    return row ?? null;
  }

  /** Of these sessions (by token hash), the ones still live: unexpired, their key unrevoked. */
  async liveOf(tokenHashes: string[]): Promise<Set<string>> {
    const rows = await this.tx.queryOutside<{ token_hash: string }>(
      `SELECT s.token_hash FROM console_sessions s JOIN api_keys k ON k.id = s.key_id
        WHERE s.token_hash = ANY($1::text[]) AND s.expires_at > now() AND k.revoked_at IS NULL`,
      [tokenHashes],
    );
    return new Set(rows.map((r) => r.token_hash));
  }

  /** Ends the session; answers whose it was (undefined: no such session). */
  async delete(tokenHash: string): Promise<{ key_id: string; tenant_id: string; name: string } | undefined> {
    const [ended] = await this.tx.query<{ key_id: string; tenant_id: string; name: string }>(
      `DELETE FROM console_sessions s USING api_keys k WHERE s.token_hash = $1 AND k.id = s.key_id
       RETURNING s.key_id, k.tenant_id, k.name`,
      [tokenHash],
    );
    return ended;
  }

  /** A revoked key's sessions die with it. */
  async deleteOfKey(keyId: string): Promise<void> {
    await this.tx.query(`DELETE FROM console_sessions WHERE key_id = $1`, [keyId]);
  }
}
