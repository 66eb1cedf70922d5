import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import { httpLoggerOptions } from './http-logger.js';

describe('http logger', () => {
  it('logs requests without the API key, the session cookie or the sign-in body', async () => {
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
    await new Promise<void>((r) => server.close(() => r()));
    const out = lines.join('');
    expect(out).toMatch(/"url":"\/auth\/session"/);
    expect(out).toMatch(/\[Redacted\]/);
    for (const secret of ['KEYSECRET', 'COOKIESECRET', 'SESSIONSECRET', 'BODYSECRET'])
      expect(out).not.toContain(secret);
  });
});
