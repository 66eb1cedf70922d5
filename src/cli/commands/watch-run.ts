import { ApiError } from '../api-client.js';
import type { IncidentDetail, Run, RunProgress } from '../api-types.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { clock, idTail, shortenIds } from '../format.js';

/**
 * After the live stream drops (a restart of the service), it is opened again after RECONNECT_MS
 * (or the stream's own `retry` field), doubling with each failed try in a row up to
 * RECONNECT_MAX_MS: 2, 4, 8, 16, 30, 30 … s, each with equal jitter (half of it random), so many
 * watchers behind one proxy do not all come back at once. 17 tries (RECONNECT_TRIES) span 3½ to 7
 * minutes, at least as long as the 10 tries without jitter did: a restart that runs migrations. A
 * stream opened again and the run read again start the count afresh: a run that waits for hours
 * may see its stream end many times (a proxy's idle timeout).
 */
const RECONNECT_MS = 2000;
const RECONNECT_MAX_MS = 30_000;
const RECONNECT_TRIES = 17;
/** A `retry` field is honoured from 1 s (no busy loop on `retry: 0`) up to MAX_RETRY_AFTER_MS. */
const MIN_STREAM_RETRY_MS = 1000;
/**
 * Answers that say "not now" rather than "no": a reverse proxy's 502/503/504 while the service
 * restarts behind it (or the service's own 503 while its database is away), and 429 (too many open
 * streams). The stream is opened again after them as after a lost connection, not before their
 * Retry-After (up to MAX_RETRY_AFTER_MS).
 */
