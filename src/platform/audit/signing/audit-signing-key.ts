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
import { checkpointStatement, type AuditCheckpoint } from '../chain/checkpoint.js';

// PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 public key that checkpoints may be signed with, named by its keyId. */
export class AuditPublicKey {
  /** First 16 hex digits of SHA-256 over the raw public key: names the key in each checkpoint. */
  readonly keyId: string;

  constructor(readonly publicKey: KeyObject) {
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${publicKey.asymmetricKeyType} key`);
    this.keyId = createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
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

/**
 * The Ed25519 key that signs audit checkpoints: the private half stays in the process, the
 * public half is served (GET /audit/public-key) so anyone can check a checkpoint offline.
 */
export class AuditSigningKey extends AuditPublicKey {
  constructor(private readonly privateKey: KeyObject) {
    super(createPublicKey(privateKey));
  }

  sign(statement: string): string {
    return sign(null, Buffer.from(statement, 'utf8'), this.privateKey).toString('base64');
  }
}

/** The keys checkpoints are checked with: the signing key, and after a rotation earlier ones. */
export class AuditTrustedKeys {
  constructor(readonly keys: AuditPublicKey[]) {}

  trusts(keyId: string): boolean {
    return this.keys.some((k) => k.keyId === keyId);
  }

  /**
   * Why `checkpoint`'s signature does not count, or null when a trusted key made it. A key this
   * service does not know is said so: that is a replica without the shared key, or a rotation
   * without the earlier key, not a forgery.
   */
  problemWith(checkpoint: AuditCheckpoint): string | null {
    const key = this.keys.find((k) => k.keyId === checkpoint.keyId);
    if (!key) return untrustedKey(checkpoint.keyId);
    return key.verify(checkpointStatement(checkpoint), checkpoint.signature) ? null : 'has no valid signature';
  }
}

/** What a checkpoint of an unknown key is, and what to do about it. */
export function untrustedKey(keyId: string): string {
  return (
    `is signed by key ${keyId}, which this service does not trust: give every replica the same ` +
    `AUDIT_SIGNING_KEY, and after a rotation list the earlier keys in AUDIT_PREVIOUS_PUBLIC_KEYS`
  );
}

// SPKI DER of an Ed25519 public key is this prefix followed by the raw 32 bytes (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A raw Ed25519 public key, base64 (as GET /audit/public-key's `publicKey`). */
export function parsePublicKey(base64: string): AuditPublicKey {
  const raw = Buffer.from(base64.trim(), 'base64');
  if (raw.length !== 32) throw new Error(`a public key is 32 bytes, this is ${raw.length}`);
  return new AuditPublicKey(
    createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' }),
  );
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
