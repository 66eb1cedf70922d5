import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  /** A fresh context: its own cookie jar and storage, as a new profile would have. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium (apt-get install chromium; .ci/run installs it when missing) driven by
 * playwright-core: no browser download. Started once per test file (2 to 3 s on this machine);
 * each test takes a fresh context from it, which shares nothing with another context (cookies,
 * storage, cache) and costs well under a second.
 */
export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package "chromium" (apt-get update && apt-get install -y chromium)`,
    );
  }
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    newContext: () => browser.newContext({ viewport: { width: 1280, height: 900 } }),
    close: () => browser.close(),
  };
}

/** A browser of its own with one fresh context, for a test that needs a browser once. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const browser = await startBrowser();
  try {
    return { context: await browser.newContext(), close: browser.close };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** Signs `page` in to the console at `baseUrl` with `key` through the sign-in form. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Counts each page's open EventSources in `window.__openStreams` (made, not yet closed by the page
 * nor given up by the browser), for the context's pages opened from now on.
 */
export const countStreams = (context: BrowserContext) =>
  context.addInitScript(() => {
    const w = globalThis as any;
    const Native = w.EventSource;
    w.__openStreams = 0;
    w.EventSource = class extends Native {
      private counted = true;
      constructor(...args: unknown[]) {
        super(...args);
        w.__openStreams++;
        this.addEventListener('error', () => {
          if (this.readyState === Native.CLOSED && this.counted) {
            this.counted = false;
            w.__openStreams--;
          }
        });
      }
      close() {
        if (this.counted) {
          this.counted = false;
          w.__openStreams--;
        }
        super.close();
      }
    };
  });

/** The page's open EventSources (see countStreams). */
export const openStreamsOf = (page: Page) => page.evaluate(() => (globalThis as any).__openStreams as number);

/** axe-core's browser build, injected into a page by axeSerious. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA rules and best practices). */
export async function axeSerious(page: Page): Promise<string[]> {
  // Evaluated through the browser's protocol: an inline <script> would be refused by the CSP (script-src 'self').
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
        };
      }
    ).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
  });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
