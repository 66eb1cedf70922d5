import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { connectActuator } from './support/actuators.js';
import { signIn, startBrowser, type TestBrowser } from './support/browser.js';
import { approve, approvedRun, oomIncident, suggestedRecovery } from './support/runs.js';
import { ALLOW_LOOPBACK, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * The console when things go wrong around it (ADR 0011): a failed refresh, a break in the live
 * stream, a run nobody answers, text far too long, a refused action. Real Chromium, real service.
 */
describe('console resilience in Chromium', () => {
  let app: TestApp;
  let browser: TestBrowser;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp(ALLOW_LOOPBACK), startBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function signedIn(
    key: string,
    use: (page: Page, context: BrowserContext) => Promise<void>,
    before?: (context: BrowserContext) => Promise<unknown>,
  ) {
    const context = await browser.newContext();
    try {
      if (before) await before(context);
      const page = await context.newPage();
      await signIn(page, app.url, key);
      await use(page, context);
    } finally {
      await context.close();
    }
  }

  const runOf = async (runId: string, key: string) =>
    (await app.http.get(`/runs/${runId}`).set(bearer(key)).expect(200)).body;
  const awaiting = (runId: string, key: string, stepId: string) =>
    eventually(
      async () => (await runOf(runId, key)).steps.find((x: any) => x.id === stepId && x.status === 'awaiting_operator'),
      `step ${stepId} to wait for an operator`,
    );
  const complete = (runId: string, key: string, stepId: string) =>
    app.http
      .post(`/runs/${runId}/steps/${stepId}/complete`)
      .set(bearer(key))
      .send({ outcome: 'succeeded' })
      .expect(200);

  /** The first fetch of `path` (a glob) from now on answers `status`; the rest pass. `failed` resolves on that failure. */
  async function failOnce(page: Page, path: string, status: number): Promise<{ failed: Promise<void> }> {
    let failed!: () => void;
    const done = new Promise<void>((resolve) => (failed = resolve));
    let left = 1;
    await page.route(path, (route) => {
      if (route.request().resourceType() !== 'fetch' || left === 0) return route.continue();
      left--;
      failed();
      return route.fulfill({ status, contentType: 'application/json', body: '{"message":"upstream unavailable"}' });
    });
    return { failed: done };
  }

  it('a run page whose refresh failed once keeps the run on screen with a note, stays live, and clears the note on the next update', async () => {
    const key = await app.keyFor('res-run-stale', 'admin');
    const { runId } = await approvedRun(app.http, key, oomIncident('res1'));
    await awaiting(runId, key, 'clear_cache');
    await signedIn(key, async (page) => {
      await page.goto(`${app.url}/console/runs/${runId}`);
      const run = page.getByTestId('run');
      await run.locator('li[data-step="clear_cache"][data-status="awaiting_operator"]').waitFor();
      const { failed } = await failOnce(page, `**/runs/${runId}`, 502);
      await complete(runId, key, 'clear_cache');
      await failed;
      const note = page.getByRole('status').filter({ hasText: 'Could not refresh' });
      await note.waitFor();
      // The run stays on screen as it was read last, its buttons too.
      expect(await run.count()).toBe(1);
      expect(await run.locator('li[data-step="clear_cache"]').getAttribute('data-status')).toBe('awaiting_operator');
      // Still listening: the next update reads the run again, and the note goes.
      await awaiting(runId, key, 'reduce_batch');
      await complete(runId, key, 'reduce_batch');
      await run.locator('li[data-step="reduce_batch"][data-status="succeeded"]').waitFor();
      await note.waitFor({ state: 'detached' });
    });
  });

  it('a first read that fails still shows the error', async () => {
    const key = await app.keyFor('res-run-first', 'admin');
    const { runId } = await approvedRun(app.http, key, oomIncident('res1b'));
    await signedIn(key, async (page) => {
      await failOnce(page, `**/runs/${runId}`, 503);
      await page.goto(`${app.url}/console/runs/${runId}`);
      await page.getByRole('alert').filter({ hasText: 'upstream unavailable' }).waitFor();
      expect(await page.getByTestId('run').count()).toBe(0);
    });
  });

  it('an incident page whose refresh failed once keeps the incident and its live run on screen', async () => {
    const key = await app.keyFor('res-incident-stale', 'admin');
    const { incidentId, runId } = await approvedRun(app.http, key, oomIncident('res2'));
    await awaiting(runId, key, 'clear_cache');
    await signedIn(key, async (page) => {
      await page.goto(`${app.url}/console/incidents/${incidentId}`);
      const run = page.locator(`[data-run="${runId}"]`);
      await run.locator('li[data-step="clear_cache"][data-status="awaiting_operator"]').waitFor();
      const { failed } = await failOnce(page, `**/incidents/${incidentId}`, 503);
      await complete(runId, key, 'clear_cache');
      await failed;
      const note = page.getByRole('status').filter({ hasText: 'Could not refresh' });
      await note.waitFor();
      expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
      // The run on the page is still live: the next steps show as they happen.
      await awaiting(runId, key, 'reduce_batch');
      await complete(runId, key, 'reduce_batch');
      await run.locator('li[data-step="reduce_batch"][data-status="succeeded"]').waitFor();
      await note.waitFor({ state: 'detached' });
    });
  });

  it('while a stopped run’s rollback waits for a person, the headline says how and why the run stopped, then what the rollback waits for', async () => {
    const key = await app.keyFor('res-rollback-why', 'admin');
    // clear_cache done, then nobody answered reduce_batch in time: the run stops canceled and rolls
    // back what was done (a step nobody answered is not undone); restore_batch is manual.
    const unanswered = (await approvedRun(app.http, key, oomIncident('res3a'))).runId;
    await awaiting(unanswered, key, 'clear_cache');
    await complete(unanswered, key, 'clear_cache');
    await awaiting(unanswered, key, 'reduce_batch');
    await app.sql(`UPDATE recovery_run_steps SET deadline_at = now() WHERE run_id = $1 AND step_id = 'reduce_batch'`, [
      unanswered,
    ]);
    await app.sql(`UPDATE recovery_runs SET due_at = now() WHERE id = $1`, [unanswered]);
    // A step failed and an operator chose to roll back: the run failed.
    const failed = (await approvedRun(app.http, key, oomIncident('res3b'))).runId;
    await awaiting(failed, key, 'clear_cache');
    await app.http
      .post(`/runs/${failed}/steps/clear_cache/complete`)
      .set(bearer(key))
      .send({ outcome: 'failed', note: 'cache locked' })
      .expect(200);
    // memory_cleanup pauses on a failed step (or, by a tenant's setting, rolls back at once).
    const stopped = await eventually(async () => {
      const r = await runOf(failed, key);
      return r.pausedOnStep === 'clear_cache' || r.phase === 'rollback' ? r : null;
    }, 'the run to pause or roll back');
    if (stopped.pausedOnStep) await app.http.post(`/runs/${failed}/rollback`).set(bearer(key)).send({}).expect(202);
    await awaiting(unanswered, key, 'restore_batch');
    await awaiting(failed, key, 'restore_batch');
    await signedIn(key, async (page) => {
      const headline = async (runId: string) => {
        await page.goto(`${app.url}/console/runs/${runId}`);
        const run = page.getByTestId('run');
        await run.locator('li[data-step="restore_batch"][data-status="awaiting_operator"]').waitFor();
        return run.getByTestId('run-why').textContent();
      };
      expect(await headline(unanswered)).toMatch(
        /^Canceled: .*reduce_batch.*nobody answered.*; rolling back — waiting for an operator to do “.+”\.$/,
      );
      expect(await headline(failed)).toMatch(
        /^Failed: .*clear_cache.*; rolling back — waiting for an operator to do “.+”\.$/,
      );
    });
  });

  it('after a break in the live stream, the runs list, the review queue and the inbox count read again what they missed', async () => {
    const key = await app.keyFor('res-reconnect', 'admin');
    const schema = (n: string) => ({
      ...oomIncident(n),
      errorType: 'SchemaMismatchError',
      message: `schema mismatch ${n}`,
    });
    const summary = async () =>
      (await app.http.get('/inbox/summary').set(bearer(key)).expect(200)).body.total as number;
    // The inbox moves with each incident's loop (its review, then its draft policy): read once they are done.
    const loopDone = (incidentId: string) =>
      eventually(
        async () =>
          (await app.http.get(`/integration/loop/${incidentId}`).set(bearer(key)).expect(200)).body.isComplete,
        `the loop of ${incidentId}`,
      );
    const first = await suggestedRecovery(app.http, key, schema('res4a'));
    await loopDone(first.incidentId);
    const before = await summary();
    // The server's stream sockets, to break them as a proxy's idle timeout or a deploy would.
    const streams = new Set<Socket>();
    const server = app.app.getHttpServer() as Server;
    const onRequest = (req: IncomingMessage) => {
      if (String(req.url).startsWith('/integration/stream')) streams.add(req.socket);
    };
    server.on('request', onRequest);
    let blocked = false;
    try {
      await signedIn(
        key,
        async (page) => {
          const open = async (to: string) => {
            const tab = await page.context().newPage();
            await tab.goto(`${app.url}/console${to}`);
            return tab;
          };
          const runs = page;
          await runs.goto(`${app.url}/console/runs`);
          await runs.getByRole('heading', { name: 'Runs' }).waitFor();
          const review = await open('/review');
          await review.locator(`[data-recovery="${first.recoveryId}"]`).waitFor();
          const count = runs.getByTestId('inbox-count');
          await count.filter({ hasText: new RegExp(`^${before}$`) }).waitFor();
          await eventually(async () => streams.size > 0, 'the stream open');
          // The stream breaks, and comes back only after the inbox, the runs and the queue moved on.
          blocked = true;
          for (const socket of streams) socket.destroy();
          streams.clear();
          const second = await suggestedRecovery(app.http, key, schema('res4b'));
          await app.http
            .post(`/recoveries/${first.recoveryId}/reject`)
            .set(bearer(key))
            .send({ note: 'not this one' })
            .expect(200);
          const { runId, incidentId } = await approvedRun(app.http, key, oomIncident('res4c'));
          // The inbox as it stays (it moves on as the run starts and waits for its operator).
          await awaiting(runId, key, 'clear_cache');
          await loopDone(second.incidentId);
          await loopDone(incidentId);
          const total = await summary();
          expect(total).not.toBe(before);
          blocked = false;
          await runs.locator(`a[href="/console/runs/${runId}"]`).waitFor({ timeout: 30_000 });
          await count.filter({ hasText: new RegExp(`^${total}$`) }).waitFor();
          await review.locator(`[data-recovery="${second.recoveryId}"]`).waitFor();
          await review.locator(`[data-recovery="${first.recoveryId}"]`).waitFor({ state: 'detached' });
        },
        (context) => context.route('**/integration/stream', (r) => (blocked ? r.abort() : r.continue())),
      );
    } finally {
      server.off('request', onRequest);
    }
  });

  it('a step waiting for a person shows when it must be answered by, and the run its own deadline', async () => {
    const key = await app.keyFor('res-deadlines', 'admin');
    const { runId } = await approvedRun(app.http, key, oomIncident('res5'));
    await awaiting(runId, key, 'clear_cache');
    const api = await runOf(runId, key);
    const step = api.steps.find((x: any) => x.id === 'clear_cache');
    expect(step.deadlineAt).toEqual(expect.any(String));
    await signedIn(key, async (page) => {
      await page.goto(`${app.url}/console/runs/${runId}`);
      const run = page.getByTestId('run');
      const waiting = run.locator('li[data-step="clear_cache"][data-status="awaiting_operator"]');
      await waiting.waitFor();
      const answerBy = waiting.getByTestId('step-deadline');
      expect(await answerBy.textContent()).toMatch(/^Answer by: (\d+:)?\d+:\d\d left .*canceled \(nobody answered\)/);
      expect(await answerBy.locator('time').getAttribute('datetime')).toBe(step.deadlineAt);
      // Steps not waiting for anyone show none.
      expect(await run.getByTestId('step-deadline').count()).toBe(1);
      const deadline = run.getByTestId('run-deadline');
      expect(await deadline.textContent()).toMatch(/left .*times out/);
      expect(await deadline.locator('time').getAttribute('datetime')).toBe(api.deadlineAt);
    });
  });

  it('very long unbroken text (a title, a message) wraps instead of widening the pages', async () => {
    const key = await app.keyFor('res-long-text', 'admin');
    const long = 'A'.repeat(3000);
    const { incidentId, recoveryId } = await suggestedRecovery(app.http, key, {
      ...oomIncident('res6'),
      title: `OOM ${long.slice(0, 400)}`,
      message: `OOMKilled ${long}`,
    });
    await signedIn(key, async (page) => {
      const widthOf = async (to: string) => {
        await page.goto(`${app.url}/console${to}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        return page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
      };
      const widths: Record<string, number> = {};
      for (const to of ['/incidents', `/incidents/${incidentId}`, '/review', `/recoveries/${recoveryId}`])
        widths[to] = await widthOf(to);
      const runId = await approve(app.http, key, recoveryId);
      await awaiting(runId, key, 'clear_cache');
      for (const to of [`/runs/${runId}`, '/runs', '/inbox']) widths[to] = await widthOf(to);
      // The viewport is 1280 px wide (test/support/browser.ts).
      expect(Object.entries(widths).filter(([, w]) => w > 1280)).toEqual([]);
    });
  });

  it('a run paused on a failed check: no skip, said in words; a refused click (someone acted first) reads the run again', async () => {
    const receiver = await startWebhookReceiver((c, res) => {
      res.end(c.json?.params?.action === 'memory_check' ? '{"healthy":false}' : '{"ok":true}');
    });
    try {
      const key = await app.keyFor('res-refused', 'admin');
      await connectActuator(app.http, key, receiver);
      const { runId } = await approvedRun(app.http, key, oomIncident('res7'));
      await eventually(
        async () => (await runOf(runId, key)).pausedOnStep === 'memory_ok',
        'the run to pause on its check',
        40_000,
      );
      await signedIn(
        key,
        async (page) => {
          await page.goto(`${app.url}/console/runs/${runId}`);
          const run = page.getByTestId('run');
          const choice = run.getByTestId('paused-choice');
          await choice.waitFor();
          expect(await choice.getByRole('button', { name: 'Skip step' }).count()).toBe(0);
          const refusal = await choice.getByTestId('skip-refusal').textContent();
          expect(refusal).toMatch(/^No skip: a failed verification check cannot be skipped: /);
          expect(refusal).not.toMatch(/POST|\/runs\//);
          // Someone else rolls the run back meanwhile; this tab hears nothing (its stream is down).
          await app.http.post(`/runs/${runId}/rollback`).set(bearer(key)).send({}).expect(202);
          await choice.getByRole('button', { name: 'Retry step' }).click();
          await run.getByRole('alert').filter({ hasText: /^409/ }).waitFor();
          // The page read the run again: no more choice to offer.
          await choice.waitFor({ state: 'detached' });
        },
        (context) => context.route('**/integration/stream', (r) => r.abort()),
      );
    } finally {
      await receiver.close();
    }
  });

  it('after Mark done the focus goes to the run’s headline, not to the page, when the button is gone', async () => {
    const key = await app.keyFor('res-focus', 'admin');
    const { runId } = await approvedRun(app.http, key, oomIncident('res8'));
    await awaiting(runId, key, 'clear_cache');
    await signedIn(key, async (page) => {
      await page.goto(`${app.url}/console/runs/${runId}`);
      const run = page.getByTestId('run');
      const step = run.locator('li[data-step="clear_cache"][data-status="awaiting_operator"]');
      await step.getByLabel('Note').fill('cache cleared by hand');
      await step.getByRole('button', { name: 'Mark done' }).click();
      await run.locator('li[data-step="clear_cache"][data-status="succeeded"]').waitFor();
      await run.getByRole('status').filter({ hasText: 'step marked succeeded' }).waitFor();
      await eventually(
        async () =>
          (await page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.testid)) === 'run-why',
        'the focus on the headline',
      );
    });
  });

  it('the copy button says what happened where the Clipboard API is missing (plain HTTP to a remote host)', async () => {
    const key = await app.keyFor('res-copy', 'admin');
    const { incidentId } = await suggestedRecovery(app.http, key, oomIncident('res9'));
    await signedIn(
      key,
      async (page) => {
        await page.goto(`${app.url}/console/incidents/${incidentId}`);
        const copy = page.getByRole('button', { name: `copy incident id ${incidentId}` }).first();
        await copy.click();
        await eventually(async () => (await copy.textContent()) !== 'copy', 'feedback on the copy button');
        expect(await copy.textContent()).toMatch(/^(copied|not copied: selected)$/);
      },
      (context) =>
        context.addInitScript(() =>
          Object.defineProperty((globalThis as any).navigator, 'clipboard', { value: undefined }),
        ),
    );
  });
});
