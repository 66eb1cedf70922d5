/**
 * The loop load generator. Runs in a worker thread (so its HTTP client work and SSE parsing do
 * not share the event loop of an in-process app), and talks to the service only over HTTP:
 *
 *   1. opens `GET /integration/stream` (SSE, the bench tenant's every loop update) first;
 *   2. offers `POST /incidents` on an open-loop schedule (request i is due at t0 + i/rate,
 *      sent whether or not earlier requests answered; beyond `maxInflight` requests in flight
 *      an offer is dropped and counted as failed);
 *   3. after offering, waits up to `drainS` for every accepted loop's first `isComplete` status;
 *   4. asks `GET /integration/loop/:id` about the loops the stream never reported complete, so a
 *      missed SSE message is not mistaken for a lost loop.
 *
 * The parent thread gets `progress` messages once a second and one `result`.
 */
import { readlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  ERROR_TEMPLATES,
  Rand,
  generateErrorCorpus,
  mulberry32,
  seededShuffle,
} from '../test/fixtures/error-corpus.js';
import { percentile, sleep, summarise, type Summary } from './stats.js';

export interface LoadParams {
  baseUrl: string;
  /** The bench tenant's operator key. */
  apiKey: string;
  rate: number;
  durationS: number;
  drainS: number;
  /** Before the measured run: offer at `warmupRate` for this long, wait for those loops, and leave them out of every figure. */
  warmupS: number;
  warmupRate: number;
  maxInflight: number;
  sockets: number;
  agents: number;
  capabilities: number;
  seed: number;
  /** 0: every corpus template equally often; s > 0: Zipf(s) over the templates (a few errors dominate). */
  templateSkew: number;
  requestTimeoutMs: number;
  /** At most this many never-reported loops are looked up one by one after the drain. */
  crosscheckMax: number;
  /** Scrape `/metrics` once a second for the outbox depth. */
  sampleDepth: boolean;
  /** A platform admin key: `/metrics` counts every tenant, so the tenant's key may not read it. */
  metricsKey: string;
  runId: string;
}

export interface LoadProgress {
  /** Seconds since the first offer. */
  t: number;
  phase: 'offer' | 'drain';
  offered: number;
  accepted: number;
  failed: number;
  completed: number;
  inflightLoops: number;
  inflightHttp: number;
  /** p95 of the server's durationMs over completions received in the last 5 s. */
  p95WindowMs: number;
  outboxDue: number | null;
  outboxPending: number | null;
}

export interface LoadResult {
  warmup: { offered: number; accepted: number; completed: number; seconds: number } | null;
  offered: number;
  accepted: number;
  failed: number;
  failuresByReason: Record<string, number>;
  /** First isComplete status seen on the SSE stream (accepted loops only). */
  completedViaSse: number;
  /** Complete by the drain deadline according to GET /integration/loop/:id, but never reported on the stream. */
  completedViaLookup: number;
  completed: number;
  lost: number;
  /** Lost loops that GET showed complete, but only after the drain deadline. */
  lostButCompletedLate: number;
  lostByState: Record<string, number>;
  lostByStage: Record<string, number>;
  crosscheck: { missing: number; checked: number; sampled: boolean; lookupErrors: number };
  /** Server-measured loop completion (LoopStatus.durationMs). */
  loopMs: Summary;
  /** The same, for loops offered in the second half of the offering window (past the cold start). */
  loopMsSecondHalf: Summary;
  /** Client-observed: POST sent → first isComplete status received on the stream. */
  loopClientMs: Summary;
  httpCreateMs: Summary;
  httpAllMs: Summary;
  sseMessages: number;
  sseReconnects: number;
  firstOfferAt: number;
  offerEndAt: number;
  drainEndAt: number;
  lastCompletionAt: number | null;
  /** Offers actually made ÷ offering time. */
  achievedOfferRate: number;
  sustainedLoopsPerS: number;
  progress: LoadProgress[];
}

