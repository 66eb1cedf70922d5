import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliContext } from '../context.js';
import { watchRun } from './watch-run.js';

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

  const context = (key = 'k') => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = new CliContext(
      { PILLAR_LOOP_URL: url, PILLAR_LOOP_KEY: key, HOME: '/nonexistent' },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
      Date.now,
      async (ms) => {
        waits.push(ms);
      },
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
    // Retry-After over the first back-off; then 4, 8, 16 s.
    expect(waits).toEqual([7000, 4000, 8000, 16000]);
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
    expect(waits).toEqual(Array(12).fill(2000));
    expect(out.join('').match(/read again/g)).toHaveLength(12);
  });

  it('backs off between failed tries, 2 s doubling up to 30 s, and gives up after 10 in a row', async () => {
    answer = (res, n) => {
      // Opened once, then the service is down for good behind its proxy.
      if (n === 1) return res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end();
      res.writeHead(502).end('Bad Gateway');
    };
    const { ctx, err } = context();
    await expect(watchRun(ctx, RUN, false)).rejects.toThrow(
      `could not open the live stream of ${url} again: 10 tries failed (last: 502: Bad Gateway)`,
    );
    expect(streams).toBe(11);
    expect(waits).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000, 30000]);
    expect(err[0]).toBe('pillar-loop: the live stream ended; opening it again\n');
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
