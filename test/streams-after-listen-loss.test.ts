import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LoopProgressHub } from '../src/integration/loop-progress/loop-progress.hub.js';
import { PgNotifications } from '../src/platform/database/pg-notifications.js';
import { openSse } from './support/sse.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const TENANT = 'listen-loss';

/**
 * Updates reach SSE clients by LISTEN/NOTIFY. While this replica's LISTEN connection is down,
 * what is sent meanwhile is lost: once it is back, a followed incident's stream is sent its loop as
 * it stands (the end of a loop is not missed, and its stream closes), and the tenant's streams end,
 * so their clients reconnect and read what they missed.
 */
describe('SSE streams after the LISTEN connection was lost', () => {
  let app: TestApp;
  let admin: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  /** Ends this replica's LISTEN connection, as a failover or a proxy's idle timeout does; it reconnects by itself. */
  const cutListenConnection = async () => {
    // (Connected again after an earlier cut.)
    await eventually(
      async () =>
        (
          await app.sql(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pillar-loop-listener'`,
          )
        ).length === 1,
      'the LISTEN connection',
    );
    const cut = await app.sql<{ pid: number }>(
      `SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'pillar-loop-listener'`,
    );
    expect(cut).toHaveLength(1);
  };
  const loop = async (id: string) => (await app.http.get(`/integration/loop/${id}`).set(auth(admin)).expect(200)).body;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_HELD_SWEEP_MS: '200' });
    admin = await app.keyFor(TENANT, 'admin');
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  afterAll(() => app.stop());

  it("an incident's stream is sent the end of its loop that happened while the connection was down, and closes", async () => {
    const flag = (enabled: boolean) =>
      app.http.put('/integration/flags/bridge_4').set(auth(admin)).send({ enabled, scope: 'tenant' }).expect(200);
    await flag(false);
    const res = await app.http
      .post('/incidents')
      .set(auth(admin))
      .send({ errorType: 'timeout', message: 'Upstream call to ledger timed out after 3000 ms' })
      .expect(201);
    const id = res.body.id as string;
    await eventually(async () => (await loop(id)).stagesCompleted.length === 4, 'the loop to wait at bridge 4');

    const received: Array<{ isComplete: boolean }> = [];
    const stream = openSse(`${app.url}/integration/loop/${id}/stream`, auth(admin), (_event, data) =>
      received.push(data),
    );
    expect(await stream.opened).toBe(200);
    await eventually(async () => received.length === 1, 'the status as it stands');
    let closed = false;
    void stream.ended.then(() => (closed = true));

    // What the connection would have carried while it was down never arrives (only the word that it
    // is back, an empty payload, still does)...
    type Dispatch = (channel: string, payload: string) => void;
    const notifications = PgNotifications.prototype as unknown as { dispatch: Dispatch };
    const dispatch = notifications.dispatch;
    jest.spyOn(notifications, 'dispatch').mockImplementation(function (this: unknown, channel, payload) {
      if (payload === '') dispatch.call(this, channel, payload);
    });
    await flag(true);
    await eventually(async () => (await loop(id)).isComplete, 'the loop to complete');
    expect(received.at(-1)?.isComplete).toBe(false);
    expect(closed).toBe(false);

    // ...and once it is back, the stream is sent where the loop stands, and ends with it.
    await cutListenConnection();
    await stream.ended;
    expect(received.at(-1)).toMatchObject({ incidentId: id, isComplete: true });
  });

  it("the tenant's stream ends once the connection is back, for its client to reconnect and read again", async () => {
    const hub = app.app.get(LoopProgressHub);
    const stream = openSse(`${app.url}/integration/stream`, auth(admin), () => undefined);
    expect(await stream.opened).toBe(200);
    await eventually(async () => hub.tenantStreamCount(TENANT) === 1, 'the stream to be followed');
    await cutListenConnection();
    await stream.ended;
    expect(hub.tenantStreamCount(TENANT)).toBe(0);
  });
});
