import { StartRecoveryRun } from '../../src/self-healing/runs/start-recovery-run/start-recovery-run.command.js';
import type { TestApp } from './test-app.js';
import { eventually } from './test-app.js';

type Http = TestApp['http'];
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * An actuator's late result (`POST /runs/:id/steps/:stepId/result`), reported as its call's payload
 * says: to the callback's path, with the callback's token. Answers the request, to `.expect()` on.
 */
export const lateResult = (http: Http, callback: { path: string; token: string }, body: Record<string, unknown>) =>
  http.post(callback.path).set(auth(callback.token)).send(body);

/** An OutOfMemoryError incident on agent-`n` (memory_cleanup's pattern): `n` keeps each one its own agent. */
export const oomIncident = (n: string | number) => ({
  errorType: 'OutOfMemoryError',
  message: `Worker pod ingest-${n} OOMKilled: container exceeded memory limit 2048Mi`,
  agentId: `agent-${n}`,
  capability: 'ingest',
});

/** Reports the incident and waits for its recovery to be suggested: the incident's id and the recovery's. */
export async function suggestedRecovery(
  http: Http,
  key: string,
  incident: Record<string, unknown>,
): Promise<{ incidentId: string; recoveryId: string }> {
  const inc = await http.post('/incidents').set(auth(key)).send(incident).expect(201);
  const recovery = await eventually(
    async () => (await http.get(`/recoveries?incidentId=${inc.body.id}`).set(auth(key))).body.items?.[0],
    `a recovery for ${inc.body.id}`,
  );
  return { incidentId: inc.body.id as string, recoveryId: recovery.id as string };
}

/** Approves a suggested recovery: the run the approval started. */
export async function approve(http: Http, key: string, recoveryId: string): Promise<string> {
  return (await http.post(`/recoveries/${recoveryId}/approve`).set(auth(key)).send({}).expect(200)).body.id as string;
}

/** Reports the incident, waits for its recovery and approves it: the incident, and the run the approval started. */
export async function approvedRun(
  http: Http,
  key: string,
  incident: Record<string, unknown>,
): Promise<{ incidentId: string; runId: string }> {
  const { incidentId, recoveryId } = await suggestedRecovery(http, key, incident);
  return { incidentId, runId: await approve(http, key, recoveryId) };
}

/** The run once it is done (phase `done`). */
export const finishedRun = (http: Http, key: string, runId: string) =>
  eventually(async () => {
    const run = (await http.get(`/runs/${runId}`).set(auth(key)).expect(200)).body;
    return run.phase === 'done' ? run : null;
  }, `run ${runId} to finish`);

/** A run of memory_cleanup a person starts (of `incidentId`, else of none): the command, for a test's CommandBus. */
export const manualMemoryCleanup = (tenantId: string, incidentId: string | null = null) =>
  new StartRecoveryRun({
    tenantId,
    recoveryId: null,
    incidentId,
    patternId: null,
    playbookId: 'memory_cleanup',
    params: {},
    automatic: false,
    startedBy: 'test',
  });

/**
 * A person marks the run's first step (`stepId`, waiting for them) done, and the run waits for them on its
 * next one. The run has then done something a cancel must undo: one canceled while its first step still
 * waits has nothing to undo, nothing having been called or answered (ADR 0014), and skips its rollback.
 */
export async function firstStepDoneByHand(http: Http, key: string, runId: string, stepId: string): Promise<void> {
  const run = async () => (await http.get(`/runs/${runId}`).set(auth(key)).expect(200)).body;
  const waiting = (r: { steps: { id: string; status: string }[] }, id: string) =>
    r.steps.some((s) => s.id === id && s.status === 'awaiting_operator');
  await eventually(async () => waiting(await run(), stepId), `step ${stepId} to wait for an operator`);
  await http.post(`/runs/${runId}/steps/${stepId}/complete`).set(auth(key)).send({ outcome: 'succeeded' }).expect(200);
  await eventually(async () => {
    const r = await run();
    return r.status === 'awaiting_operator' && r.steps.some((s: { id: string }) => s.id !== stepId && waiting(r, s.id));
  }, `run ${runId} to wait for an operator on its next step`);
}
