import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { launchBrowser } from './support/browser.js';

/** The console in a real headless Chromium against the real service (npm test builds it first). */
describe('console in Chromium', () => {
  let app: TestApp;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const report = async (errorType: string) =>
    (await app.http.post('/incidents').set(bearer(ADMIN_KEY)).send({ errorType, message: `${errorType} while calling upstream`, agentId: 'agent-ui', capability: 'search' }).expect(201)).body
      .id as string;
  const setFlag = (name: string, enabled: boolean) =>
    app.http.put(`/integration/flags/${name}`).set(bearer(ADMIN_KEY)).send({ enabled, scope: 'tenant' }).expect(200);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** A fresh browser signed in with `key`; closed afterwards whatever happens. */
  async function signedIn(key: string, use: (page: Page, context: BrowserContext) => Promise<void>) {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await signIn(page, key);
      await use(page, browser.context);
    } finally {
      await browser.close();
    }
  }

  async function signIn(page: Page, key: string) {
    await page.goto(`${app.url}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  it('signs in with a key into an HttpOnly SameSite=Strict cookie, never storing the key in the page', async () => {
    await signedIn(ADMIN_KEY, async (page, context) => {
      expect(page.url()).toBe(`${app.url}/console/`);
      await page.getByRole('heading', { name: /Overview/ }).waitFor();
      await page.getByText('loop completion').first().waitFor();
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ name: 'pl_session', httpOnly: true, sameSite: 'Strict', secure: false });
      expect(cookie.value).not.toContain(ADMIN_KEY);
      const stored = await page.evaluate(() => { const w = globalThis as any; return JSON.stringify({ ...w.localStorage }) + JSON.stringify({ ...w.sessionStorage }) + w.document.cookie + w.location.href; });
      expect(stored).not.toContain(ADMIN_KEY);
      expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe(''); // HttpOnly: scripts cannot read it
    });
  });

  it('shows a new incident live in the list and its loop reaching 5/5 on its page without a reload', async () => {
    await signedIn(ADMIN_KEY, async (page, context) => {
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
      const evidence = await page.evaluate(async (href): Promise<any> => (await fetch(href)).json(), `/incidents/${id}/evidence?format=json`);
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
      const res = await app.http.get('/recoveries').query({ status: 'pending_review', incidentId: id }).set(bearer(ADMIN_KEY));
      return res.body.items?.[0];
    }, 'a pending recovery');
    await signedIn(ADMIN_KEY, async (page, context) => {
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

  it('an admin turns bridge_2 off in the admin page: a new incident shows held, then on, and it completes live', async () => {
    try {
      await signedIn(ADMIN_KEY, async (page, context) => {
        await page.getByRole('link', { name: 'Admin' }).click();
        const row = page.locator('tr[data-flag="bridge_2"]');
        await row.getByRole('button', { name: 'turn bridge_2 off for this tenant' }).click();
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
    await signedIn(viewer, async (page, context) => {
      expect(await page.getByRole('navigation', { name: 'main' }).getByRole('link').allTextContents()).not.toContain('Admin');
      await page.goto(`${app.url}/console/admin`);
      await page.getByText('No such page.').waitFor();
      expect(await page.getByRole('heading', { name: 'Flags per bridge' }).count()).toBe(0);
      const statuses = await page.evaluate(async () => {
        const put = await fetch('/integration/flags/bridge_2', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false, scope: 'tenant' }) });
        const kill = await fetch('/guard/killswitch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'x' }) });
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
});
