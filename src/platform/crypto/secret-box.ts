import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/config.js';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest: `v1.<iv>.<tag>.<ciphertext>` (base64url). A tampered or
 * foreign value fails to open instead of yielding garbage.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** What `sealed` holds; null when this box cannot open it (sealed under another key, or not sealed). */
  openOrNull(sealed: string): string | null {
    try {
      return this.open(sealed);
    } catch {
      return null;
    }
  }

  /**
   * A token bound to `value` for one `purpose` (HMAC-SHA256 under a key derived from the box's
   * key): it can be given out and checked later without being stored.
   */
  tokenFor(purpose: string, value: string): string {
    const subkey = createHmac('sha256', this.key).update(`pillar-loop token: ${purpose}`).digest();
    return createHmac('sha256', subkey).update(value).digest('base64url');
  }

  /** Whether `token` is tokenFor(purpose, value), compared in constant time. */
  verifyToken(purpose: string, value: string, token: string): boolean {
    const expected = Buffer.from(this.tokenFor(purpose, value));
    const given = Buffer.from(String(token));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The configured key, else the one in `dataDir/secrets-key` (created 0600 on first use). */
export function secretsKeyFrom(configured: Buffer | null, dataDir: string): Buffer {
  if (configured) return configured;
  const file = join(dataDir, 'secrets-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte hex key`);
  return key;
}

/** The app's SecretBox: SECRETS_KEY, or the key generated into DATA_DIR. */
export function secretBoxOf(config: Pick<AppConfig, 'secretsKey' | 'dataDir'>): SecretBox {
  return new SecretBox(secretsKeyFrom(config.secretsKey, config.dataDir));
}
