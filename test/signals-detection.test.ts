import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { withWritesHeld } from './support/held-writes.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const HOUR = 3_600_000;

/**
 * Degradation detection against a seeded week: every time is the samples' own `at` (ten days
 * ago onward), so nothing depends on the wall clock.
 */
describe('degradation detection: POST /signals/metrics', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let admin: string;
  let otherTenant: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const t0 = Math.floor((Date.now() - 10 * 24 * HOUR) / HOUR) * HOUR;
  const at = (hours: number) => new Date(t0 + hours * HOUR).toISOString();
  const send = (samples: unknown[], key = operator) =>
    app.http.post('/signals/metrics').set(bearer(key)).send({ samples });
  const degradationIncidents = async (agentId: string) =>
    (await app.http.get(`/incidents?source=degradation&agentId=${agentId}`).set(bearer(viewer)).expect(200)).body
      .items as Array<Record<string, any>>;

  beforeAll(async () => {
    app = await startTestApp({ INTAKE_MAX_BATCH: '300' });
    operator = await app.keyFor('acme', 'operator');
    viewer = await app.keyFor('acme', 'viewer');
    admin = await app.keyFor('acme', 'admin');
    otherTenant = await app.keyFor('globex', 'viewer');
  });
  afterAll(() => app.stop());

  it('judges nothing before enough history (24 samples over 24 h), and says so', async () => {
    const few = Array.from({ length: 10 }, (_, i) => ({
      metric: 'latency_ms',
      agentId: 'fresh-agent',
      value: 100,
      at: at(i),
    }));
    await send(few).expect(200);
    const spike = await send([{ metric: 'latency_ms', agentId: 'fresh-agent', value: 10_000, at: at(10) }]).expect(200);
    expect(spike.body).toMatchObject({ accepted: 1, evaluated: 0, symptoms: [], escalations: [] });
    expect(spike.body.insufficientHistory).toEqual([
      {
        metric: 'latency_ms',
        agentId: 'fresh-agent',
        capability: null,
        samplesNotEvaluated: 1,
        history: { samples: 10, spanHours: 9 },
        required: { samples: 24, spanHours: 24 },
      },
    ]);
    expect(await degradationIncidents('fresh-agent')).toEqual([]);
  });

  it('seeds a week: the first 25 samples lack history, three lone spikes are symptoms, the rest match their baseline', async () => {
    // 98-102 ms with three 5 s spikes: the spikes would lift a mean baseline by ~88 ms; the median stays 100.
    const spikes = new Set([30, 60, 90]);
    const week = Array.from({ length: 168 }, (_, i) => ({
      metric: 'latency_ms',
      agentId: 'agent-1',
      capability: 'summarise',
      value: spikes.has(i) ? 5000 : 100 + ((i * 7) % 5) - 2,
      at: at(i),
    }));
    const res = await send(week).expect(200);
    expect(res.body).toMatchObject({ accepted: 168, evaluated: 143, escalations: [] });
    expect(res.body.symptoms.map((x: { at: string; severity: string }) => [x.at, x.severity])).toEqual(
      [...spikes].map((h) => [at(h), 'critical']),
    );
    expect(res.body.insufficientHistory[0]).toMatchObject({
      metric: 'latency_ms',
      agentId: 'agent-1',
      samplesNotEvaluated: 25,
    });
  });

  it('raises symptoms at the thresholds, arms one escalation on the third in 24 h, one incident while armed, a new one after the TTL', async () => {
    const latency = (value: number, hours: number) =>
      send([{ metric: 'latency_ms', agentId: 'agent-1', capability: 'summarise', value, at: at(hours) }]).expect(200);
    expect((await latency(115, 168)).body.symptoms).toEqual([]); // +15 %: under the 20 % warning
    const warn = (await latency(125, 169)).body;
    expect(warn.symptoms).toHaveLength(1);
    expect(warn.symptoms[0]).toMatchObject({
      metric: 'latency_ms',
      agentId: 'agent-1',
      severity: 'warning',
      value: 125,
      baseline: { median: 100 },
    });
    expect(warn.symptoms[0].deltaPct).toBeCloseTo(25, 5);
    const crit = (await latency(160, 170)).body;
    expect(crit.symptoms[0]).toMatchObject({ severity: 'critical' });
    expect(crit.escalations).toEqual([]); // two symptoms: not yet
    expect(await degradationIncidents('agent-1')).toEqual([]);

    const third = (await latency(130, 171)).body;
    expect(third.escalations).toHaveLength(1);
    expect(third.skippedWindows).toEqual([]); // recent: nothing held back
    const escalation = third.escalations[0];
    expect(escalation).toMatchObject({
      metric: 'latency_ms',
      agentId: 'agent-1',
      armedAt: at(171),
      expiresAt: at(175),
      symptomIds: expect.any(Array),
    });
    expect(escalation.symptomIds).toHaveLength(3);
    const [incident] = await degradationIncidents('agent-1');
    expect(incident).toMatchObject({
      id: escalation.incidentId,
      source: 'degradation',
      errorType: 'degradation.latency_ms',
      capability: 'summarise',
      severity: 'high',
      occurredAt: at(171),
    });
    expect(incident.message).toMatch(
      /^latency_ms of agent-1 \/ summarise degraded against its 7-day baseline: 3 symptoms in 24 h: \+25\.0 % \(125 vs 100, warning\).*\+60\.0 % \(160 vs 100, critical\).*\+30\.0 % \(130 vs 100, warning\)/,
    );
    await eventually(
      async () => (await app.http.get(`/integration/loop/${incident.id}`).set(bearer(viewer))).body.isComplete,
      "the degradation incident's loop",
    );

    // Armed: a fourth symptom is recorded, but no second escalation or incident.
    const fourth = (await latency(140, 172)).body;
    expect(fourth.symptoms).toHaveLength(1);
    expect(fourth.escalations).toEqual([]);
    expect(await degradationIncidents('agent-1')).toHaveLength(1);

    // Past the 4 h TTL the still-degraded series arms a new escalation and incident.
    const later = (await latency(150, 175 + 1 / 60)).body;
    expect(later.escalations).toHaveLength(1);
    expect(later.escalations[0].incidentId).not.toBe(incident.id);
    expect(await degradationIncidents('agent-1')).toHaveLength(2);

    const listed = (await app.http.get('/signals/escalations?agentId=agent-1').set(bearer(viewer)).expect(200)).body
      .items;
    expect(listed.map((e: { id: string }) => e.id)).toEqual([later.escalations[0].id, escalation.id]);
    // Armed days ago by the samples' clock, so no longer active by the wall clock.
    expect(
      (await app.http.get('/signals/escalations?agentId=agent-1&active=true').set(bearer(viewer)).expect(200)).body
        .items,
    ).toEqual([]);
    expect(
      (await app.http.get('/signals/escalations?agentId=agent-1&active=false').set(bearer(viewer)).expect(200)).body
        .items,
    ).toHaveLength(2);
    await app.http.get('/signals/escalations?active=maybe').set(bearer(viewer)).expect(400);
    const page = (await app.http.get('/signals/escalations?agentId=agent-1&limit=1').set(bearer(viewer)).expect(200))
      .body;
    const next = (
      await app.http
        .get(`/signals/escalations?agentId=agent-1&limit=1&cursor=${page.nextCursor}`)
        .set(bearer(viewer))
        .expect(200)
    ).body;
    expect([...page.items, ...next.items].map((e: { id: string }) => e.id)).toEqual([
      later.escalations[0].id,
      escalation.id,
    ]);
    const symptoms = (
      await app.http
        .get(`/signals/symptoms?agentId=agent-1&metric=latency_ms&since=${at(100)}`)
        .set(bearer(viewer))
        .expect(200)
    ).body.items;
    expect(symptoms.map((s: { value: number }) => s.value)).toEqual([150, 140, 130, 160, 125]);
    const timeline = (await app.http.get(`/incidents/${incident.id}/timeline`).set(bearer(viewer)).expect(200)).body;
    expect(timeline.items[0].details.source).toBe('degradation');
  });

  it('takes a sample sent again as the reading already stored: judged once, so one bad reading arms nothing', async () => {
    const sample = (value: number, hours: number) => ({
      metric: 'latency_ms',
      agentId: 'agent-resend',
      capability: 'summarise',
      value,
      at: at(hours),
    });
    await send(Array.from({ length: 30 }, (_, h) => sample(100, h))).expect(200);
    const bad = sample(200, 40);
    const first = (await send([bad, bad]).expect(200)).body; // the same reading twice in a body
    expect(first).toMatchObject({ accepted: 2, repeated: 1, evaluated: 1 });
    expect(first.symptoms).toHaveLength(1);
    const retried = (await send([bad]).expect(200)).body; // a client's retry after a timeout
    expect(retried).toMatchObject({ accepted: 1, repeated: 1, evaluated: 0, symptoms: [], escalations: [] });
    expect(await degradationIncidents('agent-resend')).toEqual([]);
  });

  it('arms one escalation when the symptoms arrive out of order, as when they arrive in order', async () => {
    const latency = (agentId: string, value: number, hours: number) =>
      send([{ metric: 'latency_ms', agentId, value, at: at(hours) }]).expect(200);
    for (const agentId of ['in-order', 'out-of-order'])
      await send(
        Array.from({ length: 168 }, (_, h) => ({ metric: 'latency_ms', agentId, value: 100, at: at(h) })),
      ).expect(200);
    const inOrder = [];
    for (const h of [170, 171, 172]) inOrder.push((await latency('in-order', 160, h)).body);
    const outOfOrder = [];
    for (const h of [170, 172, 171]) outOfOrder.push((await latency('out-of-order', 160, h)).body); // h171 arrives late
    for (const bodies of [inOrder, outOfOrder]) {
      expect(bodies.map((b) => b.symptoms.length)).toEqual([1, 1, 1]);
      expect(bodies.map((b) => b.escalations.length)).toEqual([0, 0, 1]);
      expect(bodies[2].escalations[0]).toMatchObject({ armedAt: at(172), expiresAt: at(176) });
      expect(bodies[2].escalations[0].symptomIds).toHaveLength(3);
    }
    const armed = await app.sql(
      `SELECT agent_id, armed_at FROM signal_escalations WHERE agent_id IN ('in-order', 'out-of-order') ORDER BY agent_id`,
    );
    expect(armed.map((e) => [e.agent_id, e.armed_at.toISOString()])).toEqual([
      ['in-order', at(172)],
      ['out-of-order', at(172)],
    ]);
    const [incident] = await degradationIncidents('out-of-order');
    expect(incident).toMatchObject({ errorType: 'degradation.latency_ms', occurredAt: at(172) });
    expect(incident.message).toMatch(/3 symptoms in 24 h/);
    // Later still, an earlier symptom completes windows the armed escalation covers: nothing more is armed.
    expect((await latency('out-of-order', 160, 169)).body).toMatchObject({ symptoms: [{}], escalations: [] });
    expect(await degradationIncidents('out-of-order')).toHaveLength(1);
  });

  it('applies the other default thresholds: throughput and pass rate down, OOM events over a zero baseline', async () => {
    const seed = ['throughput', 'pass_rate', 'oom_events'].flatMap((metric) =>
      Array.from({ length: 48 }, (_, i) => ({
        metric,
        agentId: 'agent-2',
        value: { throughput: 200, pass_rate: 0.95, oom_events: 0 }[metric],
        at: at(i),
      })),
    );
    await send(seed).expect(200);
    const res = await send([
      { metric: 'throughput', agentId: 'agent-2', value: 175, at: at(48) }, // -12.5 %
      { metric: 'throughput', agentId: 'agent-2', value: 165, at: at(49) }, // -17.5 % warning
      { metric: 'throughput', agentId: 'agent-2', value: 130, at: at(50) }, // -35 % critical
      { metric: 'pass_rate', agentId: 'agent-2', value: 0.85, at: at(48) }, // -10.5 %
      { metric: 'pass_rate', agentId: 'agent-2', value: 0.8, at: at(49) }, // -15.8 % warning
      { metric: 'oom_events', agentId: 'agent-2', value: 1, at: at(48) }, // first one: critical
    ]).expect(200);
    const got = res.body.symptoms
      .map((s: { metric: string; value: number; severity: string }) => `${s.metric} ${s.value} ${s.severity}`)
      .sort();
    expect(got).toEqual([
      'oom_events 1 critical',
      'pass_rate 0.8 warning',
      'throughput 130 critical',
      'throughput 165 warning',
    ]);
    expect(res.body.escalations).toEqual([]);
  });

  it('takes tenant-defined metrics with a direction, and thresholds from the settings', async () => {
    await app.http.put('/signals/settings').set(bearer(operator)).send({ symptomCount: 2 }).expect(403);
    const settings = await app.http
      .put('/signals/settings')
      .set(bearer(admin))
      .send({ metrics: { queue_depth: { direction: 'up', warningPct: 30, criticalPct: 100 } }, symptomCount: 2 })
      .expect(200);
    expect(settings.body).toMatchObject({
      symptomCount: 2,
      metrics: { queue_depth: { direction: 'up', warningPct: 30 }, latency_ms: { warningPct: 20 } },
    });
    expect((await app.http.get('/signals/settings').set(bearer(viewer)).expect(200)).body.symptomCount).toBe(2);
    await send(
      Array.from({ length: 30 }, (_, i) => ({ metric: 'queue_depth', agentId: 'agent-3', value: 10, at: at(i) })),
    ).expect(200);
    const res = await send([
      { metric: 'queue_depth', agentId: 'agent-3', value: 12, at: at(30) },
      { metric: 'queue_depth', agentId: 'agent-3', value: 14, at: at(31) },
      { metric: 'queue_depth', agentId: 'agent-3', value: 25, at: at(32) },
    ]).expect(200);
    expect(res.body.symptoms.map((s: { severity: string }) => s.severity)).toEqual(['warning', 'critical']);
    expect(res.body.escalations).toHaveLength(1); // two symptoms arm it now
    const bad = await app.http
      .put('/signals/settings')
      .set(bearer(admin))
      .send({
        metrics: { latency_ms: null, depth: { direction: 'sideways', warningPct: -1 } },
        retentionDays: 0,
        colour: 'red',
      })
      .expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'colour',
      'metrics.depth.direction',
      'metrics.depth.warningPct',
      'metrics.latency_ms',
      'retentionDays',
    ]);
    await app.http.put('/signals/settings').set(bearer(admin)).send({ symptomCount: 3 }).expect(200);
  });

  it('refuses settings that would leave nothing to judge, naming both fields and storing nothing', async () => {
    const adminOf = await app.keyFor('settings-combos', 'admin');
    const put = (body: object) => app.http.put('/signals/settings').set(bearer(adminOf)).send(body);
    const stored = async () => (await app.http.get('/signals/settings').set(bearer(adminOf)).expect(200)).body;
    const before = await stored();
    const refused = async (body: object, fields: string[]) => {
      const res = await put(body).expect(400);
      expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(fields);
    };
    // A 1-day baseline spans under 24 h: the default 24 h of history is never reached.
    await refused({ baselineDays: 1 }, ['baselineDays', 'minHistory.spanHours']);
    await refused({ minHistory: { spanHours: 2000 } }, ['baselineDays', 'minHistory.spanHours']);
    // Pruning would delete the samples a baseline needs, or the symptoms a window counts.
    await refused({ retentionDays: 6 }, ['baselineDays', 'retentionDays']);
    await refused({ baselineDays: 2, retentionDays: 2, symptomWindowHours: 72 }, [
      'retentionDays',
      'symptomWindowHours',
    ]);
    expect(await stored()).toEqual(before);
    const ok = await put({ baselineDays: 2, minHistory: { spanHours: 47 }, retentionDays: 3, symptomWindowHours: 72 });
    expect(ok.status).toBe(200);
    expect(await stored()).toMatchObject({
      baselineDays: 2,
      minHistory: { spanHours: 47 },
      retentionDays: 3,
      symptomWindowHours: 72,
    });
  });

  it('refuses with 400 a sample whose metric is removed or narrowed, or retention shortened, while the request waits, storing nothing', async () => {
    const tenant = 'metric-removed';
    const [adminOf, operatorOf] = [await app.keyFor(tenant, 'admin'), await app.keyFor(tenant, 'operator')];
    const putSettings = (body: object) => app.http.put('/signals/settings').set(bearer(adminOf)).send(body).expect(200);
    await putSettings({
      metrics: { queue_depth: { direction: 'up', warningPct: 30 }, backlog: { direction: 'up', warningPct: 30 } },
    });
    // A day and more of history: the new samples are judged against their rules.
    const history = ['queue_depth', 'backlog'].flatMap((metric) =>
      Array.from({ length: 30 }, (_, h) => ({
        metric,
        agentId: 'a',
        value: 5,
        at: new Date(Date.now() - (h + 1) * HOUR).toISOString(),
      })),
    );
    await app.http.post('/signals/metrics').set(bearer(operatorOf)).send({ samples: history }).expect(200);
    const stored = async () => (await app.sql(`SELECT 1 FROM signal_samples WHERE tenant_id = $1`, [tenant])).length;
    // The request is checked against the settings, then waits for the tenant's signals lock, held here.
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    try {
      await holder.query(`BEGIN`);
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`intake:signals:${tenant}`]);
      const posted = app.http
        .post('/signals/metrics')
        .set(bearer(operatorOf))
        .send({
          samples: [
            { metric: 'latency_ms', agentId: 'a', value: 100 },
            { metric: 'queue_depth', agentId: 'a', value: 5 },
            { metric: 'backlog', agentId: 'a', value: 50 }, // a symptom, but over the new max
            { metric: 'latency_ms', agentId: 'a', value: 100, at: new Date(Date.now() - 10 * 24 * HOUR).toISOString() },
          ],
        })
        .then((res) => res);
      await eventually(
        async () =>
          (
            await app.sql(
              `SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND NOT l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
              [`intake:signals:${tenant}`],
            )
          ).length > 0,
        'the request to wait for the signals lock',
      );
      // Meanwhile an admin removes one metric, bounds the other and keeps samples 8 days, not 30.
      await putSettings({
        metrics: { queue_depth: null, backlog: { direction: 'up', warningPct: 30, max: 10 } },
        retentionDays: 8,
      });
      await holder.query(`COMMIT`);
      const res = await posted;
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { field: 'samples[1].metric', errors: [expect.stringMatching(/^must be one of latency_ms, .*backlog/)] },
        { field: 'samples[2].value', errors: ['backlog cannot exceed 10'] },
        {
          field: 'samples[3].at',
          errors: ["must not be older than the tenant's retentionDays (8 days): older samples are pruned"],
        },
      ]);
    } finally {
      await holder.end();
    }
    expect(await stored()).toBe(60);
  });

  it("keeps both of two admins' first changes made at once: neither undoes the other's", async () => {
    const admin2 = await app.keyFor('settings-race', 'admin');
    // Both changes read the settings, then wait to write them until the writes are let go: with
    // nothing serialising them, the second to write would store what it read, the defaults.
    const put = (body: object) => app.http.put('/signals/settings').set(bearer(admin2)).send(body);
    const changes = await withWritesHeld(app, 'intake_settings', 2, () =>
      Promise.all([put({ symptomCount: 5 }), put({ retentionDays: 9 })]),
    );
    for (const res of changes) expect(res.status).toBe(200);
    const stored = await app.http.get('/signals/settings').set(bearer(admin2)).expect(200);
    expect(stored.body).toMatchObject({ symptomCount: 5, retentionDays: 9 });
  });

  it('refuses bad samples with 400 naming them, writing nothing; too many with 413', async () => {
    const count = async () => Number((await app.sql(`SELECT count(*) AS n FROM signal_samples`))[0].n);
    const before = await count();
    const bad = await send([
      { metric: 'latency_ms', value: 12 },
      { metric: 'latency_ms', value: -1 },
      { metric: 'pass_rate', value: 1.5 },
      { metric: 'vibes', value: 1 },
      { metric: 'throughput', value: '12' },
      { metric: 'throughput', value: 1, at: 'tuesday', colour: 'red' },
    ]).expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual([
      'samples[1].value',
      'samples[2].value',
      'samples[3].metric',
      'samples[4].value',
      'samples[5].colour',
      'samples[5].at',
    ]);
    const infinite = await app.http
      .post('/signals/metrics')
      .set(bearer(operator))
      .set('Content-Type', 'application/json')
      .send('{"samples":[{"metric":"latency_ms","value":1e400}]}')
      .expect(400);
    // Refused by the input guard, before the samples are read (1e400 parses as Infinity, which JSON cannot hold).
    expect(infinite.body.fields[0]).toEqual({
      field: 'samples.0.value',
      errors: ['samples.0.value must be a finite number (it is too large for JSON)'],
    });
    // Finite but near the float8 limit, on a metric that allows negatives: the baseline would overflow.
    await app.http
      .put('/signals/settings')
      .set(bearer(admin))
      .send({ metrics: { temp_delta: { direction: 'up', warningPct: 20, criticalPct: 50, allowNegative: true } } })
      .expect(200);
    const huge = await send([
      { metric: 'temp_delta', value: 1.7e308 },
      { metric: 'temp_delta', value: -1.7e308 },
      { metric: 'temp_delta', value: -1e15 },
    ]).expect(400);
    expect(huge.body.fields).toEqual([
      { field: 'samples[0].value', errors: ['must be between -1e15 and 1e15'] },
      { field: 'samples[1].value', errors: ['must be between -1e15 and 1e15'] },
    ]);
    await app.http.post('/signals/metrics').set(bearer(operator)).send({ sample: [] }).expect(400);
    const tooMany = await send(Array.from({ length: 301 }, () => ({ metric: 'latency_ms', value: 1 }))).expect(413);
    expect(tooMany.body.message).toMatch(/301 samples/);
    expect(await count()).toBe(before);
  });

  /** A day and more of steady hourly latency, then three breaching hours, from `start` on. */
  const regressionFrom = (start: number, agentId: string) =>
    Array.from({ length: 33 }, (_, i) => ({
      metric: 'latency_ms',
      agentId,
      value: i < 30 ? 100 : 300,
      at: new Date(start + i * HOUR).toISOString(),
    }));
  const stateOf = async (tenant: string) =>
    (
      await app.sql(
        `SELECT (SELECT count(*)::int FROM signal_samples WHERE tenant_id = $1) AS samples,
                (SELECT count(*)::int FROM signal_symptoms WHERE tenant_id = $1) AS symptoms,
                (SELECT count(*)::int FROM signal_escalations WHERE tenant_id = $1) AS escalations,
                (SELECT count(*)::int FROM incidents WHERE tenant_id = $1 AND source = 'degradation') AS incidents`,
        [tenant],
      )
    )[0];

  it('refuses with 400 samples older than retentionDays, the whole batch, storing nothing and reporting no incident', async () => {
    // Judged, they would arm an escalation whose incident is dated now and whose evidence the same
    // request's prune deletes: an open incident today for a regression 40 days ago.
    const tenant = 'old-backfill';
    const operatorOf = await app.keyFor(tenant, 'operator');
    const post = (samples: unknown[]) => app.http.post('/signals/metrics').set(bearer(operatorOf)).send({ samples });
    const hourAgo = (days: number) => Math.floor((Date.now() - days * 24 * HOUR) / HOUR) * HOUR;
    const old = await post(regressionFrom(hourAgo(40), 'old-agent')).expect(400);
    expect(old.body.fields).toHaveLength(33);
    expect(old.body.fields[0]).toEqual({
      field: 'samples[0].at',
      errors: ["must not be older than the tenant's retentionDays (30 days): older samples are pruned"],
    });
    // One old sample in a batch of recent ones: the batch is refused, as any bad sample refuses it.
    const mixed = regressionFrom(hourAgo(3), 'old-agent');
    mixed.splice(5, 0, {
      metric: 'latency_ms',
      agentId: 'old-agent',
      value: 100,
      at: new Date(hourAgo(31)).toISOString(),
    });
    const refused = await post(mixed).expect(400);
    expect(refused.body.fields.map((f: { field: string }) => f.field)).toEqual(['samples[5].at']);
    expect(await stateOf(tenant)).toEqual({ samples: 0, symptoms: 0, escalations: 0, incidents: 0 });

    // Within the retention the same back-fill is judged as it happened, and escalates.
    const recent = (await post(regressionFrom(hourAgo(20), 'old-agent')).expect(200)).body;
    expect(recent).toMatchObject({ accepted: 33, pruned: { samples: 0, symptoms: 0 } });
    expect(recent.escalations).toHaveLength(1);
    const [incident] = await app.sql(`SELECT occurred_at FROM incidents WHERE id = $1`, [
      recent.escalations[0].incidentId,
    ]);
    expect(incident.occurred_at.toISOString()).toBe(new Date(hourAgo(20) + 32 * HOUR).toISOString());
  });

  it('arms nothing for a window older than an incident may be (30 days), even when retentionDays keeps it', async () => {
    // An incident reported with an older occurredAt would be re-dated to now: none is reported.
    const tenant = 'long-retention';
    const [adminOf, operatorOf] = [await app.keyFor(tenant, 'admin'), await app.keyFor(tenant, 'operator')];
    await app.http.put('/signals/settings').set(bearer(adminOf)).send({ retentionDays: 60 }).expect(200);
    const start = Math.floor((Date.now() - 40 * 24 * HOUR) / HOUR) * HOUR;
    const res = await app.http
      .post('/signals/metrics')
      .set(bearer(operatorOf))
      .send({ samples: regressionFrom(start, 'old-agent') })
      .expect(200);
    expect(res.body).toMatchObject({ accepted: 33, escalations: [], pruned: { samples: 0, symptoms: 0 } });
    expect(res.body.symptoms).toHaveLength(3); // judged and kept: the retention is the tenant's
    expect(await stateOf(tenant)).toEqual({ samples: 33, symptoms: 3, escalations: 0, incidents: 0 });
    // The answer says which window armed nothing, and why (once, though each of its symptoms judged it).
    const [first, , last] = res.body.symptoms.map((x: { at: string }) => x.at);
    expect(res.body.skippedWindows).toEqual([
      {
        metric: 'latency_ms',
        agentId: 'old-agent',
        capability: null,
        from: first,
        until: last,
        symptoms: 3,
        reason: 'older_than_incident_age',
        oldestAllowed: expect.any(String),
      },
    ]);
    // 30 days before the database's now, when the request judged it.
    const [{ ms }] = await app.sql<{ ms: number }>(
      `SELECT (extract(epoch FROM now() - interval '30 days' - $1::timestamptz) * 1000)::double precision AS ms`,
      [res.body.skippedWindows[0].oldestAllowed],
    );
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(60_000);
    expect(Date.parse(last)).toBeLessThan(Date.parse(res.body.skippedWindows[0].oldestAllowed));
  });

  it('needs an operator to post, keeps tenants apart, and prunes samples older than the retention', async () => {
    await send([{ metric: 'latency_ms', value: 1 }], viewer).expect(403);
    expect((await app.http.get('/signals/symptoms').set(bearer(otherTenant)).expect(200)).body.items).toEqual([]);
    expect((await app.http.get('/signals/escalations').set(bearer(otherTenant)).expect(200)).body.items).toEqual([]);
    await app.http.put('/signals/settings').set(bearer(admin)).send({ retentionDays: 9 }).expect(200);
    const res = await send([{ metric: 'latency_ms', agentId: 'agent-1', value: 100 }]).expect(200);
    expect(res.body.pruned.samples).toBeGreaterThan(0);
    const [oldest] = await app.sql(`SELECT min(at) AS at FROM signal_samples WHERE tenant_id = 'acme'`);
    expect(oldest.at.getTime()).toBeGreaterThanOrEqual(Date.now() - 9 * 24 * HOUR - 60_000);
  });
});
