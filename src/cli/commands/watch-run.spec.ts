import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliContext } from '../context.js';
import { reconnectDelayMs, watchRun } from './watch-run.js';

const RUN = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a1c';
const at = '2026-12-05T10:00:00.000Z';
const run = (status: string, phase: string) => ({
  id: RUN,
  status,
  phase,
  reason: status === 'succeeded' ? 'verified' : null,
  playbookId: 'restart',
  playbookName: 'Restart',
  incidentId: null,
  incidentTitle: null,
  automatic: true,
  startedBy: 'auto-apply',
  steps: [],
  updatedAt: at,
});
const progress = (stepId: string | null, status: string, phase: string, stepStatus: string | null) =>
  `event: run_progress\ndata: ${JSON.stringify({ runId: RUN, incidentId: null, status, phase, stepId, stepStatus, attempt: 1, error: null, note: null, at })}\n\n`;

type Answer = (res: ServerResponse, n: number) => void;

/** The first stream ends after one change (as when the service restarts); the run ends before the second opens. */
const restart: Answer = (res, n) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  if (n === 1) return res.end(': heartbeat\n\n' + progress('restart', 'running', 'steps', 'running'));
  // The run ended while no stream was open: only reading it again can tell.
  phase = 'done';
  res.end();
};
let phase: 'steps' | 'done' = 'steps';

/**
 * The reconnect, against a local HTTP server that plays the service's part (and a reverse proxy's
 * before it): `answer` says how each opening of the stream is answered.
 */
describe('watchRun', () => {
  let server: Server;
  let url: string;
  let streams = 0;
  let answer: Answer = restart;
  let waits: number[] = [];

  const context = (key = 'k', env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = new CliContext(
      { PILLAR_LOOP_URL: url, PILLAR_LOOP_KEY: key, HOME: '/nonexistent', ...env },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
      Date.now,
      async (ms) => {
        waits.push(ms);
      },
      // The middle of each jittered wait: three quarters of its exponential step.
      () => 0.5,
    );
    return { ctx, out, err };
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer k') return res.writeHead(401).end('{"message":"no"}');
      if (req.url === `/runs/${RUN}`) {
        res.setHeader('Content-Type', 'application/json');
        return res.end(JSON.stringify(phase === 'done' ? run('succeeded', 'done') : run('running', 'steps')));
      }
      if (req.url === '/integration/stream') return answer(res, ++streams);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    streams = 0;
    phase = 'steps';
    answer = restart;
    waits = [];
  });
  /** Streams a test left open (a connection gone silent): closed after it, so the server can close. */
  const open: ServerResponse[] = [];
  afterEach(() => {
    for (const res of open.splice(0)) res.destroy();
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('opens a dropped stream again and reads the run again, finding the end it missed', async () => {
    const { ctx, out, err } = context();
    expect(await watchRun(ctx, RUN, false)).toBe(0);
    expect(streams).toBe(2);
    expect(err).toEqual(['pillar-loop: the live stream ended; opening it again\n']);
    const text = out.join('');
    expect(text).toContain('run …3f9a1c: Restart, started by auto-apply\n');
    expect(text).toMatch(
      / {2}\d\d:\d\d:\d\d {2}restart +running\n {2}\d\d:\d\d:\d\d {2}run +succeeded \(done\), read again\n/,
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe('run …3f9a1c succeeded: verified');
  });

  it("opens the stream again after a proxy's 502, 503 and 504 while the service restarts, and after a 429 once its Retry-After passed", async () => {
    answer = (res, n) => {
      if (n === 1)
        return res
          .writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '7' })
          .end('{"message":"too many open streams for this API key; close one first"}');
      if (n === 2) return res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>502 Bad Gateway</html>');
      if (n === 3) return res.writeHead(503).end();
      if (n === 4) return res.writeHead(504).end('upstream timed out');
      phase = 'done';
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end();
    };
    const { ctx, out, err } = context();
    expect(await watchRun(ctx, RUN, false)).toBe(0);
    expect(streams).toBe(5);
    expect(err).toEqual([
      'pillar-loop: 429: too many open streams for this API key; close one first (retry after 7 s); opening it again\n',
      'pillar-loop: 502: <html>502 Bad Gateway</html>; opening it again\n',
      'pillar-loop: 503: Service Unavailable; opening it again\n',
      'pillar-loop: 504: upstream timed out; opening it again\n',
    ]);
    // Retry-After over the first back-off, spread above it by up to half of it (2 s); then 4, 8, 16 s jittered.
    expect(waits).toEqual([7500, 3000, 6000, 12000]);
    expect(out.join('').trimEnd().split('\n').at(-1)).toBe('run …3f9a1c succeeded: verified');
  });

  it('follows a run that waits for hours however often its stream ends, each reopening starting the count afresh', async () => {
    // A proxy that ends idle streams: each ends after a heart-beat, the run still waiting.
    answer = (res, n) => {
      if (n === 13) phase = 'done';
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(': heartbeat\n\n');
    };
    const { ctx, out } = context();
    expect(await watchRun(ctx, RUN, false)).toBe(0);
    expect(streams).toBe(13);
    expect(waits).toEqual(Array(12).fill(1500));
    expect(out.join('').match(/read again/g)).toHaveLength(12);
  });

  it('backs off between failed tries, 2 s doubling up to 30 s with jitter, and gives up after 17 in a row', async () => {
    answer = (res, n) => {
      // Opened once, then the service is down for good behind its proxy.
      if (n === 1) return res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end();
      res.writeHead(502).end('Bad Gateway');
    };
    const { ctx, err } = context();
    await expect(watchRun(ctx, RUN, false)).rejects.toThrow(
      `could not open the live stream of ${url} again: 17 tries failed (last: 502: Bad Gateway)`,
    );
    expect(streams).toBe(18);
    expect(waits).toEqual([1500, 3000, 6000, 12000, ...Array(13).fill(22500)]);
    expect(err[0]).toBe('pillar-loop: the live stream ended; opening it again\n');
  });

  it("backs off from the stream's own retry field, which holds for the reopenings after it", async () => {
    answer = (res, n) => {
      if (n === 1) return res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('retry: 5000\n\n');
      if (n === 2) return res.writeHead(502).end('Bad Gateway');
      phase = 'done';
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end();
    };
    expect(await watchRun(context().ctx, RUN, false)).toBe(0);
    expect(streams).toBe(3);
    // 5 s, then 10 s, each three quarters with the middle of the jitter.
    expect(waits).toEqual([3750, 7500]);
  });

  it('drops a stream gone silent (headers, then nothing, the connection never closed) and opens it again', async () => {
    answer = (res, n) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (n === 1) {
        // A heart-beat, then silence: a connection that died behind a proxy or a NAT.
        res.write(': heartbeat\n\n');
        open.push(res);
        return;
      }
      phase = 'done';
      res.end();
    };
    const { ctx, out, err } = context('k', { PILLAR_LOOP_STREAM_IDLE_MS: '300' });
    expect(await watchRun(ctx, RUN, false)).toBe(0);
    expect(streams).toBe(2);
    expect(err).toEqual([
      'pillar-loop: the live stream went silent (nothing for 0.3 s, not even a heart-beat); opening it again\n',
    ]);
    expect(waits).toEqual([1500]);
    expect(out.join('').trimEnd().split('\n').at(-1)).toBe('run …3f9a1c succeeded: verified');
    // Before the watchdog it waited on the dead connection for ever: bounded here, well over 0.3 s.
  }, 15_000);

  it('keeps a stream whose only sign of life is its heart-beats, however long the run takes', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      // Heart-beats alone for five idle limits, then the run's end.
      let beats = 0;
      const beat = setInterval(() => {
        if (++beats < 25) return void res.write(': heartbeat\n\n');
        clearInterval(beat);
        phase = 'done';
        res.end(progress(null, 'succeeded', 'done', null));
      }, 100);
    };
    const { ctx, err } = context('k', { PILLAR_LOOP_STREAM_IDLE_MS: '500' });
    expect(await watchRun(ctx, RUN, false)).toBe(0);
    expect({ streams, err }).toEqual({ streams: 1, err: [] });
  });

  it('refuses an idle limit that is not a number of milliseconds, in one line; other requests do not read it', async () => {
    for (const bad of ['45s', '0', '-1', '99']) {
      await expect(watchRun(context('k', { PILLAR_LOOP_STREAM_IDLE_MS: bad }).ctx, RUN, false)).rejects.toThrow(
        'PILLAR_LOOP_STREAM_IDLE_MS must be a whole number of milliseconds from 100 to 3600000',
      );
      const api = context('k', { PILLAR_LOOP_STREAM_IDLE_MS: bad }).ctx.api();
      expect(await api.get<{ id: string }>(`/runs/${RUN}`)).toMatchObject({ id: RUN });
    }
    expect(streams).toBe(0);
  });

  it('stops at once, in one line, when the service refuses the key, or the stream is forbidden or not there', async () => {
    await expect(watchRun(context('wrong').ctx, RUN, false)).rejects.toThrow(
      'the service refused the API key from PILLAR_LOOP_KEY (401: no)',
    );
    for (const status of [403, 404]) {
      answer = (res) => res.writeHead(status, { 'Content-Type': 'application/json' }).end('{"message":"not yours"}');
      await expect(watchRun(context().ctx, RUN, false)).rejects.toThrow(`${status}: not yours`);
    }
    expect(waits).toEqual([]);
  });
});

