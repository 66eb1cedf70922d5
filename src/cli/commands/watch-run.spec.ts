import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
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

/**
 * The reconnect, against a local HTTP server that plays the service's part: the first stream ends
 * after one change (as when the service restarts); meanwhile the run ends, which the run read
 * again after the second stream opened shows.
 */
describe('watchRun', () => {
  let server: Server;
  let url: string;
  let streams = 0;
  let phase: 'steps' | 'done' = 'steps';

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer k') return res.writeHead(401).end('{"message":"no"}');
      if (req.url === `/runs/${RUN}`) {
        res.setHeader('Content-Type', 'application/json');
        return res.end(JSON.stringify(phase === 'done' ? run('succeeded', 'done') : run('running', 'steps')));
      }
      if (req.url === '/integration/stream') {
        streams += 1;
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        if (streams === 1) return res.end(': heartbeat\n\n' + progress('restart', 'running', 'steps', 'running'));
        // The run ended while no stream was open: only reading it again can tell.
        phase = 'done';
        return res.end();
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('opens a dropped stream again and reads the run again, finding the end it missed', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = new CliContext(
      { PILLAR_LOOP_URL: url, PILLAR_LOOP_KEY: 'k', HOME: '/nonexistent' },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
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

  it('stops at once, in one line, when the service refuses the key', async () => {
    const ctx = new CliContext(
      { PILLAR_LOOP_URL: url, PILLAR_LOOP_KEY: 'wrong', HOME: '/nonexistent' },
      { out: () => undefined, err: () => undefined },
    );
    await expect(watchRun(ctx, RUN, false)).rejects.toThrow(
      'the service refused the API key from PILLAR_LOOP_KEY (401: no)',
    );
  });
});
