import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIN_EMBEDDED_CHARS } from '../src/platform/egress/redact-secrets.js';
import { approvedRun, finishedRun, lateResult, oomIncident } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** What many debug endpoints and proxies answer: the request's headers and path, echoed. */
const echo = (c: ReceivedCall) => ({ path: c.path, headers: c.headers });
/** What an answer is read up to: an actuator's (64 KiB) and a channel's (4 KiB). */
const ACTUATOR_ANSWER_BYTES = 64 * 1024;
const CHANNEL_ANSWER_BYTES = 4096;

/**
 * An actuator's headers and a Slack channel's URL are sealed and shown once, to an admin
 * (DESIGN §8 "Actuator reach", §12; ADR 0013). A receiver that echoes what it was sent must not
 * turn them into a step's output, a step's error or a delivery's error, which viewers read.
 */
describe('secrets an outbound call carries, echoed back by its receiver', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let operator: string;
  let viewer: string;
  let signingSecret: string;
  const token = `tok_${randomBytes(18).toString('hex')}`;
  const apiKey = `key_${randomBytes(18).toString('hex')}`;
  const urlToken = `qt_${randomBytes(18).toString('hex')}`;
  const slackPath = `/services/T0000/B0000/${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'echoed-secrets-'));
  const secrets = [token, apiKey, urlToken, slackPath.slice(1)];
  const leaked = (text: string) => secrets.filter((s) => text.includes(s));

  /** Sends a channel's test message (its receiver refuses it) and waits until the delivery is dead-lettered. */
  const deadTestDelivery = async (channel: string) => {
    const queued = await app.http.post(`/notifications/channels/${channel}/test`).set(auth(admin)).expect(202);
    const dead = await eventually(async () => {
      const d = (await app.http.get(`/notifications/deliveries/${queued.body.id}`).set(auth(viewer)).expect(200)).body;
      return d.status === 'dead' ? d : null;
    }, 'the delivery to be dead-lettered');
    return { queued, dead };
  };

  /** Sets the `ops` actuator (the receiver) to carry these secrets; a new signing secret goes to the receiver. */
  const putOps = async (
    carried: { token: string; apiKey: string; urlToken: string },
    status: number,
    rotateSecret = false,
  ) => {
    const put = await app.http
      .put('/actuators/ops')
      .set(auth(admin))
      .send({
        // Shown to admins only (GET /actuators): a token in its query is as secret as a header.
        url: `${receiver.url}/ops?token=${carried.urlToken}`,
        timeoutMs: 2000,
        headers: { Authorization: `Bearer ${carried.token}`, 'X-Api-Key': carried.apiKey },
        ...(rotateSecret && { rotateSecret }),
      })
      .expect(status);
    if (put.body.secret) {
      receiver.setSecret(put.body.secret);
      signingSecret = put.body.secret;
    }
  };

  /** A run whose actuator answers every call 202: each step then waits for its late result. */
  const runAnsweredLater = async (agent: string) => {
    receiver.calls.length = 0;
    receiver.answer((_c, res) => {
      res.statusCode = 202;
      res.end('{}');
    });
    return (await approvedRun(app.http, operator, oomIncident(agent))).runId;
  };
  /** The call made for step `stepId` of run `runId`, once the step waits for its late result. */
  const callWaitingForResult = async (runId: string, stepId: string) => {
    await eventually(async () => {
      const run = (await app.http.get(`/runs/${runId}`).set(auth(viewer)).expect(200)).body;
      return run.steps.some((s: { id: string; waitingFor: string }) => s.id === stepId && s.waitingFor === 'result');
    }, `step ${stepId} to wait for its late result`);
    return receiver.calls.find((c) => c.json?.runId === runId && c.json?.stepId === stepId)!;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      DATA_DIR: dataDir,
      RECOVERY_VERIFY_WINDOW_MS: '300',
      OUTBOX_POLL_INTERVAL_MS: '200',
      NOTIFICATION_MAX_ATTEMPTS: '1',
      SLACK_MIN_INTERVAL_MS: '0',
    });
    admin = await app.keyFor('echo', 'admin');
    operator = await app.keyFor('echo', 'operator');
    viewer = await app.keyFor('echo', 'viewer');
    await putOps({ token, apiKey, urlToken }, 201);
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a step's output echoing the actuator's headers is stored and shown with their values redacted", async () => {
    receiver.answer((c, res) =>
      res.end(JSON.stringify({ ...(c.json?.params?.action === 'memory_check' && { healthy: true }), echo: echo(c) })),
    );
    const { runId } = await approvedRun(app.http, operator, oomIncident('echo-1'));
    const run = await finishedRun(app.http, viewer, runId);
    expect(run.status).toBe('succeeded');
    expect(receiver.calls.some((c) => c.headers.authorization === `Bearer ${token}`)).toBe(true);

    const shown = JSON.stringify(run);
    expect(leaked(shown)).toEqual([]);
    const step = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    // The rest of the answer is kept: only the values are cut.
    expect(step.output.body.echo.path).toBe('/ops?token=[redacted]');
    expect(step.output.body.echo.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      'x-api-key': '[redacted]',
      'webhook-id': expect.any(String),
    });
    const stored = await app.sql(
      `SELECT s.output::text || coalesce(s.error, '') AS text FROM recovery_run_steps s WHERE s.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    expect(leaked(stored.map((r) => r.text).join('\n'))).toEqual([]);
  });

  it('a debug endpoint that answers the headers base64-encoded has them redacted', async () => {
    const b64 = (v: unknown) => Buffer.from(String(v)).toString('base64');
    const b64url = (v: unknown) => Buffer.from(String(v)).toString('base64url');
    const encoded = [`Bearer ${token}`, token, apiKey].flatMap((v) => [b64(v), b64(v).replace(/=+$/, ''), b64url(v)]);
    receiver.answer((c, res) =>
      res.end(
        JSON.stringify({
          ...(c.json?.params?.action === 'memory_check' && { healthy: true }),
          headers: { authorization: b64(c.headers.authorization), 'x-api-key': b64url(c.headers['x-api-key']) },
          credential: b64(String(c.headers.authorization).slice('Bearer '.length)),
        }),
      ),
    );
    const { runId } = await approvedRun(app.http, operator, oomIncident('echo-b64'));
    const run = await finishedRun(app.http, viewer, runId);
    expect(run.status).toBe('succeeded');
    const step = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    // The padding, which encodes nothing, is kept.
    expect(step.output.body).toEqual({
      headers: { authorization: expect.stringMatching(/^\[redacted\]=*$/), 'x-api-key': '[redacted]' },
      credential: expect.stringMatching(/^\[redacted\]=*$/),
    });
    const [stored] = await app.sql(
      `SELECT output::text AS text FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2`,
      [runId, 'clear_cache'],
    );
    expect(encoded.filter((e) => stored.text.includes(e) || JSON.stringify(run).includes(e))).toEqual([]);
  });

  it('an answer longer than 64 KiB, cut in the middle of an echoed header, keeps no part of its value', async () => {
    const before = `Bearer ${token.slice(0, token.length / 2)}`;
    const pad = 'x'.repeat(ACTUATOR_ANSWER_BYTES - before.length);
    receiver.answer((c, res) =>
      res.end(
        c.json?.params?.action === 'memory_check'
          ? '{"healthy":true}'
          : `${pad}${c.headers.authorization} and ${'y'.repeat(1000)}`,
      ),
    );
    const { runId } = await approvedRun(app.http, operator, oomIncident('echo-cut'));
    const run = await finishedRun(app.http, viewer, runId);
    expect(run.status).toBe('succeeded');
    const step = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    // The read stopped at 64 KiB, inside the token: what was left of `Bearer tok_…` is dropped with it.
    expect(step.output.body).toBe(pad);
    const stored = await app.sql(
      `SELECT s.output::text || coalesce(s.error, '') AS text FROM recovery_run_steps s WHERE s.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    expect(stored.map((r) => r.text).join('\n')).not.toContain(token.slice(0, MIN_EMBEDDED_CHARS));
  });

  it("an actuator's error that quotes its headers is stored and shown with their values redacted", async () => {
    receiver.answer((c, res) =>
      res.end(
        JSON.stringify({
          status: 'failed',
          error: `refused ${c.headers.authorization} with key ${String(c.headers['x-api-key'])}`,
        }),
      ),
    );
    const { runId } = await approvedRun(app.http, operator, oomIncident('echo-2'));
    const paused = await eventually(async () => {
      const run = (await app.http.get(`/runs/${runId}`).set(auth(viewer)).expect(200)).body;
      return run.pausedOnStep ? run : null;
    }, 'the run to pause on its failed step');
    const step = paused.steps.find((s: { id: string }) => s.id === 'clear_cache');
    expect(step.error).toBe('refused Bearer [redacted] with key [redacted]');
    expect(leaked(JSON.stringify(paused))).toEqual([]);
    const stored = await app.sql(
      `SELECT t::text AS text FROM recovery_run_steps t WHERE t.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    expect(leaked(stored.map((r) => r.text).join('\n'))).toEqual([]);
    await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);
  });

  it("a 202 answer echoing the payload does not store the step's callback token, so a viewer cannot report the result", async () => {
    receiver.calls.length = 0;
    receiver.answer((c, res) => {
      res.statusCode = 202;
      res.end(JSON.stringify({ accepted: true, echo: c.json }));
    });
    const { runId } = await approvedRun(app.http, operator, oomIncident('echo-3'));
    const waiting = await eventually(async () => {
      const run = (await app.http.get(`/runs/${runId}`).set(auth(viewer)).expect(200)).body;
      return run.steps.find((s: { id: string; waitingFor: string }) => s.waitingFor === 'result') ? run : null;
    }, 'the step to wait for its late result');
    const sent = receiver.calls.find((c) => c.json?.runId === runId)!.json.callback.token as string;
    expect(sent).toMatch(/^srt_/);
    const step = waiting.steps.find((s: { id: string }) => s.id === 'clear_cache');
    expect(step.output.body.echo.callback).toEqual({
      path: `/runs/${runId}/steps/clear_cache/result`,
      token: '[redacted]',
    });
    expect(JSON.stringify(waiting)).not.toContain(sent);
    const stored = await app.sql(
      `SELECT t::text AS text FROM recovery_run_steps t WHERE t.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    expect(stored.map((r) => r.text).join('\n')).not.toContain(sent);
    await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);
  });

  it("an actuator's late result that echoes its call is stored with the call's secrets redacted", async () => {
    const runId = await runAnsweredLater('echo-result');
    const call = await callWaitingForResult(runId, 'clear_cache');
    const { path, token: callbackToken } = call.json.callback as { path: string; token: string };
    // A debug actuator reports back what it was sent: the headers, the callback, the key in its note.
    await lateResult(app.http, call.json.callback, {
      outcome: 'succeeded',
      error: `done; called with X-Api-Key ${apiKey}`,
      output: { echo: { path: call.path, headers: call.headers, callback: call.json.callback } },
    }).expect(200);
    await callWaitingForResult(runId, 'reduce_batch');
    const run = (await app.http.get(`/runs/${runId}`).set(auth(viewer)).expect(200)).body;
    const step = run.steps.find((s: { id: string }) => s.id === 'clear_cache');
    expect(step.status).toBe('succeeded');
    expect(step.output.note).toBe('done; called with X-Api-Key [redacted]');
    expect(step.output.body.echo.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      'x-api-key': '[redacted]',
    });
    expect(step.output.body.echo.callback).toEqual({ path, token: '[redacted]' });
    expect(step.output.body.echo.path).toBe('/ops?token=[redacted]');
    expect(leaked(JSON.stringify(run))).toEqual([]);
    const stored = await app.sql(
      `SELECT t::text AS text FROM recovery_run_steps t WHERE t.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    const text = stored.map((r) => r.text).join('\n');
    expect(leaked(text)).toEqual([]);
    expect(text).not.toContain(callbackToken);
    await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);
  });

  it("a late result is redacted of what its call carried even after the actuator's secrets were replaced, or it was removed", async () => {
    const runId = await runAnsweredLater('echo-replaced');
    const runNow = async () => (await app.http.get(`/runs/${runId}`).set(auth(viewer)).expect(200)).body;
    const stepOf = (run: { steps: Array<{ id: string }> }, id: string) =>
      run.steps.find((s) => s.id === id) as { id: string; status: string; waitingFor: string; output: any };
    /** A debug actuator's late result: what it was sent, and the signing secret it knows, in its note. */
    const reportEcho = async (call: ReceivedCall, signingSecret: string) =>
      lateResult(app.http, call.json.callback, {
        outcome: 'succeeded',
        error: `signed with ${signingSecret}`,
        output: { path: call.path, headers: call.headers },
      }).expect(200);
    const sealedSecretsOf = async (stepId: string) =>
      (
        await app.sql(`SELECT call_secrets_sealed FROM recovery_run_steps WHERE run_id = $1 AND step_id = $2`, [
          runId,
          stepId,
        ])
      )[0].call_secrets_sealed as string | null;

    const first = await callWaitingForResult(runId, 'clear_cache');
    const sealed = await sealedSecretsOf('clear_cache');
    expect(sealed).toMatch(/^v1\./);
    // An admin replaces every secret the call carried while its result is still to come.
    const next = {
      token: `tok_${randomBytes(18).toString('hex')}`,
      apiKey: `key_${randomBytes(18).toString('hex')}`,
      urlToken: `qt_${randomBytes(18).toString('hex')}`,
    };
    const firstSigningSecret = signingSecret;
    await putOps(next, 200, true);
    await reportEcho(first, firstSigningSecret);

    // The next step is called with the new secrets; then the actuator is removed before its result.
    const second = await callWaitingForResult(runId, 'reduce_batch');
    await app.http.delete('/actuators/ops').set(auth(admin)).expect(204);
    await reportEcho(second, signingSecret);

    const run = await eventually(async () => {
      const r = await runNow();
      return stepOf(r, 'reduce_batch').status === 'succeeded' ? r : null;
    }, 'the second late result to be taken');
    expect(stepOf(run, 'clear_cache').output.body.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      'x-api-key': '[redacted]',
    });
    expect(stepOf(run, 'clear_cache').output.body.path).toBe('/ops?token=[redacted]');
    expect(stepOf(run, 'clear_cache').output.note).toBe('signed with [redacted]');
    expect(stepOf(run, 'reduce_batch').output.body.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      'x-api-key': '[redacted]',
    });
    expect(stepOf(run, 'reduce_batch').output.note).toBe('signed with [redacted]');
    const all = [...secrets, firstSigningSecret, ...Object.values(next), signingSecret];
    const stored = await app.sql(
      `SELECT t::text AS text FROM recovery_run_steps t WHERE t.run_id = $1
       UNION ALL SELECT t::text FROM recovery_run_transitions t WHERE t.run_id = $1`,
      [runId],
    );
    const text = [JSON.stringify(run), ...stored.map((r) => r.text)].join('\n');
    expect(all.filter((x) => text.includes(x))).toEqual([]);
    expect(JSON.stringify(run)).not.toContain(sealed); // the sealed copy is never shown
    // Finished steps take no late result: what their calls carried is not kept.
    expect(await sealedSecretsOf('clear_cache')).toBeNull();
    expect(await sealedSecretsOf('reduce_batch')).toBeNull();

    await app.http.post(`/runs/${runId}/cancel`).set(auth(operator)).send({}).expect(202);
    await putOps({ token, apiKey, urlToken }, 201);
  });

  it("a Slack channel's URL path, echoed in an error answer, is redacted from the delivery a viewer reads", async () => {
    // Express's own 404 names the path it could not route: a moved Slack proxy answers like this.
    receiver.answer((c, res) => {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/html');
      res.end(`<pre>Cannot POST ${c.path}</pre>`);
    });
    await app.http
      .put('/notifications/channels/oncall')
      .set(auth(admin))
      .send({ type: 'slack', url: `${receiver.url}${slackPath}` })
      .expect(201);
    const { queued, dead } = await deadTestDelivery('oncall');
    expect(receiver.calls.some((c) => c.path === slackPath)).toBe(true);
    expect(dead.error).toBe('HTTP 404: <pre>Cannot POST [redacted]</pre>');
    const list = (await app.http.get('/notifications/deliveries').set(auth(viewer)).expect(200)).body;
    expect(leaked(JSON.stringify(list))).toEqual([]);
    const [row] = await app.sql(`SELECT t::text AS text FROM notification_deliveries t WHERE id = $1`, [
      queued.body.id,
    ]);
    expect(leaked(row.text)).toEqual([]);
  });

  it("a webhook channel's query token is shown masked, and redacted where its answer names it alone", async () => {
    const hookToken = `ht_${randomBytes(18).toString('hex')}`;
    // A receiver that refuses the token and names it, without the rest of the URL.
    receiver.answer((c, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: `token ${new URL(c.path, 'http://x').searchParams.get('token')} is not valid` }));
    });
    const put = await app.http
      .put('/notifications/channels/hook-query')
      .set(auth(admin))
      .send({ type: 'webhook', url: `${receiver.url}/hook?token=${hookToken}&team=sre` })
      .expect(201);
    expect(put.body.url).toBe(`${receiver.url}/hook?token=…&team=…`);
    const listed = (await app.http.get('/notifications/channels').set(auth(admin)).expect(200)).body;
    expect(JSON.stringify(listed)).not.toContain(hookToken);
    const { queued, dead } = await deadTestDelivery('hook-query');
    expect(receiver.calls.some((c) => c.path === `/hook?token=${hookToken}&team=sre`)).toBe(true);
    expect(dead.error).toBe('HTTP 401: {"error":"token [redacted] is not valid"}');
    const stored = await app.sql(
      `SELECT t::text AS text FROM notification_deliveries t WHERE id = $1
       UNION ALL SELECT t::text FROM notification_channels t WHERE name = 'hook-query'
       UNION ALL SELECT t::text FROM audit_entries t WHERE subject_id = 'hook-query'`,
      [queued.body.id],
    );
    expect(stored.length).toBeGreaterThanOrEqual(3);
    expect(stored.map((r) => r.text).join('\n')).not.toContain(hookToken);
  });

  it("a channel's answer cut at 4 KiB in the middle of its URL's path keeps no part of it in the delivery's error", async () => {
    const path = `/services/T0000/B0001/${randomBytes(12).toString('hex')}`;
    const kept = `Cannot POST ${path.slice(0, -12)}`;
    // Whitespace, which the error squeezes to one space, brings the end of the read into its first words.
    receiver.answer((c, res) => {
      res.statusCode = 404;
      res.end(`${' '.repeat(CHANNEL_ANSWER_BYTES - kept.length)}Cannot POST ${c.path}`);
    });
    await app.http
      .put('/notifications/channels/oncall-cut')
      .set(auth(admin))
      .send({ type: 'slack', url: `${receiver.url}${path}` })
      .expect(201);
    const { queued, dead } = await deadTestDelivery('oncall-cut');
    expect(receiver.calls.some((c) => c.path === path)).toBe(true);
    expect(dead.error).toBe('HTTP 404: Cannot POST');
    const [row] = await app.sql(`SELECT t::text AS text FROM notification_deliveries t WHERE id = $1`, [
      queued.body.id,
    ]);
    expect(row.text).not.toContain(path.slice(-24, -12));
  });
});
