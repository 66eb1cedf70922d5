import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import { httpLoggerOptions, redactQueryString } from './http-logger.js';

describe('http logger', () => {
  it('logs requests without the API key, the session cookie, the sign-in body or a credential in the URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = pinoHttp(httpLoggerOptions('info'), sink);
    const server = createServer((req, res) => {
      log(req, res);
      req.resume().on('end', () => {
        res.setHeader('Set-Cookie', 'pl_session=SESSIONSECRET; HttpOnly');
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/auth/session`, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer KEYSECRET',
        Cookie: 'pl_session=COOKIESECRET',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ apiKey: 'BODYSECRET' }),
    });
    // A credential put in the URL by mistake (the API takes none there).
    await fetch(`http://127.0.0.1:${port}/incidents?limit=5&apiKey=URLSECRET&access_token=TOKENSECRET`);
    await new Promise<void>((r) => server.close(() => r()));
    const out = lines.join('');
    expect(out).toContain('"url":"/incidents?limit=5&apiKey=[Redacted]&access_token=[Redacted]"');
    expect(out).toMatch(/"url":"\/auth\/session"/);
    expect(out).toMatch(/\[Redacted\]/);
    for (const secret of ['KEYSECRET', 'COOKIESECRET', 'SESSIONSECRET', 'BODYSECRET', 'URLSECRET', 'TOKENSECRET'])
      expect(out).not.toContain(secret);
  });
});

describe('redactQueryString', () => {
  it.each([
    ['/incidents', '/incidents'],
    ['/incidents?limit=5', '/incidents?limit=5'],
    ['/x?api_key=a&b=c', '/x?api_key=[Redacted]&b=c'],
    ['/x?Authorization=Bearer%20a', '/x?Authorization=[Redacted]'],
    ['/x?%6Bey=a', '/x?%6Bey=[Redacted]'],
    ['/x?token', '/x?token'],
    ['/x?bad%=a&password=b', '/x?bad%=a&password=[Redacted]'],
  ])('%s', (url, logged) => expect(redactQueryString(url)).toBe(logged));
});
