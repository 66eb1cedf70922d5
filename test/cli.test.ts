import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectActuator } from './support/actuators.js';
import { freePort } from './support/free-port.js';
import { firstStepDoneByHand } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const HOUR = 3_600_000;
const BIN = path.join(process.cwd(), 'bin', 'pillar-loop.js');
const tail = (id: string) => id.replace(/-/g, '').slice(-6);

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `pillar-loop` (issue 27 §3): the real binary, run as a child process (`node bin/pillar-loop.js`,
 * which runs the build in dist/), against the real service on a real PostgreSQL, with a real local
 * actuator receiver for the runs it follows.
 */
describe('pillar-loop, the command line', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const home = mkdtempSync(path.join(tmpdir(), 'cli-home-'));
  const children: ChildProcess[] = [];
  /** Calls the receiver holds unanswered until the test lets them go, by the agent of their run's incident. */
  const held = new Map<string, ServerResponse[]>();
  const holding = new Set<string>();
  let seq = 0;

  /** A fresh tenant with its keys, and its `ops` actuator at the receiver (unless it should have none). */
  async function tenant(name: string, actuator = true) {
    const [admin, operator, viewer] = await Promise.all([
      app.keyFor(name, 'admin'),
      app.keyFor(name, 'operator'),
      app.keyFor(name, 'viewer'),
    ]);
    if (actuator) {
      await connectActuator(app.http, admin, receiver, { timeoutMs: 15_000 });
    }
    return { admin, operator, viewer };
  }

  /** The child's environment: a home of its own (state and config under it), the service and a key. */
  const envOf = (key: string | null, extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    ...(key === null ? {} : { PILLAR_LOOP_URL: app.url, PILLAR_LOOP_KEY: key }),
    ...extra,
  });

  /** Starts the binary; `done` resolves with its exit code and output, `stdout()` reads it meanwhile. */
  function start(args: string[], key: string | null, extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: envOf(key, extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const done: Promise<Done> = once(child, 'close').then(([code]) => ({
      code: code as number | null,
      stdout,
      stderr,
    }));
    return { done, stdout: () => stdout };
  }
  const cli = (args: string[], key: string | null, extra: Record<string, string> = {}) => start(args, key, extra).done;
  const json = async (args: string[], key: string, expectCode = 0) => {
    const r = await cli([...args, '--json'], key);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: expectCode, stderr: '' });
    return JSON.parse(r.stdout);
  };
  /** One line on stderr, nothing on stdout, exit 3. */
  const refused = (r: Done) => {
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
    expect(r.stderr).toMatch(/^pillar-loop: [^\n]+\n$/);
    return r.stderr;
  };

  /**
   * An out-of-memory incident of agent `agentId` (memory_cleanup's pattern) and its pending recovery;
   * `verification`: a failed verification instead (verification_fix's, whose first step escalates to a coding agent).
   */
  async function incident(key: string, agentId: string, verification = false) {
    const res = await app.http
      .post('/incidents')
      .set(auth(key))
      .send({
        errorType: verification ? 'VerificationFailed' : 'OutOfMemoryError',
        message: verification
          ? `Output verification failed for report-${++seq}: tests failed on the summary (case ${seq}v)`
          : `Worker pod ingest-${++seq} OOMKilled: container exceeded memory limit 2048Mi (case ${seq}c)`,
        agentId,
        capability: 'ingest',
      })
      .expect(201);
    const recovery = await eventually(
      async () =>
        (await app.http.get(`/recoveries?incidentId=${res.body.id}`).set(auth(key)).expect(200)).body.items[0],
      'a recovery',
    );
    return { incidentId: res.body.id as string, recoveryId: recovery.id as string };
  }
  const runOf = async (key: string, id: string) => (await app.http.get(`/runs/${id}`).set(auth(key)).expect(200)).body;

  beforeAll(async () => {
    receiver = await startWebhookReceiver((call, res) => {
      const agent: string = call.json?.incident?.agentId ?? '';
      const action: string = call.json?.params?.action ?? '';
      if (holding.has(agent) && action === 'clear_cache') {
        held.set(agent, [...(held.get(agent) ?? []), res]);
        return 'hang';
      }
      // bad-* agents' restarts fail: their runs pause for an operator.
      if (agent.startsWith('bad-') && action === 'restart_worker')
        return res.end('{"status":"failed","why":"node drained"}');
      // half-* agents refuse the batch factor the playbook starts with: a retry with another one passes.
      if (agent.startsWith('half-') && action === 'reduce_batch' && call.json.params.factor === 0.5)
        return res.end('{"status":"failed","error":"factor 0.5 starves the consumers"}');
      res.end(action === 'memory_check' ? '{"healthy":true}' : '{"ok":true}');
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      RUN_RETRY_BASE_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const list of held.values()) for (const res of list) res.destroy();
    await app.stop();
    await receiver.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('--help works on the program and on every command, without any configuration', async () => {
    const top = await cli(['--help'], null);
    expect(top.code).toBe(0);
    for (const command of ['status', 'incidents', 'runs', 'recoveries', 'approve', 'cancel', 'audit', 'inbox']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(top.stdout).toContain('Exit codes: 0 ok or healthy');
    for (const args of [
      ['status'],
      ['incidents'],
      ['runs'],
      ['recoveries'],
      ['approve'],
      ['cancel'],
      ['audit'],
      ['audit', 'verify'],
      ['inbox'],
    ]) {
      const r = await cli([...args, '--help'], null);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toContain(`Usage: pillar-loop ${args.join(' ')}`);
      if (args[0] !== 'audit' || args.length === 2) expect(r.stdout).toContain('--json');
    }
    expect((await cli(['runs', '--help'], null)).stdout).toContain('--watch <run>');
    expect((await cli(['status', '--help'], null)).stdout).toContain('Fixed (exit 2)');
  });

  it('says what is wrong in one line with exit 3: a wrong key (never printed), no service, no configuration, bad usage', async () => {
    const wrong = 'plk_wrong_key_0123456789abcdef';
    const unknownKey = refused(await cli(['status'], wrong));
    expect(unknownKey).toBe(
      'pillar-loop: the service refused the API key from PILLAR_LOOP_KEY (401: unknown or revoked API key)\n',
    );
    expect(refused(await cli(['runs', '--json'], wrong))).not.toContain(wrong);

    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(refused(await cli(['incidents'], wrong, { PILLAR_LOOP_URL: closed }))).toBe(
      `pillar-loop: cannot reach ${closed} (ECONNREFUSED)\n`,
    );
    expect(refused(await cli(['inbox'], null))).toMatch(/no service URL: set PILLAR_LOOP_URL/);
    expect(refused(await cli(['status'], wrong, { PILLAR_LOOP_URL: `http://me:${wrong}@127.0.0.1:9` }))).toMatch(
      /must not carry a user or password/,
    );
    expect(refused(await cli(['bogus'], null))).toBe("pillar-loop: unknown command 'bogus'\n");
    expect(refused(await cli(['runs', '--status', 'sleepy'], null))).toMatch(/argument 'sleepy' is invalid/);
    expect(refused(await cli(['approve'], null))).toBe("pillar-loop: missing required argument 'recovery'\n");
  });

  it('reads the URL and key from a config file only when others cannot read it', async () => {
    const { viewer } = await tenant('cli-config', false);
    const dir = path.join(home, 'config', 'pillar-loop');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ url: app.url, key: viewer }));
    chmodSync(file, 0o644);
    // The home is every test's: an open or broken file left behind by a failure here must not fail them too.
    try {
      const open = refused(await cli(['status'], null));
      expect(open).toBe(
        `pillar-loop: config file ${file} is open to other users (mode 0644) and holds an API key: chmod 600 ${file}\n`,
      );
      expect(open).not.toContain(viewer);
      // With both variables set the file is not read at all: neither open nor broken stops the command.
      const both = await cli(['inbox', '--json'], viewer);
      expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 0, stderr: '' });
      chmodSync(file, 0o600);
      writeFileSync(file, `{"url": "${app.url}", "key": `);
      expect((await cli(['inbox', '--json'], viewer)).code).toBe(0);
      // With one of them unset it is read, and refused as before.
      expect(refused(await cli(['inbox'], null, { PILLAR_LOOP_URL: app.url }))).toBe(
        `pillar-loop: config file ${file} is not valid JSON\n`,
      );
      writeFileSync(file, JSON.stringify({ url: app.url, key: viewer }));
      const r = await cli(['inbox', '--json'], null);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual({ items: [], nextCursor: null });
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('status: 0 healthy, 1 with an open escalation, 2 once it is fixed, 0 again; and the same for a failing run', async () => {
    const { operator } = await tenant('cli-status');
    const status = () => cli(['status'], operator);

    const healthy = await status();
    expect({ code: healthy.code, stderr: healthy.stderr }).toEqual({ code: 0, stderr: '' });
    expect(healthy.stdout).toMatch(
      /^HEALTHY: no open escalations, no failing runs {3}\(http:\/\/127\.0\.0\.1:\d+, last 24h\)$/m,
    );
    expect(healthy.stdout).toMatch(/^ {2}incidents +0 \(resolved/m);
    const first = await json(['status'], operator);
    expect(first).toMatchObject({
      verdict: 'healthy',
      exitCode: 0,
      health: 'healthy',
      openEscalations: [],
      failingRuns: [],
      range: '24h',
    });
    expect(first.stats.windowHours).toBe(24);
    expect(first.loopHealth.range).toBe('24h');
    expect(first.inbox.total).toBe(0);
    // The last verdict is remembered per service and key, in a file only its owner reads.
    const state = path.join(home, 'state', 'pillar-loop', 'status.json');
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(readFileSync(state, 'utf8')).not.toContain(operator);

    // A degradation escalation: a week of steady latency, then three spikes.
    const t0 = Date.now() - 171 * HOUR;
    const at = (h: number) => new Date(t0 + h * HOUR).toISOString();
    const sample = (h: number, value: number) => ({
      metric: 'latency_ms',
      agentId: 'esc-agent',
      capability: 'summarise',
      value,
      at: at(h),
    });
    const week = Array.from({ length: 168 }, (_, i) => sample(i, 100 + ((i * 7) % 5) - 2));
    await app.http.post('/signals/metrics').set(auth(operator)).send({ samples: week }).expect(200);
    const armed = await app.http
      .post('/signals/metrics')
      .set(auth(operator))
      .send({ samples: [168, 169, 170].map((h) => sample(h, 160)) })
      .expect(200);
    const escalation = armed.body.escalations[0];

    const degraded = await status();
    expect(degraded.code).toBe(1);
    expect(degraded.stdout).toMatch(/^DEGRADED: 1 open escalation, no failing runs/m);
    expect(degraded.stdout).toContain(`…${tail(escalation.id)}  latency_ms on esc-agent / summarise`);
    expect(degraded.stdout).toContain(`incident …${tail(escalation.incidentId)}`);
    const degradedJson = await json(['status'], operator, 1);
    expect(degradedJson).toMatchObject({ verdict: 'degraded', exitCode: 1, lastCheck: { health: 'degraded' } });
    expect(degradedJson.openEscalations.map((e: { id: string }) => e.id)).toEqual([escalation.id]);

    await app.http.post(`/incidents/${escalation.incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    const fixed = await status();
    expect(fixed.code).toBe(2);
    expect(fixed.stdout).toMatch(
      /^FIXED since the last check \(degraded \d+ s ago\): no open escalations, no failing runs/m,
    );
    expect((await status()).code).toBe(0);

    // A run whose restart fails pauses; rolled back, it is a failing run until its incident is resolved.
    const { incidentId, recoveryId } = await incident(operator, 'bad-1');
    const approved = await cli(['approve', tail(recoveryId)], operator);
    expect(approved.code).toBe(0);
    const runId = /runs --watch (\S+)/.exec(approved.stdout)![1];
    expect(approved.stdout).toContain(`approved recovery …${tail(recoveryId)}: `);
    const watch = start(['runs', '--watch', runId], operator);
    await eventually(async () => (await runOf(operator, runId)).pausedOnStep === 'restart_worker', 'the run to pause');
    const rolledBack = await cli(['rollback', tail(runId)], operator);
    expect({ code: rolledBack.code, stderr: rolledBack.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rolledBack.stdout).toMatch(new RegExp(`^rollback requested; run …${tail(runId)} is awaiting operator`));
    const watched = await watch.done;
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/restart_worker +failed/);
    expect(watched.stdout).toMatch(new RegExp(`^run …${tail(runId)} rolled back: .*restart_worker failed`, 'm'));

    const failing = await status();
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^DEGRADED: no open escalations, 1 failing run/m);
    expect(failing.stdout).toContain(`…${tail(runId)}  rolled back  `);
    expect((await json(['status'], operator, 1)).failingRuns).toEqual([
      expect.objectContaining({ id: runId, incidentId, status: 'rolled_back' }),
    ]);

    await app.http.post(`/incidents/${incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    expect(await json(['status'], operator, 2)).toMatchObject({
      verdict: 'fixed',
      exitCode: 2,
      failingRuns: [],
      lastCheck: { health: 'degraded' },
    });
    expect((await status()).code).toBe(0);
  });

  it('status still answers when it cannot save its state: the verdict and exit code, and one warning line', async () => {
    const { viewer } = await tenant('cli-status-unsaved', false);
    const r = await cli(['status'], viewer, { XDG_STATE_HOME: '/dev/null/state' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HEALTHY: no open escalations, no failing runs /m);
    expect(r.stderr).toMatch(/^pillar-loop: warning: could not save the last check to \/dev\/null\/state\/[^\n]+\n$/);
  });

  it('runs --watch follows a run live over SSE to its end (exit 0), in text and as JSON lines', async () => {
    const { operator } = await tenant('cli-watch');
    holding.add('hold-1');
    const { recoveryId } = await incident(operator, 'hold-1');
    const run = await json(['approve', recoveryId, '--note', 'from the command line'], operator);
    expect(run).toMatchObject({
      recoveryId,
      status: 'queued',
      recovery: { id: recoveryId, status: 'applied' },
      automatic: false,
    });

    // The watch begins while the run's first call is held: everything after it must come live.
    const watch = start(['runs', '--watch', run.id], operator);
    await eventually(
      async () => (held.get('hold-1')?.length ?? 0) > 0 && watch.stdout().includes('clear_cache'),
      'the watch to begin on the held call',
    );
    const before = watch.stdout();
    expect(before).toMatch(
      new RegExp(
        `^run …${tail(run.id)}: Memory cleanup.* for "OutOfMemoryError: Worker pod ingest-\\d+ OOMKilled`,
        'm',
      ),
    );
    expect(before).not.toMatch(/reduce_batch|succeeded \(/);
    holding.delete('hold-1');
    held.get('hold-1')!.shift()!.end('{"ok":true}');
    const done = await watch.done;
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
    const after = done.stdout.slice(before.length);
    for (const line of [
      /clear_cache +succeeded/,
      /reduce_batch +running/,
      /restart_worker +succeeded/,
      /memory_ok +succeeded/,
      /run +verifying \(verify\)/,
    ]) {
      expect(after).toMatch(line);
    }
    expect(after).toMatch(new RegExp(`^run …${tail(run.id)} succeeded`, 'm'));

    // --json: one object a line, the first the run as read, the last the finished run.
    holding.add('hold-2');
    const second = await incident(operator, 'hold-2');
    const started = (
      await app.http.post(`/recoveries/${second.recoveryId}/approve`).set(auth(operator)).send({}).expect(200)
    ).body;
    const jsonWatch = start(['runs', '--watch', tail(started.id), '--json'], operator);
    await eventually(
      async () => (held.get('hold-2')?.length ?? 0) > 0 && jsonWatch.stdout().includes('"event":"run"'),
      'the JSON watch to begin',
    );
    held.get('hold-2')!.shift()!.end('{"ok":true}');
    holding.delete('hold-2');
    const jsonDone = await jsonWatch.done;
    expect(jsonDone.code).toBe(0);
    const lines = jsonDone.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'run', run: { id: started.id } });
    expect(lines.at(-1)).toMatchObject({
      event: 'finished',
      run: { id: started.id, status: 'succeeded', phase: 'done' },
    });
    const progress = lines.filter((l) => l.event === 'run_progress').map((l) => l.data);
    expect(progress.every((p) => p.runId === started.id)).toBe(true);
    expect(progress).toEqual(
      expect.arrayContaining([expect.objectContaining({ stepId: 'memory_ok', stepStatus: 'succeeded' })]),
    );
  });

  it('cancel asks a run to stop; the watch then ends with exit 2; a second cancel is refused in one line', async () => {
    // No actuator: the playbook's calls wait for a person, and so does the rollback.
    const { operator, viewer } = await tenant('cli-cancel', false);
    const { recoveryId } = await incident(operator, 'manual-1');
    const started = (await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    // A person does the first step, so the cancel has something to undo.
    await firstStepDoneByHand(app.http, operator, started.id, 'clear_cache');

    expect(refused(await cli(['cancel', started.id], viewer))).toBe(
      'pillar-loop: 403: this needs the operator role; the key has viewer\n',
    );
    const canceled = await cli(['cancel', tail(started.id)], operator);
    expect({ code: canceled.code, stderr: canceled.stderr }).toEqual({ code: 0, stderr: '' });
    expect(canceled.stdout).toBe(
      `cancel requested for run …${tail(started.id)} (memory_cleanup, awaiting operator): it stops between steps, then rolls back; ` +
        `follow it: pillar-loop runs --watch ${started.id}\n`,
    );
    expect(refused(await cli(['cancel', started.id, '--json'], operator))).toMatch(/^pillar-loop: 409: /);

    const watch = start(['runs', '--watch', started.id], operator);
    await eventually(async () => {
      const run = await runOf(operator, started.id);
      return run.steps.at(-1).status === 'awaiting_operator';
    }, 'the rollback step');
    await app.http
      .post(`/runs/${started.id}/steps/restore_batch/complete`)
      .set(auth(operator))
      .send({ outcome: 'succeeded' })
      .expect(200);
    const done = await watch.done;
    expect(done.code).toBe(2);
    expect(done.stdout).toMatch(new RegExp(`^run …${tail(started.id)} canceled: .*canceled by`, 'm'));
  });

  it('a canceled run whose rollback failed: the watch exits 1, as for a failed rollback, not 2', async () => {
    const { operator } = await tenant('cli-cancel-undo-failed', false);
    const { recoveryId } = await incident(operator, 'manual-5');
    const started = (await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await firstStepDoneByHand(app.http, operator, started.id, 'clear_cache');
    expect((await cli(['cancel', started.id], operator)).code).toBe(0);
    const watch = start(['runs', '--watch', started.id], operator);
    await eventually(
      async () => (await runOf(operator, started.id)).steps.at(-1).status === 'awaiting_operator',
      'the rollback step',
    );
    await app.http
      .post(`/runs/${started.id}/steps/restore_batch/complete`)
      .set(auth(operator))
      .send({ outcome: 'failed', note: 'the batch size would not go back' })
      .expect(200);
    const done = await watch.done;
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 1, stderr: '' });
    expect(done.stdout).toMatch(
      new RegExp(`^run …${tail(started.id)} canceled: canceled by .*; the rollback failed$`, 'm'),
    );
  });

  it('a run canceled because its incident was resolved while it waited on a work order: the watch exits 0', async () => {
    const { operator } = await tenant('cli-resolved-first', false);
    const { incidentId, recoveryId } = await incident(operator, 'coder-1', true);
    const started = (await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    expect(started.playbookId).toBe('verification_fix');
    await eventually(async () => (await runOf(operator, started.id)).status === 'awaiting_patch', 'the work order');
    const watch = start(['runs', '--watch', started.id], operator);
    await eventually(async () => watch.stdout().includes('awaiting patch'), 'the watch to begin');
    // Resolved by hand (as monitoring or another run may): nothing is left to patch; the run stands down.
    await app.http.post(`/incidents/${incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    const done = await watch.done;
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
    expect(done.stdout).toMatch(new RegExp(`^run …${tail(started.id)} canceled: canceled by `, 'm'));
    const run = await runOf(operator, started.id);
    expect(run).toMatchObject({ status: 'canceled', verdict: null });
    const resolved = (await app.http.get(`/incidents/${incidentId}`).set(auth(operator)).expect(200)).body;
    expect(run.cancelRequestedBy).toBe(resolved.resolvedBy);
  });

  it('a run nobody answered ends canceled, but the watch exits 1: it did not fix the fault, and no operator stopped it', async () => {
    const { operator } = await tenant('cli-unanswered', false);
    const { recoveryId } = await incident(operator, 'unanswered-1');
    const started = (await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await eventually(
      async () => (await runOf(operator, started.id)).status === 'awaiting_operator',
      'the first manual step',
    );
    const watch = start(['runs', '--watch', started.id], operator);
    // Nobody marks the step done: its deadline passes.
    await app.sql(
      `UPDATE recovery_run_steps SET deadline_at = now() WHERE run_id = $1 AND status = 'awaiting_operator'`,
      [started.id],
    );
    await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [started.id]);
    // Nothing was called or answered, so there is nothing to roll back: the run ends at once (ADR 0014).
    const done = await watch.done;
    expect(done.code).toBe(1);
    expect(done.stdout).toMatch(new RegExp(`^run …${tail(started.id)} canceled: .*nobody answered`, 'm'));
  });

  it('dry-run prints the plan and changes nothing; retry with a corrected parameter and skip answer a paused run', async () => {
    const { operator, viewer } = await tenant('cli-pause');
    const half = await incident(operator, 'half-1');
    const plan = await json(['dry-run', tail(half.recoveryId)], viewer);
    expect(plan).toMatchObject({
      dryRun: true,
      playbookId: 'memory_cleanup',
      recoveryId: half.recoveryId,
      onFailure: 'pause',
    });
    const planned = plan.calls.filter((c: { onlyIf: string | null }) => c.onlyIf === null);
    expect(planned.map((c: { stepId: string }) => c.stepId)).toEqual([
      'clear_cache',
      'reduce_batch',
      'restart_worker',
      'memory_ok',
    ]);
    const text = await cli(['dry-run', half.recoveryId], viewer);
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(
      new RegExp(`^DRY RUN of recovery …${tail(half.recoveryId)} on half-1 / ingest: playbook `),
    );
    expect(text.stdout).toContain('  2. reduce_batch → ops {"action":"reduce_batch","factor":0.5}\n');
    expect(text.stdout).toMatch(/nothing was called or changed\n$/);
    expect((await app.http.get(`/recoveries/${half.recoveryId}`).set(auth(viewer)).expect(200)).body.status).toBe(
      'pending_review',
    );
    expect(receiver.calls.filter((c) => c.json?.incident?.agentId === 'half-1')).toEqual([]);

    // Approved, its reduce_batch fails and the run waits; a retry with another factor carries it through.
    const run = (await json(['approve', half.recoveryId], operator)).id as string;
    await eventually(async () => (await runOf(operator, run)).pausedOnStep === 'reduce_batch', 'the run to pause');
    expect(refused(await cli(['retry', run, 'reduce_batch', '--param', 'factr=0.75'], operator))).toMatch(
      /^pillar-loop: 400: step reduce_batch has no parameter factr \(it has: factor\)$/m,
    );
    expect(refused(await cli(['skip', run, 'clear_cache'], operator))).toMatch(
      /^pillar-loop: 409: step clear_cache did not fail/,
    );
    const retried = await cli(['retry', tail(run), 'reduce_batch', '--param', 'factor=0.75'], operator);
    expect({ code: retried.code, stderr: retried.stderr }).toEqual({ code: 0, stderr: '' });
    expect(retried.stdout).toMatch(
      /^step reduce_batch retried with \{"factor":0\.75\}; run …\w+ is running; follow it/,
    );
    expect((await cli(['runs', '--watch', run], operator)).code).toBe(0);
    const factors = receiver.calls.filter((c) => c.json?.runId === run && c.json.params.action === 'reduce_batch');
    expect(factors.map((c) => c.json.params.factor)).toEqual([0.5, 0.75]);

    // A restart that keeps failing is skipped: the run goes on to its check and holds.
    const bad = await incident(operator, 'bad-2');
    const second = (await json(['approve', bad.recoveryId], operator)).id as string;
    await eventually(async () => (await runOf(operator, second)).pausedOnStep === 'restart_worker', 'the run to pause');
    expect(refused(await cli(['skip', second, 'restart_worker'], viewer))).toMatch(/^pillar-loop: 403: /);
    const skipped = await json(['skip', second, 'restart_worker'], operator);
    expect(skipped.steps.find((x: { id: string }) => x.id === 'restart_worker').status).toBe('skipped');
    expect(refused(await cli(['skip', second, 'restart_worker'], operator))).toMatch(/^pillar-loop: 409: /);
    expect((await cli(['runs', '--watch', second], operator)).code).toBe(0);
  });

  it('recoveries lists the review queue; approve takes an id or its tail, and refuses one naming nothing, or decided', async () => {
    const { operator } = await tenant('cli-approve', false);
    const { incidentId, recoveryId } = await incident(operator, 'manual-2');
    const queue = await json(['recoveries', '--status', 'pending_review'], operator);
    expect(queue.items).toEqual([
      expect.objectContaining({ id: recoveryId, incidentId, playbookId: 'memory_cleanup' }),
    ]);
    const text = await cli(['recoveries'], operator);
    expect(text.stdout).toMatch(/^ID +STATUS +PLAYBOOK +CONFIDENCE +INCIDENT +AGENT +SUGGESTED$/m);
    expect(text.stdout).toMatch(
      new RegExp(
        `^…${tail(recoveryId)} +pending_review +Memory cleanup +[\\d.]+ % +OutOfMemoryError: .* +manual-2 +`,
        'm',
      ),
    );

    expect(refused(await cli(['approve', 'abcdef'], operator))).toMatch(
      /^pillar-loop: no recovery among the newest \d+ ends in abcdef: give its whole id\n$/,
    );
    expect(refused(await cli(['approve', 'not-an-id'], operator))).toMatch(
      /is neither a recovery id nor the tail of one/,
    );
    expect((await cli(['approve', `…${tail(recoveryId)}`], operator)).code).toBe(0);
    expect((await json(['recoveries', '--incident', incidentId], operator)).items[0].status).toBe('applied');
    expect(refused(await cli(['approve', recoveryId], operator))).toMatch(/^pillar-loop: 409: /);
  });

  it('incidents and runs list with the API filters, in a table or as JSON; a bad filter is one line', async () => {
    const { operator, viewer } = await tenant('cli-lists', false);
    const { incidentId, recoveryId } = await incident(operator, 'manual-3');
    const started = (await app.http.post(`/recoveries/${recoveryId}/approve`).set(auth(operator)).send({}).expect(200))
      .body;

    const open = await json(['incidents', '--status', 'mitigating', '--since', '1h', '--agent', 'manual-3'], viewer);
    expect(open.items.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    expect((await json(['incidents', '--status', 'resolved'], viewer)).items).toEqual([]);
    const table = await cli(['incidents', '--severity', 'medium'], viewer);
    expect(table.stdout).toMatch(/^ID +STATUS +SEVERITY +TITLE +AGENT +SOURCE +REPORTED$/m);
    expect(table.stdout).toMatch(
      new RegExp(
        `^…${tail(incidentId)} +mitigating +medium +OutOfMemoryError: Worker pod ingest-\\d+ OOMKilled.* +manual-3 +api +\\d+ s ago$`,
        'm',
      ),
    );
    expect((await cli(['incidents', '--source', 'alertmanager'], viewer)).stdout).toBe('no incident matches\n');
    expect(refused(await cli(['incidents', '--since', 'yesterday'], viewer))).toBe(
      'pillar-loop: 400: since must be an existing ISO 8601 date such as 2026-12-01 or 2026-12-01T10:00:00Z\n',
    );

    const runs = await json(['runs', '--incident', incidentId, '--trigger', 'manual'], viewer);
    expect(runs.items).toEqual([expect.objectContaining({ id: started.id, playbookId: 'memory_cleanup' })]);
    expect((await json(['runs', '--trigger', 'automatic'], viewer)).items).toEqual([]);
    const runTable = await cli(['runs', '--limit', '1'], viewer);
    expect(runTable.stdout).toMatch(
      new RegExp(`^…${tail(started.id)} +(queued|running|awaiting_operator) +Memory cleanup`, 'm'),
    );
    expect(refused(await cli(['runs', '--watch', started.id, '--status', 'failed'], viewer))).toBe(
      'pillar-loop: --watch follows one run: drop --status\n',
    );
  });

  it('inbox lists what waits for a person, filtered by kind', async () => {
    const { operator } = await tenant('cli-inbox', false);
    await incident(operator, 'manual-4');
    const page = await eventually(async () => {
      const p = await json(['inbox', '--kind', 'review'], operator);
      return p.items.length > 0 ? p : null;
    }, 'the review in the inbox');
    expect(page.items.every((i: { kind: string }) => i.kind === 'review')).toBe(true);
    const text = await cli(['inbox'], operator);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID +PRIORITY +KIND +TITLE +SUBJECT +WAITING +DEADLINE +ASSIGNEE$/m);
    const [item] = page.items;
    expect(text.stdout).toMatch(
      new RegExp(`^${item.id} +\\w+ +review +.+ +${item.subject.type} …${tail(item.subject.id)} `, 'm'),
    );
    // The id printed is the one assign takes.
    await app.http
      .post(`/inbox/${item.id}/assign`)
      .set({ Authorization: `Bearer ${operator}` })
      .send({ assignee: 'dana' })
      .expect(200);
    expect((await json(['inbox', '--assignee', 'dana'], operator)).items.map((i: { id: string }) => i.id)).toEqual([
      item.id,
    ]);
    // An empty assignee (an unset variable) is bad usage, not a list of everything.
    const empty = await cli(['inbox', '--assignee', ''], operator);
    expect(refused(empty)).toBe('pillar-loop: --assignee needs a person (or none: the unassigned items)\n');
    // So is any other filter given empty: dropped from the query, it would list everything.
    for (const args of [
      ['incidents', '--agent', ''],
      ['runs', '--since', ' '],
      ['recoveries', '--playbook', ''],
    ])
      expect(refused(await cli(args, operator))).toBe(
        `pillar-loop: ${args[1]} needs a value (empty, it would filter nothing)\n`,
      );
    expect((await json(['inbox', '--kind', 'work_order'], operator)).items).toEqual([]);
  });

  it('audit verify: exit 0 while the chain holds, 1 once an entry was changed behind the trigger', async () => {
    const { viewer } = await tenant('cli-audit');
    const intact = await cli(['audit', 'verify'], viewer);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^audit chain intact: \d+ entries, \d+ signed checkpoints?\n$/);
    const verdict = await json(['audit', 'verify'], viewer);
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.entries).toBeGreaterThanOrEqual(2);

    await app.sql(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`);
    try {
      await app.sql(`UPDATE audit_entries SET reason = 'rewritten' WHERE tenant_id = 'cli-audit' AND seq = 2`);
    } finally {
      await app.sql(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`);
    }
    const broken = await cli(['audit', 'verify'], viewer);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /^audit chain BROKEN at entry 2: .+ \(before it: 1 entry, \d+ signed checkpoints?\)\n$/,
    );
    expect(await json(['audit', 'verify'], viewer, 1)).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('runs as npx pillar-loop from the checkout, and from the packed package with no dependency but commander', async () => {
    const exec = promisify(execFile);
    const { viewer } = await tenant('cli-package', false);
    const npx = await exec('npx', ['--offline', 'pillar-loop', 'inbox', '--json'], { env: envOf(viewer) });
    expect(JSON.parse(npx.stdout)).toEqual({ items: [], nextCursor: null });

    // What `npm pack` ships (its prepack build is the suite's own here), installed where only commander is.
    const prefix = mkdtempSync(path.join(tmpdir(), 'cli-installed-'));
    try {
      const packed = JSON.parse(
        (await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', prefix])).stdout,
      );
      const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
      expect(files).toEqual(
        expect.arrayContaining([
          'bin/pillar-loop.js',
          'dist/src/cli/main.js',
          'dist/src/cli/commands/status.js',
          'package.json',
        ]),
      );
      expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/src/cli/'))).toEqual([]);
      const installed = path.join(prefix, 'node_modules', 'pillar-loop');
      mkdirSync(installed, { recursive: true });
      await exec('tar', ['-xzf', path.join(prefix, packed[0].filename), '-C', installed, '--strip-components=1']);
      symlinkSync(
        path.join(process.cwd(), 'node_modules', 'commander'),
        path.join(prefix, 'node_modules', 'commander'),
      );
      const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
      const run = await exec(process.execPath, [path.join(installed, 'bin', 'pillar-loop.js'), '--version'], {
        cwd: prefix,
        env: envOf(null),
      });
      expect(run.stdout.trim()).toBe(version);
      const status = await exec(
        process.execPath,
        [path.join(installed, 'bin', 'pillar-loop.js'), 'audit', 'verify', '--json'],
        {
          cwd: prefix,
          env: envOf(viewer),
        },
      );
      expect(JSON.parse(status.stdout)).toMatchObject({ ok: true });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  }, 120_000);
});
