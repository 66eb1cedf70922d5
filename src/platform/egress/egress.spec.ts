import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallCutOff, Egress, EgressFailure, failureOf } from './egress.js';
import { parseNetworks } from './networks.js';

const egress = (allow = '') => new Egress({ egress: { allowNetworks: parseNetworks(allow) } });
const request = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{}',
  timeoutMs: 2000,
  maxAnswerBytes: 1024,
};

describe('the egress rule at configuration time', () => {
  const rule = egress();

  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is not a public address.*ACTUATOR_ALLOW_NETWORKS/],
    ['http://[::1]:8080/hook', /::1 is not a public address.*ACTUATOR_ALLOW_NETWORKS/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is not a public address/],
    ['http://10.0.0.1/', /10\.0\.0\.1 is not a public address/],
    ['http://[::ffff:127.0.0.1]/', /not a public address/],
    ['http://2130706433/', /127\.0\.0\.1 is not a public address/], // the URL parser's own reading of a decimal host
    ['http://localhost:3000/', /localhost resolves to an address that is not public.*ACTUATOR_ALLOW_NETWORKS/],
    ['https://user:secret@ops.example.com/', /must not carry credentials/],
    ['ftp://ops.example.com/', /http or https/],
    ['not a url', /http or https/],
  ])('%s is refused', async (url, why) => {
    expect(await rule.refusal(url)).toMatch(why);
  });

  it('accepts public addresses, and names that do not resolve (the call decides)', async () => {
    expect(await rule.refusal('https://93.184.216.34/hook')).toBeNull();
    expect(await rule.refusal('https://ops.invalid/hook')).toBeNull();
  });

  it('ACTUATOR_ALLOW_NETWORKS opens what it lists and nothing more', async () => {
    const open = egress('127.0.0.0/8,::1');
    expect(await open.refusal('http://127.0.0.1:8080/')).toBeNull();
    expect(await open.refusal('http://[::1]:8080/')).toBeNull();
    expect(await open.refusal('http://10.0.0.1/')).toMatch(/not a public address/);
  });
});

