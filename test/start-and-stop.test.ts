import { afterAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { connectActuator } from './support/actuators.js';
import { freePort } from './support/free-port.js';
import { approvedRun, oomIncident } from './support/runs.js';
import { serviceProcesses, untilReady } from './support/service-processes.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

/** What an orchestrator and its operator see when the built service cannot start (an ops review). */
describe('the built service, started wrong', () => {
  const { dataDir, run, cleanup } = serviceProcesses('pillar-loop-start-stop-');
  const proxies: Server[] = [];
  afterAll(async () => {
    cleanup();
    for (const proxy of proxies) await new Promise((resolve) => proxy.close(resolve));
  });

  const service = (env: Record<string, string>) => run([process.execPath, 'dist/src/main.js'], env);
  const exitOf = async (p: ReturnType<typeof service>) => {
    const [code] = await once(p.child, 'close');
    return code as number;
  };

  it('a PLAYBOOK_CATALOG_PATH it cannot use stops it with one line naming the variable, the path and the fault, exit 78, before any database starts', async () => {
    const missing = path.join(dataDir, 'no-such-catalog.json');
    const notJson = path.join(dataDir, 'not-json.json');
    const notCatalog = path.join(dataDir, 'not-a-catalog.json');
    writeFileSync(notJson, '{ "playbooks": [');
    writeFileSync(notCatalog, JSON.stringify({ playbooks: 3 }));
    const expected: Array<[string, RegExp]> = [
      [missing, /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+no-such-catalog\.json does not exist\n$/],
      [notJson, /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+not-json\.json is not valid JSON: [^\n]+\n$/],
      [
        notCatalog,
        /^Invalid configuration: PLAYBOOK_CATALOG_PATH file \S+not-a-catalog\.json is not a valid catalog: field "playbooks" must be a non-empty array\n$/,
      ],
    ];
    // The three side by side: each must stop before it starts anything.
    await Promise.all(
      expected.map(async ([file, line]) => {
        const p = service({
          PORT: String(await freePort()),
          EMBEDDED_PG_PORT: String(await freePort()),
          PLAYBOOK_CATALOG_PATH: file,
        });
        expect({ code: await exitOf(p), file }).toEqual({ code: 78, file });
        expect(p.output()).toMatch(line);
        expect(p.output()).toContain(file);
      }),
    );
    // Nothing was started: no embedded database ($DATA_DIR/pg), no instance lock, no generated key in DATA_DIR.
    expect(readdirSync(dataDir).sort()).toEqual(['not-a-catalog.json', 'not-json.json']);
  });

  it('a DATABASE_URL nobody answers at is tried again until DATABASE_CONNECT_TIMEOUT_S, then one line and exit 69, never showing the password', async () => {
    const password = 'Pa55-never-in-logs';
    const closed = await freePort(); // nothing listens there
    const p = service({
      PORT: String(await freePort()),
      DATABASE_URL: `postgres://pillar:${password}@127.0.0.1:${closed}/pillar_loop`,
      DATABASE_CONNECT_TIMEOUT_S: '1',
    });
    expect(await exitOf(p)).toBe(69);
    expect(p.stderr()).toMatch(
      new RegExp(
        `^pillar-loop failed to start: the database at 127\\.0\\.0\\.1:${closed}/pillar_loop \\(DATABASE_URL\\) cannot be reached: connection refused \\(ECONNREFUSED\\); gave up after \\d+ attempts over 1 s \\(DATABASE_CONNECT_TIMEOUT_S\\)\\n$`,
      ),
    );
    // Before it: one warning per attempt that was followed by another, as a JSON log line.
    const warnings = p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    warnings.forEach((w, i) =>
      expect(w.msg).toMatch(
        new RegExp(
          `^the database at 127\\.0\\.0\\.1:${closed}/pillar_loop \\(DATABASE_URL\\) cannot be reached yet: connection refused \\(ECONNREFUSED\\); attempt ${i + 1}, trying again in [\\d.]+ s$`,
        ),
      ),
    );
    expect(p.output()).not.toContain(password);
    expect(p.output()).not.toContain('pillar:'); // nor the user name of the URL
    expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a DATABASE_URL its server refuses (a wrong password, a database that does not exist) stops it at once with one line, exit 78, never showing the password', async () => {
    const target = new URL(await createTestDatabase());
    const wrongPassword = new URL(target);
    wrongPassword.password = 'Wr0ng-never-in-logs';
    const noDatabase = new URL(target);
    noDatabase.pathname = '/no_such_database';
    const expected: Array<[URL, RegExp]> = [
      [wrongPassword, /refused the connection: password authentication failed for user "[^"]+" \(28P01\)\n$/],
      [noDatabase, /refused the connection: database "no_such_database" does not exist \(3D000\)\n$/],
    ];
    // Both side by side.
    await Promise.all(
      expected.map(async ([url, reason]) => {
        const p = service({
          PORT: String(await freePort()),
          DATABASE_URL: url.toString(),
          DATABASE_CONNECT_TIMEOUT_S: '600',
        });
        expect({ code: await exitOf(p), url: url.pathname }).toEqual({ code: 78, url: url.pathname });
        expect(p.stderr()).toMatch(
          /^pillar-loop failed to start: the database at [^\n]+ \(DATABASE_URL\) refused the connection: /,
        );
        expect(p.stderr()).toMatch(reason);
        expect(p.stderr().split('\n').filter(Boolean)).toHaveLength(1);
        expect(p.output()).not.toContain(url.password);
        expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
      }),
    );
  });

  it('a database that starts answering while the service waits for it is used: the service becomes ready on it', async () => {
    const target = new URL(await createTestDatabase());
    const socketDir = target.searchParams.get('host');
    const port = await freePort(); // the database "starts" here once the service has said it waits
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    url.search = '';
    const httpPort = await freePort();
    const p = service({ PORT: String(httpPort), DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_S: '600' });
    await eventually(async () => p.output().includes('cannot be reached yet'), 'the service to say it waits', 60_000);
    expect(p.child.exitCode).toBeNull();

    // The server appears: a TCP proxy to the test database (on its socket, or its TCP address).
    let connections = 0;
    const proxy = createServer((client: Socket) => {
      connections++;
      const server = socketDir
        ? createConnection({ path: path.join(socketDir, `.s.PGSQL.${target.port}`) })
        : createConnection({ host: target.hostname, port: Number(target.port) });
      client.pipe(server).pipe(client);
      const end = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', end).on('close', end);
      server.on('error', end).on('close', end);
    });
    proxies.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));

    await untilReady(httpPort, { what: 'the service to be ready on the database that appeared' });
    expect(connections).toBeGreaterThan(0);
    expect(p.output()).not.toContain(target.password);
    p.child.kill('SIGTERM');
    expect(await exitOf(p)).toBe(0);
  });
});

