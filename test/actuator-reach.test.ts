import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import request from 'supertest';
import { SecretBox } from '../src/platform/crypto/secret-box.js';
import { generateWebhookSecret } from '../src/platform/crypto/webhook-signature.js';
import { approvedRun, finishedRun, oomIncident } from './support/runs.js';
import { openSse } from './support/sse.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

/**
 * Issue 20, items 1 to 3 (ADR 0013): actuators reach public addresses only unless the platform
 * operator opens a network; credentials never sit in URLs and header values are shown once;
 * any answer the service accepted is stored, and a call that succeeded is not repeated.
 * Real HTTP, real PostgreSQL, a real local receiver.
 */
type Http = ReturnType<typeof request>;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const byAction = (calls: ReceivedCall[], runId: string, action: string) =>
  calls.filter((c) => c.json?.runId === runId && c.json.params?.action === action);

describe('actuators reach public addresses only (ACTUATOR_ALLOW_NETWORKS unset)', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'reach-'));

  beforeAll(async () => {
    receiver = await startWebhookReceiver((_c, res) => res.end('{"healthy":true}'));
    app = await startTestApp({
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    admin = await app.keyFor('reach', 'admin');
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('PUT refuses loopback, IPv6 loopback, the metadata service, private networks, names that resolve to loopback, and credentials in the URL', async () => {
    const port = new URL(receiver.url).port;
    const cases: Array<[string, RegExp]> = [
      [
        `http://127.0.0.1:${port}/ops`,
        /url 127\.0\.0\.1 is not a public address; only the networks in ACTUATOR_ALLOW_NETWORKS/,
      ],
      [`http://[::1]:${port}/ops`, /url ::1 is not a public address; only the networks in ACTUATOR_ALLOW_NETWORKS/],
      [
        'http://169.254.169.254/latest/meta-data/',
        /169\.254\.169\.254 is not a public address.*ACTUATOR_ALLOW_NETWORKS/,
      ],
      ['http://10.0.0.1/ops', /10\.0\.0\.1 is not a public address.*ACTUATOR_ALLOW_NETWORKS/],
      [
        `http://localhost:${port}/ops`,
        /url localhost resolves to an address that is not public; only the networks in ACTUATOR_ALLOW_NETWORKS/,
      ],
      ['https://ops:hunter2-pass@ops.example.com/hook', /url must not carry credentials/],
    ];
    for (const [url, why] of cases) {
      const res = await app.http
        .put('/actuators/ops')
        .set(auth(admin))
        .send({ url, headers: { authorization: 'Bearer never-stored' } });
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
      expect(res.body.fields).toEqual([{ field: 'url', errors: [expect.stringMatching(why)] }]);
      expect(JSON.stringify(res.body)).not.toMatch(/hunter2|never-stored/);
    }
    expect(await app.sql(`SELECT name FROM actuators WHERE tenant_id = 'reach'`)).toEqual([]);
  });

  it('a name that resolves to loopback at call time fails its step at once: no retry, no connection, no address in the error', async () => {
    // As if the name had resolved to a public address when it was configured (DNS changes; rebinding).
    const port = new URL(receiver.url).port;
    const box = app.app.get(SecretBox);
    await app.sql(
      `INSERT INTO actuators (tenant_id, name, url, timeout_ms, secret_sealed) VALUES ('reach', 'ops', $1, 2000, $2)`,
      [`http://localhost:${port}/ops`, box.seal(generateWebhookSecret())],
    );
    const { runId } = await approvedRun(app.http, admin, oomIncident('dns'));
    // A run a person started pauses on its failed step (DESIGN §13): the failure shows there already; then it is rolled back.
    await eventually(
      async () => (await app.http.get(`/runs/${runId}`).set(auth(admin))).body.pausedOnStep === 'clear_cache',
      'the run to pause',
    );
    await app.http.post(`/runs/${runId}/rollback`).set(auth(admin)).send({}).expect(202);
    const run = await finishedRun(app.http, admin, runId);
    const first = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    expect(first).toMatchObject({ status: 'failed', attempts: 1 });
    expect(first.error).toBe(
      'refused by the egress rule: the host name resolves to an address that is neither public nor in ACTUATOR_ALLOW_NETWORKS',
    );
    expect(run.status).toMatch(/^(failed|rollback_failed)$/);
    expect(JSON.stringify(run)).not.toMatch(new RegExp(`localhost|127\\.0\\.0\\.1|:${port}`));
    expect(receiver.calls).toEqual([]);
  });
});

describe('with ACTUATOR_ALLOW_NETWORKS covering loopback (the service in its own process, every log line read)', () => {
  const TOKEN = 'tok-8c1f6e0d2b9a4e7f-never-shown-again';
  const dataDir = mkdtempSync(join(tmpdir(), 'reach-open-'));
  let child: ChildProcess;
  let logs = '';
  let http: Http;
  let baseUrl: string;
  let pool: pg.Pool;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    receiver = await startWebhookReceiver();
    child = spawn(process.execPath, ['dist/test/support/app-child.js'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        ADMIN_API_KEY: ADMIN_KEY,
        ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8,::1',
        CHILD_LOG_LEVEL: 'trace',
        RECOVERY_VERIFY_WINDOW_MS: '300',
        RUN_RETRY_BASE_MS: '50',
        OUTBOX_POLL_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    baseUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        logs += `${line}\n`;
        if (line.startsWith('READY ')) resolve(line.slice(6));
      });
      child.once('exit', (code) => reject(new Error(`service child exited (${code}) before READY`)));
    });
    http = request(baseUrl);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const created = await http
      .post('/admin/api-keys')
      .set(auth(ADMIN_KEY))
      .send({ tenantId: 'open', name: 'open admin', role: 'admin' })
      .expect(201);
    admin = created.body.key;
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await pool.end();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the same local receiver is reached, by address and by name; a header value is shown once, then only its name', async () => {
    expect((await http.put('/actuators/v6').set(auth(admin)).send({ url: 'http://[::1]:9/' })).status).toBe(201);
    expect(
      (
        await http
          .put('/actuators/named')
          .set(auth(admin))
          .send({ url: `${receiver.url.replace('127.0.0.1', 'localhost')}/ops` })
      ).status,
    ).toBe(201);
    const put = await http
      .put('/actuators/ops')
      .set(auth(admin))
      .send({ url: `${receiver.url}/ops`, timeoutMs: 2000, headers: { authorization: `Bearer ${TOKEN}` } })
      .expect(201);
    expect(put.body).toMatchObject({
      headers: { authorization: `Bearer ${TOKEN}` },
      headerNames: ['authorization'],
      secret: expect.stringMatching(/^whsec_/),
    });
    receiver.setSecret(put.body.secret);
    const read = (await http.get('/actuators/ops').set(auth(admin)).expect(200)).body;
    expect(read).toEqual(expect.objectContaining({ headerNames: ['authorization'] }));
    expect(JSON.stringify(read)).not.toContain(TOKEN);
    const [row] = (await pool.query(`SELECT headers_sealed FROM actuators WHERE tenant_id = 'open' AND name = 'ops'`))
      .rows;
    expect(JSON.stringify(row)).not.toContain(TOKEN);
  });

  it('nothing holds the header value afterwards: runs, steps, errors, timeline, evidence, the live stream, the logs', async () => {
    // The first call of a step fails (an error is stored and retried), then everything succeeds.
    let failedOnce = false;
    receiver.answer((c, res) => {
      if (c.json?.params?.action === 'reduce_batch' && !failedOnce) {
        failedOnce = true;
        res.statusCode = 503;
        return void res.end('busy');
      }
      res.end(c.json?.params?.action === 'memory_check' ? '{"healthy":true}' : '{"ok":true}');
    });
    const messages: string[] = [];
    const stream = openSse(`${baseUrl}/integration/stream`, auth(admin), (event, data) =>
      messages.push(`${event} ${JSON.stringify(data)}`),
    );
    try {
      await stream.opened;
      const { incidentId, runId } = await approvedRun(http, admin, oomIncident('hdr'));
      const run = await finishedRun(http, admin, runId);
      expect(run.status).toBe('succeeded');
      expect(run.steps.find((s: { id: string }) => s.id === 'reduce_batch')).toMatchObject({
        status: 'succeeded',
        attempts: 2,
      });
      await eventually(
        async () => messages.some((m) => m.includes(runId) && m.includes('"succeeded"')),
        'the run on the live stream',
      );
      // The receiver got the header on every call (the value was used, not lost).
      const calls = receiver.calls.filter((c) => c.json?.runId === runId);
      expect(calls.length).toBeGreaterThanOrEqual(5);
      expect(calls.every((c) => c.headers.authorization === `Bearer ${TOKEN}` && c.verified)).toBe(true);

      const everything = [
        (await http.get('/actuators').set(auth(admin)).expect(200)).text,
        (await http.get(`/runs/${runId}`).set(auth(admin)).expect(200)).text,
        (await http.get('/runs').set(auth(admin)).expect(200)).text,
        (await http.get(`/incidents/${incidentId}/timeline`).set(auth(admin)).expect(200)).text,
        (await http.get(`/incidents/${incidentId}/evidence`).set(auth(admin)).expect(200)).text,
        (await http.get(`/incidents/${incidentId}/evidence?format=md`).set(auth(admin)).expect(200)).text,
        JSON.stringify((await pool.query(`SELECT * FROM recovery_run_steps WHERE run_id = $1`, [runId])).rows),
        JSON.stringify((await pool.query(`SELECT * FROM recovery_run_transitions WHERE run_id = $1`, [runId])).rows),
        messages.join('\n'),
      ];
      expect(everything[7]).toContain('HTTP 503'); // the retried call's error is stored, without the header
      for (const text of everything) expect(text).not.toContain(TOKEN);
      // The logs were read (trace level: the PUT that carried the header is there), and hold no value.
      expect(logs).toMatch(/"url":"\/actuators\/ops"/);
      expect(logs).not.toContain(TOKEN);
    } finally {
      stream.close();
    }
  });

  it('an answer holding \\u0000 and lone surrogates is stored; the step succeeds once and the receiver saw one call', async () => {
    receiver.answer((c, res) => {
      const action = c.json?.params?.action;
      if (action === 'clear_cache')
        return void res.end(
          '{"note":"freed\\u0000 2 GiB","odd":"\\ud800x","pair":"\\ud83d\\ude00","k\\u0000ey":["\\udfff"]}',
        );
      res.end(action === 'memory_check' ? '{"healthy":true}' : '{}');
    });
    const { runId } = await approvedRun(http, admin, oomIncident('nul'));
    const run = await finishedRun(http, admin, runId);
    expect(run.status).toBe('succeeded');
    const step = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    expect(step).toMatchObject({ status: 'succeeded', attempts: 1 });
    // U+0000 and unpaired surrogates became U+FFFD; a proper pair (an emoji) is kept.
    expect(step.output.body).toEqual({
      note: 'freed\ufffd 2 GiB',
      odd: '\ufffdx',
      pair: '😀',
      'k\ufffdey': ['\ufffd'],
    });
    expect(byAction(receiver.calls, runId, 'clear_cache')).toHaveLength(1);
  });
});
