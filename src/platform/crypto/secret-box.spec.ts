import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, secretsKeyFrom } from './secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));

  it('opens what it sealed; the sealed form does not contain the secret and differs each time', () => {
    const a = box.seal('whsec_top-secret');
    expect(a).not.toContain('top-secret');
    expect(box.seal('whsec_top-secret')).not.toBe(a);
    expect(box.open(a)).toBe('whsec_top-secret');
  });

  it('refuses a tampered value and another key', () => {
    const sealed = box.seal('hello');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('jello').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed)).toThrow();
    expect(() => box.open('plain text')).toThrow(/not a sealed secret/);
  });

  it('generates a key into the data directory with mode 0600 and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-box-'));
    try {
      const key = secretsKeyFrom(null, join(dir, 'data'));
      const file = join(dir, 'data', 'secrets-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8').trim()).toBe(key.toString('hex'));
      expect(secretsKeyFrom(null, join(dir, 'data')).equals(key)).toBe(true);
      const configured = Buffer.alloc(32, 1);
      expect(secretsKeyFrom(configured, join(dir, 'data'))).toBe(configured);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
