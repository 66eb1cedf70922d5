import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * The console's shared live stream (console/src/api/stream.ts) at the moments a browser test cannot
 * time: a connection that drops while its open's session check is still out, and a tab carrying on
 * under a new session of the same key. The module runs as the browser would run it, compiled as it
 * is, against an EventSource and fetch that this test drives by hand (no Web Locks: the tab opens
 * its own stream, the path every tab falls back to). What is asserted is what pages hear: every
 * event passed on, and RECONNECTED (read again) at the first open and after any break.
 */
describe('the console stream after a break', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-stream-'));
  let copies = 0;

  class FakeEventSource {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSED = 2;
    static all: FakeEventSource[] = [];
    readyState = 0;
    onopen: (() => void) | null = null;
    onerror: (() => void) | null = null;
    private handlers = new Map<string, Array<(e: { data: string }) => void>>();
    constructor() {
      FakeEventSource.all.push(this);
    }
    addEventListener(event: string, h: (e: { data: string }) => void) {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), h]);
    }
    removeEventListener(event: string, h: (e: { data: string }) => void) {
      this.handlers.set(
        event,
        (this.handlers.get(event) ?? []).filter((x) => x !== h),
      );
    }
    close() {
      this.readyState = FakeEventSource.CLOSED;
    }
    opened() {
      this.readyState = FakeEventSource.OPEN;
      this.onopen?.();
    }
    dropped() {
      // CONNECTING: the browser reconnects by itself.
      this.readyState = FakeEventSource.CONNECTING;
      this.onerror?.();
    }
    emit(event: string, data: unknown) {
      for (const h of this.handlers.get(event) ?? []) h({ data: JSON.stringify(data) });
    }
  }

  /** `GET /auth/session` answers held until the test gives them. */
  const asked: Array<(answer: unknown) => void> = [];
  const answer = async (session: unknown) => {
    asked.shift()!({ ok: true, status: 200, json: async () => session });
    await new Promise((r) => setTimeout(r, 0));
  };

  type Stream = {
    setStreamSession(s: unknown): void;
    subscribe(event: string, l: (data: unknown) => void): () => void;
    RECONNECTED: string;
  };
  /** A fresh copy of the module (its state is the tab's), compiled from the console's source. */
  const loadStream = async (): Promise<Stream> => {
    const file = path.join(dir, `stream-${++copies}.mjs`);
    const source = readFileSync(path.join(process.cwd(), 'console/src/api/stream.ts'), 'utf8').replace(
      "from './client'",
      "from './client.mjs'",
    );
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(file, js);
    return (await import(pathToFileURL(file).href)) as Stream;
  };

  const session = {
    tenantId: 'acme',
    keyName: 'ops',
    role: 'operator',
    platformAdmin: false,
    expiresAt: '2026-12-07T10:00:00.000Z',
  };
  const heard: string[] = [];
  /** The page's `window`, where the console's modules announce a session change. */
  const win = new EventTarget();

  beforeAll(() => {
    const client = readFileSync(path.join(process.cwd(), 'console/src/api/client.ts'), 'utf8');
    const constant = (name: string) => new RegExp(`export const ${name} = '([^']+)'`).exec(client)![1];
    writeFileSync(
      path.join(dir, 'client.mjs'),
      `export const SESSION_ENDED = '${constant('SESSION_ENDED')}'; export const SESSION_CHANGED = '${constant('SESSION_CHANGED')}';`,
    );
    const g = globalThis as Record<string, unknown>;
    g.window = win;
    g.EventSource = FakeEventSource;
    g.fetch = () => new Promise((resolve) => asked.push(resolve));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A tab's stream module with a page listening to `run_progress` and to RECONNECTED, what it hears in `heard`. */
  const listening = async () => {
    const stream = await loadStream();
    heard.length = 0;
    stream.subscribe('run_progress', (d) => heard.push(`event ${JSON.stringify(d)}`));
    stream.subscribe(stream.RECONNECTED, () => heard.push('read again'));
    return stream;
  };

  it('the first open tells the pages to read again: they read before it opened, and what happened in between was never told', async () => {
    const stream = await listening();
    stream.setStreamSession(session);
    const es = FakeEventSource.all.at(-1)!;
    es.opened();
    es.emit('run_progress', { n: 1 });
    expect(heard).toEqual([]); // held until the open is checked
    await answer(session);
    es.emit('run_progress', { n: 2 });
    expect(heard).toEqual(['read again', 'event {"n":1}', 'event {"n":2}']);
    stream.setStreamSession(null);
  });

  it('a drop while the session check is out: the reopen, once checked, tells the pages to read again', async () => {
    const stream = await listening();
    stream.setStreamSession(session);
    const es = FakeEventSource.all.at(-1)!;
    es.opened(); // its session check goes out
    es.emit('run_progress', { n: 1 });
    es.dropped(); // before the check answers: n=1 and what follows in the gap are missed
    await answer(session); // the first open's check answers during the gap
    es.opened(); // the browser's reconnect
    es.emit('run_progress', { n: 3 });
    expect(heard).toEqual([]); // held until this open is checked too
    await answer(session);
    expect(heard).toEqual(['read again', 'event {"n":3}']);
    stream.setStreamSession(null);
  });

  it('carrying on under a new session of the same key tells the pages to read again', async () => {
    const stream = await listening();
    const renewed = { ...session, expiresAt: '2026-12-07T11:00:00.000Z' };
    // What the console does when told of the same key signed in again (main.tsx).
    win.addEventListener('pillar-loop:session-changed', (e) => stream.setStreamSession((e as CustomEvent).detail));
    stream.setStreamSession(session);
    let es = FakeEventSource.all.at(-1)!;
    es.opened();
    await answer(session);
    es.emit('run_progress', { n: 1 });
    es.dropped(); // a proxy's idle timeout; the browser reconnects with the cookie it has now
    es.opened();
    es.emit('run_progress', { n: 2 }); // held, then dropped with the stream: another session's cookie
    await answer(renewed);
    es = FakeEventSource.all.at(-1)!; // the renewed session's own stream
    es.opened();
    es.emit('run_progress', { n: 3 });
    await answer(renewed);
    expect(heard).toEqual(['read again', 'event {"n":1}', 'read again', 'event {"n":3}']);
    stream.setStreamSession(null);
  });
});
