import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { startApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/platform/config/config.js';
import { NotifyBatcher } from '../src/platform/database/notify-batcher.js';
import { PgNotifications } from '../src/platform/database/pg-notifications.js';
import { CreateWorkOrder } from '../src/self-healing/patches/create-work-order/create-work-order.command.js';
import { openSse } from './support/sse.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
/** 4 000 characters of 3 bytes each: 12 000 bytes, over PostgreSQL's 8 000-byte NOTIFY limit though under 8 000 characters. */
const CJK_12KB = '修复构建阶段超时'.repeat(500);

/** Issue 20 item 5: NOTIFY payloads are measured in bytes, and one too big never drops the others. */
describe('NOTIFY payloads (real PostgreSQL LISTEN/NOTIFY, real SSE)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('a payload over 8 000 bytes is dropped alone; the others of the same flush arrive, up to 7 999 bytes', async () => {
    const batcher = app.app.get(NotifyBatcher);
    const got: string[] = [];
    app.app.get(PgNotifications).on('i20_probe_a', (p) => got.push(`a:${p}`));
    app.app.get(PgNotifications).on('i20_probe_b', (p) => got.push(`b:${p}`));
    // LISTEN is sent in the background: wait until the channels hear.
    await eventually(async () => {
      batcher.notifyAfterCommit('i20_probe_a', 'ping');
      batcher.notifyAfterCommit('i20_probe_b', 'ping');
      await batcher.flush();
      await new Promise((r) => setTimeout(r, 50));
      return got.includes('a:ping') && got.includes('b:ping');
    }, 'LISTEN on the probe channels');
    got.length = 0;

    expect(Buffer.byteLength(CJK_12KB)).toBe(12_000);
    batcher.notifyAfterCommit('i20_probe_a', CJK_12KB);
    batcher.notifyAfterCommit('i20_probe_a', 'small-a');
    batcher.notifyAfterCommit('i20_probe_b', 'small-b');
    batcher.notifyAfterCommit('i20_probe_b', 'x'.repeat(7999));
    batcher.notifyAfterCommit('i20_probe_b', 'y'.repeat(8000));
    await batcher.flush();
    await eventually(
      async () => got.includes('a:small-a') && got.includes('b:small-b') && got.includes(`b:${'x'.repeat(7999)}`),
      'the payloads that fit',
    );
    await batcher.flush(); // and a later flush does not bring the dropped ones back
    expect(got.filter((p) => p.includes('修') || p.includes('yyy'))).toEqual([]);
  });

  it("a 12 KB multi-byte work-order summary: another tenant's message of the same moment still arrives, and its own arrives cut", async () => {
    const tenants = ['np-a', 'np-b'];
    const keys = Object.fromEntries(
      await Promise.all(
        tenants.map(
          async (t) => [t, { viewer: await app.keyFor(t, 'viewer'), agent: await app.keyFor(t, 'agent') }] as const,
        ),
      ),
    );
    const heard: Record<string, Array<{ change: string; summary: string }>> = { 'np-a': [], 'np-b': [] };
    const streams = tenants.map((t) =>
      openSse(
        `${app.url}/integration/stream`,
        auth(keys[t].viewer),
        (event, data) => event === 'work_order_progress' && heard[t].push(data),
      ),
    );
    try {
      await Promise.all(streams.map((s) => s.opened));
      const claimed: Record<string, { id: string; claimToken: string }> = {};
      for (const t of tenants) {
        const order = await app.app.get(CommandBus).execute(
          new CreateWorkOrder({
            tenantId: t,
            runId: null,
            incidentId: null,
            stepId: null,
            description: 'fix the build',
            priority: 'low',
            complexity: 'small',
            context: {
              incident: null,
              pattern: null,
              affectedAgents: [],
              capabilities: [],
              lastErrors: [],
              runId: null,
            },
          }),
        );
        const res = await app.http.post(`/patches/work-orders/${order.id}/claim`).set(auth(keys[t].agent)).expect(200);
        claimed[t] = { id: order.id, claimToken: res.body.claimToken };
      }
      await Promise.all([
        app.http
          .post(`/patches/work-orders/${claimed['np-a'].id}/complete`)
          .set(auth(keys['np-a'].agent))
          .send({ claimToken: claimed['np-a'].claimToken, testsPassed: true, summary: CJK_12KB })
          .expect(200),
        app.http
          .post(`/patches/work-orders/${claimed['np-b'].id}/progress`)
          .set(auth(keys['np-b'].agent))
          .send({ claimToken: claimed['np-b'].claimToken, note: 'reproduced' })
          .expect(200),
      ]);
      const b = await eventually(
        async () => heard['np-b'].find((m) => m.change === 'progress'),
        "the other tenant's progress message",
      );
      expect(b.summary).toContain('reproduced');
      const a = await eventually(
        async () => heard['np-a'].find((m) => m.change === 'completed'),
        'the completion, cut to fit',
      );
      expect(a.summary.endsWith('…')).toBe(true);
      expect(a.summary.length).toBeLessThanOrEqual(501);
      // The whole summary is kept where it is read in full.
      const detail = (
        await app.http.get(`/patches/work-orders/${claimed['np-a'].id}`).set(auth(keys['np-a'].viewer)).expect(200)
      ).body;
      expect(detail.result.summary).toBe(CJK_12KB);
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('a NOTIFY flushed while shutdown is ending the pool is dropped quietly, not sent to a closed pool and warned about', async () => {
    // An app of its own: this one is shut down by the test.
    const running = await startApp(
      loadConfig({ DATABASE_URL: await createTestDatabase(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
      () => {},
    );
    const batcher = running.app.get(NotifyBatcher);
    const warnings: string[] = [];
    jest
      .spyOn((batcher as unknown as { logger: Logger }).logger, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
    const dataSource = running.app.get(DataSource);
    const pool = (dataSource.driver as unknown as { master: pg.Pool & { ending: boolean } }).master;

    // A connection still out keeps the pool's end from finishing: the window in which the pool is
    // ending while the app still counts as initialised, held open here instead of lasting a few ms.
    const held = await pool.connect();
    const closing = running.close();
    while (!pool.ending) await new Promise((resolve) => setImmediate(resolve));
    expect(dataSource.isInitialized).toBe(true);
    batcher.notifyAfterCommit('shutdown_probe', 'late');
    await batcher.flush();
    held.release();
    await closing;
    expect(warnings).toEqual([]);
  });
});