const PASSING = new Set([429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * The wait before failed try `tries` (1 = the first): exponential from the stream's `retry` field
 * (RECONNECT_MS when it sent none) with equal jitter, never sooner than a Retry-After, and spread
 * above one too (a proxy's Retry-After would otherwise bring every watcher back at the same instant).
 */
export function reconnectDelayMs(
  tries: number,
  streamRetryMs: number | null,
  retryAfterMs: number | null,
  random: () => number,
): number {
  const base = clamp(streamRetryMs ?? RECONNECT_MS, MIN_STREAM_RETRY_MS, MAX_RETRY_AFTER_MS);
  const exponential = Math.min(base * 2 ** (tries - 1), Math.max(base, RECONNECT_MAX_MS));
  const floor = Math.max(exponential / 2, clamp(retryAfterMs ?? 0, 0, MAX_RETRY_AFTER_MS));
  return Math.round(floor + random() * (exponential / 2));
}

const clamp = (n: number, min: number, max: number) => Math.min(Math.max(n, min), max);

/** How the engine ends the reason of a canceled run whose rollback failed (ADR 0018); the view has no field for it. */
const ROLLBACK_FAILED = '; the rollback failed';

/**
 * `runs --watch`'s exit code: whether the run fixed its fault, or an operator stopped it.
 * - A run canceled by whoever resolved its incident (monitoring, another run, or a person resolving
 *   it while the run waited on a work order) stood down because nothing was left to fix: 0.
 * - A run that ends `canceled` with nobody's cancel behind it (nobody answered a step in time, or
 *   the kill switch held it to its deadline, ADR 0014) did not fix the fault: 1, as a failed run.
 * - A canceled run whose rollback failed is left half undone, which someone must look at (the
 *   service sends `run.rollback_failed` for it, as for a failed run's): 1, as `rollback_failed`.
 * - Any other cancel was a person's choice (the run's, or its work order's): 2.
 * `incident` is the run's incident as read after the run ended (null: none, or not read).
 */
export function exitOfRun(
  run: Pick<Run, 'status' | 'cancelRequestedBy' | 'reason'>,
  incident: Pick<IncidentDetail, 'status' | 'resolvedBy'> | null,
): number {
  if (run.status === 'succeeded') return EXIT.ok;
  if (run.status !== 'canceled' || run.cancelRequestedBy === null) return EXIT.no;
  if (run.reason?.endsWith(ROLLBACK_FAILED)) return EXIT.no;
  if (incident?.status === 'resolved' && incident.resolvedBy === run.cancelRequestedBy) return EXIT.ok;
  return EXIT.changed;
}

/** Whether exitOfRun needs the run's incident: a canceled run's, to tell a resolution from a person's cancel. */
const askIncident = (run: Run): run is Run & { incidentId: string } =>
  run.status === 'canceled' && run.cancelRequestedBy !== null && run.incidentId !== null;

interface Output {
  began(run: Run): void;
  reread(run: Run): void;
  progress(p: RunProgress): void;
  note(line: string): void;
  finished(run: Run): void;
}

/**
 * Follows one run live, as the console's run page does: the tenant's stream
 * (`GET /integration/stream`), its `run_progress` messages for this run, until the run's phase is
 * `done` (its rollback included); then reads the run once more for its outcome. The stream is
 * opened before the run is read, so no change between the two is missed; a dropped stream is
 * opened again and the run re-read.
 */
export async function watchRun(ctx: CliContext, runId: string, json: boolean | undefined): Promise<number> {
  const api = ctx.api();
  const out = json ? jsonLines(ctx) : textLines(ctx);
  const finish = async () => {
    const run = await api.get<Run>(`/runs/${runId}`);
    out.finished(run);
    const incident = askIncident(run) ? await api.get<IncidentDetail>(`/incidents/${run.incidentId}`) : null;
    return exitOfRun(run, incident);
  };
  let followed = false;
  let tries = 0;
  // As EventSource keeps it: the last `retry` the service sent holds for every later reopening.
  let streamRetryMs: number | null = null;
  for (;;) {
    let why = 'the live stream ended';
    let retryAfter: number | null = null;
    // One connection at a time: closed when it is done with, whichever way.
    const connection = new AbortController();
    try {
      const messages = await api.stream('/integration/stream', connection.signal, (ms) => (streamRetryMs = ms));
      const run = await api.get<Run>(`/runs/${runId}`);
      if (followed) out.reread(run);
      else out.began(run);
      followed = true;
      tries = 0;
      if (run.phase === 'done') return await finish();
      for await (const message of messages) {
        if (message.event !== 'run_progress') continue;
        const progress = JSON.parse(message.data) as RunProgress;
        if (progress.runId !== runId) continue;
        out.progress(progress);
        if (progress.phase === 'done') return await finish();
      }
    } catch (error) {
      // A refusal (the key, the run) is final; a lost connection or a passing answer is not.
      if (!(error instanceof CliError)) throw error;
      if (error instanceof ApiError && !PASSING.has(error.status)) throw error;
      why = error.message;
      retryAfter = error instanceof ApiError ? error.retryAfterMs : null;
    } finally {
      connection.abort();
    }
    if (++tries > RECONNECT_TRIES) {
      throw new CliError(
        `could not open the live stream of ${ctx.service().url} again: ${RECONNECT_TRIES} tries failed (last: ${why})`,
      );
    }
    out.note(`${why}; opening it again`);
    await ctx.sleep(reconnectDelayMs(tries, streamRetryMs, retryAfter, ctx.random));
  }
}

function textLines(ctx: CliContext): Output {
  const line = (at: string, what: string, text: string) => ctx.io.out(`  ${clock(at)}  ${what.padEnd(18)}  ${text}\n`);
  const runState = (run: Pick<Run, 'status' | 'phase'>) => `${run.status.replace(/_/g, ' ')} (${run.phase})`;
  return {
    began: (run) => {
      const incident = run.incidentId
        ? ` for "${run.incidentTitle ?? 'incident'}" (incident …${idTail(run.incidentId)})`
        : '';
      const by = run.automatic ? 'auto-apply' : shortenIds(run.startedBy);
      ctx.io.out(`run …${idTail(run.id)}: ${run.playbookName ?? run.playbookId}${incident}, started by ${by}\n`);
      line(run.updatedAt, 'run', runState(run));
      for (const step of run.steps ?? []) {
        if (step.status !== 'pending') line(step.updatedAt, step.id, step.status.replace(/_/g, ' '));
      }
    },
    reread: (run) => line(run.updatedAt, 'run', `${runState(run)}, read again`),
    progress: (p) => {
      const said = p.error ?? p.note;
      const attempt = p.attempt !== null && p.attempt > 1 ? ` (attempt ${p.attempt})` : '';
      const state = p.stepId ? `${(p.stepStatus ?? '').replace(/_/g, ' ')}${attempt}` : runState(p);
      line(p.at, p.stepId ?? 'run', `${state}${said ? ` — ${shortenIds(said)}` : ''}`);
    },
    note: (text) => ctx.io.err(`pillar-loop: ${text}\n`),
    finished: (run) =>
      ctx.io.out(
        `run …${idTail(run.id)} ${run.status.replace(/_/g, ' ')}${run.reason ? `: ${shortenIds(run.reason)}` : ''}\n`,
      ),
  };
}

/** One JSON object a line: the run as first read, each change, the run as it ended. */
function jsonLines(ctx: CliContext): Output {
  const line = (value: unknown) => ctx.io.out(`${JSON.stringify(value)}\n`);
  return {
    began: (run) => line({ event: 'run', run }),
    reread: (run) => line({ event: 'run', run }),
    progress: (data) => line({ event: 'run_progress', data }),
    note: (text) => ctx.io.err(`pillar-loop: ${text}\n`),
    finished: (run) => line({ event: 'finished', run }),
  };
}