describe('shutdown', () => {
  let app: TestApp | undefined;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
  // Answers the held call: the test does, and so does the clean-up when the test failed before it.
  let answer = () => {};
  afterAll(async () => {
    answer();
    await app?.stop();
    await receiver?.close();
  });

  it('readiness answers 503 from the moment shutdown begins, while a call in flight keeps it draining and HTTP still serves', async () => {
    // A recovery run's actuator call in flight: shutdown waits for it (the run engine's drain, which
    // Nest runs before terminus's own shutdown flag), and the receiver answers only when told to.
    let called!: () => void;
    const inFlight = new Promise<void>((resolve) => (called = resolve));
    receiver = await startWebhookReceiver((call, res) => {
      if (call.json?.params?.action !== 'clear_cache') return answerHealthy(call, res);
      answer = () => res.end('{}');
      called();
    });
    app = await startTestApp({ ...ALLOW_LOOPBACK, SHUTDOWN_TIMEOUT_MS: '600000' });
    const admin = await app.keyFor('draining', 'admin');
    const operator = await app.keyFor('draining', 'operator');
    await connectActuator(app.http, admin, receiver, { timeoutMs: 600_000 });
    await approvedRun(app.http, operator, oomIncident('drain'));
    await inFlight;
    expect((await app.http.get('/health/ready')).status).toBe(200);

    let closed = false;
    const closing = app.close().then(() => (closed = true)); // what main.ts does on SIGTERM
    const ready = await app.http.get('/health/ready');
    expect({ status: ready.status, body: ready.body }).toMatchObject({
      status: 503,
      body: { status: 'shutting_down' },
    });
    // Still draining, and still serving a request that reaches it meanwhile.
    expect((await app.http.get('/health/live')).status).toBe(200);
    expect(closed).toBe(false);

    answer();
    await closing;
    expect(receiver.calls.filter((c) => c.json?.params?.action === 'clear_cache')).toHaveLength(1);
  });
});
