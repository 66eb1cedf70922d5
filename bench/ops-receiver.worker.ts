/**
 * The runs scenario's `ops` actuators (`BENCH_SCENARIO=runs`), each in a worker thread so answering
 * the engine's calls does not share the in-process app's event loop (as the load generator does
 * not). A real signed-webhook receiver (simulation/ops-receiver.ts). `workerData.hang` false: it
 * answers every verified call at once, 200 `{"ok":true}`, and a healthy body for check steps (the
 * measured tenant's actuator). `hang` true: it never answers, so every call lasts the actuator's
 * whole timeout (the noisy tenant's actuator).
 *
 * Messages: parent → `{type:'secret', secret}` | `{type:'counts'}`; worker → `{type:'url', url}` |
 * `{type:'counts', counts}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkBody, startOpsReceiver } from '../simulation/ops-receiver.js';

const hang = (workerData as { hang?: boolean } | null)?.hang === true;
const never = new Promise<never>(() => undefined);
const receiver = await startOpsReceiver((call) =>
  hang ? never : { status: 200, body: call.kind === 'check' ? checkBody(true) : { ok: true } },
);
parentPort!.on('message', (m: { type: 'secret'; secret: string } | { type: 'counts' }) => {
  if (m.type === 'secret') receiver.setSecret(m.secret);
  else parentPort!.postMessage({ type: 'counts', counts: { ...receiver.counts } });
});
parentPort!.postMessage({ type: 'url', url: receiver.url });