describe('reconnectDelayMs', () => {
  const tries = [1, 2, 3, 4, 5, 6, 7];
  const low = () => 0;
  const high = () => 1;

  it('doubles from 2 s up to 30 s with equal jitter: half of each step fixed, half from the random source', () => {
    expect(tries.map((n) => reconnectDelayMs(n, null, null, low))).toEqual([
      1000, 2000, 4000, 8000, 15000, 15000, 15000,
    ]);
    expect(tries.map((n) => reconnectDelayMs(n, null, null, high))).toEqual([
      2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    // Watchers dropped at the same moment come back at different ones.
    const spread = [0.1, 0.4, 0.9].map((r) => reconnectDelayMs(3, null, null, () => r));
    expect(spread).toEqual([4400, 5600, 7600]);
  });

  it("takes the stream's retry field as the first step, from 1 s up to 5 min", () => {
    expect(tries.map((n) => reconnectDelayMs(n, 5000, null, high))).toEqual([
      5000, 10000, 20000, 30000, 30000, 30000, 30000,
    ]);
    // retry: 0 would spin: less than 1 s is read as 1 s.
    expect([0, 500].map((r) => reconnectDelayMs(1, r, null, high))).toEqual([1000, 1000]);
    // A step longer than 30 s is the server's wish: kept, but not doubled, and at most 5 min.
    expect(reconnectDelayMs(3, 60_000, null, high)).toBe(60_000);
    expect(reconnectDelayMs(1, 3_600_000, null, high)).toBe(300_000);
  });

  it('never retries before Retry-After (up to 5 min), and spreads the retries above it', () => {
    expect(reconnectDelayMs(1, null, 7000, low)).toBe(7000);
    expect(reconnectDelayMs(1, null, 7000, high)).toBe(8000);
    // A Retry-After shorter than the back-off changes nothing.
    expect(reconnectDelayMs(4, null, 1000, low)).toBe(8000);
    expect(reconnectDelayMs(1, null, 3_600_000, low)).toBe(300_000);
  });
});
