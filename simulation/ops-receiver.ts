import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../src/platform/crypto/webhook-signature.js';

/** What the engine POSTs to a webhook or check step (DESIGN §8). */
export interface OpsCall {
  runId: string;
  stepId: string;
  kind: 'webhook' | 'check';
  attempt: number;
  incident: { id: string; agentId: string | null; capability: string | null } | null;
  params: Record<string, unknown> & { action?: string };
}

/** How the actuator answers one verified call: the HTTP status and JSON body it sends back. */
export type OpsAnswer = (
  call: OpsCall,
) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };

export interface OpsReceiverCounts {
  /** Calls that verified and were answered. */
  verified: number;
  /** Calls refused with 401: no signature, a bad one, or a stale timestamp. Must stay 0 for the engine's calls. */
  rejected: number;
  /** Repeats of a webhook-id already answered (at-least-once delivery). */
  repeats: number;
}

/**
 * A tenant's `ops` actuator as a real local HTTP server: it checks every call's Standard
 * Webhooks signature with the secret `PUT /actuators/ops` showed once, refuses anything that
 * does not verify with 401 (and counts it), and lets `answer` decide the rest.
 */
export async function startOpsReceiver(answer: OpsAnswer) {
  let secret = '';
  const counts: OpsReceiverCounts = { verified: 0, rejected: 0, repeats: 0 };
  const seen = new Set<string>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (!secret || !verifyWebhook(secret, req.headers, body)) {
        counts.rejected++;
        return reply(401, { error: 'signature does not verify' });
      }
      counts.verified++;
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) counts.repeats++;
      seen.add(id);
      Promise.resolve()
        .then(() => answer(JSON.parse(body) as OpsCall))
        .then(
          (a) => reply(a.status, a.body),
          (err: unknown) => reply(500, { error: String(err) }),
        );
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts,
    setSecret: (s: string) => {
      secret = s;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The body a check step sees: healthy (or not) in the terms every shipped playbook's condition uses. */
export const checkBody = (ok: boolean) => ({ healthy: ok, limited: !ok, valid: ok });
