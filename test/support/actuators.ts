import type { TestApp } from './test-app.js';

interface Receiver {
  url: string;
  setSecret: (secret: string) => void;
}

/**
 * Points a tenant's actuator at a local receiver (`PUT /actuators/:name`, as its admin) and has the
 * receiver check signatures with the secret the answer shows once.
 */
export async function connectActuator(
  http: TestApp['http'],
  adminKey: string,
  receiver: Receiver,
  { name = 'ops', path = `/${name}`, timeoutMs }: { name?: string; path?: string; timeoutMs?: number } = {},
): Promise<void> {
  const res = await http
    .put(`/actuators/${name}`)
    .set('Authorization', `Bearer ${adminKey}`)
    .send({ url: `${receiver.url}${path}`, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  if (res.status !== 201) throw new Error(`PUT /actuators/${name} answered ${res.status}: ${res.text}`);
  receiver.setSecret(res.body.secret);
}
