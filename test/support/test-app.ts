import type { Type } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import { startApp, type RunningApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createTestDatabase } from './test-database.js';

export const ADMIN_KEY = 'test-platform-admin-key-0123456789';
/**
 * For tests whose actuators are local receivers: by default actuators reach public addresses only
 * (ADR 0013), so a test that calls 127.0.0.1 opens loopback, as an installation would.
 */
export const ALLOW_LOOPBACK = { ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8,::1' };

export interface TestApp extends RunningApp {
  http: ReturnType<typeof request>;
  /** A direct connection for assertions on stored rows. */
  sql<R = Record<string, any>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Creates an API key through the real admin endpoint. */
  keyFor(tenantId: string, role: 'viewer' | 'operator' | 'admin' | 'agent'): Promise<string>;
  stop(): Promise<void>;
}

/** The real app, over real HTTP, on its own fresh database. */
export async function startTestApp(
  env: Record<string, string> = {},
  extraModules: Type[] = [],
  databaseUrl?: string,
): Promise<TestApp> {
  const url = databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: ADMIN_KEY,
    OUTBOX_POLL_INTERVAL_MS: '250',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  const running = await startApp(config, () => {}, extraModules);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  const http = request(running.url);
  let stopping: Promise<void> | null = null;
  return {
    ...running,
    http,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    keyFor: async (tenantId, role) => {
      const res = await http
        .post('/admin/api-keys')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ tenantId, name: `${tenantId} ${role}`, role });
      if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.key as string;
    },
    // Once, however often a test's try and finally ask.
    stop: () =>
      (stopping ??= (async () => {
        try {
          await running.close();
        } finally {
          await pool.end();
        }
      })()),
  };
}

/** Polls until `check` returns a truthy value (never asserts on time; the timeout only bounds a hang). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
