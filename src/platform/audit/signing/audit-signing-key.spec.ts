import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointStatement } from '../chain/checkpoint.js';
import {
  AuditSigningKey,
  auditSigningKeyFrom,
  AuditTrustedKeys,
  parsePublicKey,
  parseSigningKey,
} from './audit-signing-key.js';

describe('the audit signing key (Ed25519)', () => {
  const seedHex = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'; // RFC 8032 test 1

  it('reads a 32-byte seed (hex or base64) or a PKCS#8 PEM, all the same key', () => {
    const fromHex = new AuditSigningKey(parseSigningKey(seedHex));
    // RFC 8032 §7.1 test 1: this seed's public key.
    expect(Buffer.from(fromHex.publicKeyRaw, 'base64').toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    const fromBase64 = new AuditSigningKey(parseSigningKey(Buffer.from(seedHex, 'hex').toString('base64')));
    const pem = parseSigningKey(seedHex).export({ type: 'pkcs8', format: 'pem' }).toString();
    const fromPem = new AuditSigningKey(parseSigningKey(pem.replace(/\n/g, '\\n')));
    expect(new Set([fromHex.keyId, fromBase64.keyId, fromPem.keyId]).size).toBe(1);
    expect(fromHex.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a seed of the wrong size and a key of another type', () => {
    expect(() => parseSigningKey('abcd')).toThrow(/not 32/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => parseSigningKey(rsa)).toThrow(/rsa key/);
  });

  it('signs so that the served public key verifies, and a changed statement does not', () => {
    const key = new AuditSigningKey(parseSigningKey(seedHex));
    const signature = key.sign('{"seq":1}');
    expect(key.verify('{"seq":1}', signature)).toBe(true);
    expect(key.verify('{"seq":2}', signature)).toBe(false);
    expect(verify(null, Buffer.from('{"seq":1}'), key.publicKeyPem, Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('trusts the signing key and earlier ones given by their raw public key, each under its own keyId', () => {
    const current = new AuditSigningKey(parseSigningKey(seedHex));
    const earlier = new AuditSigningKey(generateKeyPairSync('ed25519').privateKey);
    const restored = parsePublicKey(earlier.publicKeyRaw);
    expect(restored.keyId).toBe(earlier.keyId);
    const trusted = new AuditTrustedKeys([current, restored]);
    const checkpointBy = (key: AuditSigningKey, keyId = key.keyId) => {
      const unsigned = {
        tenantId: 't',
        seq: 1,
        hash: 'a'.repeat(64),
        at: '2026-12-06T00:00:00.000Z',
        kind: 'periodic' as const,
        cut: null,
        keyId,
      };
      return { ...unsigned, signature: key.sign(checkpointStatement(unsigned)) };
    };
    expect(trusted.problemWith(checkpointBy(earlier))).toBeNull();
    expect(trusted.problemWith(checkpointBy(current))).toBeNull();
    expect(trusted.problemWith(checkpointBy(earlier, current.keyId))).toBe('has no valid signature'); // named as another key
    expect(new AuditTrustedKeys([current]).problemWith(checkpointBy(earlier))).toMatch(
      new RegExp(`^is signed by key ${earlier.keyId}, which this service does not trust: .*AUDIT_SIGNING_KEY`),
    );
    expect(() => parsePublicKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('generates a key into DATA_DIR (mode 0600) once, and uses it again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-key-'));
    try {
      const first = auditSigningKeyFrom(null, dir);
      const file = join(dir, 'audit-signing-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(auditSigningKeyFrom(null, dir).keyId).toBe(first.keyId);
      expect(auditSigningKeyFrom(seedHex, dir).keyId).not.toBe(first.keyId); // configured wins
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
