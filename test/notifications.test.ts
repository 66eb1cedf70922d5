import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DeliveryRepository } from '../src/integration/notifications/deliveries/delivery.repository.js';
import { NotificationDispatcher } from '../src/integration/notifications/dispatch/notification-dispatcher.js';
import { ReviewWaitingSweeper } from '../src/integration/notifications/route-events/review-waiting.sweeper.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { RecoveryRunFinished } from '../src/self-healing/events/recovery-run-finished.event.js';
import { connectActuator } from './support/actuators.js';
import { counterValue } from './support/metrics.js';
import { approvedRun, finishedRun, firstStepDoneByHand, oomIncident } from './support/runs.js';
import { ADMIN_KEY, ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';
import { startWebhookReceiver, type ReceivedCall } from './support/webhook-receiver.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const PUBLIC_URL = 'https://pillar-loop.example.com';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

/**
 * Notifications (DESIGN §12, issue 26 §3) through the real app, a real PostgreSQL and real local
 * receivers: one imitating a Slack incoming webhook (answers `ok`, or 429 with Retry-After when
 * rate-limited), one checking Standard Webhooks signatures. Runs fail the way they do in
 * production: an operator fails the manual step of an `investigate` run (no rollback).
 */
describe('notifications', () => {
  let app: TestApp;
  let slack: Receiver;
  let hook: Receiver;
  let admin: string;
  let operator: string;
  let viewer: string;
  let hookSecret: string;
  let seq = 0;
  const slackTimes: number[] = [];

  const get = async (path: string, key = operator) => (await app.http.get(path).set(auth(key)).expect(200)).body;
  const deliveries = async (query = '') =>
    (await get(`/notifications/deliveries?limit=200${query}`)).items as Array<Record<string, any>>;
  const callsAbout = (calls: ReceivedCall[], runId: string) => calls.filter((c) => c.body.includes(runId));

  /** A run of the `investigate` playbook (manual steps, no rollback) that the operator fails; resolves to the finished run. */
  async function failedRun(
    agentId: string,
    severity = 'high',
    errorType = 'QuarkDrift',
  ): Promise<{ id: string; incidentId: string }> {
    const incident = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({ errorType, message: `flux capacitor of unit ${++seq} drifted`, agentId, capability: 'warp', severity })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${incident.body.id}`)).items[0],
      'a recovery',
    );
    expect(recovery.playbookId).toBe('investigate');
    const run = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(auth(operator)).send({}).expect(200))
      .body;
    await eventually(
      async () => (await get(`/runs/${run.id}`)).status === 'awaiting_operator',
      'the run to wait for its operator',
    );
    await app.http
      .post(`/runs/${run.id}/steps/collect/complete`)
      .set(auth(operator))
      .send({ outcome: 'failed', note: 'cannot reproduce' })
      .expect(200);
    await eventually(async () => (await get(`/runs/${run.id}`)).status === 'failed', 'the run to fail');
    return { id: run.id, incidentId: incident.body.id };
  }

  beforeAll(async () => {
    slack = await startWebhookReceiver((_c, res) => {
      slackTimes.push(Date.now());
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
    });
    hook = await startWebhookReceiver();
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      PUBLIC_URL,
      OUTBOX_POLL_INTERVAL_MS: '200',
      NOTIFICATION_RETRY_BASE_MS: '50',
      NOTIFICATION_RETRY_MAX_MS: '200',
      NOTIFICATION_MAX_ATTEMPTS: '3',
      SLACK_MIN_INTERVAL_MS: '0',
      NOTIFICATION_SWEEP_MS: '200',
      AUDIT_CHECKPOINT_INTERVAL_MS: '300',
    });
    admin = await app.keyFor('notify', 'admin');
    operator = await app.keyFor('notify', 'operator');
    viewer = await app.keyFor('notify', 'viewer');
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await slack.close();
    await hook.close();
  });

  describe('channels', () => {
    it('a webhook channel gets a signing secret shown once, sealed at rest; a Slack URL is a secret, shown masked', async () => {
      const created = await app.http
        .put('/notifications/channels/hook')
        .set(auth(admin))
        .send({ type: 'webhook', url: `${hook.url}/events` })
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'hook',
        type: 'webhook',
        url: `${hook.url}/events`,
        timeoutMs: 10_000,
      });
      hookSecret = created.body.secret;
      expect(hookSecret).toMatch(/^whsec_/);
      hook.setSecret(hookSecret);

      const slackUrl = `${slack.url}/services/T0000/B0000/XXXXsecretpath`;
      const put = await app.http
        .put('/notifications/channels/oncall-slack')
        .set(auth(admin))
        .send({ type: 'slack', url: slackUrl, timeoutMs: 5000 })
        .expect(201);
      expect(put.body.secret).toBeUndefined();
      expect(put.body.url).toBe(`${slack.url}/…path`);
      expect(JSON.stringify(await get('/notifications/channels', admin))).not.toContain('XXXXsecretpath');

      const [hookRow, slackRow] = await app.sql(
        `SELECT * FROM notification_channels WHERE tenant_id = 'notify' ORDER BY name`,
      );
      expect(hookRow.secret_sealed).toMatch(/^v1\./);
      expect(JSON.stringify(hookRow)).not.toContain(hookSecret.slice(6));
      expect(JSON.stringify(slackRow)).not.toContain('XXXXsecretpath'.slice(4));

      // Put again: the secret is kept and not shown; rotated: a new one, shown.
      const again = await app.http
        .put('/notifications/channels/hook')
        .set(auth(admin))
        .send({ type: 'webhook', url: `${hook.url}/events` })
        .expect(200);
      expect(again.body.secret).toBeUndefined();
      const rotated = await app.http
        .put('/notifications/channels/spare')
        .set(auth(admin))
        .send({ type: 'webhook', url: `${hook.url}/spare` })
        .expect(201);
      const rotatedAgain = await app.http
        .put('/notifications/channels/spare')
        .set(auth(admin))
        .send({ type: 'webhook', url: `${hook.url}/spare`, rotateSecret: true })
        .expect(200);
      expect(rotatedAgain.body.secret).toMatch(/^whsec_/);
      expect(rotatedAgain.body.secret).not.toBe(rotated.body.secret);
    });

    it('obeys the one egress rule: a URL outside it, or with credentials, is a 400 on url naming ACTUATOR_ALLOW_NETWORKS', async () => {
      for (const url of ['http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'http://[fd00::1]/x']) {
        const res = await app.http
          .put('/notifications/channels/inside')
          .set(auth(admin))
          .send({ type: 'webhook', url })
          .expect(400);
        expect(res.body.fields).toEqual([
          { field: 'url', errors: [expect.stringContaining('ACTUATOR_ALLOW_NETWORKS')] },
        ]);
      }
      const creds = await app.http
        .put('/notifications/channels/inside')
        .set(auth(admin))
        .send({ type: 'slack', url: 'https://user:pw@hooks.example.com/x' })
        .expect(400);
      expect(creds.body.fields[0].field).toBe('url');
      const bad = await app.http
        .put('/notifications/channels/inside')
        .set(auth(admin))
        .send({ type: 'pager', url: 'https://x.example.com' })
        .expect(400);
      expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual(['type']);
      await app.http.get('/notifications/channels/inside').set(auth(admin)).expect(404);
      await app.http
        .put('/notifications/channels/Bad Name')
        .set(auth(admin))
        .send({ type: 'webhook', url: `${hook.url}/x` })
        .expect(400);
    });

    it('only admins see and change channels', async () => {
      await app.http.get('/notifications/channels').set(auth(operator)).expect(403);
      await app.http
        .put('/notifications/channels/x')
        .set(auth(operator))
        .send({ type: 'webhook', url: `${hook.url}/x` })
        .expect(403);
    });

    it('a test message goes out like any other and its delivery says so', async () => {
      const queued = await app.http.post('/notifications/channels/oncall-slack/test').set(auth(admin)).expect(202);
      expect(queued.body).toMatchObject({ channel: 'oncall-slack', rule: null, event: 'test', status: 'pending' });
      const sent = await eventually(async () => {
        const d = await get(`/notifications/deliveries/${queued.body.id}`);
        return d.status === 'sent' ? d : null;
      }, 'the test message to be sent');
      expect(sent).toMatchObject({ attempts: 1, lastStatusCode: 200, error: null });
      const call = slack.calls.find((c) => c.json?.text?.includes('Test message'))!;
      expect(call.path).toBe('/services/T0000/B0000/XXXXsecretpath');
      expect(call.json.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Test message from pillar-loop' } });
      await app.http.post('/notifications/channels/nowhere/test').set(auth(admin)).expect(404);
    });
  });

  describe('rules', () => {
    it('are validated: the channel must exist, events are known, afterMs goes with review.waiting', async () => {
      const res = await app.http
        .put('/notifications/rules/r1')
        .set(auth(admin))
        .send({ channel: 'nope', events: ['run.failed'], repeatIntervalMs: 0 })
        .expect(400);
      expect(res.body.fields).toEqual([{ field: 'channel', errors: [expect.stringContaining('does not exist')] }]);
      const events = await app.http
        .put('/notifications/rules/r1')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.exploded'], repeatIntervalMs: 0 })
        .expect(400);
      expect(events.body.fields.map((f: { field: string }) => f.field)).toEqual(['events']);
      const after = await app.http
        .put('/notifications/rules/r1')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.failed'], repeatIntervalMs: 0, afterMs: 1000 })
        .expect(400);
      expect(after.body.fields.map((f: { field: string }) => f.field)).toEqual(['afterMs']);
      const quiet = await app.http
        .put('/notifications/rules/r1')
        .set(auth(admin))
        .send({
          channel: 'hook',
          events: ['run.failed'],
          repeatIntervalMs: 0,
          quietHours: { days: ['mon'], from: '25:00', to: '25:00', timeZone: 'Mars/Base' },
        })
        .expect(400);
      expect(quiet.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
        'quietHours.from',
        'quietHours.timeZone',
        'quietHours.to',
      ]);
      // An empty filter would match nothing: refused, where left out (or null) means any.
      const empty = await app.http
        .put('/notifications/rules/r1')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.failed'], repeatIntervalMs: 0, agents: [], capabilities: [] })
        .expect(400);
      expect(empty.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['agents', 'capabilities']);
      await app.http
        .put('/notifications/rules/r1')
        .set(auth(operator))
        .send({ channel: 'hook', events: ['run.failed'], repeatIntervalMs: 0 })
        .expect(403);
    });

    it('a channel a rule sends to cannot be deleted', async () => {
      await app.http
        .put('/notifications/rules/keeps-spare')
        .set(auth(admin))
        .send({ channel: 'spare', events: ['killswitch.changed'], repeatIntervalMs: 0 })
        .expect(201);
      const res = await app.http.delete('/notifications/channels/spare').set(auth(admin)).expect(409);
      expect(res.body.message).toContain('keeps-spare');
      await app.http.delete('/notifications/rules/keeps-spare').set(auth(admin)).expect(204);
      await app.http.delete('/notifications/channels/spare').set(auth(admin)).expect(204);
      await app.http.delete('/notifications/rules/keeps-spare').set(auth(admin)).expect(404);
    });

    it('a channel whose URL’s credential is replaced says so in the audit log, though its fingerprint (of the masked URL) is the same', async () => {
      const put = (token: string, status: number) =>
        app.http
          .put('/notifications/channels/rotating')
          .set(auth(admin))
          .send({ type: 'webhook', url: `${hook.url}/events?token=${token}` })
          .expect(status);
      await put('first-token-value', 201);
      await put('first-token-value', 200);
      await put('second-token-value', 200);
      const updates = (await get('/audit?subjectType=notification_channel&subjectId=rotating', admin)).items
        .filter((e: { action: string }) => e.action === 'notification_channel.updated')
        .reverse(); // oldest first
      expect(updates.map((e: { after: { urlReplaced: boolean } }) => e.after.urlReplaced)).toEqual([false, true]);
      expect(updates[1].after.urlSha256).toBe(updates[1].before.urlSha256);
      expect(JSON.stringify(updates)).not.toContain('token-value');
      await app.http.delete('/notifications/channels/rotating').set(auth(admin)).expect(204);
    });

    it('every change of a rule or channel is in the audit log, without a secret', async () => {
      const rules = (await get('/audit?subjectType=notification_rule&subjectId=keeps-spare', admin)).items;
      expect(rules.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['notification_rule.created', 'notification_rule.deleted']),
      );
      expect(rules.every((e: { actor: string }) => e.actor !== 'system')).toBe(true);
      const channels = (await get('/audit?subjectType=notification_channel', admin)).items;
      expect(channels.map((e: { action: string; subject: { id: string } }) => `${e.action} ${e.subject.id}`)).toEqual(
        expect.arrayContaining([
          'notification_channel.created hook',
          'notification_channel.created oncall-slack',
          'notification_channel.deleted spare',
        ]),
      );
      const text = JSON.stringify(channels);
      expect(text).toContain('"secretRotated":true');
      expect(text).not.toContain(hookSecret.slice(6));
      expect(text).not.toContain('XXXXsecretpath');
      // Viewers read the log: of a webhook's URL only its origin and a fingerprint (a path or query may hold a token).
      expect(text).not.toContain(`${hook.url}/events`);
      expect(channels.find((e: { subject: { id: string } }) => e.subject.id === 'hook').after).toMatchObject({
        urlOrigin: new URL(hook.url).origin,
        urlSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });
  });

  describe('a failed run', () => {
    beforeAll(async () => {
      const hour = 3_600_000;
      await app.http
        .put('/notifications/rules/oncall')
        .set(auth(admin))
        .send({ channel: 'oncall-slack', events: ['run.failed', 'run.rollback_failed'], repeatIntervalMs: hour })
        .expect(201);
      const audit = await app.http
        .put('/notifications/rules/audit-hook')
        .set(auth(admin))
        .send({
          channel: 'hook',
          events: ['run.failed'],
          minSeverity: 'medium',
          capabilities: ['warp'],
          repeatIntervalMs: hour,
        })
        .expect(201);
      expect(audit.body).toMatchObject({
        name: 'audit-hook',
        channel: 'hook',
        minSeverity: 'medium',
        capabilities: ['warp'],
        agents: null,
        quietHours: null,
        repeatIntervalMs: hour,
      });
      // Rules that must stay silent: another event, a higher minimum severity, another agent.
      await app.http
        .put('/notifications/rules/rollbacks')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.rolled_back'], repeatIntervalMs: 0 })
        .expect(201);
      await app.http
        .put('/notifications/rules/critical-only')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.failed'], minSeverity: 'critical', repeatIntervalMs: 0 })
        .expect(201);
      await app.http
        .put('/notifications/rules/other-agent')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.failed'], agents: ['agent-elsewhere'], repeatIntervalMs: 0 })
        .expect(201);
    });

    it('produces exactly one message per rule that takes it: a Block Kit message on Slack, a signed webhook', async () => {
      const run = await failedRun('agent-1');
      const slackCalls = await eventually(
        async () => (callsAbout(slack.calls, run.id).length >= 1 ? callsAbout(slack.calls, run.id) : null),
        'the Slack message',
      );
      const hookCalls = await eventually(
        async () => (callsAbout(hook.calls, run.id).length >= 1 ? callsAbout(hook.calls, run.id) : null),
        'the webhook',
      );
      // Every delivery of the run settled: nothing more is on its way.
      await eventually(
        async () => (await deliveries()).filter((d) => d.subject.id === run.id).every((d) => d.status === 'sent'),
        'its deliveries to be sent',
      );
      expect(slackCalls).toHaveLength(1);
      expect(hookCalls).toHaveLength(1);

      const message = slackCalls[0].json;
      expect(message.text).toContain('Recovery run failed');
      expect(message.blocks[0]).toEqual({
        type: 'header',
        text: { type: 'plain_text', text: 'Recovery run failed: investigate', emoji: true },
      });
      expect(message.blocks[1].text.text).toContain('cannot reproduce');
      expect(message.blocks[2].fields.map((f: { text: string }) => f.text)).toEqual(
        expect.arrayContaining(['*Severity*\n:large_orange_circle: high', '*Event*\n`run.failed`']),
      );
      const buttons = message.blocks
        .find((b: { type: string }) => b.type === 'actions')
        .elements.map((e: { url: string }) => e.url);
      expect(buttons).toEqual([
        `${PUBLIC_URL}/console/runs/${run.id}`,
        `${PUBLIC_URL}/console/incidents/${run.incidentId}`,
      ]);

      const signed = hookCalls[0];
      expect(signed.verified).toBe(true);
      expect(signed.json).toMatchObject({
        type: 'run.failed',
        data: { severity: 'high', subject: { type: 'run', id: run.id }, agentId: 'agent-1', capability: 'warp' },
      });
      expect(signed.headers['webhook-id']).toBe(signed.json.data.deliveryId);

      const mine = (await deliveries()).filter((d) => d.subject.id === run.id);
      expect(mine.map((d) => d.rule).sort()).toEqual(['audit-hook', 'oncall']);
      expect(mine.every((d) => d.status === 'sent' && d.attempts === 1 && d.sentAt !== null)).toBe(true);
    });

    it('a repeat of the same fault within the repeat interval sends nothing, and is recorded as suppressed', async () => {
      const before = { slack: slack.calls.length, hook: hook.calls.length };
      const run = await failedRun('agent-1');
      const suppressed = await eventually(async () => {
        const mine = (await deliveries()).filter((d) => d.subject.id === run.id);
        return mine.length === 2 ? mine : null;
      }, 'the repeat to be routed');
      expect(suppressed.map((d) => [d.rule, d.status]).sort()).toEqual([
        ['audit-hook', 'suppressed'],
        ['oncall', 'suppressed'],
      ]);
      expect(suppressed[0].error).toContain('repeat');
      // The same pattern on another agent is another fault: it is told.
      const other = await failedRun('agent-2');
      await eventually(
        async () => callsAbout(slack.calls, other.id).length === 1 && callsAbout(hook.calls, other.id).length === 1,
        'the other fault to be told',
      );
      expect(callsAbout(slack.calls, run.id)).toEqual([]);
      expect(callsAbout(hook.calls, run.id)).toEqual([]);
      expect(slack.calls.length - before.slack).toBe(1);
      expect(hook.calls.length - before.hook).toBe(1);
    });

    it('Slack answering 429 with Retry-After: the message waits that long and then goes, once', async () => {
      let limited = 0;
      slack.answer((_c, res) => {
        slackTimes.push(Date.now());
        if (limited++ === 0) {
          res.statusCode = 429;
          res.setHeader('retry-after', '1');
          res.end('rate_limited');
        } else res.end('ok');
      });
      try {
        const start = slackTimes.length;
        const run = await failedRun('agent-3');
        const delivery = await eventually(async () => {
          const d = (await deliveries('&rule=oncall')).find((x) => x.subject.id === run.id);
          return d?.status === 'sent' ? d : null;
        }, 'the rate-limited message to be sent');
        expect(delivery).toMatchObject({ attempts: 2, lastStatusCode: 200, error: null });
        expect(callsAbout(slack.calls, run.id)).toHaveLength(2);
        const [first, second] = slackTimes.slice(start);
        // Retry-After is a lower bound the service must honour, not a speed measurement.
        expect(second - first).toBeGreaterThanOrEqual(950);
      } finally {
        slack.answer((_c, res) => res.end('ok'));
      }
    });

    it('is sent with no database transaction open during the call', async () => {
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      let arrived = false;
      hook.answer((_c, res) => {
        arrived = true;
        void held.then(() => res.end('{}'));
        return undefined;
      });
      try {
        const run = await failedRun('agent-4');
        await eventually(async () => arrived, 'the webhook call to arrive');
        const [{ at: callArrived }] = await app.sql<{ at: Date }>(`SELECT now() AS at`);
        // The call hangs on: a transaction held across it would sit idle all that time, since before the call
        // arrived (others are brief: one that went idle before it and is still idle a second later is this).
        await new Promise((r) => setTimeout(r, 1000));
        const open = await app.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND state_change < $1`,
          [callArrived],
        );
        expect(open[0].n).toBe(0);
        release();
        await eventually(
          async () => (await deliveries('&rule=audit-hook')).find((d) => d.subject.id === run.id)?.status === 'sent',
          'the held call to be recorded',
        );
      } finally {
        release();
        hook.answer((_c, res) => res.end('{}'));
      }
    });

    it('quiet hours hold the message until they end, then it goes', async () => {
      const now = new Date();
      const clock = (d: Date) => d.toISOString().slice(11, 16);
      const quietHours = {
        days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        from: clock(new Date(now.getTime() - 3_600_000)),
        to: clock(new Date(now.getTime() + 3_600_000)),
        timeZone: 'UTC',
      };
      await app.http
        .put('/notifications/rules/night')
        .set(auth(admin))
        .send({ channel: 'hook', events: ['run.failed'], agents: ['agent-5'], quietHours, repeatIntervalMs: 0 })
        .expect(201);
      const run = await failedRun('agent-5');
      // audit-hook, without quiet hours, is sent; night, to the same receiver, is held.
      await eventually(
        async () => callsAbout(hook.calls, run.id).length === 1,
        'the message of the rule without quiet hours',
      );
      const held = await eventually(
        async () => (await deliveries('&rule=night')).find((d) => d.subject.id === run.id),
        'the held delivery',
      );
      expect(held.status).toBe('held');
      const endsAt = Date.parse(held.nextAttemptAt);
      expect(endsAt).toBeGreaterThan(Date.now() + 3_000_000);
      expect(new Date(endsAt).toISOString().slice(11, 16)).toBe(quietHours.to);
      expect(callsAbout(hook.calls, run.id)).toHaveLength(1);

      // The hours end (the clock moved on by SQL): the dispatcher sends it.
      await app.sql(`UPDATE notification_deliveries SET available_at = now() WHERE id = $1`, [held.id]);
      await eventually(
        async () => (await get(`/notifications/deliveries/${held.id}`)).status === 'sent',
        'the held message to go out',
      );
      expect(callsAbout(hook.calls, run.id)).toHaveLength(2);
      await app.http.delete('/notifications/rules/night').set(auth(admin)).expect(204);
    });

    it('a dead letter is visible with its error and can be retried', async () => {
      hook.answer((_c, res) => {
        res.statusCode = 500;
        res.end('database down');
      });
      let run: { id: string };
      try {
        run = await failedRun('agent-6');
        const dead = await eventually(async () => {
          const d = (await deliveries('&status=dead')).find((x) => x.subject.id === run.id);
          return d ?? null;
        }, 'the delivery to be dead-lettered');
        expect(dead).toMatchObject({
          rule: 'audit-hook',
          attempts: 3,
          lastStatusCode: 500,
          error: 'HTTP 500: database down',
          nextAttemptAt: null,
        });
        expect(callsAbout(hook.calls, run.id)).toHaveLength(3);
        await app.http.post(`/notifications/deliveries/${dead.id}/retry`).set(auth(viewer)).expect(403);
      } finally {
        hook.answer((_c, res) => res.end('{}'));
      }
      const dead = (await deliveries('&status=dead')).find((x) => x.subject.id === run.id)!;
      const retried = await app.http.post(`/notifications/deliveries/${dead.id}/retry`).set(auth(operator)).expect(200);
      expect(retried.body).toMatchObject({ status: 'pending', attempts: 0 });
      // Audited, by whom (the viewer's refused retry is not); never with the receiver's answer.
      const audited = (await get(`/audit?subjectType=notification_delivery&subjectId=${dead.id}`, viewer)).items;
      const keys: Array<{ id: string; keyPrefix: string }> = (await get('/admin/api-keys', ADMIN_KEY)).items;
      expect(audited).toEqual([
        expect.objectContaining({
          actor: keys.find((k) => operator.startsWith(k.keyPrefix))!.id,
          action: 'notification_delivery.retried',
          before: { status: 'dead', attempts: 3, channel: dead.channel, rule: 'audit-hook', event: dead.event },
          after: { status: 'pending', attempts: 0 },
          reason: null,
        }),
      ]);
      expect(JSON.stringify(audited)).not.toContain('database down');
      await eventually(
        async () => (await get(`/notifications/deliveries/${dead.id}`)).status === 'sent',
        'the retried delivery to be sent',
      );
      expect(callsAbout(hook.calls, run.id)).toHaveLength(4);
      expect(callsAbout(hook.calls, run.id).every((c) => c.headers['webhook-id'] === dead.id && c.verified)).toBe(true);
      await app.http.post(`/notifications/deliveries/${dead.id}/retry`).set(auth(operator)).expect(409);
    });
  });

  it('stores a delivery only for the events a rule can subscribe to: none for a run that succeeded', async () => {
    const outcome = (runId: string, outcome: 'succeeded' | 'failed') =>
      new RecoveryRunFinished({
        tenantId: 'notify-takes', // a tenant without rules: nothing goes out, nothing else changes
        runId,
        incidentId: null,
        recoveryId: null,
        patternId: null,
        agentId: 'agent-1',
        capability: 'warp',
        playbook: 'investigate',
        outcome,
        automatic: true,
        reason: null,
      });
    const succeeded = '0190a0a0-0000-7000-8000-0000000000a1';
    const failed = '0190a0a0-0000-7000-8000-0000000000a2';
    await app.app
      .get(TransactionHost)
      .run(() => app.app.get(EventBus).publishAll([outcome(succeeded, 'succeeded'), outcome(failed, 'failed')]));
    const handlers = async (runId: string) =>
      (await app.sql(`SELECT handler FROM outbox_events WHERE payload->>'runId' = $1 ORDER BY handler`, [runId])).map(
        (r) => r.handler,
      );
    expect(await handlers(succeeded)).toEqual(['integration.run-outcome-to-trust']);
    expect(await handlers(failed)).toEqual(['integration.notifications', 'integration.run-outcome-to-trust']);
  });

  it('a repeat interval of 0 lets every piece of news through, two in one transaction too (one relay batch)', async () => {
    const gateAdmin = await app.keyFor('notify-gate', 'admin');
    await app.http
      .put('/notifications/channels/gate')
      .set(auth(gateAdmin))
      .send({ type: 'webhook', url: `${hook.url}/gate` })
      .expect(201);
    for (const [rule, repeatIntervalMs] of [
      ['every-time', 0],
      ['hourly', 3_600_000],
    ] as const)
      await app.http
        .put(`/notifications/rules/${rule}`)
        .set(auth(gateAdmin))
        .send({ channel: 'gate', events: ['run.failed'], repeatIntervalMs })
        .expect(201);
    const tx = app.app.get(TransactionHost);
    const gate = app.app.get(DeliveryRepository);
    const subject = `run.failed gate-${randomUUID()}`;
    const twice = (rule: string, intervalMs: number) =>
      tx.run(async () => [
        await gate.passesRepeatGate('notify-gate', rule, subject, intervalMs),
        await gate.passesRepeatGate('notify-gate', rule, subject, intervalMs),
      ]);
    expect(await twice('every-time', 0)).toEqual([true, true]);
    expect(await twice('hourly', 3_600_000)).toEqual([true, false]);
  });

  /**
   * A tenant of its own, without an actuator (its playbooks' steps are a person's), whose rule sends
   * `events` to a signed webhook at a receiver of its own: its operator's key, `read`, the receiver.
   */
  async function tenantHooked(tenant: string, events: string[]) {
    const receiver = await startWebhookReceiver();
    const tenantAdmin = await app.keyFor(tenant, 'admin');
    const tenantOperator = await app.keyFor(tenant, 'operator');
    const channel = await app.http
      .put('/notifications/channels/hook')
      .set(auth(tenantAdmin))
      .send({ type: 'webhook', url: `${receiver.url}/events` })
      .expect(201);
    receiver.setSecret(channel.body.secret);
    await app.http
      .put('/notifications/rules/runs')
      .set(auth(tenantAdmin))
      .send({ channel: 'hook', events, repeatIntervalMs: 0 })
      .expect(201);
    const read = async (path: string) => (await app.http.get(path).set(auth(tenantOperator)).expect(200)).body;
    return { receiver, tenantOperator, read };
  }

  it('tells of a canceled run whose rollback failed (run.rollback_failed): things are half-changed', async () => {
    const { receiver, tenantOperator, read } = await tenantHooked('notify-cancel', [
      'run.failed',
      'run.rolled_back',
      'run.rollback_failed',
    ]);
    try {
      // No actuator in this tenant: the oom playbook's steps, its rollback too, are an operator's.
      const { runId } = await approvedRun(app.http, tenantOperator, oomIncident('cancel-1'));
      // A person does the first step: the cancel has something to undo.
      await firstStepDoneByHand(app.http, tenantOperator, runId, 'clear_cache');
      await app.http.post(`/runs/${runId}/cancel`).set(auth(tenantOperator)).expect(202);
      const rollbackStep = await eventually(async () => {
        const r = await read(`/runs/${runId}`);
        const step = r.steps.at(-1);
        return r.phase === 'rollback' && step.status === 'awaiting_operator' ? step : null;
      }, 'its rollback step to wait for the operator');
      await app.http
        .post(`/runs/${runId}/steps/${rollbackStep.id}/complete`)
        .set(auth(tenantOperator))
        .send({ outcome: 'failed', note: 'restore failed, batch half-written' })
        .expect(200);
      const done = await finishedRun(app.http, tenantOperator, runId);
      expect(done).toMatchObject({ status: 'canceled', reason: expect.stringContaining('the rollback failed') });
      const call = await eventually(
        async () => receiver.calls.find((c) => c.body.includes(runId)),
        'the notice of the failed rollback',
      );
      expect(call.verified).toBe(true);
      expect(call.json).toMatchObject({
        type: 'run.rollback_failed',
        data: { title: expect.stringContaining('canceled and its rollback failed'), subject: { id: runId } },
      });
    } finally {
      await receiver.close();
    }
  });

  it('tells of a run nobody answered (run.timed_out) though it ends canceled; not of an operator’s cancel', async () => {
    const { receiver, tenantOperator, read } = await tenantHooked('notify-unanswered', [
      'run.timed_out',
      'run.failed',
      'run.rolled_back',
    ]);
    try {
      const waitingStep = (runId: string, phase: string) =>
        eventually(async () => {
          const r = await read(`/runs/${runId}`);
          return r.phase === phase ? r.steps.find((x: any) => x.status === 'awaiting_operator') : null;
        }, `run ${runId} to wait for an operator (${phase})`);

      // No actuator in this tenant: the oom playbook's steps are a person's, and nobody marks the first done in time.
      const { runId } = await approvedRun(app.http, tenantOperator, oomIncident('unanswered-1'));
      const first = await waitingStep(runId, 'steps');
      await app.sql(`UPDATE recovery_run_steps SET deadline_at = now() WHERE run_id = $1 AND step_id = $2`, [
        runId,
        first.id,
      ]);
      await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [runId]);
      // Nothing was called or answered: nothing to roll back, the run ends at once (ADR 0014).
      const done = await finishedRun(app.http, tenantOperator, runId);
      expect(done).toMatchObject({
        status: 'canceled',
        verdict: null,
        reason: expect.stringContaining('nobody answered'),
      });
      const call = await eventually(
        async () => receiver.calls.find((c) => c.body.includes(runId)),
        'the notice of the run nobody answered',
      );
      expect(call.verified).toBe(true);
      expect(call.json).toMatchObject({
        type: 'run.timed_out',
        data: { title: expect.stringContaining('Recovery run timed out'), subject: { id: runId } },
      });
      expect(call.json.data.summary).toContain('nobody answered');

      // An operator's own cancel is news to nobody: no delivery is stored for it.
      const canceled = await approvedRun(app.http, tenantOperator, oomIncident('unanswered-2'));
      await waitingStep(canceled.runId, 'steps');
      await app.http.post(`/runs/${canceled.runId}/cancel`).set(auth(tenantOperator)).expect(202);
      expect(await finishedRun(app.http, tenantOperator, canceled.runId)).toMatchObject({ status: 'canceled' });
      const handlers = await app.sql<{ handler: string }>(
        `SELECT handler FROM outbox_events WHERE event_type = 'RecoveryRunFinished' AND payload->>'runId' = $1`,
        [canceled.runId],
      );
      expect(handlers.map((r) => r.handler)).toEqual(['integration.run-outcome-to-trust']);
    } finally {
      await receiver.close();
    }
  });

  it('tells of a kill switch turned on', async () => {
    await app.http
      .put('/notifications/rules/switches')
      .set(auth(admin))
      .send({ channel: 'oncall-slack', events: ['killswitch.changed'], repeatIntervalMs: 0 })
      .expect(201);
    await app.http
      .post('/guard/killswitch')
      .set(auth(admin))
      .send({ agentId: 'agent-k', reason: 'duplicate refunds' })
      .expect(200);
    const call = await eventually(
      async () => slack.calls.find((c) => c.json?.text?.includes('Kill switch on for agent agent-k')),
      'the kill switch message',
    );
    expect(call.json.blocks[1].text.text).toContain('duplicate refunds');
  });

  it('rules filtering by agent or capability are told of what concerns the whole tenant, and of reviews of theirs', async () => {
    await app.http
      .put('/notifications/channels/filters')
      .set(auth(admin))
      .send({ type: 'webhook', url: hook.url })
      .expect((r) => expect([200, 201]).toContain(r.status));
    const filtered = async (name: string, filter: Record<string, string[]>) =>
      app.http
        .put(`/notifications/rules/${name}`)
        .set(auth(admin))
        .send({
          channel: 'filters',
          events: ['killswitch.changed', 'review.waiting'],
          afterMs: 0,
          repeatIntervalMs: 0,
          ...filter,
        })
        .expect(201);
    await filtered('ledger-only', { capabilities: ['ledger'] });
    await filtered('filt-agent-only', { agents: ['agent-filt'] });
    // The tenant's kill switch stops every agent and capability: both rules hear of it.
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ reason: 'ledger drift' }).expect(200);
    await app.http.delete('/guard/killswitch?reason=checked').set(auth(admin)).expect(200);
    for (const rule of ['ledger-only', 'filt-agent-only'])
      await eventually(
        async () => (await deliveries(`&rule=${rule}`)).filter((d) => d.event === 'killswitch.changed').length === 2,
        `${rule} to be told of the tenant's kill switch, on and off`,
      );
    // Another agent's switch concerns neither: counted below, once the notifications handler has
    // routed every event of the tenant (so a delivery it wrongly made would be there).
    await app.http.post('/guard/killswitch').set(auth(admin)).send({ agentId: 'agent-other', reason: 'x' }).expect(200);
    await app.http.delete('/guard/killswitch?agentId=agent-other&reason=y').set(auth(admin)).expect(200);
    await eventually(
      async () =>
        (
          await app.sql(
            `SELECT count(*)::int AS n FROM outbox_events
              WHERE tenant_id = 'notify' AND handler = 'integration.notifications' AND status = 'pending'`,
          )
        )[0].n === 0,
      "the agent-other switch's events to be routed",
    );

    // A review of agent-filt's ledger capability: both rules are told of it (the review group's agent and capability).
    const incident = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({ errorType: 'LedgerSkew', message: `ledger ${++seq} skewed`, agentId: 'agent-filt', capability: 'ledger' })
      .expect(201);
    const recovery = await eventually(
      async () => (await get(`/recoveries?incidentId=${incident.body.id}`)).items[0],
      'a recovery',
    );
    expect(recovery.status).toBe('pending_review');
    const reviewed = (d: Record<string, any>) => d.event === 'review.waiting' && d.subject?.id === recovery.patternId;
    for (const rule of ['ledger-only', 'filt-agent-only'])
      await eventually(
        async () => (await deliveries(`&rule=${rule}`)).some(reviewed),
        `${rule} to be told of the review`,
      );
    for (const rule of ['ledger-only', 'filt-agent-only']) {
      const heard = await deliveries(`&rule=${rule}`);
      expect(heard.filter((d) => d.event === 'killswitch.changed')).toHaveLength(2);
      expect(heard.filter((d) => d.event === 'review.waiting').every(reviewed)).toBe(true);
    }
    await app.http.post(`/recoveries/${recovery.id}/reject`).set(auth(operator)).send({}).expect(200);
    for (const rule of ['ledger-only', 'filt-agent-only'])
      await app.http.delete(`/notifications/rules/${rule}`).set(auth(admin)).expect(204);
    await app.http.delete('/notifications/channels/filters').set(auth(admin)).expect(204);
  });

  it('tells of other news of a fault within the repeat interval (a failed rollback after a failed run), not the same news again', async () => {
    await app.http
      .put('/notifications/rules/fault-news')
      .set(auth(admin))
      .send({
        channel: 'hook',
        events: ['run.failed', 'run.rollback_failed'],
        agents: ['agent-news'],
        repeatIntervalMs: 3_600_000,
      })
      .expect(201);
    const finished = (runId: string, outcome: 'failed' | 'rollback_failed') =>
      new RecoveryRunFinished({
        tenantId: 'notify',
        runId,
        incidentId: null,
        recoveryId: null,
        patternId: null,
        agentId: 'agent-news',
        capability: 'warp',
        playbook: 'investigate',
        outcome,
        automatic: true,
        reason: 'test',
      });
    const runs = ['b1', 'b2', 'b3'].map((n) => `0190a0a0-0000-7000-8000-0000000000${n}`);
    const outcomes = ['failed', 'failed', 'rollback_failed'] as const;
    for (const [i, runId] of runs.entries()) {
      await app.app.get(TransactionHost).run(() => app.app.get(EventBus).publish(finished(runId, outcomes[i])));
      await eventually(
        async () => (await deliveries('&rule=fault-news')).some((d) => d.subject.id === runId),
        `the delivery about run ${runId}`,
      );
    }
    const status = async (runId: string) =>
      (await deliveries('&rule=fault-news')).find((d) => d.subject.id === runId)?.status;
    expect(await status(runs[1])).toBe('suppressed'); // the same news of the same fault
    expect(await status(runs[2])).not.toBe('suppressed'); // a failed rollback is other news
    await eventually(async () => (await status(runs[2])) === 'sent', 'the failed rollback to be told');
  });

  it('tells of every change of a kill switch, even on → off → on within the repeat interval', async () => {
    await app.http
      .put('/notifications/rules/switch-changes')
      .set(auth(admin))
      .send({
        channel: 'oncall-slack',
        events: ['killswitch.changed'],
        agents: ['agent-flip'],
        repeatIntervalMs: 3_600_000,
      })
      .expect(201);
    const on = () =>
      app.http.post('/guard/killswitch').set(auth(admin)).send({ agentId: 'agent-flip', reason: 'flip' }).expect(200);
    const off = () => app.http.delete('/guard/killswitch?agentId=agent-flip&reason=flop').set(auth(admin)).expect(200);
    // This rule's deliveries, oldest first: what it told, and whether it went out.
    const told = async () =>
      (await deliveries('&rule=switch-changes'))
        .reverse()
        .map((d) => `${d.title.includes('Kill switch on') ? 'on' : 'off'} ${d.status}`);
    await on();
    await eventually(async () => (await told()).length === 1, 'the first message');
    await off();
    await eventually(async () => (await told()).length === 2, 'the second message');
    await on();
    await eventually(async () => (await told()).length === 3, 'the third message');
    // Gated by state, the third was suppressed and the channel's last word stayed "off".
    await eventually(async () => (await told()).every((t) => t.endsWith(' sent')), 'all three sent');
    expect(await told()).toEqual(['on sent', 'off sent', 'on sent']);
    await off();
  });

  it('tells once of a review that has waited longer than the rule says (review.waiting)', async () => {
    await app.http
      .put('/notifications/rules/reviews')
      .set(auth(admin))
      .send({ channel: 'hook', events: ['review.waiting'], afterMs: 0, repeatIntervalMs: 0 })
      .expect(201);
    const told = (patternId: string) =>
      hook.calls.filter((c) => c.json?.type === 'review.waiting' && c.json.data.subject.id === patternId);
    const incident = async (errorType: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType, message: `sprocket ${++seq} slipped`, agentId: 'agent-r' })
        .expect(201);
      return eventually(async () => (await get(`/recoveries?incidentId=${res.body.id}`)).items[0], 'a recovery');
    };
    const first = await incident('SprocketSlip');
    const message = await eventually(async () => told(first.patternId)[0], 'the review.waiting message');
    expect(message.verified).toBe(true);
    expect(message.json.data).toMatchObject({
      title: expect.stringMatching(/^Waiting for review: Review 1 recovery for sprocketslip/),
      subject: { type: 'pattern' },
    });
    expect(message.json.data.links[0].url).toBe(`${PUBLIC_URL}/console/patterns/${first.patternId}`);
    // The sweep that tells of a second review sees the first still waiting, and says nothing more of it.
    const second = await incident('CogSlip');
    await eventually(async () => told(second.patternId).length === 1, 'the second review.waiting message');
    expect(told(first.patternId)).toHaveLength(1);
    expect(await deliveries('&rule=reviews')).toHaveLength(2);
    await app.http.delete('/notifications/rules/reviews').set(auth(admin)).expect(204);
  });

  it('tells again of a review group that stopped waiting and waits again (review.waiting, repeat interval 0)', async () => {
    await app.http
      .put('/notifications/rules/refills')
      .set(auth(admin))
      .send({ channel: 'hook', events: ['review.waiting'], afterMs: 0, repeatIntervalMs: 0 })
      .expect(201);
    const told = (patternId: string) =>
      hook.calls.filter((c) => c.json?.type === 'review.waiting' && c.json.data.subject.id === patternId);
    const incident = async () => {
      const res = await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType: 'GearSlip', message: `gear ${++seq} slipped`, agentId: 'agent-g' })
        .expect(201);
      const recovery = await eventually(
        async () => (await get(`/recoveries?incidentId=${res.body.id}`)).items[0],
        'a recovery',
      );
      return { incidentId: res.body.id as string, patternId: recovery.patternId as string };
    };
    const first = await incident();
    await eventually(async () => told(first.patternId).length === 1, 'the first review.waiting message');
    // Its incident resolved, the review no longer waits; a sweep sees that ...
    await app.http.post(`/incidents/${first.incidentId}/resolve`).set(auth(operator)).send({}).expect(200);
    await app.app.get(ReviewWaitingSweeper).sweep();
    // ... and a new incident of the same pattern makes it wait again: that is news.
    const second = await incident();
    expect(second.patternId).toBe(first.patternId);
    await eventually(async () => told(first.patternId).length === 2, 'a review.waiting message for the refill');
    await app.app.get(ReviewWaitingSweeper).sweep();
    expect(told(first.patternId)).toHaveLength(2); // still waiting: told once per waiting period
    await app.http.delete('/notifications/rules/refills').set(auth(admin)).expect(204);
  });

  it('tells a rule with minSeverity high of reviews of high and critical incidents only (review.waiting)', async () => {
    await app.http
      .put('/notifications/rules/urgent-reviews')
      .set(auth(admin))
      .send({ channel: 'hook', events: ['review.waiting'], minSeverity: 'high', afterMs: 0, repeatIntervalMs: 0 })
      .expect(201);
    const incident = async (errorType: string, severity: string) => {
      const res = await app.http
        .post('/incidents')
        .set(auth(operator))
        .send({ errorType, severity, message: `latch ${++seq} stuck`, agentId: 'agent-u' })
        .expect(201);
      return eventually(async () => (await get(`/recoveries?incidentId=${res.body.id}`)).items[0], 'a recovery');
    };
    const calm = await incident('LatchStuck', 'medium');
    const urgent = await incident('HatchStuck', 'critical');
    const ofRule = async () => deliveries('&rule=urgent-reviews');
    await eventually(async () => (await ofRule()).length === 1, 'the critical review told');
    // A sweep after both waited has seen the medium one too, and not told of it.
    await app.app.get(ReviewWaitingSweeper).sweep();
    const told = await ofRule();
    expect(told.map((d) => [d.subject.id, d.severity])).toEqual([[urgent.patternId, 'critical']]);
    expect(calm.patternId).not.toBe(urgent.patternId);
    await app.http.delete('/notifications/rules/urgent-reviews').set(auth(admin)).expect(204);
  });

  describe('review.waiting in a guardrail storm (more held recoveries than a page of the inbox)', () => {
    /** `count` recoveries a guardrail held, the i-th suggested `ago(i)` ago (an SQL interval of `i`); their ids. */
    const held = async (tenantId: string, count: number, ago: string) =>
      (
        await app.sql<{ id: string }>(
          `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action,
                                            suggestion_type, confidence, status, held_by, created_at)
           SELECT gen_random_uuid(), $1, gen_random_uuid(), gen_random_uuid(), 'memory_cleanup', 'restart',
                  'template', 0.9, 'pending_review', 'blast radius: too many agents at once', now() - ${ago}
             FROM generate_series(1, $2::int) i RETURNING id`,
          [tenantId, count],
        )
      ).map((r) => r.id);
    const told = async (tenantId: string) =>
      (
        await app.sql<{ id: string }>(
          `SELECT notice -> 'subject' ->> 'id' AS id FROM notification_deliveries WHERE tenant_id = $1 AND rule = 'held'`,
          [tenantId],
        )
      ).map((r) => r.id);
    const ruleOn = async (tenantId: string) => {
      const key = await app.keyFor(tenantId, 'admin');
      await app.http
        .put('/notifications/channels/storm')
        .set(auth(key))
        .send({ type: 'webhook', url: `${hook.url}/storm` })
        .expect(201);
      await app.http
        .put('/notifications/rules/held')
        .set(auth(key))
        .send({ channel: 'storm', events: ['review.waiting'], afterMs: 30 * 60_000, repeatIntervalMs: 0 })
        .expect(201);
    };

    it('tells of the one that waited longest, though 500 newer ones fill the inbox', async () => {
      await ruleOn('notify-storm');
      // The storm (held in the last 10 minutes) first: no sweep may find the oldest alone.
      await held('notify-storm', 510, `make_interval(secs => i)`);
      const [oldest] = await held('notify-storm', 1, `interval '2 hours'`);
      await app.app.get(ReviewWaitingSweeper).sweep();
      // Only it has waited the rule's 30 minutes.
      expect(await told('notify-storm')).toEqual([oldest]);
    });

    it('reaches, sweep after sweep, every one that waited, when more have waited than a sweep reads', async () => {
      await ruleOn('notify-backlog');
      const waited = await held('notify-backlog', 600, `interval '2 hours' + make_interval(secs => i)`);
      // Each sweep reads a page (500) from where the last one stopped: the periodic sweeps reach them all.
      await eventually(async () => (await told('notify-backlog')).length === waited.length, 'all 600 to be told');
      expect(new Set(await told('notify-backlog'))).toEqual(new Set(waited));
    });

    it('tells again of a review group that emptied and waits again, while more than 500 holds wait', async () => {
      const tenantId = 'notify-refill-storm';
      await ruleOn(tenantId);
      const key = await app.keyFor(tenantId, 'operator');
      // The storm, held in the last 10 minutes (not yet told): more than the inbox lists of its kind.
      await held(tenantId, 510, `make_interval(secs => i)`);
      /** A recovery of the pattern of `errorType` awaiting review, suggested 2 hours ago (past the rule's 30 minutes). */
      const review = async (errorType: string) => {
        const incident = await app.http
          .post('/incidents')
          .set(auth(key))
          .send({ errorType, message: `valve ${++seq} stuck`, agentId: 'agent-v' })
          .expect(201);
        const recovery = await eventually(
          async () => (await get(`/recoveries?incidentId=${incident.body.id}`, key)).items[0],
          'a recovery',
        );
        expect(recovery.status).toBe('pending_review');
        await app.sql(`UPDATE recovery_candidates SET created_at = now() - interval '2 hours' WHERE id = $1`, [
          recovery.id,
        ]);
        return recovery as { id: string; patternId: string };
      };
      const toldOf = async (patternId: string) => (await told(tenantId)).filter((id) => id === patternId).length;
      const first = await review('ValveStuck');
      await app.app.get(ReviewWaitingSweeper).sweep();
      expect(await toldOf(first.patternId)).toBe(1);
      // The group empties (its one recovery rejected): a sweep forgets it was told, 510 holds waiting or not ...
      await app.http.post(`/recoveries/${first.id}/reject`).set(auth(key)).send({}).expect(200);
      await app.app.get(ReviewWaitingSweeper).sweep();
      // ... so the pattern's next recovery awaiting review is news.
      const second = await review('ValveStuck');
      expect(second.patternId).toBe(first.patternId);
      await app.app.get(ReviewWaitingSweeper).sweep();
      expect(await toldOf(first.patternId)).toBe(2);
      // None of the storm was told (it has not waited 30 minutes), and it still waits.
      expect(await told(tenantId)).toEqual([first.patternId, first.patternId]);
    });
  });

  it('tells of an audit log that no longer verifies (audit.verify_failed), found by a checkpoint or by GET /audit/verify', async () => {
    const rule = { channel: 'oncall-slack', events: ['audit.verify_failed'], repeatIntervalMs: 3_600_000 };
    // A checkpoint checks only what follows the latest one: none may sign the newest entry before
    // it is rewritten. The tenant's checkpoint lock is held until then, as a replica signing would.
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(hashtextextended('audit-checkpoints notify', 0))`);
    let head: { seq: string };
    try {
      await app.http.put('/notifications/rules/audit').set(auth(admin)).send(rule).expect(201);
      // The newest entry rewritten behind the append-only trigger; then the chain moves on.
      [head] = await app.sql<{ seq: string }>(`SELECT max(seq) AS seq FROM audit_entries WHERE tenant_id = 'notify'`);
      await app
        .sql(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`)
        .then(() =>
          app.sql(`UPDATE audit_entries SET reason = 'rewritten' WHERE tenant_id = 'notify' AND seq = $1`, [head.seq]),
        )
        .finally(() => app.sql(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`));
    } finally {
      await holder.end(); // the lock goes with the session
    }
    await app.http
      .put('/notifications/rules/audit')
      .set(auth(admin))
      .send({ ...rule, minSeverity: 'high' })
      .expect(200);

    // The periodic checkpoint refuses to sign over it, and says so.
    const foundBy = async (who: string) =>
      (
        await app.sql(`SELECT 1 FROM notification_deliveries WHERE rule = 'audit' AND notice -> 'facts' @> $1::jsonb`, [
          JSON.stringify([{ label: 'Found by', value: who }]),
        ])
      ).length > 0;
    await eventually(() => foundBy('checkpoint'), 'the refused checkpoint to be told');
    const call = await eventually(
      async () => slack.calls.find((c) => c.json?.text?.includes('Audit log does not verify')),
      'the audit message',
    );
    expect(call.json.blocks[0].text.text).toBe(`Audit log does not verify from entry ${head.seq}`);
    expect(call.json.blocks[2].fields[0].text).toContain('critical');

    // GET /audit/verify finds the same break: the same subject within the repeat interval, so no second message.
    expect(await get('/audit/verify', viewer)).toMatchObject({ ok: false, firstBrokenSeq: Number(head.seq) });
    await eventually(() => foundBy('verify'), 'the verification to be routed');
    expect(slack.calls.filter((c) => c.json?.text?.includes('Audit log does not verify'))).toHaveLength(1);
    expect(new Set((await deliveries('&rule=audit')).map((d) => d.status))).toEqual(new Set(['sent', 'suppressed']));
  });

  it('a worker whose claim lapsed stores nothing, and leaves the channel to its new holder', async () => {
    const staleAdmin = await app.keyFor('notify-stale', 'admin');
    await app.http
      .put('/notifications/channels/stale')
      .set(auth(staleAdmin))
      .send({ type: 'webhook', url: `${hook.url}/stale` })
      .expect(201);
    // Another worker holds the channel and the delivery now (its lease: a day; no one else claims them).
    await app.sql(
      `UPDATE notification_channels SET next_send_at = now() + interval '1 day' WHERE tenant_id = 'notify-stale'`,
    );
    const [{ id }] = await app.sql(
      `INSERT INTO notification_deliveries (id, tenant_id, channel, event, subject_key, severity, notice, status, attempts, available_at)
       VALUES (gen_random_uuid(), 'notify-stale', 'stale', 'run.failed', 'k', 'high', '{}', 'sending', 2, now() + interval '1 day')
       RETURNING id`,
    );
    const state = async () =>
      (
        await app.sql(
          `SELECT c.next_send_at, d.status FROM notification_channels c JOIN notification_deliveries d
              ON d.tenant_id = c.tenant_id AND d.channel = c.name WHERE d.id = $1`,
          [id],
        )
      )[0];
    const before = await state();
    const stale = { id, tenantId: 'notify-stale', channel: 'stale', claimToken: randomUUID() }; // the lapsed claim
    const settled = await app.app
      .get(DeliveryRepository)
      .settle(stale, { status: 'sent', retryInMs: 0, error: null, httpStatus: 200 }, 0);
    expect(settled).toBeNull();
    expect(await state()).toEqual(before);
  });

  it('a dead letter retried while a call from before is still out: only the new claim stores its answer', async () => {
    const answers: Array<(status: number) => void> = [];
    const receiver = await startWebhookReceiver((_c, res) => {
      answers.push((status) => {
        res.statusCode = status;
        res.end('{}');
      });
      return 'hang';
    });
    const key = await app.keyFor('notify-requeue', 'admin');
    const delivery = async () =>
      (await app.http.get(`/notifications/deliveries/${id}`).set(auth(key)).expect(200)).body;
    const channel = { type: 'webhook', url: `${receiver.url}/requeue` };
    const retriesCounted = () =>
      counterValue(app, 'notification_deliveries_total', { channel_type: 'webhook', outcome: 'retry' });
    await app.http.put('/notifications/channels/flaky').set(auth(key)).send(channel).expect(201);
    const { id } = (await app.http.post('/notifications/channels/flaky/test').set(auth(key)).expect(202)).body;
    try {
      await eventually(async () => answers.length === 1, 'the first call to be out');
      // Mid-call, the channel is deleted (its delivery dead-lettered) and made again, and the delivery retried:
      // its attempts start again at 0, so the new claim's count is the old one's.
      await app.http.delete('/notifications/channels/flaky').set(auth(key)).expect(204);
      await app.http.put('/notifications/channels/flaky').set(auth(key)).send(channel).expect(201);
      await app.http.post(`/notifications/deliveries/${id}/retry`).set(auth(key)).expect(200);
      await eventually(async () => answers.length === 2, "the retried delivery's call to be out");
      expect(await delivery()).toMatchObject({ status: 'sending', attempts: 1 });

      // The old call fails, and its worker has finished with it (it counts the attempt after recording it) ...
      const counted = await retriesCounted();
      answers[0](500);
      await eventually(async () => (await retriesCounted()) > counted, 'the old call to be done with');
      // ... without touching the new claim's delivery.
      expect(await delivery()).toMatchObject({ status: 'sending', attempts: 1, lastStatusCode: null });

      answers[1](200);
      const sent = await eventually(async () => {
        const d = await delivery();
        return d.status === 'sent' ? d : null;
      }, 'the new claim to store its answer');
      expect(sent).toMatchObject({ attempts: 1, lastStatusCode: 200, error: null });
      expect(receiver.calls).toHaveLength(2); // sent once after the retry, not again
    } finally {
      await receiver.close();
    }
  });

  it("another tenant sees none of this tenant's channels, rules or deliveries", async () => {
    const other = await app.keyFor('notify-other', 'admin');
    expect((await get('/notifications/channels', other)).items).toEqual([]);
    expect((await get('/notifications/rules', other)).items).toEqual([]);
    expect((await get('/notifications/deliveries', other)).items).toEqual([]);
    const [mine] = await deliveries();
    await app.http.get(`/notifications/deliveries/${mine.id}`).set(auth(other)).expect(404);
    await app.http.post(`/notifications/deliveries/${mine.id}/retry`).set(auth(other)).expect(404);
    await app.http.get('/notifications/rules/oncall').set(auth(other)).expect(404);
    await app.http.post('/notifications/channels/hook/test').set(auth(other)).expect(404);
  });
});

/** A delivery's status and attempts, and whether its channel may send at once. */
async function deliveryState(app: TestApp, id: string) {
  const [row] = await app.sql(
    `SELECT d.status, d.attempts, c.next_send_at <= now() AS channel_free
       FROM notification_deliveries d JOIN notification_channels c ON c.tenant_id = d.tenant_id AND c.name = d.channel
      WHERE d.id = $1`,
    [id],
  );
  return row;
}

/**
 * Webhook channels of `tenant` on `receiver`, each with a minute's timeout and a rule for its kill-switch
 * news; returns what turns the tenant's kill switch on.
 */
async function tellsOfKillSwitch(app: TestApp, tenant: string, receiver: Receiver, channels: string[]) {
  const key = await app.keyFor(tenant, 'admin');
  for (const channel of channels) {
    await app.http
      .put(`/notifications/channels/${channel}`)
      .set(auth(key))
      .send({ type: 'webhook', url: `${receiver.url}/${channel}`, timeoutMs: 60_000 })
      .expect(201);
    await app.http
      .put(`/notifications/rules/${channel}`)
      .set(auth(key))
      .send({ channel, events: ['killswitch.changed'], repeatIntervalMs: 0 })
      .expect(201);
  }
  return () =>
    app.http.post('/guard/killswitch').set(auth(key)).send({ agentId: 'agent-k', reason: 'stop' }).expect(200);
}

/**
 * A replica that stops while its dispatcher's claim is under way: what the claim gets is not sent,
 * and goes back to the queue as it was (else it stays `sending`, an attempt counted and no call
 * made, and its channel is blocked until the claim's lease runs out).
 */
describe('a notification dispatcher that stops', () => {
  let app: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({ ...ALLOW_LOOPBACK, OUTBOX_POLL_INTERVAL_MS: '100' });
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('gives back a delivery claimed while stopping: pending, its attempt not counted, its channel free, nothing sent', async () => {
    const key = await app.keyFor('notify-stop', 'admin');
    await app.http
      .put('/notifications/channels/hook')
      .set(auth(key))
      .send({ type: 'webhook', url: `${receiver.url}/stop` })
      .expect(201);
    // The dispatcher's claim waits behind a lock on the deliveries, taken by the transaction that queues one.
    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    let id: string;
    try {
      await blocker.query(`BEGIN; LOCK TABLE notification_deliveries IN SHARE MODE`);
      const queued = await blocker.query(
        `INSERT INTO notification_deliveries (id, tenant_id, channel, event, subject_key, severity, notice, status, attempts, available_at)
         VALUES (gen_random_uuid(), 'notify-stop', 'hook', 'run.failed', 'k', 'high', '{}', 'pending', 0, now())
         RETURNING id`,
      );
      id = queued.rows[0].id;
      const blockerPid = (blocker as unknown as { processID: number }).processID;
      await eventually(
        async () =>
          (
            await app.sql(
              `SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%WITH due AS%'`,
              [blockerPid],
            )
          ).length > 0,
        "the dispatcher's claim to wait behind the lock",
      );
      // The replica stops; then the claim goes through, and gets the delivery.
      const stopped = app.app.get(NotificationDispatcher).beforeApplicationShutdown();
      await blocker.query('COMMIT');
      await stopped;
    } finally {
      await blocker.end();
    }
    expect(await deliveryState(app, id)).toEqual({ status: 'pending', attempts: 0, channel_free: true });
    expect(receiver.calls).toEqual([]);
  });
});

