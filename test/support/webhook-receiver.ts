import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../src/platform/crypto/webhook-signature.js';

export interface ReceivedCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
  /** Whether the Standard Webhooks signature verified with the receiver's secret. */
  verified: boolean;
}

/** How the receiver answers a call; return nothing to hang until the client gives up. */
export type Answer = (call: ReceivedCall, res: ServerResponse) => unknown;

/** Every call succeeds, and memory_cleanup's check (memory_check) finds the agent healthy. */
export const answerHealthy: Answer = (c, res) =>
  res.end(c.json?.params?.action === 'memory_check' ? '{"healthy":true}' : '{}');

/** A real local HTTP receiver that checks every call's signature with the secret it is given. */
export async function startWebhookReceiver(answer: Answer = (_c, res) => res.end('{}')) {
  const calls: ReceivedCall[] = [];
  let secret = '';
  let respond = answer;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON */
      }
      const call = {
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        verified: secret !== '' && verifyWebhook(secret, req.headers, body),
      };
      calls.push(call);
      if (respond(call, res) === 'hang') hanging.add(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    setSecret: (s: string) => {
      secret = s;
    },
    answer: (a: Answer) => {
      respond = a;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
