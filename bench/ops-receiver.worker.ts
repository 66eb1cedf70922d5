/**
 * The runs scenario's `ops` actuator (`BENCH_SCENARIO=runs`), in a worker thread so answering the
 * engine's calls does not share the in-process app's event loop (as the load generator does not).
 * A real signed-webhook receiver (simulation/ops-receiver.ts) that answers every verified call
 * at once: 200 `{"ok":true}`, and a healthy body for check steps.
 *
 * Messages: parent → `{type:'secret', secret}` | `{type:'counts'}`; worker → `{type:'url', url}` |
 * `{type:'counts', counts}`.
 */
import { parentPort } from 'node:worker_threads';
import { checkBody, startOpsReceiver } from '../simulation/ops-receiver.js';

const receiver = await startOpsReceiver((call) => ({ status: 200, body: call.kind === 'check' ? checkBody(true) : { ok: true } }));
parentPort!.on('message', (m: { type: 'secret'; secret: string } | { type: 'counts' }) => {
  if (m.type === 'secret') receiver.setSecret(m.secret);
  else parentPort!.postMessage({ type: 'counts', counts: { ...receiver.counts } });
});
parentPort!.postMessage({ type: 'url', url: receiver.url });
