import { describe, expect, it } from '@jest/globals';
import { MIN_EMBEDDED_CHARS, REDACTED, secretForms, secretRedactor, urlQueryCredentials } from './redact-secrets.js';

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

  it("cuts a secret's base64 and base64url encodings, and those of a credential alone", () => {
    // Bytes that encode to `+` in base64 and to `-` in base64url.
    const odd = 'k>>?~~?xy';
    const bearer = `Bearer ${odd}`;
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const b64url = (s: string) => Buffer.from(s).toString('base64url');
    expect([b64(odd), b64url(odd)]).toEqual(['az4+P35+P3h5', 'az4-P35-P3h5']);
    expect(
      redact({ whole: b64(bearer), wholeUrl: b64url(bearer), credential: b64(odd), credentialUrl: b64url(odd) }, [
        bearer,
      ]),
    ).toEqual({ whole: `${REDACTED}==`, wholeUrl: REDACTED, credential: REDACTED, credentialUrl: REDACTED });
    // Padded or not, and URL-encoded: the padding, which encodes nothing, stays.
    expect(b64(token)).toMatch(/[^=]=$/);
    expect(
      redact(`{"seen":"${b64(token)}","raw":"${b64(token).slice(0, -1)}"} ?h=${encodeURIComponent(b64(odd))}`, [
        token,
        odd,
      ]),
    ).toBe(`{"seen":"${REDACTED}=","raw":"${REDACTED}"} ?h=${REDACTED}`);
    // An encoding too short to be cut wherever it occurs is not a form: `sre` is `c3Jl`.
    expect(secretForms('sre')).not.toContain(b64('sre'));
    expect(redact('c3Jl', ['sre'])).toBe('c3Jl');
  });

  describe("an answer's text cut at its size limit", () => {
    const odd = 'p@ss/"word"+1';
    const secrets = [`Bearer ${token}`, odd];
    const { answer } = secretRedactor(secrets);
    const forms = secrets.flatMap(secretForms).filter((f) => f.length >= MIN_EMBEDDED_CHARS);

    it('keeps no start of a form the cut split, whichever form and wherever the cut', () => {
      expect(forms.length).toBeGreaterThan(5);
      for (const form of forms) {
        const text = `{"echo": ${form} and more`;
        for (let cut = '{"echo": '.length + 1; cut < '{"echo": '.length + form.length; cut++) {
          expect([form, answer({ body: text.slice(0, cut), truncated: true })]).toEqual([form, '{"echo": ']);
        }
      }
    });

    it('replaces whole forms as anywhere, before and at the cut, and cuts nothing from an answer that was not cut', () => {
      expect(answer({ body: `a ${token} b Bearer ${token.slice(0, 5)}`, truncated: true })).toBe(`a ${REDACTED} b `);
      expect(answer({ body: `a Bearer ${token}`, truncated: true })).toBe(`a Bearer ${REDACTED}`);
      // Not cut: what the receiver chose to end with is its own (no secret is whole in it).
      expect(answer({ body: `a Bearer ${token.slice(0, 5)}`, truncated: false })).toBe(`a Bearer ${token.slice(0, 5)}`);
      expect(answer({ body: 'plain words', truncated: true })).toBe('plain words');
      // Even one character that may begin a form goes (`t` of `tok_…`): the answer was cut anyway.
      expect(answer({ body: 'plain text', truncated: true })).toBe('plain tex');
      expect(secretRedactor([]).answer({ body: 'tok_3f', truncated: true })).toBe('tok_3f');
      // A whole form running into the cut one (a secret with a period): neither leaves a part.
      expect(secretRedactor(['abababab']).answer({ body: `x ${'ab'.repeat(6)}`, truncated: true })).not.toMatch(/ab/);
    });
  });

  it("takes a URL query's credentials by the words of their parameter's name, as written and decoded", () => {
    expect(
      urlQueryCredentials(
        'https://ops.example/hook?token=abc123&cluster=prod-eu&api%5Fkey=k%2By&t0k3n&empty=&Auth=a+b' +
          '&apiKey=ak1&X-Amz-Signature=s1&code=c1&sig=g1&pwd=p1&author=bot&keyword=restart&force',
      ),
    ).toEqual([
      'abc123',
      'abc123',
      'k%2By',
      'k+y',
      'a+b',
      'a b',
      'ak1',
      'ak1',
      's1',
      's1',
      'c1',
      'c1',
      'g1',
      'g1',
      'p1',
      'p1',
    ]);
    expect(urlQueryCredentials('https://ops.example/hook')).toEqual([]);
    // Values that are no credential, and flags, stay in what a check reads.
    const redact = secretRedactor(
      urlQueryCredentials('https://x.example/restart?force&author=deploybot&keyword=restart&key=s3cr3t'),
    );
    expect(redact({ mode: 'force', by: 'deploybot', action: 'restart', echo: 'key=s3cr3t' })).toEqual({
      mode: 'force',
      by: 'deploybot',
      action: 'restart',
      echo: `key=${REDACTED}`,
    });
  });

  it('cuts a secret as JSON writers escape it: `\\/` (PHP) and `\\uXXXX` (Go, Python), in text that does not parse', () => {
    const key = 'ak/9f3c&é2e7d1b';
    const { answer } = secretRedactor([key]);
    // PHP, Python, Go.
    for (const escaped of ['ak\\/9f3c&\\u00e92e7d1b', 'ak/9f3c&\\u00e92e7d1b', 'ak/9f3c\\u0026é2e7d1b'])
      expect(answer({ body: `{"echo":"${escaped}","pad":"xx`, truncated: true })).toBe(
        `{"echo":"${REDACTED}","pad":"xx`,
      );
  });

  it('gives a value too short to be cut wherever it occurs no base64 form that would be (`admin` is `YWRtaW4`)', () => {
    expect(secretForms('admin')).not.toContain('YWRtaW4');
    expect(redact('Basic YWRtaW46aHVudGVyMg==', ['admin'])).toBe('Basic YWRtaW46aHVudGVyMg==');
  });

  it('drops the longest end that begins a form, however repetitive the forms and the text are', () => {
    const headers = Array.from({ length: 20 }, (_, i) => `${'a'.repeat(4090)}b${i}`);
    const { answer } = secretRedactor(headers);
    // Every end of the text is the start of every form: the longest (4090 characters) goes, once before
    // the redaction and once after (see `answer`).
    expect(answer({ body: `x${'a'.repeat(65535)}`, truncated: true })).toBe(`x${'a'.repeat(65535 - 2 * 4090)}`);
    // No end begins a form: nothing goes (the case that took a quadratic search seconds).
    expect(answer({ body: `${'a'.repeat(65535)}c`, truncated: true })).toBe(`${'a'.repeat(65535)}c`);
  });

  it('leaves values without secrets as they are', () => {
    expect(redact({ a: [1, null, 'x'] }, [])).toEqual({ a: [1, null, 'x'] });
    expect(redact(null, [token])).toBeNull();
    expect(redact('nothing here', ['', token])).toBe('nothing here');
  });
});
