import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console sign-in sessions: an API key exchanged for a cookie. Only the token's SHA-256 is stored;
 * a session dies with its key (revoking the key deletes its sessions; the lookup also requires
 * the key to be unrevoked) and at expires_at.
 */
export class ConsoleSessions1765500000000 implements MigrationInterface {
  name = 'ConsoleSessions1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_sessions (
        token_hash text PRIMARY KEY,
        key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX idx_console_sessions_key ON console_sessions (key_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE console_sessions`);
  }
}
