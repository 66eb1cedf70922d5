import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { settingsFrom, type GuardrailSettings } from '../src/self-healing/runs/guardrails/guardrail-settings.js';
import { GuardrailsRepository } from '../src/self-healing/runs/guardrails/guardrails.repository.js';
import { GuardrailsService, type GuardrailCheck } from '../src/self-healing/runs/guardrails/guardrails.service.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const DEFAULTS = {
  maintenanceWindows: [],
  maxAutomaticRunsPerHour: null,
  oneActiveRunPerAgentCapability: false,
  cooldownMs: 0,
  dailyAutomaticRunBudgetMs: null,
  canaryRunsPer24h: 3,
  canaryCooldownMs: 6 * 3600_000,
  canaryDailyBudgetMs: 60_000,
};
/** A Monday, 13:00 in Berlin. */
const NOW = new Date('2026-01-05T12:00:00.000Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const PATTERN = '0190e5a0-0000-7000-8000-000000000001';
const OTHER_PATTERN = '0190e5a0-0000-7000-8000-000000000002';

describe('guardrails for automatic runs', () => {
  let app: TestApp;
  let admin: string;
  let operator: string;
  let viewer: string;
  let otherAdmin: string;
  const tx = () => app.app.get(TransactionHost);
  const service = () => app.app.get(GuardrailsService);
  const configure = (tenantId: string, settings: Partial<GuardrailSettings>) =>
    app.app.get(GuardrailsRepository).save(tenantId, settingsFrom(settings), 'test');
  /** The check as the run engine makes it: inside a transaction. */
  const check = (c: Partial<GuardrailCheck> & { tenantId: string }) =>
    tx().run(() =>
      service().blockingGuardrail({ agentId: 'agent-1', capability: 'summarise', patternId: PATTERN, now: NOW, ...c }),
    );
  const put = (key: string, body: unknown) =>
    app.http
      .put('/self-healing/guardrails')
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);
  const get = (key: string) => app.http.get('/self-healing/guardrails').set('Authorization', `Bearer ${key}`);

  interface RunRow {
    tenantId: string;
    automatic?: boolean;
    agentId?: string | null;
    capability?: string | null;
    patternId?: string | null;
    createdAt?: Date;
    startedAt?: Date | null;
    finishedAt?: Date | null;
  }
  const RUN_SQL = `INSERT INTO recovery_runs (id, tenant_id, pattern_id, playbook_id, agent_id, capability, automatic, started_by, status, phase, deadline_at, created_at, started_at, finished_at)
                   VALUES ($1, $2, $3, 'restart_agent', $4, $5, $6, 'test', $7, $8, coalesce($9::timestamptz, now()) + interval '1 hour', coalesce($9::timestamptz, now()), $10, $11)`;
  const runParams = (r: RunRow, id: string) => {
    const finished = r.finishedAt ?? null;
    return [
      id,
      r.tenantId,
      r.patternId === undefined ? PATTERN : r.patternId,
      r.agentId === undefined ? 'agent-1' : r.agentId,
      r.capability === undefined ? 'summarise' : r.capability,
      r.automatic ?? true,
      finished ? 'succeeded' : 'running',
      finished ? 'done' : 'steps',
      r.createdAt ?? null,
      r.startedAt === undefined ? (r.createdAt ?? null) : r.startedAt,
      finished,
    ];
  };
  /** A run row written directly (the run engine is not part of this branch). */
  const insertRun = async (r: RunRow) => {
    const id = randomUUID();
    await app.sql(RUN_SQL, runParams(r, id));
    return id;
  };

  beforeAll(async () => {
    app = await startTestApp();
    [admin, operator, viewer, otherAdmin] = await Promise.all([
      app.keyFor('acme', 'admin'),
      app.keyFor('acme', 'operator'),
      app.keyFor('acme', 'viewer'),
      app.keyFor('globex', 'admin'),
    ]);
  });
  afterAll(async () => {
    await app.stop();
  });

  describe('GET/PUT /self-healing/guardrails', () => {
    it('answers the defaults, no guardrail at all, until an admin sets them', async () => {
      const res = await get(viewer);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...DEFAULTS, updatedAt: null, updatedBy: null });
    });

    it('PUT replaces the settings whole, GET reads them back, any role may read', async () => {
      const body = {
        maintenanceWindows: [
          { days: ['sat', 'sun'], start: '22:00', end: '06:00', timeZone: 'Europe/Berlin' },
          { days: ['wed'], start: '02:00', end: '04:30', timeZone: 'UTC' },
        ],
        maxAutomaticRunsPerHour: 10,
        oneActiveRunPerAgentCapability: true,
        cooldownMs: 600_000,
        dailyAutomaticRunBudgetMs: 7_200_000,
        canaryRunsPer24h: 5,
        canaryCooldownMs: 3_600_000,
        canaryDailyBudgetMs: null,
      };
      const res = await put(admin, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(body);
      expect(res.body.updatedBy).toMatch(/^acme admin \(/);
      expect(new Date(res.body.updatedAt).toISOString()).toBe(res.body.updatedAt);
      for (const key of [viewer, operator, admin]) {
        const read = await get(key);
        expect(read.status).toBe(200);
        expect(read.body).toEqual(res.body);
      }
      const [row] = await app.sql(`SELECT settings, updated_by FROM self_healing_guardrails WHERE tenant_id = 'acme'`);
      expect(row.settings).toEqual(body);

      // Whole replacement: what the body leaves out goes back to its default.
      const replaced = await put(admin, { maxAutomaticRunsPerHour: 3 });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ ...DEFAULTS, maxAutomaticRunsPerHour: 3 });
      expect((await get(viewer)).body).toEqual(replaced.body);
      const spelled = await put(admin, {
        maintenanceWindows: [{ days: ['mon'], start: '01:00', end: '02:00', timeZone: 'europe/berlin' }],
      });
      expect(spelled.body.maintenanceWindows).toEqual([
        { days: ['mon'], start: '01:00', end: '02:00', timeZone: 'Europe/Berlin' },
      ]);
      const cleared = await put(admin, { ...DEFAULTS });
      expect(cleared.body).toMatchObject(DEFAULTS);
      expect(cleared.body.updatedAt).not.toBeNull();
    });

    it('answers 400 naming each bad field, and stores nothing', async () => {
      const before = (await get(admin)).body;
      const window = { days: ['mon'], start: '09:00', end: '17:00', timeZone: 'UTC' };
      const cases: Array<[unknown, string[]]> = [
        [{ maintenanceWindows: [{ ...window, timeZone: 'Mars/Olympus_Mons' }] }, ['maintenanceWindows.0.timeZone']],
        [{ maintenanceWindows: [window, { ...window, timeZone: 'CET+1' }] }, ['maintenanceWindows.1.timeZone']],
        [{ maintenanceWindows: [{ ...window, start: '24:00' }] }, ['maintenanceWindows.0.start']],
        [{ maintenanceWindows: [{ ...window, end: '9:00' }] }, ['maintenanceWindows.0.end']],
        [{ maintenanceWindows: [{ ...window, end: '09:00' }] }, ['maintenanceWindows.0.end']], // start == end
        [{ maintenanceWindows: [{ ...window, days: [] }] }, ['maintenanceWindows.0.days']],
        [{ maintenanceWindows: [{ ...window, days: ['mon', 'mon'] }] }, ['maintenanceWindows.0.days']],
        [{ maintenanceWindows: [{ ...window, days: ['monday'] }] }, ['maintenanceWindows.0.days']],
        [{ maintenanceWindows: [{ ...window, note: 'x' }] }, ['maintenanceWindows.0.note']],
        [
          { maintenanceWindows: [{ days: ['mon'] }] },
          ['maintenanceWindows.0.start', 'maintenanceWindows.0.end', 'maintenanceWindows.0.timeZone'],
        ],
        [{ maintenanceWindows: window }, ['maintenanceWindows']],
        [{ maintenanceWindows: null }, ['maintenanceWindows']],
        [{ cooldownMs: -1 }, ['cooldownMs']],
        [{ cooldownMs: 1.5 }, ['cooldownMs']],
        [{ cooldownMs: null }, ['cooldownMs']],
        [{ maxAutomaticRunsPerHour: 0 }, ['maxAutomaticRunsPerHour']],
        [{ maxAutomaticRunsPerHour: '5' }, ['maxAutomaticRunsPerHour']],
        [{ dailyAutomaticRunBudgetMs: 0 }, ['dailyAutomaticRunBudgetMs']],
        [{ oneActiveRunPerAgentCapability: 'yes' }, ['oneActiveRunPerAgentCapability']],
        [{ maxRunsPerHour: 3 }, ['maxRunsPerHour']],
        [{ cooldownMs: -5, surprise: true }, ['cooldownMs', 'surprise']],
      ];
      for (const [body, fields] of cases) {
        const res = await put(admin, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect({ body, fields: res.body.fields.map((f: { field: string }) => f.field).sort() }).toEqual({
          body,
          fields: [...fields].sort(),
        });
        expect(res.body.message).toBe(
          `invalid fields: ${res.body.fields.map((f: { field: string }) => f.field).join(', ')}`,
        );
      }
      expect((await get(admin)).body).toEqual(before);
    });

    it('only an admin may PUT, and each tenant has its own settings', async () => {
      await put(admin, { cooldownMs: 60_000 }).expect(200);
      expect((await put(viewer, { cooldownMs: 1 })).status).toBe(403);
      expect((await put(operator, { cooldownMs: 1 })).status).toBe(403);
      expect((await get(admin)).body.cooldownMs).toBe(60_000);

      expect((await get(otherAdmin)).body).toEqual({ ...DEFAULTS, updatedAt: null, updatedBy: null });
      await put(otherAdmin, { maxAutomaticRunsPerHour: 7 }).expect(200);
      expect((await get(otherAdmin)).body).toMatchObject({ ...DEFAULTS, maxAutomaticRunsPerHour: 7 });
      expect((await get(admin)).body).toMatchObject({ ...DEFAULTS, cooldownMs: 60_000 });
      expect((await app.http.get('/self-healing/guardrails')).status).toBe(401);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await app.http.get('/docs-json').set('Authorization', `Bearer ${viewer}`)).body;
      expect(Object.keys(doc.paths['/self-healing/guardrails'] ?? {}).sort()).toEqual(['get', 'put']);
    });
  });

  describe('GuardrailsService.blockingGuardrail', () => {
    it('lets everything through for a tenant who set no guardrail', async () => {
      const tenantId = 'free';
      await insertRun({ tenantId, createdAt: ago(1) });
      await insertRun({ tenantId, createdAt: ago(2) });
      expect(await check({ tenantId })).toBeNull();
      expect(await check({ tenantId, now: undefined })).toBeNull();
    });

    it('must run inside the transaction that creates the run', async () => {
      await expect(
        service().blockingGuardrail({ tenantId: 'free', agentId: null, capability: null, patternId: PATTERN }),
      ).rejects.toThrow(/transaction/);
    });

    it('maintenance_window: only inside a window, read in its time zone', async () => {
      const tenantId = 'windows';
      await configure(tenantId, {
        maintenanceWindows: [{ days: ['mon'], start: '09:00', end: '14:00', timeZone: 'Europe/Berlin' }],
      });
      expect(await check({ tenantId, now: new Date('2026-01-05T12:59:00Z') })).toBeNull(); // 13:59 CET
      const after = await check({ tenantId, now: new Date('2026-01-05T13:00:00Z') }); // 14:00 CET
      expect(after).toEqual({
        guardrail: 'maintenance_window',
        reason: expect.stringMatching(/^guardrail maintenance_window: .*mon 09:00–14:00 Europe\/Berlin/),
      });
      expect(after!.reason).toContain('2026-01-05T13:00:00.000Z');
      expect((await check({ tenantId, now: new Date('2026-01-06T10:00:00Z') }))?.guardrail).toBe('maintenance_window'); // tuesday
      // A second window that is open lets it through.
      await configure(tenantId, {
        maintenanceWindows: [
          { days: ['mon'], start: '09:00', end: '14:00', timeZone: 'Europe/Berlin' },
          { days: ['mon'], start: '23:00', end: '02:00', timeZone: 'UTC' },
        ],
      });
      expect(await check({ tenantId, now: new Date('2026-01-06T01:30:00Z') })).toBeNull();
    });

    it("runs_per_hour: counts the tenant's automatic runs created in the last hour", async () => {
      const tenantId = 'rate';
      await configure(tenantId, { maxAutomaticRunsPerHour: 2 });
      await insertRun({ tenantId, createdAt: ago(10), finishedAt: ago(5) });
      await insertRun({ tenantId, createdAt: ago(5), automatic: false }); // manual: not counted
      await insertRun({ tenantId, createdAt: ago(61) }); // too old
      await insertRun({ tenantId: 'rate-other', createdAt: ago(1) }); // another tenant
      await insertRun({ tenantId, createdAt: new Date(NOW.getTime() + 60_000) }); // after `now`
      expect(await check({ tenantId })).toBeNull();
      await insertRun({ tenantId, createdAt: ago(59), agentId: 'agent-9', patternId: OTHER_PATTERN });
      expect(await check({ tenantId })).toEqual({
        guardrail: 'runs_per_hour',
        reason: 'guardrail runs_per_hour: 2 automatic runs in the last hour (limit 2)',
      });
      expect(await check({ tenantId: 'rate-other' })).toBeNull();
    });

    it('one_active_run: an active automatic run with the same agent and capability blocks', async () => {
      const tenantId = 'active';
      await configure(tenantId, { oneActiveRunPerAgentCapability: true });
      await insertRun({ tenantId, createdAt: ago(30), finishedAt: ago(20) }); // finished
      await insertRun({ tenantId, createdAt: ago(30), automatic: false }); // manual
      await insertRun({ tenantId, createdAt: ago(30), capability: 'translate' });
      await insertRun({ tenantId, createdAt: ago(30), agentId: 'agent-2' });
      await insertRun({ tenantId: 'active-other', createdAt: ago(30) });
      expect(await check({ tenantId })).toBeNull();

      const old = await insertRun({ tenantId, createdAt: ago(3 * 24 * 60), patternId: OTHER_PATTERN }); // active for days: still counts
      expect(await check({ tenantId })).toEqual({
        guardrail: 'one_active_run',
        reason: `guardrail one_active_run: automatic run ${old} is still active on agent agent-1 (capability summarise) (at most 1 at a time)`,
      });
      expect(await check({ tenantId, capability: 'other' })).toBeNull();
      // No capability matches no capability only (IS NOT DISTINCT FROM).
      expect(await check({ tenantId, capability: null })).toBeNull();
      await insertRun({ tenantId, createdAt: ago(1), capability: null });
      expect((await check({ tenantId, capability: null }))?.guardrail).toBe('one_active_run');
      // Without an agent the check does not apply.
      await insertRun({ tenantId, createdAt: ago(1), agentId: null });
      expect(await check({ tenantId, agentId: null })).toBeNull();
    });

    it('cooldown: an automatic run of the same pattern and agent created within cooldownMs blocks', async () => {
      const tenantId = 'cooldown';
      await configure(tenantId, { cooldownMs: 10 * 60_000 });
      await insertRun({ tenantId, createdAt: ago(11), finishedAt: ago(10) }); // before the cooldown
      await insertRun({ tenantId, createdAt: ago(1), automatic: false }); // manual
      await insertRun({ tenantId, createdAt: ago(1), agentId: 'agent-2' });
      await insertRun({ tenantId, createdAt: ago(1), patternId: OTHER_PATTERN });
      await insertRun({ tenantId: 'cooldown-other', createdAt: ago(1) });
      expect(await check({ tenantId })).toBeNull();

      await insertRun({ tenantId, createdAt: ago(4), finishedAt: ago(3) }); // finished runs count too
      expect(await check({ tenantId })).toEqual({
        guardrail: 'cooldown',
        reason: `guardrail cooldown: the last automatic run of pattern ${PATTERN} on agent agent-1 was created 4 min ago (cooldown 10 min, 6 min left)`,
      });
      // A run without an agent cools down runs without an agent.
      expect(await check({ tenantId, agentId: null })).toBeNull();
      await insertRun({ tenantId, createdAt: ago(2), agentId: null });
      expect((await check({ tenantId, agentId: null }))?.reason).toMatch(/on no agent was created 2 min ago/);
    });

    it('daily_budget: run time of the automatic runs within the last 24 h, active ones up to now', async () => {
      const tenantId = 'budget';
      await configure(tenantId, { dailyAutomaticRunBudgetMs: 3600_000 });
      await insertRun({ tenantId, createdAt: ago(180), startedAt: ago(170), finishedAt: ago(135) }); // 35 min (from started_at)
      await insertRun({ tenantId, createdAt: ago(27 * 60), startedAt: ago(27 * 60), finishedAt: ago(25 * 60) }); // over before the 24 h
      // Begun before the 24 h: only its 5 min within them count.
      await insertRun({
        tenantId,
        createdAt: ago(24 * 60 + 10),
        startedAt: ago(24 * 60 + 10),
        finishedAt: ago(24 * 60 - 5),
      });
      await insertRun({ tenantId, createdAt: ago(300), finishedAt: ago(100), automatic: false }); // manual
      await insertRun({ tenantId: 'budget-other', createdAt: ago(300), finishedAt: ago(100) });
      await insertRun({ tenantId, createdAt: ago(15), startedAt: null }); // queued: 15 min from created_at
      expect(await check({ tenantId })).toBeNull(); // 55 min

      await insertRun({ tenantId, createdAt: ago(6), startedAt: ago(5) }); // active: 5 min so far
      expect(await check({ tenantId })).toEqual({
        guardrail: 'daily_budget',
        reason: 'guardrail daily_budget: automatic runs of the last 24 h took 1 h (3600000 ms; budget 1 h, 3600000 ms)',
      });
      expect(await check({ tenantId, now: ago(1) })).toBeNull(); // a minute earlier: 35 + 6 + 14 + 4 min

      // A run begun five days ago and still going (watching, or waiting in its rollback, past
      // RECOVERY_RUN_TIMEOUT_MS) has spent the whole 24 h.
      await configure('budget-long', { dailyAutomaticRunBudgetMs: 23 * 3600_000 });
      await insertRun({ tenantId: 'budget-long', createdAt: ago(120 * 60), startedAt: ago(120 * 60) });
      expect((await check({ tenantId: 'budget-long' }))?.reason).toMatch(/ took [^(]+ \(86400000 ms; budget /);
    });

    it('checks in order: window, runs per hour, one active run, cooldown, daily budget', async () => {
      const tenantId = 'order';
      await insertRun({ tenantId, createdAt: ago(30), startedAt: ago(30) }); // active, same pattern and agent, 30 min so far
      const all: Partial<GuardrailSettings> = {
        maintenanceWindows: [{ days: ['tue'], start: '00:00', end: '01:00', timeZone: 'UTC' }],
        maxAutomaticRunsPerHour: 1,
        oneActiveRunPerAgentCapability: true,
        cooldownMs: 3600_000,
        dailyAutomaticRunBudgetMs: 60_000,
      };
      const seen: Array<string | null> = [];
      for (const relax of [
        {},
        { maintenanceWindows: [] },
        { maxAutomaticRunsPerHour: null },
        { oneActiveRunPerAgentCapability: false },
        { cooldownMs: 0 },
        { dailyAutomaticRunBudgetMs: null },
      ]) {
        Object.assign(all, relax);
        await configure(tenantId, all);
        seen.push((await check({ tenantId }))?.guardrail ?? null);
      }
      expect(seen).toEqual(['maintenance_window', 'runs_per_hour', 'one_active_run', 'cooldown', 'daily_budget', null]);
    });

    it('a PUT takes effect on the next check at once', async () => {
      await insertRun({ tenantId: 'acme', createdAt: ago(1) });
      await put(admin, { maxAutomaticRunsPerHour: 1 }).expect(200);
      expect((await check({ tenantId: 'acme' }))?.guardrail).toBe('runs_per_hour');
      await put(admin, {}).expect(200);
      expect(await check({ tenantId: 'acme' })).toBeNull();
    });

    it("the tenant lock makes concurrent checks decide one after another: the second sees the first one's run", async () => {
      const tenantId = 'serial';
      await configure(tenantId, { maxAutomaticRunsPerHour: 1 });
      const waitingForLock = async () => {
        const [row] = await app.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return row.n;
      };
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let firstChecked!: () => void;
      const firstHasChecked = new Promise<void>((resolve) => (firstChecked = resolve));
      const order: string[] = [];

      // The first auto-apply: checks (taking the lock), creates its run, and commits only when told.
      const first = tx().run(async () => {
        const verdict = await service().blockingGuardrail({
          tenantId,
          agentId: 'agent-1',
          capability: 'summarise',
          patternId: PATTERN,
        });
        await tx().query(RUN_SQL, runParams({ tenantId }, randomUUID()));
        firstChecked();
        await released;
        order.push('first commits');
        return verdict;
      });
      await firstHasChecked;
      // The second one, concurrently: it must wait for the first's lock.
      const second = tx().run(async () => {
        const verdict = await service().blockingGuardrail({
          tenantId,
          agentId: 'agent-2',
          capability: 'summarise',
          patternId: OTHER_PATTERN,
        });
        order.push('second decided');
        return verdict;
      });
      try {
        await eventually(
          async () => (await waitingForLock()) === 1,
          'the second check to wait on the tenant lock',
          10_000,
        );
        // Another tenant is not held up by this tenant's lock.
        expect(await check({ tenantId: 'serial-other', now: undefined })).toBeNull();
        expect(order).toEqual([]);
      } finally {
        release();
      }
      expect(await first).toBeNull();
      expect(await second).toEqual({
        guardrail: 'runs_per_hour',
        reason: 'guardrail runs_per_hour: 1 automatic run in the last hour (limit 1)',
      });
      expect(order).toEqual(['first commits', 'second decided']);
      expect(await waitingForLock()).toBe(0);
    });
  });
});