describe('the egress rule at call time (a real local server)', () => {
  let server: http.Server;
  let port: number;
  let requests = 0;
  let answer: (res: http.ServerResponse) => void = (res) => res.end('{"ok":true}');

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('refuses loopback by address and by name without connecting', async () => {
    const before = requests;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
    ]) {
      const err = await egress()
        .send(url, request)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EgressFailure);
      expect(err).toMatchObject({ kind: 'refused' });
      expect((err as Error).message).toMatch(/refused by the egress rule/);
      expect((err as Error).message).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${port}|localhost`));
    }
    expect(requests).toBe(before);
  });

  it('https goes through the same rule: refused by name and by address; a TLS failure says only that', async () => {
    for (const url of [`https://localhost:${port}/`, `https://127.0.0.1:${port}/`]) {
      expect(
        await egress()
          .send(url, request)
          .catch((e: unknown) => e),
      ).toMatchObject({ kind: 'refused' });
    }
    // Allowed, but the server speaks plain HTTP: the handshake fails, named by its code only.
    const tls = await egress('127.0.0.0/8')
      .send(`https://127.0.0.1:${port}/`, request)
      .catch((e: unknown) => e);
    expect(tls).toMatchObject({ kind: 'network', message: expect.stringMatching(/^TLS failed \([A-Z_]+\)$/) });
  });

  it('the agent refuses other clients too (Node http with agentFor)', async () => {
    const url = new URL(`http://127.0.0.1:${port}/`);
    const err = await new Promise((resolve) =>
      http.get(url, { agent: egress().agentFor(url) }, resolve).on('error', resolve),
    );
    expect(err).toBeInstanceOf(EgressFailure);
  });

  it('with the range allowed: calls, reads the answer up to the cap, by address or by name', async () => {
    const rule = egress('127.0.0.0/8,::1');
    expect(await rule.send(`http://127.0.0.1:${port}/`, request)).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect((await rule.send(`http://localhost:${port}/`, request)).status).toBe(200);
    answer = (res) => res.end('x'.repeat(5000));
    expect(await rule.send(`http://127.0.0.1:${port}/`, request)).toMatchObject({
      body: 'x'.repeat(1024),
      truncated: true,
    });
    answer = (res) => res.end('x'.repeat(1024));
    expect(await rule.send(`http://127.0.0.1:${port}/`, request)).toMatchObject({
      body: 'x'.repeat(1024),
      truncated: false,
    });
    // The cut falls inside `€` (3 bytes): it goes before the character, leaving no U+FFFD that would hide what it began.
    answer = (res) => res.end(`${'x'.repeat(1022)}€uro`);
    expect(await rule.send(`http://127.0.0.1:${port}/`, request)).toMatchObject({
      body: 'x'.repeat(1022),
      truncated: true,
    });
    answer = (res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    };
    expect((await rule.send(`http://127.0.0.1:${port}/`, request)).status).toBe(302); // not followed
  });

  it('failures say what failed, never where', async () => {
    const rule = egress('127.0.0.0/8');
    answer = () => undefined; // never answers
    const hung = await rule.send(`http://127.0.0.1:${port}/`, { ...request, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(hung).toMatchObject({ kind: 'timed_out', message: 'timed out' });
    const refused = await rule.send('http://127.0.0.1:1/', request).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'network', message: 'connection refused' });
    expect(
      failureOf(Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' })).message,
    ).toBe('host name not found');
    expect(
      failureOf(Object.assign(new Error('connect EHOSTUNREACH 10.0.0.9:5432'), { code: 'EHOSTUNREACH' })).message,
    ).toBe('host unreachable');
    expect(failureOf(new Error('something about 10.0.0.9:5432')).message).toBe('network error');
    answer = (res) => res.end('{}');
  });

  it('a CallCutOff armed for a deadline: a call still out then fails as interrupted, before its own timeout, and so does every call after', async () => {
    const rule = egress('127.0.0.0/8');
    let open = 0;
    answer = (res) => {
      open++;
      res.on('close', () => open--);
      res.writeHead(200);
      res.write('{"partial":'); // the answer has begun: the cut comes while it is read
    };
    const cutOff = new CallCutOff();
    const hung = rule
      .send(`http://127.0.0.1:${port}/`, { ...request, timeoutMs: 120_000, cutOff: cutOff.signal })
      .catch((e: unknown) => e);
    while (open === 0) await new Promise((r) => setTimeout(r, 10));
    // The stop's deadline is fixed by the first to ask.
    const deadline = rule.stopDeadline(50);
    expect(rule.stopDeadline(60_000)).toBe(deadline);
    cutOff.arm(deadline);
    // Settles long before the call's own two minutes (the test would time out otherwise), and the connection is closed.
    expect(await hung).toMatchObject({ kind: 'interrupted', message: 'cut off: the service is stopping' });
    while (open > 0) await new Promise((r) => setTimeout(r, 10));
    answer = (res) => res.end('{}');
    const before = requests;
    const after = await rule
      .send(`http://127.0.0.1:${port}/`, { ...request, cutOff: cutOff.signal })
      .catch((e: unknown) => e);
    expect(after).toMatchObject({ kind: 'interrupted' });
    expect(requests).toBe(before); // not even sent
    // Calls of another caller, not cut off, go on; a disarmed CallCutOff cuts nothing.
    const other = new CallCutOff();
    other.arm(Date.now() + 20);
    other.disarm();
    await new Promise((r) => setTimeout(r, 40));
    expect((await rule.send(`http://127.0.0.1:${port}/`, { ...request, cutOff: other.signal })).status).toBe(200);
  });

  it('leaves no listener on a CallCutOff once its calls settle, answered or failed', async () => {
    const rule = egress('127.0.0.0/8');
    const cutOff = new CallCutOff();
    let n = 0;
    answer = (res) => (++n % 2 === 0 ? res.destroy() : res.end('{}'));
    const calls = Array.from({ length: 40 }, () =>
      rule.send(`http://127.0.0.1:${port}/`, { ...request, cutOff: cutOff.signal }).catch(() => 'failed'),
    );
    expect((await Promise.all(calls)).filter((c) => c === 'failed')).toHaveLength(20);
    expect(getEventListeners(cutOff.signal, 'abort')).toHaveLength(0);
    answer = (res) => res.end('{}');
  });

  it('a request Node will not build (a header value it cannot send) is refused, not a retryable network error', async () => {
    const rule = egress('127.0.0.0/8');
    let reached = 0;
    answer = (res) => {
      reached++;
      res.end('{}');
    };
    for (const value of ['a\u0001b', 'a\u007fb', '€']) {
      const failure = await rule
        .send(`http://127.0.0.1:${port}/`, { ...request, headers: { 'x-token': value } })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(EgressFailure);
      expect(failure).toMatchObject({ kind: 'refused', message: 'the request is not valid HTTP (ERR_INVALID_CHAR)' });
    }
    expect(reached).toBe(0);
    answer = (res) => res.end('{}');
  });
});
