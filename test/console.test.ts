import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { connectActuator } from './support/actuators.js';
import {
  axeSerious,
  countStreams,
  openStreamsOf,
  signIn as signInAt,
  startBrowser,
  type TestBrowser,
} from './support/browser.js';
import { approvedRun } from './support/runs.js';
import { ADMIN_KEY, ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/** `npm run screenshots` sets it: the accessibility walk then saves each page it checks there (docs/console). */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS_DIR;

/** The console in a real headless Chromium against the real service (npm test builds it first). */
describe('console in Chromium', () => {
  let app: TestApp;
  let browser: TestBrowser;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const report = async (errorType: string) =>
    (
      await app.http
        .post('/incidents')
        .set(bearer(ADMIN_KEY))
        .send({ errorType, message: `${errorType} while calling upstream`, agentId: 'agent-ui', capability: 'search' })
        .expect(201)
    ).body.id as string;
  const setFlag = (name: string, enabled: boolean) =>
    app.http.put(`/integration/flags/${name}`).set(bearer(ADMIN_KEY)).send({ enabled, scope: 'tenant' }).expect(200);

  beforeAll(async () => {
    // Loopback actuators are allowed for the one tenant that configures one (the paused-run test).
    // One Chromium for the file (its start was most of each test's time); each test gets a fresh context.
    [app, browser] = await Promise.all([startTestApp(ALLOW_LOOPBACK), startBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A fresh browser context (its own cookie jar) signed in with `key`; closed afterwards whatever happens. */
  async function signedIn(key: string, use: (page: Page, context: BrowserContext) => Promise<void>) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, key);
      await use(page, context);
    } finally {
      await context.close();
    }
  }

  const signIn = (page: Page, key: string) => signInAt(page, app.url, key);

  it('signs in with a key into an HttpOnly SameSite=Strict cookie, never storing the key in the page', async () => {
    await signedIn(ADMIN_KEY, async (page, context) => {
      expect(page.url()).toBe(`${app.url}/console/`);
      await page.getByRole('heading', { name: /Overview/ }).waitFor();
      await page.getByText('loop completion').first().waitFor();
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ name: 'pl_session', httpOnly: true, sameSite: 'Strict', secure: false });
      expect(cookie.value).not.toContain(ADMIN_KEY);
      const stored = await page.evaluate(() => {
        const w = globalThis as any;
        return (
          JSON.stringify({ ...w.localStorage }) +
          JSON.stringify({ ...w.sessionStorage }) +
          w.document.cookie +
          w.location.href
        );
      });
      expect(stored).not.toContain(ADMIN_KEY);
      expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe(''); // HttpOnly: scripts cannot read it
    });
  });

  it('renders the console and the API docs under a CSP that allows no inline script', async () => {
    await signedIn(ADMIN_KEY, async (page) => {
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
      });
      await page.goto(`${app.url}/console/incidents`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      // Swagger UI with the session's cookie: its operations are listed once its scripts ran.
      await page.goto(`${app.url}/docs`);
      await page.locator('.opblock-summary-path', { hasText: '/incidents' }).first().waitFor();
      expect(refused).toEqual([]);
    });
  });

  it('shows a new incident live in the list and its loop reaching 5/5 on its page without a reload', async () => {
    await signedIn(ADMIN_KEY, async (page) => {
      await page.getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('heading', { name: 'Incidents' }).waitFor();
      await page.evaluate(() => ((globalThis as any).__samePage = true));
      const id = await report('TimeoutError');
      // It appears without a reload, through /integration/stream.
      const link = page.locator(`a[href="/console/incidents/${id}"]`);
      await link.waitFor();
      await link.click();
      await page.getByTestId('loop-count').filter({ hasText: '5/5' }).waitFor();
      expect(await page.locator('.stage[data-status="completed"]').count()).toBe(5);
      expect(await page.evaluate(() => (globalThis as any).__samePage)).toBe(true);
      await page.getByRole('link', { name: 'Pattern' }).click();
      await page.getByRole('heading', { name: /Pattern/ }).waitFor();
      await page.locator(`a[href="/console/incidents/${id}"]`).first().waitFor();
      // Evidence downloads are plain links to the API (cookie-authenticated).
      const evidence = await page.evaluate(
        async (href): Promise<any> => (await fetch(href)).json(),
        `/incidents/${id}/evidence?format=json`,
      );
      expect(evidence.incident.id).toBe(id);
    });
  });

  it('checks a policy condition as it is typed, and fits a 390 px screen', async () => {
    await signedIn(ADMIN_KEY, async (page) => {
      await page.getByRole('link', { name: 'Policies' }).click();
      const condition = page.getByLabel('Condition (CEL)');
      await condition.fill('request.agentId ==');
      await page.locator('#cel-check.error').waitFor();
      expect(await page.getByRole('button', { name: 'Create' }).isDisabled()).toBe(true);
      await condition.fill('request.agentId == "agent-ui"');
      await page.locator('#cel-check.ok').filter({ hasText: 'Condition parses.' }).waitFor();
      // Status filters keep their natural width (they once stretched across the page).
      for (const to of ['/console/runs', '/console/policies']) {
        await page.goto(`${app.url}${to}`);
        const width = await page
          .getByLabel('Status')
          .evaluate(
            (el) => (el as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width,
          );
        expect(width).toBeLessThan(400);
      }
      await page.setViewportSize({ width: 390, height: 844 });
      for (const to of ['/console/', '/console/incidents', '/console/policies']) {
        await page.goto(`${app.url}${to}`);
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
        const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth);
        expect(overflow).toBeLessThanOrEqual(390);
      }
    });
  });

  it('approves a pending recovery from the review queue, follows its run and marks a manual step done', async () => {
    const id = await report('SchemaMismatchError');
    const recovery = await eventually(async () => {
      const res = await app.http
        .get('/recoveries')
        .query({ status: 'pending_review', incidentId: id })
        .set(bearer(ADMIN_KEY));
      return res.body.items?.[0];
    }, 'a pending recovery');
    await signedIn(ADMIN_KEY, async (page) => {
      await page.getByRole('link', { name: 'Review' }).click();
      const item = page.locator(`[data-recovery="${recovery.id}"]`);
      await item.getByLabel('Reason').fill('checked the schema diff');
      await item.getByRole('button', { name: 'Approve' }).click();
      // Approval answers with the run it started: follow it and do its first (manual: no actuator here) step by hand.
      await item.getByTestId('review-result').filter({ hasText: /Run/ }).getByRole('link').click();
      const run = page.getByTestId('run');
      await run.getByText('awaiting operator').first().waitFor();
      await run.getByLabel('Note').fill('quarantined by hand');
      await run.getByRole('button', { name: 'Mark done' }).click();
      const after = (await app.http.get(`/recoveries/${recovery.id}`).set(bearer(ADMIN_KEY)).expect(200)).body;
      expect(after.status).toBe('applied');
      expect(after.decidedBy).toMatch(/bootstrap admin/);
      const runs = await eventually(async () => {
        const r = (await app.http.get('/runs').query({ incidentId: id }).set(bearer(ADMIN_KEY)).expect(200)).body.items;
        return r[0]?.steps[0].status === 'succeeded' ? r : null;
      }, 'the manual step marked done from the console');
      expect(runs[0].steps[0].output).toMatchObject({ note: 'quarantined by hand' });
    });
  });

  /** Reports an incident on its own agent and waits for its recovery to wait for review: both ids. */
  async function pendingReview(errorType: string, agentId: string) {
    const incidentId = (
      await app.http
        .post('/incidents')
        .set(bearer(ADMIN_KEY))
        .send({ errorType, message: `${errorType} while calling upstream`, agentId, capability: 'search' })
        .expect(201)
    ).body.id as string;
    const recovery = await eventually(async () => {
      const res = await app.http
        .get('/recoveries')
        .query({ status: 'pending_review', incidentId })
        .set(bearer(ADMIN_KEY));
      return res.body.items?.[0];
    }, 'a pending recovery');
    return { incidentId, recoveryId: recovery.id as string };
  }
  const approveRecovery = async (recoveryId: string) =>
    (await app.http.post(`/recoveries/${recoveryId}/approve`).set(bearer(ADMIN_KEY)).send({}).expect(200)).body
      .id as string;

  it('three tabs (inbox, an incident, its run) hold one stream between them, and "Mark done" in the run tab goes through', async () => {
    const { incidentId, recoveryId } = await pendingReview('SchemaMismatchError', 'agent-tabs');
    const runId = await approveRecovery(recoveryId);
    await signedIn(ADMIN_KEY, async (inbox, context) => {
      await countStreams(context);
      await inbox.goto(`${app.url}/console/inbox`);
      await inbox.getByRole('heading', { name: 'Inbox' }).waitFor();
      const incident = await context.newPage();
      await incident.goto(`${app.url}/console/incidents/${incidentId}`);
      await incident.locator(`[data-run="${runId}"]`).getByText('awaiting operator').first().waitFor();
      const runTab = await context.newPage();
      await runTab.goto(`${app.url}/console/runs/${runId}`);
      const run = runTab.getByTestId('run');
      await run.getByText('awaiting operator').first().waitFor();
      await run.getByLabel('Note').fill('done with three tabs open');
      await run.getByRole('button', { name: 'Mark done' }).click();
      await run.getByText('step marked succeeded').waitFor();
      // The tabs share one stream, whatever they show (they once held one per component: six here,
      // all the connections Chromium allows a host over HTTP/1.1, and the click above hung; then one
      // per tab). console-tabs.test.ts has the sharing in full.
      const streams = await Promise.all([inbox, incident, runTab].map(openStreamsOf));
      expect(streams.reduce((a, b) => a + b)).toBe(1);
      // The incident tab hears of it too, relayed from the tab that holds the stream.
      await incident.locator(`[data-run="${runId}"] [data-list="steps"] [data-status="succeeded"]`).first().waitFor();
    });
  });

  it('an incident page whose loop completed shows a run started by an approval made elsewhere, without a reload', async () => {
    const { incidentId, recoveryId } = await pendingReview('SchemaMismatchError', 'agent-approved-elsewhere');
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/incidents/${incidentId}`);
      await page.getByTestId('loop-count').filter({ hasText: '5/5' }).waitFor();
      await page.getByTestId('recovery').getByText('pending review').waitFor();
      expect(await page.getByTestId('run').count()).toBe(0);
      await page.evaluate(() => ((globalThis as any).__samePage = true));
      const runId = await approveRecovery(recoveryId);
      await page.locator(`[data-run="${runId}"]`).waitFor();
      await page.getByTestId('recovery').locator('.badge', { hasText: 'applied' }).waitFor();
      expect(await page.evaluate(() => (globalThis as any).__samePage)).toBe(true);
    });
  });

  it('the inbox: its count in the navigation moves live; an item is assigned and snoozed from its page', async () => {
    const summary = async () => (await app.http.get('/inbox/summary').set(bearer(ADMIN_KEY)).expect(200)).body;
    await signedIn(ADMIN_KEY, async (page) => {
      const count = page.getByTestId('inbox-count');
      const before = (await summary()).total;
      if (before > 0) await count.filter({ hasText: new RegExp(`^${before}$`) }).waitFor();
      // A new incident waits for review: the count goes up without a reload (inbox_changed on the stream).
      const id = await report('InboxJamError');
      const recovery = await eventually(
        async () =>
          (await app.http.get('/recoveries').query({ incidentId: id }).set(bearer(ADMIN_KEY))).body.items?.[0],
        'a recovery',
      );
      // Read once the loop is complete: its review and then its draft policy each add an item, and a
      // total read between the two is on screen only for a moment.
      await eventually(
        async () => (await app.http.get(`/integration/loop/${id}`).set(bearer(ADMIN_KEY))).body.isComplete,
        'the loop to complete',
      );
      const grown = (await summary()).total;
      expect(grown).toBeGreaterThan(before);
      await count.filter({ hasText: new RegExp(`^${grown}$`) }).waitFor();

      await page.getByRole('link', { name: /^Inbox/ }).click();
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      const item = page.locator(`[data-item="review:${recovery.patternId}"]`);
      await item.getByRole('link', { name: /^Review 1 recovery/ }).waitFor();
      await item.getByLabel('Assignee').fill('dana');
      await item.getByRole('button', { name: 'Assign' }).click();
      await item.getByText('assigned to dana').waitFor();
      await item.getByRole('button', { name: 'Snooze' }).click();
      // Snoozed: it leaves the list and the count, live.
      await item.waitFor({ state: 'detached' });
      await count.filter({ hasText: new RegExp(`^${grown - 1}$`) }).waitFor();
      const listed = (await app.http.get('/inbox?snoozed=only').set(bearer(ADMIN_KEY)).expect(200)).body.items;
      expect(listed.find((i: { id: string }) => i.id === `review:${recovery.patternId}`)).toMatchObject({
        assignee: 'dana',
        snoozedUntil: expect.any(String),
      });
      // The item's link opens the page where it is dealt with.
      await page.goto(`${app.url}/console/inbox?snoozed=only`);
      await page.locator(`[data-item="review:${recovery.patternId}"]`).getByRole('link').first().click();
      await page.getByRole('heading', { name: /Pattern/ }).waitFor();
    });
  });

  it('an admin turns bridge_2 off in the admin page: a new incident shows held, then on, and it completes live', async () => {
    try {
      await signedIn(ADMIN_KEY, async (page) => {
        await page.getByRole('link', { name: 'Admin' }).click();
        const row = page.locator('tr[data-flag="bridge_2"]');
        await row.getByRole('button', { name: 'Turn off bridge_2 for this tenant' }).click();
        await row.getByText('off', { exact: true }).first().waitFor();
        const flags = (await app.http.get('/integration/flags').set(bearer(ADMIN_KEY)).expect(200)).body.items;
        expect(flags.find((f: { name: string }) => f.name === 'bridge_2').enabled).toBe(false);

        const id = await report('ConnectionRefusedError');
        await page.goto(`${app.url}/console/incidents/${id}`);
        await page.locator('.stage[data-stage="recovery_suggested"][data-status="held"]').waitFor();
        await page.getByTestId('loop-count').filter({ hasText: '2/5' }).waitFor();
        await page.evaluate(() => ((globalThis as any).__samePage = true));

        await setFlag('bridge_2', true);
        await page.getByTestId('loop-count').filter({ hasText: '5/5' }).waitFor();
        expect(await page.evaluate(() => (globalThis as any).__samePage)).toBe(true);
      });
    } finally {
      await setFlag('bridge_2', true);
    }
  });

  it('a viewer sees no admin page and the API refuses the admin calls made with their cookie', async () => {
    const viewer = await app.keyFor('default', 'viewer');
    await signedIn(viewer, async (page) => {
      expect(await page.getByRole('navigation', { name: 'main' }).getByRole('link').allTextContents()).not.toContain(
        'Admin',
      );
      await page.goto(`${app.url}/console/admin`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Flags per bridge' }).count()).toBe(0);
      const statuses = await page.evaluate(async () => {
        const put = await fetch('/integration/flags/bridge_2', {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ enabled: false, scope: 'tenant' }),
        });
        const kill = await fetch('/guard/killswitch', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ reason: 'x' }),
        });
        const keys = await fetch('/admin/api-keys');
        return [put.status, kill.status, keys.status];
      });
      expect(statuses).toEqual([403, 403, 403]);
    });
  });

  it('signing out ends the session: the old cookie no longer works', async () => {
    await signedIn(ADMIN_KEY, async (page, context) => {
      const [cookie] = await context.cookies();
      await app.http.get('/auth/session').set('Cookie', `pl_session=${cookie.value}`).expect(200);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').waitFor();
      expect(await context.cookies()).toEqual([]);
      await app.http.get('/auth/session').set('Cookie', `pl_session=${cookie.value}`).expect(401);
      await app.http.get('/incidents').set('Cookie', `pl_session=${cookie.value}`).expect(401);
    });
  });

  /** A run that failed on a manual step and rolled back (no actuator: every step is a guided manual one). */
  async function rolledBackRun(): Promise<{ runId: string; incidentId: string }> {
    const incidentId = await report('SchemaMismatchError');
    const recovery = await eventually(
      async () => (await app.http.get('/recoveries').query({ incidentId }).set(bearer(ADMIN_KEY))).body.items?.[0],
      'a recovery',
    );
    const run = (await app.http.post(`/recoveries/${recovery.id}/approve`).set(bearer(ADMIN_KEY)).send({}).expect(200))
      .body;
    const step = (id: string, outcome: 'succeeded' | 'failed', note: string) =>
      eventually(async () => {
        const res = await app.http
          .post(`/runs/${run.id}/steps/${id}/complete`)
          .set(bearer(ADMIN_KEY))
          .send({ outcome, note });
        return res.status === 200;
      }, `step ${id} waiting for an operator`);
    await step('quarantine_record', 'failed', 'the record is locked by another job');
    await step('release_quarantine', 'succeeded', 'released by hand');
    await eventually(
      async () => (await app.http.get(`/runs/${run.id}`).set(bearer(ADMIN_KEY))).body.status === 'rolled_back',
      'the run rolled back',
    );
    return { runId: run.id, incidentId };
  }

  it('a rolled-back run page says why in words and shows its rollback steps as rollback, not as next steps', async () => {
    const { runId } = await rolledBackRun();
    const stored = (await app.http.get(`/runs/${runId}`).set(bearer(ADMIN_KEY)).expect(200)).body;
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/runs/${runId}`);
      const run = page.getByTestId('run');
      await run
        .getByTestId('run-why')
        .filter({ hasText: /Rolled back because step quarantine_record failed: the record is locked by another job/ })
        .waitFor();
      expect(await run.getByTestId('run-reason').textContent()).toBe(
        stored.reason.replace(
          /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
          (id: string) => `…${id.replace(/-/g, '').slice(-6)}`,
        ),
      );
      expect(stored.reason).toMatch(/quarantine_record/);
      const rollback = run.locator('section[data-list="rollback"]');
      expect(await rollback.getByRole('heading').textContent()).toMatch(/Rollback/);
      const step = rollback.locator('li[data-step="release_quarantine"]');
      expect(await step.getAttribute('data-status')).toBe('succeeded');
      expect(await step.locator('.badge.b-rollback').textContent()).toBe('rollback');
      // The failed step is where the steps are, with its error.
      const failed = run.locator('section[data-list="steps"] li[data-step="quarantine_record"]');
      expect(await failed.getAttribute('data-status')).toBe('failed');
      expect(await run.locator('section[data-list="steps"] li[data-step="release_quarantine"]').count()).toBe(0);
      // Links to the incident, the recovery and the pattern; no Cancel on a finished run.
      await run.getByRole('link', { name: 'suggestion and review' }).waitFor();
      expect(await run.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    });
  });

  it('a run paused on a failed step shows the failure with Retry, Skip and Roll back; a retry with a corrected parameter passes its steps and checks', async () => {
    // The receiver refuses the batch factor the playbook starts with.
    const receiver = await startWebhookReceiver((c, res) => {
      const p = c.json?.params ?? {};
      if (p.action === 'reduce_batch' && p.factor === 0.5)
        return res.end('{"status":"failed","error":"factor 0.5 starves the consumers"}');
      res.end(p.action === 'memory_check' ? '{"healthy":true}' : '{"ok":true}');
    });
    try {
      const admin = await app.keyFor('ui-pause', 'admin');
      await connectActuator(app.http, admin, receiver);
      const incident = (
        await app.http
          .post('/incidents')
          .set(bearer(admin))
          .send({
            errorType: 'OutOfMemoryError',
            message: 'Worker pod ingest-3 OOMKilled: container exceeded memory limit 2048Mi',
            agentId: 'agent-ui',
            capability: 'ingest',
          })
          .expect(201)
      ).body;
      const recovery = await eventually(
        async () =>
          (await app.http.get('/recoveries').query({ incidentId: incident.id }).set(bearer(admin))).body.items?.[0],
        'a recovery',
      );
      const started = (
        await app.http.post(`/recoveries/${recovery.id}/approve`).set(bearer(admin)).send({}).expect(200)
      ).body;
      await eventually(
        async () => (await app.http.get(`/runs/${started.id}`).set(bearer(admin))).body.pausedOnStep === 'reduce_batch',
        'the run to pause',
      );
      await signedIn(admin, async (page) => {
        await page.goto(`${app.url}/console/runs/${started.id}`);
        const run = page.getByTestId('run');
        await run
          .getByTestId('run-why')
          .filter({ hasText: /Paused: step “reduce_batch” failed and nothing has been undone yet/ })
          .waitFor();
        const choice = run.getByTestId('paused-choice');
        await choice.getByText('factor 0.5 starves the consumers').waitFor();
        for (const name of ['Retry step', 'Skip step', 'Roll back'])
          expect(await choice.getByRole('button', { name }).count()).toBe(1);
        await choice.getByTestId('retry-params').fill('{"factor": 0.75}');
        await choice.getByRole('button', { name: 'Retry step' }).click();
        await run.getByText('step retried').waitFor();
      });
      // Its steps and checks pass; the run watches for a recurrence (RECOVERY_VERIFY_WINDOW_MS) from here.
      const watching = await eventually(async () => {
        const r = (await app.http.get(`/runs/${started.id}`).set(bearer(admin))).body;
        return r.phase === 'watch' ? r : null;
      }, 'the retried run to pass its steps and checks');
      expect(
        watching.steps.filter((s: { list: string }) => s.list !== 'rollback').map((s: { status: string }) => s.status),
      ).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
      const batches = receiver.calls.filter(
        (c) => c.json?.runId === started.id && c.json.params.action === 'reduce_batch',
      );
      expect(batches.map((c) => c.json.params.factor)).toEqual([0.5, 0.75]);
    } finally {
      await receiver.close();
    }
  });

  it('two incidents reported in the same minute show different labels', async () => {
    const [a, b] = await Promise.all([report('DuplicateLabelError'), report('DuplicateLabelError')]);
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/incidents?errorType=DuplicateLabelError`);
      const label = async (id: string) => {
        const row = page.locator(`tr[data-incident="${id}"]`);
        await row.waitFor();
        return `${await row.getByTestId('incident-label').textContent()} ${await row.locator('.id-tag code').textContent()}`;
      };
      const [la, lb] = [await label(a), await label(b)];
      expect(a.slice(0, 8)).toBe(b.slice(0, 8)); // what the old console showed: the same timestamp head
      expect(la).not.toBe(lb);
      // The filter is in the URL and was applied by the server: only those two rows.
      expect(await page.locator('tr[data-incident]').count()).toBe(2);
    });
  });

  it("a resolved incident's recovery is not in the review queue; waiting ones are grouped by pattern with the incident title and agent", async () => {
    const waiting = await report('SchemaMismatchError');
    const resolved = await report('SchemaMismatchError');
    for (const id of [waiting, resolved]) {
      await eventually(
        async () =>
          (await app.http.get('/recoveries').query({ incidentId: id, status: 'pending_review' }).set(bearer(ADMIN_KEY)))
            .body.items?.[0],
        'a pending recovery',
      );
    }
    await app.http
      .post(`/incidents/${resolved}/resolve`)
      .set(bearer(ADMIN_KEY))
      .send({ note: 'monitoring says fine' })
      .expect(200);
    await eventually(
      async () =>
        (await app.http.get('/recoveries').query({ incidentId: resolved }).set(bearer(ADMIN_KEY))).body.items?.[0]
          ?.status === 'superseded',
      'superseded',
    );
    await signedIn(ADMIN_KEY, async (page) => {
      await page.getByRole('link', { name: 'Review' }).click();
      const item = page.locator(`[data-testid="review-item"][data-incident="${waiting}"]`);
      await item.waitFor();
      expect(await item.textContent()).toContain('agent agent-ui');
      expect(await page.locator(`[data-testid="review-item"][data-incident="${resolved}"]`).count()).toBe(0);
      const group = page.locator('[data-testid="review-group"]', { has: item });
      const pending = (
        await app.http.get('/recoveries').query({ status: 'pending_review', limit: 200 }).set(bearer(ADMIN_KEY))
      ).body.items;
      const samePattern = pending.filter(
        (r: { patternId: string; playbookId: string }) =>
          r.patternId === pending.find((x: { incidentId: string }) => x.incidentId === waiting).patternId,
      );
      expect(await group.getByTestId('review-item').count()).toBe(samePattern.length);
      expect(await group.getByRole('heading').textContent()).toMatch(
        new RegExp(`${samePattern.length} incidents? waits?`),
      );
      // The resolved incident's page: nothing left to acknowledge.
      await page.goto(`${app.url}/console/incidents/${resolved}`);
      await page.getByRole('button', { name: 'Resolve' }).waitFor();
      expect(await page.getByRole('button', { name: 'Acknowledge' }).isDisabled()).toBe(true);
      expect(await page.getByTestId('recovery').textContent()).toMatch(/superseded/);
    });
  });

  it('a missing incident shows one "not found" after at most one request of the page; a malformed id after none', async () => {
    await signedIn(ADMIN_KEY, async (page) => {
      for (const id of ['01900000-0000-7000-8000-000000000000', 'not-an-incident']) {
        const requests: string[] = [];
        page.on('request', (r) => {
          const url = new URL(r.url());
          // The navigation's inbox count (its summary and live stream) is not the page's, nor who is signed in
          // (read by the app on load, and by the stream each time it opens: ADR 0011).
          const navigation = ['/inbox/summary', '/integration/stream', '/auth/session'].includes(url.pathname);
          if (!url.pathname.startsWith('/console/') && !navigation) requests.push(url.pathname);
        });
        await page.goto(`${app.url}/console/incidents/${id}`);
        await page.getByTestId('not-found').waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.getByTestId('not-found').count()).toBe(1);
        expect(await page.getByRole('alert').count()).toBe(0);
        expect(requests).toEqual(id === 'not-an-incident' ? [] : [`/incidents/${id}`]);
        page.removeAllListeners('request');
      }
    });
  });

  it('a deep link to an agent opens it', async () => {
    await report('TimeoutError');
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/routing/agent-ui`);
      const panel = page.locator('[data-testid="agent-panel"][data-agent="agent-ui"]');
      await panel.getByRole('heading', { name: 'Agent agent-ui' }).waitFor();
      const agent = (await app.http.get('/routing/agents/agent-ui').set(bearer(ADMIN_KEY)).expect(200)).body;
      await panel
        .getByTestId('agent-effective')
        .filter({ hasText: agent.effectiveConfidence.toFixed(2) })
        .waitFor();
    });
  });

  it('the dashboard renders its series from stored data', async () => {
    // Two incidents placed 6 h back, one of them resolved 10 minutes after it occurred.
    const hour = 3_600_000;
    const bucket = new Date(Math.floor((Date.now() - 6 * hour) / hour) * hour);
    const [a, b] = [await report('DashboardError'), await report('DashboardError')];
    const at = new Date(bucket.getTime() + 120_000);
    await app.sql(`UPDATE incidents SET created_at = $2, occurred_at = $2 WHERE id = ANY($1::uuid[])`, [[a, b], at]);
    await app.sql(
      `UPDATE incidents SET status = 'resolved', resolved_at = $2::timestamptz + interval '10 minutes', resolved_by = 'monitoring' WHERE id = $1`,
      [a, at],
    );
    const [stored] = await app.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM incidents WHERE created_at >= $1 AND created_at < $1::timestamptz + interval '1 hour'`,
      [bucket],
    );
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/?range=24h`);
      const cell = (series: string) =>
        page.locator(`td[data-series="${series}"][data-bucket="${bucket.toISOString()}"]`);
      await cell('incidents').waitFor({ state: 'attached' });
      expect(Number(await cell('incidents').getAttribute('data-value'))).toBe(stored.n);
      expect(Number(await cell('MTTR p50').getAttribute('data-value'))).toBe(600_000);
      expect(await page.locator('[data-chart="auto-apply"] figcaption').textContent()).toMatch(/90 %/);
      for (const chart of ['incidents', 'mttr'])
        expect(await page.locator(`[data-chart="${chart}"] canvas`).count()).toBeGreaterThan(0);
      await page.getByRole('button', { name: '7d' }).click();
      expect(page.url()).toContain('range=7d');
      await page.getByRole('heading', { name: 'Loop health over 7d' }).waitFor();
    });
  });

  /** A failed verification handed to a coding agent: the work order it raised. */
  const triggerWorkOrder = async (key: string, description: string) => {
    const triggered = (
      await app.http
        .post('/patches/trigger')
        .set(bearer(key))
        .send({ errorType: 'verification_failed', description })
        .expect(201)
    ).body;
    expect(triggered).toMatchObject({ escalatedToCoding: true, workOrderId: expect.any(String) });
    return triggered;
  };

  it('an operator cancels an open work order with a reason from its page', async () => {
    const operator = await app.keyFor('ui-cancel', 'operator');
    const triggered = await triggerWorkOrder(operator, 'output failed verification: 3 tests failed');
    await signedIn(operator, async (page) => {
      await page.goto(`${app.url}/console/work-orders/${triggered.workOrderId}`);
      const cancel = page.getByRole('button', { name: 'Cancel work order' });
      await cancel.waitFor();
      expect(await cancel.isDisabled()).toBe(true); // the API requires a reason
      await page.getByLabel('Reason').fill('the flaky suite was fixed upstream');
      await cancel.click();
      await page.getByRole('status').filter({ hasText: 'canceled' }).waitFor();
      expect(await axeSerious(page)).toEqual([]);
    });
    const order = (
      await app.http.get(`/patches/work-orders/${triggered.workOrderId}`).set(bearer(operator)).expect(200)
    ).body;
    expect(order.status).toBe('canceled');
    expect(JSON.stringify(order)).toContain('the flaky suite was fixed upstream');
  });

  it('a work order page says when its incident was resolved first, and that a person finished an order by hand', async () => {
    const operator = await app.keyFor('ui-wo-resolved', 'operator');
    const { incidentId, runId } = await approvedRun(app.http, operator, {
      errorType: 'VerificationFailed',
      message: 'output failed verification: 2 assertions failed',
      agentId: 'agent-wo',
      capability: 'qa',
    });
    const withdrawn = await eventually(
      async () =>
        (await app.http.get(`/runs/${runId}`).set(bearer(operator)).expect(200)).body.steps.find(
          (s: { workOrderId?: string }) => s.workOrderId,
        )?.workOrderId as string | undefined,
      'the run to raise its work order',
    );
    await app.http.post(`/incidents/${incidentId}/resolve`).set(bearer(operator)).send({}).expect(200);
    await eventually(
      async () =>
        (await app.http.get(`/patches/work-orders/${withdrawn}`).set(bearer(operator)).expect(200)).body.status ===
        'canceled',
      'the resolution to withdraw the work order',
    );
    const byHand = (await triggerWorkOrder(operator, 'output failed verification: 1 test failed'))
      .workOrderId as string;
    const { claimToken } = (
      await app.http.post(`/patches/work-orders/${byHand}/claim`).set(bearer(operator)).expect(200)
    ).body;
    await app.http
      .post(`/patches/work-orders/${byHand}/complete`)
      .set(bearer(operator))
      .send({ claimToken, testsPassed: true, summary: 'fixed the assertion by hand' })
      .expect(200);
    await signedIn(operator, async (page) => {
      await page.goto(`${app.url}/console/work-orders/${withdrawn}`);
      await page.getByTestId('wo-incident-resolved').waitFor();
      expect(await page.getByTestId('wo-incident-resolved').textContent()).toMatch(/^at .+: nothing is left to patch$/);
      expect(await page.getByTestId('wo-finished-by').count()).toBe(0); // canceled: nobody finished it
      await page.goto(`${app.url}/console/work-orders/${byHand}`);
      expect(await page.getByTestId('wo-finished-by').textContent()).toBe('a person, by hand (operator)');
      expect(await page.getByTestId('wo-incident-resolved').count()).toBe(0);
      expect(await axeSerious(page)).toEqual([]);
    });
  });

  it('a 401 after the key is revoked leads back to the sign-in form', async () => {
    const created = (
      await app.http
        .post('/admin/api-keys')
        .set(bearer(ADMIN_KEY))
        .send({ tenantId: 'default', name: 'ui revoked operator', role: 'operator' })
        .expect(201)
    ).body;
    await signedIn(created.key, async (page) => {
      await page.getByRole('heading', { name: /Overview/ }).waitFor();
      // The revocation also ends the page's stream (and the console then asks who is signed in) and
      // may change the inbox (its count is read again): every request but the incidents page's own is
      // held here, so that what brings the form back is that page's 401 (else the form may come first,
      // and the click below find no navigation).
      const held: Route[] = [];
      await page.route(
        (url) => !url.pathname.startsWith('/incidents'),
        (route) => void held.push(route),
      );
      await app.http.delete(`/admin/api-keys/${created.id}`).set(bearer(ADMIN_KEY)).expect(204);
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Incidents' }).click();
      await page.getByLabel('API key').waitFor();
      expect(await page.getByTestId('signin-notice').textContent()).toMatch(/session ended: sign in again/);
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      for (const route of held) await route.abort();
      await page.unrouteAll();
      // Signed in again (another key), it is the page it was on.
      await page.getByLabel('API key').fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    });
  });

  it('the incidents list keeps the pages loaded with "Load more" when a new incident arrives live', async () => {
    const errorType = 'PagedLiveError';
    for (let i = 0; i < 28; i++) await report(errorType);
    await signedIn(ADMIN_KEY, async (page) => {
      await page.goto(`${app.url}/console/incidents?errorType=${errorType}`);
      const rows = page.locator('tr[data-incident]');
      await rows.nth(24).waitFor();
      expect(await rows.count()).toBe(25);
      await page.getByRole('button', { name: 'Load more' }).click();
      await rows.nth(27).waitFor();
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
      const id = await report(errorType);
      await page.locator(`tr[data-incident="${id}"]`).waitFor();
      // The live refetch had time to land; the loaded second page is still there.
      await page.waitForTimeout(2000);
      expect(await rows.count()).toBe(29);
    });
  });

  it('the lists page on with "Load more": 101 policies show in full', async () => {
    const admin = await app.keyFor('ui-paged', 'admin');
    const names = Array.from({ length: 101 }, (_, i) => `paged policy ${String(i + 1).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 10)
      await Promise.all(
        names.slice(i, i + 10).map((name) =>
          app.http
            .post('/policies')
            .set(bearer(admin))
            .send({
              name,
              category: 'operational',
              action: 'warn',
              scope: 'tenant',
              condition: 'request.agentId == "agent-paged"',
            })
            .expect(201),
        ),
      );
    await signedIn(admin, async (page) => {
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Policies' }).click();
      const rows = page.locator('tbody tr');
      await rows.nth(99).waitFor();
      expect(await rows.count()).toBe(100);
      await page.getByRole('button', { name: 'Load more' }).click();
      await rows.nth(100).waitFor();
      expect(await rows.count()).toBe(101);
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
      const shown = await page.locator('tbody tr td:first-child a').allTextContents();
      expect(shown.sort()).toEqual(names);
    });
  });

  it('axe-core finds no serious or critical violation on any page', async () => {
    const { runId, incidentId } = await rolledBackRun();
    const recovery = (await app.http.get('/recoveries').query({ incidentId }).set(bearer(ADMIN_KEY))).body.items[0];
    const incident = (await app.http.get(`/incidents/${incidentId}`).set(bearer(ADMIN_KEY))).body;
    await report('SchemaMismatchError'); // something waits in the review queue
    const pages: Array<[string, string]> = [
      ['overview', '/console/'],
      ['inbox', '/console/inbox'],
      ['incidents', '/console/incidents'],
      ['incident', `/console/incidents/${incidentId}`],
      ['review', '/console/review'],
      ['recovery', `/console/recoveries/${recovery.id}`],
      ['runs', '/console/runs'],
      ['run', `/console/runs/${runId}`],
      ['work-orders', '/console/work-orders'],
      ['policies', '/console/policies'],
      ['routing', '/console/routing/agent-ui'],
      ['pattern', `/console/patterns/${incident.matchedPatternId}`],
      ['admin', '/console/admin'],
      ['not-found', '/console/incidents/01900000-0000-7000-8000-000000000000'],
    ];
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${app.url}/`);
      expect(await axeSerious(page)).toEqual([]); // the sign-in page
      if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in.png') });
      await signIn(page, ADMIN_KEY);
      for (const [name, to] of pages) {
        await page.goto(`${app.url}${to}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await page
          .locator('[aria-busy="true"]')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        const found = await axeSerious(page);
        expect({ page: name, violations: found }).toEqual({ page: name, violations: [] });
        if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
    // A run rolled back, then axe over 14 pages, while another test file shares the two cores.
  }, 180_000);
});
