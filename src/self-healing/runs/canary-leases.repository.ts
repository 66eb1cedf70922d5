import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';

/**
 * Who holds each shared canary (ADR 0018): one row per tenant and canary actuator, naming the run
 * whose trial is on it. Held by the run, not by a worker: a replica that dies leaves the run, and
 * with it the canary, to whoever claims the run next. Called from the run's turns, under its lock.
 */
@Injectable()
export class CanaryLeasesRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Takes the canary for `runId` if it is free, already this run's, or held by a run that has ended
   * (or is gone): null. Otherwise the id of the run that holds it. The canary's row stays locked until
   * this transaction ends, so a release that commits meanwhile waits for it and then wakes this run.
   */
  async take(tenantId: string, actuator: string, runId: string): Promise<string | null> {
    // ON CONFLICT … DO UPDATE locks the row even when its WHERE keeps it as it is.
    const taken = await this.tx.query(
      `INSERT INTO canary_leases AS l (tenant_id, actuator, run_id, taken_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant_id, actuator) DO UPDATE SET run_id = EXCLUDED.run_id, taken_at = EXCLUDED.taken_at
        WHERE l.run_id IS NULL OR l.run_id = EXCLUDED.run_id
           OR NOT EXISTS (SELECT 1 FROM recovery_runs r WHERE r.id = l.run_id AND r.phase <> 'done')
       RETURNING run_id`,
      [tenantId, actuator, runId],
    );
    if (taken.length > 0) return null;
    const [held] = await this.tx.query<{ run_id: string }>(
      `SELECT run_id FROM canary_leases WHERE tenant_id = $1 AND actuator = $2`,
      [tenantId, actuator],
    );
    return held!.run_id;
  }

  /**
   * Gives back the canaries `runId` holds (every one, or only `actuator`'s) and makes due the runs
   * whose canary step waits for one of them; returns how many it woke. Two statements: the second reads
   * after the first has waited for any run taking its turn on the canary's row, so a step that has just
   * started to wait is seen. A run whose row is locked right now is skipped (its lock is not waited for:
   * it may be waiting for this row): one in a turn takes the canary's row after this commits and finds
   * it free; one locked by something else (an operator's request answered 409, a pattern merge) misses
   * this wake and finds the canary free at its next look (a waiting step looks again every
   * RUN_PAUSED_RECHECK_MS, RunAdvancer.takeCanary).
   */
  async release(runId: string, actuator?: string): Promise<number> {
    const freed = await this.tx.query<{ tenant_id: string; actuator: string }>(
      `UPDATE canary_leases SET run_id = NULL, taken_at = NULL
        WHERE run_id = $1 AND ($2::text IS NULL OR actuator = $2)
        RETURNING tenant_id, actuator`,
      [runId, actuator ?? null],
    );
    if (freed.length === 0) return 0;
    const woken = await this.tx.query(
      `UPDATE recovery_runs SET due_at = now()
        WHERE id IN (SELECT r.id FROM recovery_runs r
                       JOIN recovery_run_steps s ON s.run_id = r.id
                       JOIN unnest($1::text[], $2::text[]) AS f(tenant_id, actuator)
                         ON s.tenant_id = f.tenant_id AND s.actuator = f.actuator
                      WHERE s.waiting_for = 'canary' AND r.phase <> 'done'
                      FOR UPDATE OF r SKIP LOCKED)
        RETURNING id`,
      [freed.map((f) => f.tenant_id), freed.map((f) => f.actuator)],
    );
    return woken.length;
  }
}