export type LoadMessage =
  | { type: 'tid'; tid: number | null }
  | { type: 'phase'; phase: 'sse-open' | 'warmup' | 'ready' | 'offer' | 'drain' | 'crosscheck' | 'done'; at: number }
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

const CAPABILITIES = [
  'summarise',
  'classify',
  'translate',
  'retrieve',
  'plan',
  'code-review',
  'extract',
  'route',
  'search',
  'answer',
  'transcribe',
  'rank',
];
const SEVERITIES = [
  ['low', 0.3],
  ['medium', 0.4],
  ['high', 0.2],
  ['critical', 0.1],
] as const;

interface IncidentBody {
  errorType: string;
  message: string;
  agentId: string;
  capability: string;
  severity: string;
  title?: string;
  context: Record<string, unknown>;
  occurredAt: string;
}

/** Incident bodies with realistic variety, deterministic for a seed. */
class BodySource {
  private readonly pick: () => number;
  private readonly rand: Rand;
  private readonly corpus: Array<{ templateId: string; errorType: string; message: string }> = [];
  private readonly cdf: number[] = [];
  private readonly templateOrder: number[];
  private next = 0;

  constructor(
    private readonly p: LoadParams,
    total: number,
  ) {
    this.pick = mulberry32(p.seed ^ 0x5bd1e995);
    this.rand = new Rand(p.seed + 1);
    this.templateOrder = seededShuffle(
      ERROR_TEMPLATES.map((_, i) => i),
      p.seed,
    );
    if (p.templateSkew > 0) {
      let acc = 0;
      const weights = ERROR_TEMPLATES.map((_, rank) => 1 / Math.pow(rank + 1, p.templateSkew));
      const sum = weights.reduce((a, b) => a + b, 0);
      for (const w of weights) this.cdf.push((acc += w / sum));
    } else {
      // Every template equally often, each message with its own variable parts, in shuffled order.
      const perTemplate = Math.ceil(total / ERROR_TEMPLATES.length) + 1;
      this.corpus = seededShuffle(generateErrorCorpus(p.seed, perTemplate), p.seed + 2);
    }
  }

  body(seq: number, warmup = false): IncidentBody {
    let entry: { templateId: string; errorType: string; message: string };
    if (this.cdf.length) {
      const u = this.pick();
      let rank = this.cdf.findIndex((c) => u <= c);
      if (rank < 0) rank = this.cdf.length - 1;
      const template = ERROR_TEMPLATES[this.templateOrder[rank]!]!;
      entry = { templateId: template.templateId, errorType: template.errorType, message: template.render(this.rand) };
    } else {
      entry = this.corpus[this.next++ % this.corpus.length]!;
    }
    const agent = 1 + Math.floor(this.pick() * this.p.agents);
    const capability = CAPABILITIES[Math.floor(this.pick() * Math.min(this.p.capabilities, CAPABILITIES.length))]!;
    let u = this.pick();
    let severity: string = 'medium';
    for (const [name, weight] of SEVERITIES) {
      if ((u -= weight) <= 0) {
        severity = name;
        break;
      }
    }
    return {
      errorType: entry.errorType,
      message: entry.message,
      agentId: `agent-${String(agent).padStart(3, '0')}`,
      capability,
      severity,
      ...(this.pick() < 0.5 ? { title: `${entry.errorType} in ${capability}` } : {}),
      context: {
        bench: this.p.runId,
        seq,
        region: this.rand.region(),
        requestId: this.rand.requestId(),
        ...(warmup ? { benchWarmup: true } : {}),
      },
      occurredAt: new Date().toISOString(),
    };
  }
}

interface Reply {
  status: number;
  body: string;
  ms: number;
  error?: string;
}

