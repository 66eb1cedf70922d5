import { describe, expect, it } from '@jest/globals';
import { REDACTED, secretRedactor } from './redact-secrets.js';

const redact = <T>(value: T, secrets: readonly string[]): T => secretRedactor(secrets)(value);

describe('secretRedactor', () => {
  const token = 'tok_3f9a1c77e2';

  it('cuts a secret wherever it occurs, in strings and keys, keeping the rest of the answer', () => {
    const answer = {
      ok: true,
      count: 3,
      echo: { authorization: `Bearer ${token}`, 'x-team': 'sre', [token]: [`seen ${token} twice: ${token}`] },
    };
    expect(redact(answer, [`Bearer ${token}`])).toEqual({
      ok: true,
      count: 3,
      echo: {
        authorization: `Bearer ${REDACTED}`,
        'x-team': 'sre',
        [REDACTED]: [`seen ${REDACTED} twice: ${REDACTED}`],
      },
    });
  });

  it('cuts a short secret only where it is the whole text', () => {
    expect(redact({ team: 'sre', note: 'the sre team' }, ['sre'])).toEqual({
      team: REDACTED,
      note: 'the sre team',
    });
  });

  it('cuts its URL-encoded and JSON-escaped forms, and a Basic credential decoded', () => {
    const odd = 'p@ss/"word"+1';
    expect(redact(`q=${encodeURIComponent(odd)}`, [odd])).toBe(`q=${REDACTED}`);
    expect(redact(`{"h":${JSON.stringify(odd)}`, [odd])).toBe(`{"h":"${REDACTED}"`);
    const basic = `Basic ${Buffer.from('deploy:hunter2-long').toString('base64')}`;
    // The password is what is cut; the user name stays, as in `Bearer [redacted]`.
    expect(redact('user deploy:hunter2-long; password hunter2-long', [basic])).toBe(
      `user deploy:${REDACTED}; password ${REDACTED}`,
    );
    expect(redact(`got ${basic}`, [basic])).toBe(`got Basic ${REDACTED}`);
  });

  it('leaves values without secrets as they are', () => {
    expect(redact({ a: [1, null, 'x'] }, [])).toEqual({ a: [1, null, 'x'] });
    expect(redact(null, [token])).toBeNull();
    expect(redact('nothing here', ['', token])).toBe('nothing here');
  });
});