describe('a notification call still out when the stop has waited SHUTDOWN_TIMEOUT_MS', () => {
  it('is cut off, not waited for to its channel’s timeout, and given back: pending, its attempt not counted, its channel free', async () => {
    const receiver = await startWebhookReceiver(() => 'hang');
    const app = await startTestApp({ ...ALLOW_LOOPBACK, OUTBOX_POLL_INTERVAL_MS: '100', SHUTDOWN_TIMEOUT_MS: '300' });
    try {
      // A minute: a stop that waited for the call would outlast the test's own timeout.
      const news = await tellsOfKillSwitch(app, 'notify-cut-off', receiver, ['hook']);
      await news();
      await eventually(async () => receiver.calls.length === 1, 'the call in flight');
      await app.app.get(NotificationDispatcher).beforeApplicationShutdown();
      const id = receiver.calls[0].headers['webhook-id'] as string;
      expect(await deliveryState(app, id)).toEqual({ status: 'pending', attempts: 0, channel_free: true });
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

/**
 * Nest stops module by module, and the run engine's module before the notifications': while the
 * engine waits for an actuator's call (up to SHUTDOWN_TIMEOUT_MS), a dispatcher still claiming would
 * send news, and then cut at once, with the deadline already past, a call it had just made (its
 * message given back and sent again by another replica). Every caller stops claiming when the stop begins.
 */
describe('a notification given back by a stopping replica', () => {
  it('is sent at once by a replica already running: the stopping one wakes the others', async () => {
    const receiver = await startWebhookReceiver(() => 'hang');
    const url = await createTestDatabase();
    // A poll of a minute: the other replica learns of the delivery given back from a NOTIFY, or not within the test.
    const env = { ...ALLOW_LOOPBACK, SHUTDOWN_TIMEOUT_MS: '300', OUTBOX_POLL_INTERVAL_MS: '60000' };
    const first = await startTestApp(env, [], url);
    let other: TestApp | null = null;
    try {
      const news = await tellsOfKillSwitch(first, 'notify-woken', receiver, ['hook']);
      await news();
      await eventually(async () => receiver.calls.length === 1, 'the call in flight');
      other = await startTestApp(env, [], url); // after the claim: the call is the first replica's
      await first.stop();
      await eventually(async () => receiver.calls.length === 2, 'the other replica to send it again', 15_000);
      expect(receiver.calls[1].headers['webhook-id']).toBe(receiver.calls[0].headers['webhook-id']);
    } finally {
      await first.stop();
      await other?.stop();
      await receiver.close();
    }
  });
});

describe('a replica that stops while its engine waits for an actuator call that hangs', () => {
  it('sends no news meanwhile: a delivery stored during the stop waits, pending, for the next replica', async () => {
    const actuator = await startWebhookReceiver(() => 'hang');
    const channel = await startWebhookReceiver();
    const app = await startTestApp({ ...ALLOW_LOOPBACK, OUTBOX_POLL_INTERVAL_MS: '100', SHUTDOWN_TIMEOUT_MS: '2000' });
    try {
      // Two minutes: only the stop's cut-off ends the call.
      await connectActuator(app.http, await app.keyFor('stop-order', 'admin'), actuator, { timeoutMs: 120_000 });
      await approvedRun(app.http, await app.keyFor('stop-order', 'operator'), oomIncident('stop-order'));
      await eventually(async () => actuator.calls.length === 1, 'the actuator call in flight');
      const news = await tellsOfKillSwitch(app, 'stop-order', channel, ['hook']);
      const closing = app.close();
      await news(); // HTTP and the outbox relay serve until the hooks are done
      await closing;
      const deliveries = await app.sql(
        `SELECT status, attempts FROM notification_deliveries WHERE tenant_id = 'stop-order' AND event = 'killswitch.changed'`,
      );
      expect(deliveries).toEqual([{ status: 'pending', attempts: 0 }]);
      expect(channel.calls).toEqual([]);
    } finally {
      await app.stop();
      await actuator.close();
      await channel.close();
    }
  });
});

describe('a tenant whose notification channels hang', () => {
  it('holds at most NOTIFICATION_TENANT_CONCURRENCY of the calls: another tenant’s news goes out while its calls hang', async () => {
    const hanging = await startWebhookReceiver(() => 'hang');
    const calm = await startWebhookReceiver();
    const app = await startTestApp({
      ...ALLOW_LOOPBACK,
      OUTBOX_POLL_INTERVAL_MS: '100',
      NOTIFICATION_CONCURRENCY: '3',
      NOTIFICATION_TENANT_CONCURRENCY: '2',
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    try {
      const hangingNews = await tellsOfKillSwitch(app, 'hangs', hanging, ['a', 'b', 'c']);
      const calmNews = await tellsOfKillSwitch(app, 'calm', calm, ['d']);
      // Three deliveries due at once, in one claim: two of them are called, the third waits for its tenant's room.
      await hangingNews();
      await eventually(async () => hanging.calls.length >= 2, 'two hanging calls');
      await calmNews();
      await eventually(async () => calm.calls.length === 1, 'the other tenant’s news, while the hanging calls are out');
      expect(hanging.calls).toHaveLength(2);
      const [{ sending }] = await app.sql(
        `SELECT count(*)::int AS sending FROM notification_deliveries WHERE tenant_id = 'hangs' AND status = 'sending'`,
      );
      expect(sending).toBe(2);
    } finally {
      await app.stop();
      await hanging.close();
      await calm.close();
    }
  });
});

describe('two replicas claiming one channel at once', () => {
  it('a claim whose statement began before another replica’s claim committed does not send a second message to the channel', async () => {
    // HTTP only: no dispatcher of its own claims here.
    const app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    const other = new pg.Client({ connectionString: app.database.url });
    await other.connect();
    try {
      await app.sql(`INSERT INTO notification_channels (tenant_id, name, type, url_sealed, url_shown, timeout_ms, next_send_at)
                     VALUES ('race', 'x', 'slack', 's', 's', 5000, now() - interval '1 second')`);
      const [first, second] = [randomUUID(), randomUUID()];
      for (const [id, ago] of [
        [first, 2],
        [second, 1],
      ] as const)
        await app.sql(
          `INSERT INTO notification_deliveries (id, tenant_id, channel, event, subject_key, severity, notice, status, available_at)
           VALUES ($1, 'race', 'x', 'e', $2, 'high', '{}', 'pending', now() - make_interval(secs => $3))`,
          [id, `k${ago}`, ago],
        );
      // The other replica's claim, not yet committed: the first delivery sending, the channel leased.
      await other.query('BEGIN');
      await other.query(
        `UPDATE notification_channels SET next_send_at = now() + interval '1 minute' WHERE tenant_id = 'race'`,
      );
      await other.query(
        `UPDATE notification_deliveries SET status = 'sending', attempts = 1, claim_token = gen_random_uuid(),
                           available_at = now() + interval '1 minute' WHERE id = $1`,
        [first],
      );
      // This replica's claim takes its snapshot now and reaches the channel's lock a second later, after the commit.
      const tx = app.app.get(TransactionHost);
      const queryOutside = tx.queryOutside.bind(tx);
      tx.queryOutside = ((sql: string, params?: unknown[]) =>
        queryOutside(
          sql.replace('FROM notification_channels c\n', 'FROM notification_channels c CROSS JOIN pg_sleep(1)\n'),
          params,
        )) as typeof tx.queryOutside;
      const claiming = app.app.get(DeliveryRepository).claim(4, 10_000, 4, new Map());
      await new Promise((r) => setTimeout(r, 300));
      await other.query('COMMIT');
      expect(await claiming).toEqual([]);
      tx.queryOutside = queryOutside;
      expect(await app.sql(`SELECT id FROM notification_deliveries WHERE status = 'sending'`)).toEqual([{ id: first }]);
    } finally {
      await other.end();
      await app.stop();
    }
  });
});