function requester(baseUrl: string, apiKey: string, sockets: number, timeoutMs: number) {
  const base = new URL(baseUrl);
  const mod = base.protocol === 'https:' ? https : http;
  // An idle keep-alive socket is closed on our side after 4 s, before the server's 5 s
  // keepAliveTimeout: otherwise a request can go out on a socket the server is closing (ECONNRESET).
  const agent = new mod.Agent({ keepAlive: true, maxSockets: sockets, timeout: 4000 });
  const send = (method: string, path: string, payload?: string): Promise<Reply> =>
    new Promise((resolve) => {
      const start = performance.now();
      let settled = false;
      const done = (r: Omit<Reply, 'ms'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, ms: performance.now() - start });
      };
      const headers: Record<string, string | number> = {
        Authorization: `Bearer ${apiKey}`,
        Accept: 'application/json',
      };
      if (payload !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = Buffer.byteLength(payload);
      }
      const req = mod.request(new URL(path, base), { method, agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) =>
          done({ status: 0, body: '', error: (err as NodeJS.ErrnoException).code ?? err.message }),
        );
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (err) =>
        done({ status: 0, body: '', error: (err as NodeJS.ErrnoException).code ?? err.message }),
      );
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

interface LoopStatusLike {
  incidentId: string;
  isComplete: boolean;
  durationMs: number | null;
  state?: string;
  currentStage?: string;
  completedAt?: string | null;
}

/** A minimal SSE client for the tenant stream; reconnects if the stream ends. */
function openStream(baseUrl: string, apiKey: string, onStatus: (s: LoopStatusLike) => void) {
  const base = new URL(baseUrl);
  const mod = base.protocol === 'https:' ? https : http;
  let closed = false;
  let reconnects = 0;
  let messages = 0;
  let current: http.ClientRequest | null = null;
  let firstOpen: ((ok: boolean, why?: string) => void) | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    firstOpen = (ok, why) => (ok ? resolve() : reject(new Error(why)));
  });

  const connect = () => {
    const req = mod.get(
      new URL('/integration/stream', base),
      { headers: { Authorization: `Bearer ${apiKey}`, Accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          firstOpen?.(false, `GET /integration/stream answered ${res.statusCode}`);
          firstOpen = null;
          return;
        }
        firstOpen?.(true);
        firstOpen = null;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (;;) {
            const m = /\r?\n\r?\n/.exec(buffer);
            if (!m) break;
            const block = buffer.slice(0, m.index);
            buffer = buffer.slice(m.index + m[0].length);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') event = value;
              else if (field === 'data') data.push(value);
            }
            if (event === 'loop_progress' && data.length) {
              messages++;
              try {
                onStatus(JSON.parse(data.join('\n')) as LoopStatusLike);
              } catch {
                /* a malformed message is simply not counted as a completion */
              }
            }
          }
        });
        const again = () => {
          if (closed) return;
          reconnects++;
          setTimeout(connect, 200);
        };
        res.on('end', again);
        res.on('error', () => undefined);
        res.on('close', () => undefined);
      },
    );
    req.on('error', (err) => {
      if (firstOpen) {
        firstOpen(false, `SSE connection failed: ${err.message}`);
        firstOpen = null;
      } else if (!closed) {
        reconnects++;
        setTimeout(connect, 200);
      }
    });
    current = req;
  };
  connect();
  return {
    opened,
    stats: () => ({ messages, reconnects }),
    close: () => {
      closed = true;
      current?.destroy();
    },
  };
}

/** Sends request i at t0 + i/rate (open loop); a late tick sends everything now due. */
function schedule(rate: number, total: number, send: (i: number) => void): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((resolve) => {
    let sent = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) return resolve();
      const nextAt = t0 + (sent * 1000) / rate;
      setTimeout(tick, Math.max(0, Math.min(20, nextAt - performance.now())));
    };
    tick();
  });
}

/**
 * `go`: resolves when the parent is ready for the measured run (it reads its "before" counters
 * in between), so warm-up work stays out of them.
 */
