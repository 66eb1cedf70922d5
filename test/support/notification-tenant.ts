import { eventually, type TestApp } from './test-app.js';
import type { startWebhookReceiver } from './webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * A tenant's admin with a webhook channel `hook` to `hook` (under /<tenant>/), and what the
 * notification tests do with it, through the real app.
 */
export async function notificationTenant(app: TestApp, hook: Receiver, name: string) {
  const key = await app.keyFor(name, 'admin');
  const put = (path: string, body: object, status = 201) => app.http.put(path).set(auth(key)).send(body).expect(status);
  await put('/notifications/channels/hook', { type: 'webhook', url: `${hook.url}/${name}/hook` });
  const deliveries = async (query = '') =>
    (await app.http.get(`/notifications/deliveries?limit=200${query}`).set(auth(key)).expect(200)).body.items as Array<
      Record<string, any>
    >;
  const delivery = async (id: string) =>
    (await app.http.get(`/notifications/deliveries/${id}`).set(auth(key)).expect(200)).body;
  /** The receiver's calls for this tenant, in their order; of one message type (`test`, `killswitch.changed`, …). */
  const calls = (type?: string) =>
    hook.calls.filter((c) => c.path.startsWith(`/${name}/`) && (type === undefined || c.json?.type === type));
  /** Turns agent-q's kill switch on or off; the messages it queued (one per rule that takes it), newest first. */
  const killSwitch = async (on: boolean, messages = 1) => {
    const before = (await deliveries()).length;
    if (on)
      await app.http.post('/guard/killswitch').set(auth(key)).send({ agentId: 'agent-q', reason: 'flaky' }).expect(200);
    else await app.http.delete('/guard/killswitch?agentId=agent-q&reason=calm').set(auth(key)).expect(200);
    return eventually(
      async () => {
        const all = await deliveries();
        return all.length >= before + messages ? all.slice(0, all.length - before) : null;
      },
      `the kill switch ${on ? 'on' : 'off'} message(s)`,
    );
  };
  return { key, put, deliveries, delivery, calls, killSwitch };
}
