import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The Ed25519 key that signs audit checkpoints: the private half stays in the process, the
 * public half is served (GET /audit/public-key) so anyone can check a checkpoint offline.
 */
export class AuditSigningKey {
  readonly publicKey: KeyObject;
  /** First 16 hex digits of SHA-256 over the raw public key: names the key in each checkpoint. */
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 key');
    this.publicKey = createPublicKey(privateKey);
    this.keyId = createHash('sha256').update(rawPublicKey(this.publicKey)).digest('hex').slice(0, 16);
  }

  sign(statement: string): string {
    return sign(null, Buffer.from(statement, 'utf8'), this.privateKey).toString('base64');
  }

  /** Whether `signature` is this key's over `statement`. */
  verify(statement: string, signature: string): boolean {
    return verify(null, Buffer.from(statement, 'utf8'), this.publicKey, Buffer.from(signature, 'base64'));
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  get publicKeyRaw(): string {
    return rawPublicKey(this.publicKey).toString('base64');
  }
}

const rawPublicKey = (key: KeyObject) => Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');

/**
 * AUDIT_SIGNING_KEY as a key: a PKCS#8 PEM (newlines may be written \n), or the 32-byte seed as
 * 64 hex digits or base64. Throws saying what is wrong with it.
 */
export function parseSigningKey(text: string): KeyObject {
  const raw = text.trim();
  let key: KeyObject;
  if (raw.startsWith('-----BEGIN')) {
    key = createPrivateKey(raw.replace(/\\n/g, '\n'));
  } else {
    const seed = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
    if (seed.length !== 32) throw new Error(`the seed is ${seed.length} bytes, not 32`);
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${key.asymmetricKeyType} key`);
  return key;
}

/** The configured key, else the one in `dataDir/audit-signing-key` (a PEM, created 0600 on first use). */
export function auditSigningKeyFrom(configured: string | null, dataDir: string): AuditSigningKey {
  if (configured) return new AuditSigningKey(parseSigningKey(configured));
  const file = join(dataDir, 'audit-signing-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another replica sharing DATA_DIR wrote it first: use that one.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(file, 0o600);
  return new AuditSigningKey(parseSigningKey(readFileSync(file, 'utf8')));
}