export async function runLoopLoad(
  p: LoadParams,
  emit: (m: LoadMessage) => void,
  go: () => Promise<void> = async () => {},
): Promise<LoadResult> {
  const total = Math.max(1, Math.round(p.rate * p.durationS));
  const bodies = new BodySource(p, total);
  const api = requester(p.baseUrl, p.apiKey, p.sockets, p.requestTimeoutMs);
  const metricsApi = requester(p.baseUrl, p.metricsKey, 1, p.requestTimeoutMs);

  const accepted = new Map<string, number>(); // incidentId → offer index
  const completions = new Map<string, { durationMs: number; at: number }>();
  /** Completions the stream reported after the drain deadline (the loop counts as lost). */
  const lateCompletions = new Set<string>();
  let deadlinePassed = false;
  const sentAt: number[] = []; // by offer index, wall clock
  let completedAccepted = 0;
  let lastCompletionAt: number | null = null;
  const recent: Array<{ at: number; ms: number }> = [];

  const stream = openStream(p.baseUrl, p.apiKey, (s) => {
    if (
      !s?.isComplete ||
      typeof s.incidentId !== 'string' ||
      completions.has(s.incidentId) ||
      lateCompletions.has(s.incidentId)
    )
      return;
    if (deadlinePassed) {
      lateCompletions.add(s.incidentId);
      return;
    }
    const at = Date.now();
    const ms = typeof s.durationMs === 'number' ? s.durationMs : Number.NaN;
    completions.set(s.incidentId, { durationMs: ms, at });
    lastCompletionAt = at;
    recent.push({ at, ms });
    if (accepted.has(s.incidentId)) completedAccepted++;
  });
  await stream.opened;
  emit({ type: 'phase', phase: 'sse-open', at: Date.now() });

  let warmup: LoadResult['warmup'] = null;
  if (p.warmupS > 0 && p.warmupRate > 0) {
    emit({ type: 'phase', phase: 'warmup', at: Date.now() });
    const started = Date.now();
    const ids = new Set<string>();
    let offeredW = 0;
    const inflightW = new Set<Promise<unknown>>();
    await schedule(p.warmupRate, Math.max(1, Math.round(p.warmupRate * p.warmupS)), (i) => {
      offeredW++;
      const work = api.send('POST', '/incidents', JSON.stringify(bodies.body(-1 - i, true))).then((r) => {
        if (r.status !== 201) return;
        try {
          const id = (JSON.parse(r.body) as { id?: string }).id;
          if (id) ids.add(id);
        } catch {
          /* not counted */
        }
      });
      inflightW.add(work);
      void work.finally(() => inflightW.delete(work));
    });
    await Promise.allSettled([...inflightW]);
    const until = Date.now() + p.drainS * 1000;
    const done = () => [...ids].filter((id) => completions.has(id)).length;
    while (done() < ids.size && Date.now() < until) await sleep(100);
    warmup = { offered: offeredW, accepted: ids.size, completed: done(), seconds: (Date.now() - started) / 1000 };
    completions.clear();
    recent.length = 0;
    lastCompletionAt = null;
  }
  emit({ type: 'phase', phase: 'ready', at: Date.now() });
  await go();

  let offered = 0;
  let failed = 0;
  let inflightHttp = 0;
  const failuresByReason: Record<string, number> = {};
  const fail = (reason: string) => {
    failed++;
    failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
  };
  const createMs: number[] = [];
  const allMs: number[] = [];
  const pending = new Set<Promise<void>>();

  const offer = (seq: number) => {
    offered++;
    if (inflightHttp >= p.maxInflight) {
      fail('dropped: in-flight cap');
      return;
    }
    inflightHttp++;
    sentAt[seq] = Date.now();
    const work = api.send('POST', '/incidents', JSON.stringify(bodies.body(seq))).then((r) => {
      inflightHttp--;
      allMs.push(r.ms);
      if (r.status === 201) {
        let id: string | undefined;
        try {
          id = (JSON.parse(r.body) as { id?: string }).id;
        } catch {
          /* handled below */
        }
        if (!id) return fail('201 without an id');
        createMs.push(r.ms);
        accepted.set(id, seq);
        if (completions.has(id)) completedAccepted++;
      } else if (r.status === 0) {
        fail(`network: ${r.error}`);
      } else {
        fail(`HTTP ${r.status}`);
      }
    });
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  // Outbox depth from /metrics, at most one scrape in flight.
  let outboxDue: number | null = null;
  let outboxPending: number | null = null;
  let scraping = false;
  const scrape = () => {
    if (!p.sampleDepth || scraping) return;
    scraping = true;
    void metricsApi
      .send('GET', '/metrics')
      .then((r) => {
        if (r.status !== 200) return;
        const due = /^outbox_depth\{status="due"\} (\S+)$/m.exec(r.body);
        const pend = /^outbox_depth\{status="pending"\} (\S+)$/m.exec(r.body);
        outboxDue = due ? Number(due[1]) : null;
        outboxPending = pend ? Number(pend[1]) : null;
      })
      .finally(() => (scraping = false));
  };

  const progressLog: LoadProgress[] = [];
  let phase: LoadProgress['phase'] = 'offer';
  const firstOfferAt = Date.now();
  const report = () => {
    const now = Date.now();
    while (recent.length && recent[0]!.at < now - 5000) recent.shift();
    const window = recent
      .map((r) => r.ms)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const progress: LoadProgress = {
      t: Math.round((now - firstOfferAt) / 100) / 10,
      phase,
      offered,
      accepted: accepted.size,
      failed,
      completed: completedAccepted,
      inflightLoops: accepted.size - completedAccepted,
      inflightHttp,
      p95WindowMs: percentile(window, 95),
      outboxDue,
      outboxPending,
    };
    progressLog.push(progress);
    emit({ type: 'progress', progress });
    scrape();
  };
  const ticker = setInterval(report, 1000);
  emit({ type: 'phase', phase: 'offer', at: firstOfferAt });

  await schedule(p.rate, total, offer);
  const lastOfferAt = Date.now();
  // The offering window is the schedule's length, not the moment the last request was sent.
  const offerEndAt = Math.max(lastOfferAt, firstOfferAt + p.durationS * 1000);
  phase = 'drain';
  emit({ type: 'phase', phase: 'drain', at: lastOfferAt });

  const deadline = lastOfferAt + p.drainS * 1000;
  while (Date.now() < deadline) {
    if (inflightHttp === 0 && completedAccepted >= accepted.size) break;
    await sleep(50);
  }
  const drainEndAt = Date.now();
  deadlinePassed = true;
  clearInterval(ticker);
  report();

  // Cross-check the loops the stream never reported complete.
  emit({ type: 'phase', phase: 'crosscheck', at: Date.now() });
  const missing = [...accepted.keys()].filter((id) => !completions.has(id));
  const sampled = missing.length > p.crosscheckMax;
  const toCheck = sampled ? seededShuffle(missing, p.seed).slice(0, p.crosscheckMax) : missing;
  let completedViaLookup = 0;
  let lostButCompletedLate = 0;
  let lookupErrors = 0;
  const lookupDurations: number[] = [];
  const lostByState: Record<string, number> = {};
  const lostByStage: Record<string, number> = {};
  let lookupLastAt = 0;
  const lookups = new Map<string, LoopStatusLike>();
  const queue = [...toCheck];
  await Promise.all(
    Array.from({ length: Math.min(16, queue.length) }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        const r = await api.send('GET', `/integration/loop/${id}`);
        if (r.status !== 200) {
          lookupErrors++;
          lostByState[`lookup HTTP ${r.status || r.error}`] =
            (lostByState[`lookup HTTP ${r.status || r.error}`] ?? 0) + 1;
          continue;
        }
        const s = JSON.parse(r.body) as LoopStatusLike;
        lookups.set(id, s);
      }
    }),
  );
  // The stream stays open through the look-ups and a grace period: a loop it reports complete
  // now finished after the deadline (late), not unseen.
  await sleep(2000);
  for (const [id, s] of lookups) {
    const completedAt = s.completedAt ? Date.parse(s.completedAt) : Number.NaN;
    if (s.isComplete && !lateCompletions.has(id) && completedAt <= drainEndAt) {
      // Complete by the deadline on the server, yet never reported on the stream.
      completedViaLookup++;
      if (typeof s.durationMs === 'number') lookupDurations.push(s.durationMs);
      lookupLastAt = Math.max(lookupLastAt, completedAt);
    } else {
      const late = s.isComplete || lateCompletions.has(id);
      if (late) lostButCompletedLate++;
      const state = late ? 'complete after the deadline' : (s.state ?? 'unknown');
      lostByState[state] = (lostByState[state] ?? 0) + 1;
      const stage = late ? 'none (completed late)' : `stuck after ${s.currentStage ?? '?'}`;
      lostByStage[stage] = (lostByStage[stage] ?? 0) + 1;
    }
  }
  if (sampled) {
    // Only confirmed completions are credited; the unchecked rest counts as lost.
    lostByState['not checked (sample)'] = missing.length - toCheck.length;
  }
  stream.close();
  await Promise.allSettled([...pending]);
  api.close();
  metricsApi.close();
  emit({ type: 'phase', phase: 'done', at: Date.now() });

  const durations: number[] = [];
  const secondHalf: number[] = [];
  const clientDurations: number[] = [];
  for (const [id, seq] of accepted) {
    const c = completions.get(id);
    if (c && Number.isFinite(c.durationMs)) {
      durations.push(c.durationMs);
      if (seq >= total / 2) secondHalf.push(c.durationMs);
    }
    if (c && sentAt[seq] !== undefined) clientDurations.push(c.at - sentAt[seq]!);
  }
  durations.push(...lookupDurations);
  const completed = completedAccepted + completedViaLookup;
  const lastAt = Math.max(lastCompletionAt ?? 0, lookupLastAt) || null;
  const sse = stream.stats();
  return {
    warmup,
    offered,
    accepted: accepted.size,
    failed,
    failuresByReason,
    completedViaSse: completedAccepted,
    completedViaLookup,
    completed,
    lost: accepted.size - completed,
    lostButCompletedLate,
    lostByState,
    lostByStage,
    crosscheck: { missing: missing.length, checked: toCheck.length, sampled, lookupErrors },
    loopMs: summarise(durations),
    loopMsSecondHalf: summarise(secondHalf),
    loopClientMs: summarise(clientDurations),
    httpCreateMs: summarise(createMs),
    httpAllMs: summarise(allMs),
    sseMessages: sse.messages,
    sseReconnects: sse.reconnects,
    firstOfferAt,
    offerEndAt,
    drainEndAt,
    lastCompletionAt: lastAt,
    achievedOfferRate: offered / ((offerEndAt - firstOfferAt) / 1000),
    sustainedLoopsPerS: lastAt && completed > 0 ? completed / ((lastAt - firstOfferAt) / 1000) : 0,
    progress: progressLog,
  };
}

if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind === 'loop-load') {
  // Started early (so every module is loaded at once); the run begins on a `start` message.
  const port = parentPort;
  let tid: number | null = null;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    /* not Linux: no per-thread CPU split */
  }
  port.postMessage({ type: 'tid', tid } satisfies LoadMessage);
  const go = () => new Promise<void>((resolve) => port.once('message', () => resolve()));
  port.once('message', (m: { type: 'start'; params: LoadParams }) => {
    runLoopLoad(m.params, (msg) => port.postMessage(msg), go)
      .then((result) => port.postMessage({ type: 'result', result } satisfies LoadMessage))
      .catch((err: unknown) =>
        port.postMessage({
          type: 'error',
          message: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies LoadMessage),
      );
  });
}
