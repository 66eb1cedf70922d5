import { describe, expect, it } from '@jest/globals';
import { REDACTED, redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  const token = 'tok_3f9a1c77e2';

  it('cuts a secret wherever it occurs, in strings and keys, keeping the rest of the answer', () => {
    const answer = {
      ok: true,
      count: 3,
      echo: { authorization: `Bearer ${token}`, 'x-team': 'sre', [token]: [`seen ${token} twice: ${token}`] },
    };
    expect(redactSecrets(answer, [`Bearer ${token}`])).toEqual({
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
    expect(redactSecrets({ team: 'sre', note: 'the sre team' }, ['sre'])).toEqual({
      team: REDACTED,
      note: 'the sre team',
    });
  });

  it('cuts its URL-encoded and JSON-escaped forms, and a Basic credential decoded', () => {
    const odd = 'p@ss/"word"+1';
    expect(redactSecrets(`q=${encodeURIComponent(odd)}`, [odd])).toBe(`q=${REDACTED}`);
    expect(redactSecrets(`{"h":${JSON.stringify(odd)}`, [odd])).toBe(`{"h":"${REDACTED}"`);
    const basic = `Basic ${Buffer.from('deploy:hunter2-long').toString('base64')}`;
    // The password is what is cut; the user name stays, as in `Bearer [redacted]`.
    expect(redactSecrets('user deploy:hunter2-long; password hunter2-long', [basic])).toBe(
      `user deploy:${REDACTED}; password ${REDACTED}`,
    );
    expect(redactSecrets(`got ${basic}`, [basic])).toBe(`got Basic ${REDACTED}`);
  });

  it('leaves values without secrets as they are', () => {
    expect(redactSecrets({ a: [1, null, 'x'] }, [])).toEqual({ a: [1, null, 'x'] });
    expect(redactSecrets(null, [token])).toBeNull();
    expect(redactSecrets('nothing here', ['', token])).toBe('nothing here');
  });
});
