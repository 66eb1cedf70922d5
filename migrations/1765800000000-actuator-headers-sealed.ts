import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { SecretBox } from '../src/platform/crypto/secret-box.js';

interface Row {
  tenant_id: string;
  name: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * Actuator headers (often bearer tokens) are sealed like the signing secret (issue 20):
 * `headers_sealed` maps each header name to its value sealed with AES-256-GCM; only the names are
 * ever shown again. Credentials in a stored URL (`https://user:pass@host`, refused from now on)
 * become the `Authorization: Basic` header they stand for, sealed, and leave the URL. Down opens
 * the values again (the credentials stay a header: the same request either way). Both directions
 * use the app's secrets key, which runMigrations hands over (`secretBox`): a database holding
 * headers cannot be migrated without it.
 */
export class ActuatorHeadersSealed1765800000000 implements MigrationInterface {
  name = 'ActuatorHeadersSealed1765800000000';
  /** Set by runMigrations; called only when there are headers to seal or open. */
  secretBox: (() => SecretBox) | null = null;
  private cachedBox: SecretBox | null = null;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actuators ADD COLUMN headers_sealed jsonb NOT NULL DEFAULT '{}'`);
    const rows: Row[] = await q.query(
      `SELECT tenant_id, name, url, headers FROM actuators WHERE headers <> '{}'::jsonb OR url ~ '^[A-Za-z]+://[^/?#]*@'`,
    );
    for (const r of rows) {
      const { url, headers } = withoutUserinfo(r.url, r.headers);
      const sealed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, this.box().seal(String(v))]));
      await q.query(`UPDATE actuators SET url = $3, headers_sealed = $4 WHERE tenant_id = $1 AND name = $2`, [
        r.tenant_id,
        r.name,
        url,
        JSON.stringify(sealed),
      ]);
    }
    await q.query(`ALTER TABLE actuators DROP COLUMN headers`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actuators ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'`);
    const rows: Row[] = await q.query(
      `SELECT tenant_id, name, url, headers_sealed AS headers FROM actuators WHERE headers_sealed <> '{}'::jsonb`,
    );
    for (const r of rows) {
      const opened = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, this.box().open(v)]));
      await q.query(`UPDATE actuators SET headers = $3 WHERE tenant_id = $1 AND name = $2`, [
        r.tenant_id,
        r.name,
        JSON.stringify(opened),
      ]);
    }
    await q.query(`ALTER TABLE actuators DROP COLUMN headers_sealed`);
  }

  private box(): SecretBox {
    if (!this.secretBox)
      throw new Error(
        `${this.name} needs the secrets key (SECRETS_KEY or $DATA_DIR/secrets-key): run it through the app or npm run migration:run`,
      );
    return (this.cachedBox ??= this.secretBox());
  }
}

/** `https://user:pass@host/…` → the URL without them, and `Authorization: Basic` unless the actuator already sends an Authorization header. */
function withoutUserinfo(
  raw: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw, headers };
  }
  if (!u.username && !u.password) return { url: raw, headers };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  const hasAuthorization = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: hasAuthorization ? headers : { ...headers, authorization: `Basic ${basic}` } };
}
