import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RunsRepository } from '../src/self-healing/runs/runs.repository.js';
import { connectActuator } from './support/actuators.js';
import { approve, approvedRun, finishedRun, oomIncident, suggestedRecovery } from './support/runs.js';
import { ALLOW_LOOPBACK, startTestApp, type TestApp } from './support/test-app.js';
import { answerHealthy, startWebhookReceiver } from './support/webhook-receiver.js';

const VERIFY_WINDOW_MS = 6_000; // room for the third run's calls before the first's verdict on a loaded machine

/**
 * ADR 0008 §12: the engine claims again only when something is due, and it learns that without
 * asking the database after every run's work. The fallback poll is pushed out of reach (60 s, past
 * every wait below), so what moves these runs on is what the engine tells itself: the turn that
 * puts a run to sleep for its verify window schedules this replica's wake-up, and a run's work
 * ending frees its tenant's cap and wakes the engine for the tenant's next run.
 */
describe('the run engine wakes itself for what it scheduled', () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let key: string;

  beforeAll(async () => {
    // Each call takes 300 ms, so a run holds its place under the tenant's cap for about 1.2 s.
    receiver = await startWebhookReceiver((c, res) => {
      setTimeout(() => answerHealthy(c, res), 300);
    });
    app = await startTestApp({
      ...ALLOW_LOOPBACK,
      OUTBOX_POLL_INTERVAL_MS: '60000',
      RECOVERY_VERIFY_WINDOW_MS: String(VERIFY_WINDOW_MS),
      RUN_ENGINE_TENANT_CALLS: '2',
    });
    await connectActuator(app.http, await app.keyFor('wakeups', 'admin'), receiver);
    key = await app.keyFor('wakeups', 'operator');
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  it('with no run waiting, nothing is due: the engine sleeps until a wake-up instead of claiming again at once', async () => {
    // GREATEST(0, NULL) is 0 in PostgreSQL: the look-up used to say "due now" here, and an idle
    // engine claimed and looked up again every millisecond or so.
    expect(await app.app.get(RunsRepository).msUntilNextDue()).toBeNull();
  });

  it('a run asleep for its verify window is woken when the window ends, not by the poll', async () => {
    const { runId } = await approvedRun(app.http, key, oomIncident('window'));
    expect(await finishedRun(app.http, key, runId)).toMatchObject({ status: 'succeeded' });
  });

  it("a tenant's run waiting for its cap starts as soon as one before it is done with its calls", async () => {
    // Suggested first, then approved one right after another: the three start within moments, not
    // each a loop's pace after the one before, which could leave the first's verdict before the third's calls.
    const recoveries = await Promise.all(
      [1, 2, 3].map((n) => suggestedRecovery(app.http, key, oomIncident(`cap-${n}`))),
    );
    const runIds = [];
    for (const { recoveryId } of recoveries) runIds.push(await approve(app.http, key, recoveryId));
    const [first, , third] = await Promise.all(runIds.map((id) => finishedRun(app.http, key, id)));
    for (const run of [first, third]) expect(run).toMatchObject({ status: 'succeeded' });
    // The third run, held back by the cap of 2, made its calls while the first sat in its verify
    // window. Were it woken only by the first run's wake-up at the window's end, its calls would
    // end about 1.2 s after the first run's verdict instead.
    const stepsOfThird: Array<{ list: string; finishedAt: string }> = third.steps;
    const callsEnded = Math.max(...stepsOfThird.filter((s) => s.list === 'steps').map((s) => Date.parse(s.finishedAt)));
    expect(callsEnded).toBeLessThan(Date.parse(first.finishedAt));
  });
});
