import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { LoopProgressHub } from '../src/integration/loop-progress/loop-progress.hub.js';
import { axeSerious, countStreams, openStreamsOf, signIn, startBrowser, type TestBrowser } from './support/browser.js';
import { openSse, watchStreamRequests } from './support/sse.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** The per-key stream limit of this file's app: the reconnect test fills it to have streams refused (429). */
const STREAMS_PER_KEY = 8;

/**
 * The console's tabs share one live stream per signed-in session (ADR 0011): one tab holds the
 * EventSource (a Web Lock), and relays its events to the others over a BroadcastChannel. In a real
 * headless Chromium against the real service (`npm run build:console` first).
 */
describe('console tabs share one live stream', () => {
  let app: TestApp;
  let browser: TestBrowser;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const report = async (key: string, errorType: string) =>
    (
      await app.http
        .post('/incidents')
        .set(bearer(key))
        .send({
          errorType,
          message: `${errorType} while calling upstream`,
          agentId: 'agent-tabs',
          capability: 'search',
        })
        .expect(201)
    ).body.id as string;
  /** The tenant's streams the server holds open (its SSE hub's subscribers). */
  const serverStreams = (tenantId: string) => app.app.get(LoopProgressHub).tenantStreamCount(tenantId);
  /** The page lists the incident: its list was read again after the stream told of it (or after a reconnect). */
  const lists = (page: Page, id: string) => page.locator(`a[href="/console/incidents/${id}"]`).first().waitFor();
  /** An ordinary API call of the page; 'hung' when it got no answer (the bug: no connection left). */
  const fetchStatus = (page: Page) =>
    page.evaluate(async () => {
      try {
        return (await fetch('/inbox/summary', { signal: AbortSignal.timeout(10_000) })).status;
      } catch {
        return 'hung';
      }
    });

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startTestApp({ SSE_MAX_STREAMS_PER_KEY: String(STREAMS_PER_KEY) }),
      startBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A fresh context (a profile of its own) counting each page's EventSources; closed afterwards. */
  async function inContext(use: (context: BrowserContext) => Promise<void>) {
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    try {
      await countStreams(context);
      await use(context);
    } finally {
      await context.close();
    }
  }

  async function openTab(context: BrowserContext, path = '/console/incidents') {
    const page = await context.newPage();
    await page.goto(`${app.url}${path}`);
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    return page;
  }

  const streamsOfTabs = async (pages: Page[]) => (await Promise.all(pages.map(openStreamsOf))).reduce((a, b) => a + b);

  it('eight tabs hold one stream between them, each hears every event and their requests go through; when the leader closes another tab takes over', async () => {
    const key = await app.keyFor('tabs-eight', 'operator');
    await inContext(async (context) => {
      const first = await context.newPage();
      await signIn(first, app.url, key);
      await first.goto(`${app.url}/console/incidents`);
      // With one stream per tab, the seventh tab found the six connections of the host taken: it hung.
      const tabs = [first];
      while (tabs.length < 8) tabs.push(await openTab(context));
      expect(await Promise.all(tabs.map(fetchStatus))).toEqual(Array(8).fill(200));

      const id = await report(key, 'EightTabsError');
      for (const tab of tabs) await lists(tab, id);
      // Every tab listens (each heard the event): the server holds one stream, and one tab holds it.
      expect(serverStreams('tabs-eight')).toBe(1);
      expect(await streamsOfTabs(tabs)).toBe(1);

      // The leader closes: another tab takes over at once, and the rest keep hearing the news.
      const leader = (await Promise.all(tabs.map(openStreamsOf))).indexOf(1);
      await tabs[leader].close();
      const rest = tabs.filter((_, i) => i !== leader);
      await eventually(
        async () => serverStreams('tabs-eight') === 1 && (await streamsOfTabs(rest)) === 1,
        'another tab to open the stream',
      );
      const next = await report(key, 'AfterLeaderError');
      for (const tab of rest) await lists(tab, next);
      expect(serverStreams('tabs-eight')).toBe(1);
      expect(await Promise.all(rest.map(fetchStatus))).toEqual(Array(7).fill(200));
    });
  }, 120_000);

  /** The tab shows the notice of a session another tab put in its place (and no page of its own). */
  const switched = async (page: Page) => (await page.getByTestId('switched-notice').count()) > 0;
  /** The page shows a link to the incident (whatever the tab shows now). */
  const shows = async (page: Page, id: string) =>
    (await page.locator(`a[href="/console/incidents/${id}"]`).count()) > 0;
  /** The loop of the incident completed: no later event of the stream names it. */
  const completes = (key: string, id: string) =>
    eventually(
      async () => (await app.http.get(`/integration/loop/${id}`).set(bearer(key))).body.isComplete === true,
      'the incident’s loop to complete',
    );
  /** Cuts the open streams the server holds for a session token (as a restart or a proxy would): the browser reconnects. */
  const dropStreams = (watch: ReturnType<typeof watchStreamRequests>, token: string) => {
    for (const s of watch.seen.filter((s) => s.cookie.includes(token) && s.isOpen())) s.res.socket?.destroy();
  };
  /**
   * Each of A's tabs either shows the notice or (the bug) B's incident, once B's incident is listed in a tab of
   * B; it must be the notice, and never B's incident.
   */
  async function expectNoticeNotData(tabs: Page[], ofB: string) {
    await eventually(
      async () => (await Promise.all(tabs.map(async (t) => (await switched(t)) || shows(t, ofB)))).every(Boolean),
      'each tab of A to show the notice, or B’s incident',
    );
    for (const tab of tabs)
      expect({ notice: await switched(tab), showsB: await shows(tab, ofB) }).toEqual({ notice: true, showsB: false });
  }

  it('a tab signing in as another tenant turns the first tenant’s tabs into a notice at once: they leave the stream, never show the other tenant’s data, and continue as it when asked; a sign-out reaches every tab', async () => {
    const [keyA, keyB] = [await app.keyFor('tabs-a', 'operator'), await app.keyFor('tabs-b', 'operator')];
    await inContext(async (context) => {
      // A tab opened before anyone signed in still shows the sign-in form when tenant A's tabs are open.
      const b = await context.newPage();
      await b.goto(`${app.url}/`);
      await b.getByLabel('API key').waitFor();
      const a1 = await context.newPage();
      await signIn(a1, app.url, keyA);
      await a1.goto(`${app.url}/console/incidents`);
      const a2 = await openTab(context);
      const ofA = await report(keyA, 'TenantAError');
      for (const tab of [a1, a2]) await lists(tab, ofA);

      // Signed in there as tenant B: the profile's cookie, every tab's, is B's now.
      await b.getByLabel('API key').fill(keyB);
      await b.getByRole('button', { name: 'Sign in' }).click();
      await b.getByRole('button', { name: 'Sign out' }).waitFor();
      await b.goto(`${app.url}/console/incidents`);
      const ofB = await report(keyB, 'TenantBError');
      await lists(b, ofB);
      await completes(keyB, ofB);
      // News of A's own, on A's stream: a tab of A still showing A's list reads it again, with B's cookie.
      const laterOfA = await report(keyA, 'TenantALaterError');
      await completes(keyA, laterOfA);
      await expectNoticeNotData([a1, a2], ofB);
      expect(await a1.getByTestId('switched-notice').textContent()).toMatch(/signed in as .* of tenant tabs-b/);
      expect(await axeSerious(a1)).toEqual([]);
      // A's tabs left the stream when told, not because it broke; B's tab holds B's one stream.
      await eventually(async () => serverStreams('tabs-a') === 0, 'A’s stream to end');
      expect([serverStreams('tabs-b'), await streamsOfTabs([a1, a2]), await openStreamsOf(b)]).toEqual([1, 0, 1]);

      // Continuing: the tab shows B's console, B's incidents and none of A's.
      await a1.getByRole('button', { name: /^Continue as / }).click();
      await a1.getByRole('button', { name: 'Sign out' }).waitFor();
      await a1.goto(`${app.url}/console/incidents`);
      await lists(a1, ofB);
      expect(await shows(a1, ofA)).toBe(false);

      // B signs out in its tab: every tab (B's, and A's still showing the notice) shows the sign-in form.
      await b.getByRole('button', { name: 'Sign out' }).click();
      for (const tab of [a1, a2]) {
        await tab.getByLabel('API key').waitFor();
        expect(await tab.getByTestId('signin-notice').textContent()).toMatch(/sign in again/);
      }
      await eventually(async () => serverStreams('tabs-b') === 0, 'no stream to be left');
    });
  }, 120_000);

  it('a sign-in the tabs were not told of (another program sharing the profile) is caught when the stream opens again: the tabs show the notice, not the other tenant’s events', async () => {
    const [keyA, keyB] = [await app.keyFor('tabs-a2', 'operator'), await app.keyFor('tabs-b2', 'operator')];
    const watch = watchStreamRequests(app.app.getHttpServer() as Server);
    try {
      await inContext(async (context) => {
        const a1 = await context.newPage();
        await signIn(a1, app.url, keyA);
        await a1.goto(`${app.url}/console/incidents`);
        const a2 = await openTab(context);
        const ofA = await report(keyA, 'TenantA2Error');
        for (const tab of [a1, a2]) await lists(tab, ofA);
        const [{ value: tokenA }] = await context.cookies();

        // The profile's cookie becomes B's behind the console's back (the context's requests share its cookies).
        const signedIn = await context.request.post(`${app.url}/auth/session`, { data: { apiKey: keyB } });
        expect(signedIn.status()).toBe(201);
        expect(await streamsOfTabs([a1, a2])).toBe(1); // nothing told them: A's stream is still open
        // It breaks; the browser opens it again, with B's cookie: B's events would come, and B's incident with them.
        dropStreams(watch, tokenA);
        const ofB = await report(keyB, 'TenantB2Error');
        await completes(keyB, ofB);
        await expectNoticeNotData([a1, a2], ofB);
        // The tab that holds the stream found B on it, and closed it.
        await eventually(async () => serverStreams('tabs-b2') === 0, 'the stream opened with B’s cookie to close');
        await eventually(async () => serverStreams('tabs-a2') === 0, 'A’s dropped stream to end on the server');
        expect(await streamsOfTabs([a1, a2])).toBe(0);
      });
    } finally {
      watch.stop();
    }
  }, 120_000);

  it('when the leader closes, the tabs read their incidents list again once another tab holds the stream: an incident reported in between shows', async () => {
    const key = await app.keyFor('tabs-handover', 'operator');
    await inContext(async (context) => {
      const first = await context.newPage();
      await signIn(first, app.url, key);
      await first.goto(`${app.url}/console/incidents`);
      const tabs = [first, await openTab(context), await openTab(context)];
      const before = await report(key, 'BeforeHandoverError');
      for (const tab of tabs) await lists(tab, before);

      // The stream the next leader opens is held in the browser until the incident below is reported and its
      // loop done: no event names it, only the list read after the handover can show it.
      const held: Route[] = [];
      await context.route('**/integration/stream', (route) => void held.push(route));
      const leader = (await Promise.all(tabs.map(openStreamsOf))).indexOf(1);
      await tabs[leader].close();
      const rest = tabs.filter((_, i) => i !== leader);
      await eventually(async () => held.length === 1, 'another tab to open the stream');
      const between = await report(key, 'DuringHandoverError');
      await completes(key, between);
      expect(await Promise.all(rest.map((t) => shows(t, between)))).toEqual([false, false]);

      await held[0].continue();
      await context.unroute('**/integration/stream');
      for (const tab of rest) await lists(tab, between);
      expect(serverStreams('tabs-handover')).toBe(1);
    });
  }, 120_000);

  it('an incident reported before a tab’s stream opened, or while its list was still being read, shows in it', async () => {
    const key = await app.keyFor('tabs-late', 'operator');
    await inContext(async (context) => {
      const tab = await context.newPage();
      await signIn(tab, app.url, key);
      // The stream of the incidents page is held in the browser until an incident is reported and its loop done:
      // the list was read before, no event names it; only the list read once the stream is open can show it.
      const streams: Route[] = [];
      await context.route('**/integration/stream', (route) => void streams.push(route));
      await tab.goto(`${app.url}/console/incidents`);
      await tab.getByText('No incidents match.').waitFor();
      await eventually(async () => streams.length > 0, 'the tab to ask for its stream');
      const beforeOpen = await report(key, 'BeforeOpenError');
      await completes(key, beforeOpen);
      await context.unroute('**/integration/stream');
      for (const route of streams) await route.continue().catch(() => undefined); // one of a page already left
      await lists(tab, beforeOpen);
      await eventually(async () => serverStreams('tabs-late') === 1, 'the stream to open');

      // The page comes back (its stream stays open) and reads its list: each read is answered by the service at
      // once but reaches the page only after an incident is reported and its loop done, the latest read first.
      const nav = tab.getByRole('navigation', { name: 'main' });
      await nav.getByRole('link', { name: 'Runs', exact: true }).click();
      await tab.getByRole('heading', { name: 'Runs' }).waitFor();
      const reads: Array<() => Promise<void>> = [];
      const listRead = (url: URL) => url.pathname === '/incidents';
      await context.route(listRead, async (route) => {
        const response = await route.fetch();
        reads.push(() => route.fulfill({ response }));
      });
      await nav.getByRole('link', { name: 'Incidents', exact: true }).click();
      await eventually(async () => reads.length > 0, 'the list to be read');
      const whileReading = await report(key, 'WhileReadingError');
      await completes(key, whileReading);
      // The page heard of it while its list was out: it read the list again.
      await eventually(async () => reads.length > 1, 'the list to be read again');
      for (const answer of reads.reverse()) await answer();
      await context.unroute(listRead);
      await lists(tab, whileReading);
      expect(await shows(tab, beforeOpen)).toBe(true);
    });
  }, 120_000);

  it('a session that expires while its tabs are open brings back the sign-in form in every tab, from the stream alone', async () => {
    const key = await app.keyFor('tabs-expiry', 'viewer');
    await inContext(async (context) => {
      const first = await context.newPage();
      await signIn(first, app.url, key);
      const [{ value: token }] = await context.cookies();
      // Seconds to live: the tabs open with it and their stream is watched until then (CredentialWatch).
      // Long enough for two tabs and their stream to open on a machine shared with another test file.
      await app.sql(
        `UPDATE console_sessions SET expires_at = now() + interval '25 seconds' WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
        [token],
      );
      await first.goto(`${app.url}/console/incidents`);
      const second = await openTab(context);
      await eventually(async () => serverStreams('tabs-expiry') === 1, 'the stream to open');
      // Opened before the expiry: from here on no tab asks anything but its stream.
      const [{ live }] = await app.sql(
        `SELECT expires_at > now() AS live FROM console_sessions WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
        [token],
      );
      expect(live).toBe(true);
      for (const tab of [first, second]) {
        // Until the session's expiry, up to 25 s away.
        await tab.getByLabel('API key').waitFor({ timeout: 60_000 });
        expect(await tab.getByTestId('signin-notice').textContent()).toMatch(/session ended: sign in again/);
      }
      await eventually(async () => serverStreams('tabs-expiry') === 0, 'no stream to be left');
    });
  }, 120_000);

  it('a stream the server drops and then refuses (429) is opened again after a back-off, and every tab reads what it missed and hears what comes next', async () => {
    const key = await app.keyFor('tabs-retry', 'operator');
    const watch = watchStreamRequests(app.app.getHttpServer() as Server);
    const fillers: Array<ReturnType<typeof openSse>> = [];
    try {
      await inContext(async (context) => {
        const first = await context.newPage();
        await signIn(first, app.url, key);
        await first.goto(`${app.url}/console/incidents`);
        const tabs = [first, await openTab(context)];
        const before = await report(key, 'BeforeDropError');
        for (const tab of tabs) await lists(tab, before);
        // One stream between the tabs (the sign-in page's, left by the navigation, may take a moment to end).
        await eventually(async () => serverStreams('tabs-retry') === 1, 'one stream between the tabs');

        // The key's other streams take every place, so the console's next attempts are refused.
        const [{ value: token }] = await context.cookies();
        const ours = () => watch.seen.filter((s) => s.cookie.includes(token));
        const fill = async (n: number) => {
          while (fillers.length < n) fillers.push(openSse(`${app.url}/integration/stream`, bearer(key), () => {}));
          expect(new Set(await Promise.all(fillers.map((f) => f.opened)))).toEqual(new Set([200]));
        };
        await fill(STREAMS_PER_KEY - 1);
        // The server drops the console's stream (its connection cut), and its place is taken at once
        // (the browser reconnects 2 s later: `retry: 2000`).
        for (const s of ours().filter((s) => s.isOpen())) s.res.socket?.destroy();
        await eventually(async () => serverStreams('tabs-retry') === STREAMS_PER_KEY - 1, 'the stream to end');
        await fill(STREAMS_PER_KEY);
        const missed = await report(key, 'DuringBreakError');
        await eventually(
          async () => (await app.http.get(`/integration/loop/${missed}`).set(bearer(key))).body.isComplete === true,
          'the loop of the incident reported during the break to complete (no later event names it)',
        );
        // Refused three times: the browser's own reconnect, then the back-off's retries, the later one
        // after a longer wait (2 s, then 4 s).
        await eventually(
          async () => ours().filter((s) => s.status() === 429).length >= 3,
          'three refused attempts',
          30_000,
        );
        for (const f of fillers.splice(0)) f.close();

        // Open again (after 8 s): every tab reads its list again and shows what came during the break.
        for (const tab of tabs)
          await tab.locator(`a[href="/console/incidents/${missed}"]`).first().waitFor({ timeout: 30_000 });
        const after = await report(key, 'AfterReconnectError');
        for (const tab of tabs) await lists(tab, after);
        expect(serverStreams('tabs-retry')).toBe(1);
        expect(ours().filter((s) => s.isOpen())).toHaveLength(1);
      });
    } finally {
      for (const f of fillers) f.close();
      watch.stop();
    }
  }, 120_000);
});
