import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alertmanagerEnvelope } from '../simulation/alertmanager.js';
import { UnmatchedResolutionsPruner } from '../src/intake/alertmanager/unmatched-resolutions.pruner.js';
import { counterValue } from './support/metrics.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** The receiver over HTTP with hand-built version 4 payloads; test/alertmanager-real.test.ts drives it from a real Alertmanager. */
describe('POST /intake/alertmanager', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let admin: string;
  let otherTenant: string;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  let seq = 0;
  /** When the alerts started: an hour ago (an incident's occurredAt must be recent, DESIGN §8). */
  const startsAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000).toISOString();
  const alert = (
    over: {
      status?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      fingerprint?: string;
      endsAt?: string;
    } = {},
  ) => ({
    status: over.status ?? 'firing',
    labels: over.labels ?? { alertname: 'HighLatency', service: 'checkout', capability: 'pay', severity: 'critical' },
    annotations: over.annotations ?? {
      summary: 'p99 latency over 2 s',
      description: 'checkout p99 is 2.4 s for 10 minutes',
    },
    startsAt,
    endsAt: over.endsAt ?? '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
    fingerprint: over.fingerprint ?? `fp-${++seq}`,
  });
  const payload = (alerts: unknown[], status: 'firing' | 'resolved' = 'firing') =>
    alertmanagerEnvelope(alerts, status, '{}:{alertname="HighLatency"}');
  const post = (body: unknown, key = operator) =>
    app.http
      .post('/intake/alertmanager')
      .set(bearer(key))
      .send(body as object);
  const incidentCount = async (tenant = 'acme') =>
    Number((await app.sql(`SELECT count(*) AS n FROM incidents WHERE tenant_id = $1`, [tenant]))[0].n);

  beforeAll(async () => {
    app = await startTestApp({ INTAKE_MAX_BATCH: '50' });
    operator = await app.keyFor('acme', 'operator');
    viewer = await app.keyFor('acme', 'viewer');
    admin = await app.keyFor('acme', 'admin');
    otherTenant = await app.keyFor('globex', 'operator');
  });
  afterAll(() => app.stop());

  it('turns a firing alert into an incident from alertmanager, with agent, capability and severity from its labels', async () => {
    const fired = alert();
    const res = await post(payload([fired])).expect(200);
    expect(res.body).toMatchObject({ created: 1, deduplicated: 0, resolved: 0 });
    const incident = (await app.http.get(`/incidents/${res.body.alerts[0].incidentId}`).set(bearer(viewer)).expect(200))
      .body;
    expect(incident).toMatchObject({
      source: 'alertmanager',
      fingerprint: fired.fingerprint,
      repeatCount: 1,
      errorType: 'highlatency',
      message: 'p99 latency over 2 s — checkout p99 is 2.4 s for 10 minutes',
      agentId: 'checkout',
      capability: 'pay',
      severity: 'critical',
      occurredAt: startsAt,
      status: 'open',
    });
    expect(incident.context.alertmanager).toMatchObject({
      receiver: 'pillar-loop',
      externalURL: 'http://alertmanager:9093',
    });
    await eventually(
      async () => (await app.http.get(`/integration/loop/${incident.id}`).set(bearer(viewer))).body.isComplete,
      "the alert's loop to complete",
    );
    const timeline = (await app.http.get(`/incidents/${incident.id}/timeline`).set(bearer(viewer)).expect(200)).body;
    expect(timeline.items[0]).toMatchObject({
      kind: 'incident_created',
      details: { source: 'alertmanager', fingerprint: fired.fingerprint },
    });
    expect(timeline.items[0].summary).toMatch(/reported by alertmanager/);
    const evidence = await app.http.get(`/incidents/${incident.id}/evidence`).set(bearer(viewer)).expect(200);
    expect(evidence.body.incident).toMatchObject({ source: 'alertmanager', fingerprint: fired.fingerprint });
    const markdown = await app.http.get(`/incidents/${incident.id}/evidence?format=md`).set(bearer(viewer)).expect(200);
    expect(markdown.text).toContain(`alertmanager (fingerprint ${fired.fingerprint}`);
  });

  it("deduplicates a repeat of an open incident's fingerprint: repeatCount and lastSeenAt, no second incident, no second loop", async () => {
    const fired = alert();
    const first = (await post(payload([fired])).expect(200)).body.alerts[0].incidentId;
    const loopStarts = async () =>
      Number(
        (
          await app.sql(
            `SELECT count(*) AS n FROM outbox_events WHERE incident_id = $1 AND event_type = 'IncidentCreated'`,
            [first],
          )
        )[0].n,
      );
    const startsBefore = await loopStarts();
    expect(startsBefore).toBeGreaterThan(0);
    const again = await post(payload([fired, { ...fired }])).expect(200);
    expect(again.body).toMatchObject({ created: 0, deduplicated: 2 });
    expect(again.body.alerts.map((a: { incidentId: string }) => a.incidentId)).toEqual([first, first]);
    const incident = (await app.http.get(`/incidents/${first}`).set(bearer(viewer)).expect(200)).body;
    expect(incident.repeatCount).toBe(3);
    expect(Date.parse(incident.lastSeenAt)).not.toBeNaN();
    const rows = await app.sql(`SELECT id FROM incidents WHERE tenant_id = 'acme' AND fingerprint = $1`, [
      fired.fingerprint,
    ]);
    expect(rows).toHaveLength(1);
    expect(await loopStarts()).toBe(startsBefore);
  });

  it('deduplicates within one payload too: one new fingerprint twice is one incident', async () => {
    const fired = alert();
    const res = await post(payload([fired, { ...fired }])).expect(200);
    expect(res.body).toMatchObject({ created: 1, deduplicated: 1 });
    const [row] = await app.sql(`SELECT repeat_count FROM incidents WHERE tenant_id = 'acme' AND fingerprint = $1`, [
      fired.fingerprint,
    ]);
    expect(row.repeat_count).toBe(2);
  });

  it('opens one incident when two deliveries of one new alert arrive at once', async () => {
    const fired = alert();
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(payload([fired])).expect(200)));
    expect(answers.map((a) => a.body.created).sort()).toEqual([0, 0, 0, 1]);
    const rows = await app.sql(`SELECT repeat_count FROM incidents WHERE tenant_id = 'acme' AND fingerprint = $1`, [
      fired.fingerprint,
    ]);
    expect(rows).toEqual([{ repeat_count: 4 }]);
  });

  it('resolves the incident of a resolved alert as monitoring; after that the fingerprint opens a new incident', async () => {
    const fired = alert();
    const id = (await post(payload([fired])).expect(200)).body.alerts[0].incidentId;
    const resolved = await post(
      payload([{ ...fired, status: 'resolved', endsAt: new Date().toISOString() }], 'resolved'),
    ).expect(200);
    expect(resolved.body).toMatchObject({ created: 0, deduplicated: 0, resolved: 1 });
    const incident = (await app.http.get(`/incidents/${id}`).set(bearer(viewer)).expect(200)).body;
    expect(incident).toMatchObject({ status: 'resolved', resolvedBy: 'monitoring' });
    const timeline = (await app.http.get(`/incidents/${id}/timeline`).set(bearer(viewer)).expect(200)).body;
    expect(
      timeline.items.some(
        (i: { kind: string; summary: string }) => i.kind === 'lifecycle' && /resolved by monitoring/.test(i.summary),
      ),
    ).toBe(true);
    const again = await post(payload([{ ...fired, status: 'resolved' }], 'resolved')).expect(200);
    expect(again.body).toMatchObject({ resolved: 0, unmatched: 1 });
    // Firing again is a new firing: Alertmanager gives it a new startsAt.
    const refired = await post(payload([{ ...fired, startsAt: new Date().toISOString() }])).expect(200);
    expect(refired.body.created).toBe(1);
    expect(refired.body.alerts[0].incidentId).not.toBe(id);
  });

  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
  /** An alert that fired and was resolved, its end at `until` (monitoring's clock). */
  const fireAndResolve = async (fired = alert(), until = new Date().toISOString()) => {
    const id = (await post(payload([fired])).expect(200)).body.alerts[0].incidentId as string;
    await post(payload([{ ...fired, status: 'resolved', endsAt: until }], 'resolved')).expect(200);
    return { fired, id };
  };

  it("leaves an incident open when a resolution of the alert's earlier firing comes late (it ended before this firing began)", async () => {
    const first = { ...alert(), startsAt: minutesAgo(5) };
    const firstEnd = minutesAgo(3);
    await fireAndResolve(first, firstEnd);
    const next = { ...first, startsAt: minutesAgo(1) };
    const id = (await post(payload([next])).expect(200)).body.alerts[0].incidentId;
    const late = await post(payload([{ ...first, status: 'resolved', endsAt: firstEnd }], 'resolved')).expect(200);
    expect(late.body).toMatchObject({ resolved: 0, stale: 1 });
    expect(late.body.alerts[0]).toMatchObject({ outcome: 'stale', incidentId: id });
    expect((await app.http.get(`/incidents/${id}`).set(bearer(viewer)).expect(200)).body.status).toBe('open');
    // Its own resolution, and one with Alertmanager's zero end, resolve it.
    const own = await post(payload([{ ...next, status: 'resolved', endsAt: new Date().toISOString() }], 'resolved'));
    expect(own.body).toMatchObject({ resolved: 1, stale: 0 });
    const zero = alert();
    await post(payload([zero])).expect(200);
    const zeroEnd = await post(payload([{ ...zero, status: 'resolved', endsAt: '0001-01-01T00:00:00Z' }], 'resolved'));
    expect(zeroEnd.body).toMatchObject({ resolved: 1, stale: 0 });
  });

  describe('a late copy of a firing monitoring has resolved (an HA pair, a retried notification)', () => {
    const incidentCountOf = async (fingerprint: string) =>
      (await app.sql(`SELECT id FROM incidents WHERE tenant_id = 'acme' AND fingerprint = $1`, [fingerprint])).length;
    const setLateCopySeconds = (lateCopySeconds: number) =>
      app.http.put('/signals/settings').set(bearer(admin)).send({ alertmanager: { lateCopySeconds } }).expect(200);
    beforeAll(() => setLateCopySeconds(60));
    afterAll(() => setLateCopySeconds(0));

    it('is off by default: a late copy opens an incident, as any firing without an unresolved one', async () => {
      const fresh = await app.keyFor('acme-defaults', 'operator');
      const fired = alert();
      await post(payload([fired]), fresh).expect(200);
      await post(
        payload([{ ...fired, status: 'resolved', endsAt: new Date().toISOString() }], 'resolved'),
        fresh,
      ).expect(200);
      expect((await post(payload([fired]), fresh).expect(200)).body).toMatchObject({ created: 1, stale: 0 });
    });

    it('opens no incident: the copy is counted stale, naming the resolved incident, and logged in a metric', async () => {
      const staleBefore = await counterValue(app, 'intake_alerts_stale_total');
      const { fired, id } = await fireAndResolve();
      // The other Alertmanager writes the same instant its own way.
      const copy = { ...fired, startsAt: fired.startsAt.replace('.000Z', 'Z') };
      const res = await post(payload([copy])).expect(200);
      expect(res.body).toMatchObject({ created: 0, deduplicated: 0, stale: 1 });
      expect(res.body.alerts).toEqual([
        { fingerprint: fired.fingerprint, alertname: fired.labels.alertname, outcome: 'stale', incidentId: id },
      ]);
      expect(await incidentCountOf(fired.fingerprint)).toBe(1);
      expect((await app.http.get(`/incidents/${id}`).set(bearer(viewer)).expect(200)).body.status).toBe('resolved');
      expect(await counterValue(app, 'intake_alerts_stale_total')).toBe(staleBefore + 1);
      // The alert's next firing starts after it ended: a new incident, not a repeat of one left open by the copy.
      const next = await post(payload([{ ...fired, startsAt: new Date().toISOString() }])).expect(200);
      expect(next.body).toMatchObject({ created: 1, stale: 0 });
      expect(await incidentCountOf(fired.fingerprint)).toBe(2);
    });

    it('judges by the last resolution: a copy of an earlier firing, or of a repeat, is stale too', async () => {
      // The alert flaps: fired and resolved twice; a copy of its first firing comes last.
      const first = alert();
      await fireAndResolve(first, minutesAgo(3));
      const second = { ...first, startsAt: minutesAgo(2) };
      await fireAndResolve(second, minutesAgo(1));
      // The second firing's copy is stale by the last resolution only (the first ended before it started).
      expect((await post(payload([second])).expect(200)).body).toMatchObject({ created: 0, stale: 1 });
      expect((await post(payload([first])).expect(200)).body).toMatchObject({ created: 0, stale: 1 });
      // Its resolution was lost: the next firing counted as a repeat of the open incident, then resolved.
      const lost = alert();
      await post(payload([lost])).expect(200);
      const repeat = { ...lost, startsAt: minutesAgo(2) };
      expect((await post(payload([repeat])).expect(200)).body).toMatchObject({ deduplicated: 1 });
      await post(payload([{ ...repeat, status: 'resolved', endsAt: minutesAgo(1) }], 'resolved')).expect(200);
      expect((await post(payload([repeat])).expect(200)).body).toMatchObject({ created: 0, stale: 1 });
    });

    it('judges by when the alert ended, not when its resolution arrived, and each fingerprint of a payload by its own', async () => {
      // Ended 1 min ago, resolution delivered now: a firing that started 30 s ago is a new one.
      const ended = alert();
      await fireAndResolve(ended, minutesAgo(1));
      const other = alert();
      await fireAndResolve(other);
      const res = await post(payload([{ ...ended, startsAt: minutesAgo(0.5) }, other])).expect(200);
      expect(res.body).toMatchObject({ created: 1, stale: 1 });
      expect(res.body.alerts.map((a: { outcome: string }) => a.outcome)).toEqual(['created', 'stale']);
    });

    it("is no repeat of the incident the alert's next firing opened", async () => {
      const { fired } = await fireAndResolve(alert(), minutesAgo(1));
      const next = { ...fired, startsAt: new Date().toISOString() };
      const opened = (await post(payload([next])).expect(200)).body.alerts[0].incidentId;
      expect((await post(payload([fired])).expect(200)).body).toMatchObject({ deduplicated: 0, stale: 1 });
      expect((await post(payload([next])).expect(200)).body).toMatchObject({ deduplicated: 1, stale: 0 });
      const [row] = await app.sql(`SELECT repeat_count FROM incidents WHERE id = $1`, [opened]);
      expect(row.repeat_count).toBe(2);
    });

    it('opens an incident once lateCopySeconds have passed (the alert still fires), or with the check turned off', async () => {
      const { fired, id } = await fireAndResolve();
      await app.sql(`UPDATE incidents SET resolved_at = now() - interval '61 seconds' WHERE id = $1`, [id]);
      expect((await post(payload([fired])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });

      await setLateCopySeconds(0);
      try {
        const other = await fireAndResolve();
        expect((await post(payload([other.fired])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });
      } finally {
        await setLateCopySeconds(60);
      }
      const refused = await app.http
        .put('/signals/settings')
        .set(bearer(admin))
        .send({ alertmanager: { lateCopySeconds: -1 } })
        .expect(400);
      expect(refused.body.fields.map((f: { field: string }) => f.field)).toEqual(['alertmanager.lateCopySeconds']);
    });

    it("opens an incident for Alertmanager's zero times, an operator's resolution, and a firing that resolves it in the same payload", async () => {
      const zeroStart = { ...alert(), startsAt: '0001-01-01T00:00:00Z' };
      await fireAndResolve(zeroStart);
      expect((await post(payload([zeroStart])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });
      const zeroEnd = alert();
      await fireAndResolve(zeroEnd, '0001-01-01T00:00:00Z');
      expect((await post(payload([zeroEnd])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });

      // Monitoring resolved the first firing; the next one's incident an operator resolved: the last
      // resolution by monitoring is still the first's, and a copy of the next firing is no copy of it.
      const { fired } = await fireAndResolve(alert(), minutesAgo(2));
      const next = { ...fired, startsAt: minutesAgo(1) };
      const id = (await post(payload([next])).expect(200)).body.alerts[0].incidentId;
      await app.http.post(`/incidents/${id}/resolve`).set(bearer(operator)).send({}).expect(200);
      expect((await post(payload([next])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });
      expect((await post(payload([fired])).expect(200)).body).toMatchObject({ stale: 1 });

      // A payload with both states of one firing: the firing one is the newer news.
      const { fired: both } = await fireAndResolve();
      const res = await post(payload([{ ...both, status: 'resolved' }, both])).expect(200);
      expect(res.body).toMatchObject({ unmatched: 1, created: 1, stale: 0 });
    });

    describe('a resolution that came before its firing (an HA pair flips the order)', () => {
      const unmatchedRows = (tenant: string, fingerprint: string) =>
        app.sql(
          `SELECT starts_at, ends_at FROM unmatched_alert_resolutions WHERE tenant_id = $1 AND fingerprint = $2`,
          [tenant, fingerprint],
        );
      const resolveFirst = (fired: ReturnType<typeof alert>, endsAt = minutesAgo(1), key = operator) =>
        post(payload([{ ...fired, status: 'resolved', endsAt }], 'resolved'), key).expect(200);

      it('opens no incident for the late firing: stale, naming none, and the next episode opens a new incident', async () => {
        const fired = alert();
        // Both members of the pair deliver the resolution at once: one row.
        const endsAt = minutesAgo(1);
        const first = await Promise.all([resolveFirst(fired, endsAt), resolveFirst(fired, endsAt)]);
        for (const res of first) expect(res.body).toMatchObject({ unmatched: 1, stale: 0 });
        expect(await unmatchedRows('acme', fired.fingerprint)).toHaveLength(1);

        const staleBefore = await counterValue(app, 'intake_alerts_stale_total');
        const late = await post(payload([fired])).expect(200);
        expect(late.body).toMatchObject({ created: 0, deduplicated: 0, stale: 1 });
        expect(late.body.alerts).toEqual([
          { fingerprint: fired.fingerprint, alertname: fired.labels.alertname, outcome: 'stale', incidentId: null },
        ]);
        expect(await counterValue(app, 'intake_alerts_stale_total')).toBe(staleBefore + 1);
        expect(await incidentCountOf(fired.fingerprint)).toBe(0);

        // The alert's next episode starts after the end: a new incident, and its repeats count on it.
        const next = { ...fired, startsAt: new Date().toISOString() };
        expect((await post(payload([next])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });
        expect((await post(payload([next])).expect(200)).body).toMatchObject({ deduplicated: 1, stale: 0 });
        // The first episode's firing, later still, is no repeat of it.
        expect((await post(payload([fired])).expect(200)).body).toMatchObject({ deduplicated: 0, stale: 1 });
        expect(await incidentCountOf(fired.fingerprint)).toBe(1);
      });

      it("is the tenant's own, counts for lateCopySeconds, is kept only with the check on, and is pruned", async () => {
        const fired = alert();
        await resolveFirst(fired);
        // Another tenant with the check on: the same fingerprint is its own alert.
        const otherAdmin = await app.keyFor('acme-peer', 'admin');
        const otherOperator = await app.keyFor('acme-peer', 'operator');
        await app.http
          .put('/signals/settings')
          .set(bearer(otherAdmin))
          .send({ alertmanager: { lateCopySeconds: 60 } })
          .expect(200);
        expect((await post(payload([fired]), otherOperator).expect(200)).body).toMatchObject({ created: 1, stale: 0 });

        // Received longer ago than the window: it judges nothing, the alert still fires.
        await app.sql(
          `UPDATE unmatched_alert_resolutions SET received_at = now() - interval '61 seconds' WHERE tenant_id = 'acme' AND fingerprint = $1`,
          [fired.fingerprint],
        );
        expect((await post(payload([fired])).expect(200)).body).toMatchObject({ created: 1, stale: 0 });

        // With the check off nothing is kept.
        await setLateCopySeconds(0);
        const unkept = alert();
        try {
          await resolveFirst(unkept);
        } finally {
          await setLateCopySeconds(60);
        }
        expect(await unmatchedRows('acme', unkept.fingerprint)).toEqual([]);

        // The pruner deletes rows older than the longest window (600 s), and keeps the rest.
        const recent = alert();
        await resolveFirst(recent);
        await app.sql(
          `UPDATE unmatched_alert_resolutions SET received_at = now() - interval '601 seconds' WHERE tenant_id = 'acme' AND fingerprint = $1`,
          [fired.fingerprint],
        );
        expect(await app.app.get(UnmatchedResolutionsPruner).pruneAll()).toBeGreaterThanOrEqual(1);
        expect(await unmatchedRows('acme', fired.fingerprint)).toEqual([]);
        expect(await unmatchedRows('acme', recent.fingerprint)).toHaveLength(1);
      });

      it("keeps nothing without both of the alert's times, and such a firing opens its incident", async () => {
        const zeroStart = { ...alert(), startsAt: '0001-01-01T00:00:00Z' };
        await resolveFirst(zeroStart);
        const zeroEnd = alert();
        await resolveFirst(zeroEnd, '0001-01-01T00:00:00Z');
        expect(await unmatchedRows('acme', zeroStart.fingerprint)).toEqual([]);
        expect(await unmatchedRows('acme', zeroEnd.fingerprint)).toEqual([]);
        expect((await post(payload([zeroStart, zeroEnd])).expect(200)).body).toMatchObject({ created: 2, stale: 0 });
      });
    });
  });

  it("takes Grafana's webhook contact point too: its payload is version 1, with fields of its own", async () => {
    const grafana = {
      ...payload([{ ...alert(), silenceURL: 'https://grafana.example/alerting/silence/new', values: { B: 44.2 } }]),
      version: '1',
      orgId: 1,
      state: 'alerting',
      title: '[FIRING:1] HighLatency',
    };
    const res = await post(grafana).expect(200);
    expect(res.body).toMatchObject({ created: 1, deduplicated: 0, resolved: 0 });
    const refused = await post({ ...grafana, version: '2' }).expect(400);
    expect(refused.body.fields).toEqual([
      {
        field: 'version',
        errors: [`must be "4" (Alertmanager's webhook payload version) or "1" (Grafana's), got "2"`],
      },
    ]);
  });

  it('refuses a bad alert on its own and takes the rest of its group; a bad envelope, or no valid alert, is a 400 writing nothing', async () => {
    // Alertmanager does not retry a 4xx and re-sends the same group on every flush: refusing the
    // whole payload would keep the good alert out for good.
    const before = await incidentCount();
    const rejectedBefore = await counterValue(app, 'intake_alerts_rejected_total');
    const good = alert();
    const mixed = await post(payload([alert({ labels: { service: 'checkout' } }), good])).expect(200);
    expect(mixed.body).toMatchObject({
      created: 1,
      rejected: 1,
      rejectedAlerts: [{ index: 0, fields: [{ field: 'alerts[0].labels.alertname' }] }],
      alerts: [{ fingerprint: good.fingerprint, outcome: 'created' }],
    });
    expect(await incidentCount()).toBe(before + 1);
    expect(await counterValue(app, 'intake_alerts_rejected_total')).toBe(rejectedBefore + 1);

    const none = await post(payload([alert({ labels: { service: 'checkout' } }), 'oops'])).expect(400);
    expect(none.body.fields.map((f: { field: string }) => f.field)).toEqual([
      'alerts[0].labels.alertname',
      'alerts[1]',
    ]);
    const bad = await post({ ...payload([alert()]), version: '3', status: 'burning' }).expect(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['status', 'version']);
    await post({ alerts: 'none' }).expect(400);
    await post([]).expect(400);
    expect(await incidentCount()).toBe(before + 1);
  });

  it('refuses on its own an alert with a label or annotation named constructor or prototype, or a NUL in a value', async () => {
    // Valid Prometheus label names: the input guard refused the whole group for them, for as long as the alert fired.
    const before = await incidentCount();
    const good = alert();
    const res = await post(
      payload([
        good,
        alert({ labels: { alertname: 'Odd', constructor: 'x' } }),
        alert({ annotations: { prototype: 'y' } }),
        alert({ labels: { alertname: 'Nul', service: 'check\u0000out' } }),
      ]),
    ).expect(200);
    expect(res.body).toMatchObject({
      created: 1,
      rejected: 3,
      alerts: [{ fingerprint: good.fingerprint, outcome: 'created' }],
    });
    expect(res.body.rejectedAlerts.map((r: any) => [r.index, r.fields.map((f: { field: string }) => f.field)])).toEqual(
      [
        [1, ['alerts[1].labels.constructor']],
        [2, ['alerts[2].annotations.prototype']],
        [3, ['alerts[3].labels.service']],
      ],
    );
    expect(await incidentCount()).toBe(before + 1);
    // In the envelope such a key still refuses the request: every alert of the group has it.
    const envelope = await post({ ...payload([alert()]), commonLabels: { constructor: 'x' } }).expect(400);
    expect(envelope.body.fields.map((f: { field: string }) => f.field)).toEqual(['commonLabels.constructor']);
    expect(await incidentCount()).toBe(before + 1);
  });

  it('answers 413 for more alerts than INTAKE_MAX_BATCH, writing nothing', async () => {
    const before = await incidentCount();
    const res = await post(payload(Array.from({ length: 51 }, () => alert()))).expect(413);
    expect(res.body.message).toMatch(/51 alerts .* limit of 50/);
    expect(await incidentCount()).toBe(before);
  });

  it('needs an operator key, and keeps tenants apart', async () => {
    await app.http
      .post('/intake/alertmanager')
      .send(payload([alert()]))
      .expect(401);
    await post(payload([alert()]), viewer).expect(403);
    const shared = alert();
    const mine = (await post(payload([shared])).expect(200)).body.alerts[0].incidentId;
    const theirs = await post(payload([shared]), otherTenant).expect(200);
    expect(theirs.body.created).toBe(1);
    expect(theirs.body.alerts[0].incidentId).not.toBe(mine);
    await app.http.get(`/incidents/${mine}`).set(bearer(otherTenant)).expect(404);
    // Their resolved alert does not resolve my incident.
    await post(payload([{ ...shared, status: 'resolved' }], 'resolved'), otherTenant).expect(200);
    expect((await app.http.get(`/incidents/${mine}`).set(bearer(viewer))).body.status).toBe('open');
  });

  it('reads agent and capability from the labels the tenant configured, and maps unknown severities to medium', async () => {
    await app.http
      .put('/signals/settings')
      .set(bearer(admin))
      .send({ alertmanager: { agentLabels: ['app'], capabilityLabel: 'feature' } })
      .expect(200);
    const res = await post(
      payload([
        alert({
          labels: { alertname: 'Oops', app: 'search-api', service: 'ignored', feature: 'rank', severity: 'sev-9' },
        }),
      ]),
    ).expect(200);
    const incident = (await app.http.get(`/incidents/${res.body.alerts[0].incidentId}`).set(bearer(viewer))).body;
    expect(incident).toMatchObject({ agentId: 'search-api', capability: 'rank', severity: 'medium' });
    await app.http
      .put('/signals/settings')
      .set(bearer(admin))
      .send({ alertmanager: { agentLabels: ['service', 'job'], capabilityLabel: 'capability' } })
      .expect(200);
    const byJob = await post(payload([alert({ labels: { alertname: 'Down', job: 'node' } })])).expect(200);
    expect(
      (await app.http.get(`/incidents/${byJob.body.alerts[0].incidentId}`).set(bearer(viewer))).body,
    ).toMatchObject({ agentId: 'node', capability: null });
    // A label whose value makes no agent id (nothing but punctuation) is passed over like an empty one.
    const unusable = await post(
      payload([alert({ labels: { alertname: 'Down', service: '***', job: 'worker-7' } })]),
    ).expect(200);
    expect(
      (await app.http.get(`/incidents/${unusable.body.alerts[0].incidentId}`).set(bearer(viewer))).body,
    ).toMatchObject({ agentId: 'worker-7' });
  });

  it('filters incidents by source', async () => {
    await app.http
      .post('/incidents')
      .set(bearer(operator))
      .send({ errorType: 'timeout', message: 'by hand' })
      .expect(201);
    const fromAlerts = (await app.http.get('/incidents?source=alertmanager&limit=200').set(bearer(viewer)).expect(200))
      .body.items;
    expect(fromAlerts.length).toBeGreaterThan(0);
    expect(fromAlerts.every((i: { source: string }) => i.source === 'alertmanager')).toBe(true);
    const fromApi = (await app.http.get('/incidents?source=api').set(bearer(viewer)).expect(200)).body.items;
    expect(fromApi.map((i: { message: string; source: string }) => [i.source, i.message])).toEqual([
      ['api', 'by hand'],
    ]);
    await app.http.get('/incidents?source=carrier-pigeon').set(bearer(viewer)).expect(400);
  });
});
