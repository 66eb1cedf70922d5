import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALLOW_LOOPBACK, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Replicas must share SECRETS_KEY: a replica without it cannot open the actuators' and channels'
 * secrets the others stored. At startup each checks the secret stored last: a replica whose key was
 * generated into its own DATA_DIR refuses to start; one given another key deliberately starts.
 */
describe('the secrets key, checked at startup', () => {
  const keyA = { SECRETS_KEY: randomBytes(32).toString('hex'), ...ALLOW_LOOPBACK };

  async function withOwnGeneratedKey(url: string): Promise<unknown> {
    const dataDir = mkdtempSync(join(tmpdir(), 'own-secrets-key-'));
    try {
      return await startTestApp({ DATA_DIR: dataDir, ...ALLOW_LOOPBACK }, [], url).then(
        (app) => app.stop().then(() => 'started'),
        (err: Error) => err.message,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  async function storedBy(store: (app: TestApp, admin: string) => Promise<void>): Promise<string> {
    const url = await createTestDatabase();
    const first = await startTestApp(keyA, [], url);
    try {
      await store(first, await first.keyFor('keys', 'admin'));
    } finally {
      await first.stop();
    }
    return url;
  }

  it("refuses to start on a generated key that cannot open an actuator's secret; starts on the shared key or one given deliberately", async () => {
    const url = await storedBy(async (app, admin) => {
      await app.http.put('/actuators/ops').set(auth(admin)).send({ url: 'http://127.0.0.1:9/ops' }).expect(201);
    });
    expect(await withOwnGeneratedKey(url)).toMatch(
      /the signing secret of actuator ops \(tenant keys\) was sealed with a secrets key this replica does not have.*not starting.*SECRETS_KEY/,
    );
    for (const env of [keyA, { SECRETS_KEY: randomBytes(32).toString('hex'), ...ALLOW_LOOPBACK }]) {
      const app = await startTestApp(env, [], url);
      await app.stop();
    }
  });

  it("refuses to start on a generated key that cannot open a notification channel's URL", async () => {
    const url = await storedBy(async (app, admin) => {
      await app.http
        .put('/notifications/channels/hook')
        .set(auth(admin))
        .send({ type: 'webhook', url: 'http://127.0.0.1:9/events' })
        .expect(201);
    });
    expect(await withOwnGeneratedKey(url)).toMatch(
      /the URL of notification channel hook \(tenant keys\).*not starting/,
    );
  });
});
