import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

const LOOP_KINDS = ['incident_created', 'pattern_match', 'recovery', 'policy', 'routing'];
const MESSAGE = 'Upstream call to ledger | svc `v2` timed out after 30000 ms *again*';

/** The cells of a Markdown table row, split on pipes that are not backslash-escaped. */
const cells = (line: string) =>
  line
    .replace(/^\|\s?|\s?\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

describe('incident timeline and evidence export (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let operator: string;
  let viewer: string;
  let admin: string;
  let stranger: string;
  let incidentId: string;
  let loop: any;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    app = await startTestApp();
    operator = await app.keyFor('tl', 'operator');
    viewer = await app.keyFor('tl', 'viewer');
    admin = await app.keyFor('tl', 'admin');
    stranger = await app.keyFor('tl-other', 'admin');
    const res = await app.http
      .post('/incidents')
      .set(auth(operator))
      .send({
        errorType: 'timeout',
        message: MESSAGE,
        agentId: 'agent-tl1',
        capability: 'reconcile',
        severity: 'high',
        context: { region: 'eu-west-1' },
      })
      .expect(201);
    incidentId = res.body.id;
    loop = await eventually(async () => {
      const status = (await app.http.get(`/integration/loop/${incidentId}`).set(auth(operator)).expect(200)).body;
      return status.isComplete ? status : null;
    }, 'the loop to complete');
  });
  afterAll(() => app.stop());

  it('lists creation, pattern match, recovery, policy and routing, in time order', async () => {
    const res = await app.http.get(`/incidents/${incidentId}/timeline`).set(auth(viewer)).expect(200);
    expect(res.body).toMatchObject({
      incidentId,
      policyId: loop.details.policy_generated.policyId,
      truncated: false,
      evaluationLimit: 500,
    });
    const items = res.body.items as Array<{
      at: string;
      kind: string;
      summary: string;
      details: Record<string, unknown>;
    }>;
    expect(items.map((i) => i.kind)).toEqual(LOOP_KINDS);
    for (let n = 1; n < items.length; n++)
      expect(Date.parse(items[n].at)).toBeGreaterThanOrEqual(Date.parse(items[n - 1].at));
    expect(items[0]).toMatchObject({
      summary: expect.stringContaining('incident reported'),
      details: { errorType: 'timeout', agentId: 'agent-tl1', capability: 'reconcile' },
    });
    expect(items[1].details).toMatchObject({ patternId: loop.details.pattern_matched.patternId });
    expect(items[2].details).toMatchObject({ recoveryId: loop.details.recovery_suggested.recoveryId });
    expect(items[3].details).toMatchObject({ policyId: loop.details.policy_generated.policyId });
    expect(items[4].details).toMatchObject({ policyId: loop.details.policy_generated.policyId });
  });

  it('adds later policy evaluations that matched the incident policy, and only those', async () => {
    const matching = await app.http
      .post('/policies/evaluate')
      .set(auth(admin))
      .send({ agentId: 'agent-tl1', capability: 'reconcile' });
    expect([200, 201]).toContain(matching.status);
    expect(matching.body.matched.map((m: { policyId: string }) => m.policyId)).toContain(
      loop.details.policy_generated.policyId,
    );
    const other = await app.http
      .post('/policies/evaluate')
      .set(auth(admin))
      .send({ agentId: 'agent-unrelated', capability: 'reconcile' });
    expect(other.body.matched.map((m: { policyId: string }) => m.policyId)).not.toContain(
      loop.details.policy_generated.policyId,
    );

    const items = (await app.http.get(`/incidents/${incidentId}/timeline`).set(auth(viewer)).expect(200)).body.items;
    const evaluations = items.filter((i: { kind: string }) => i.kind === 'evaluation');
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]).toMatchObject({
      details: {
        evaluationId: matching.body.evaluationId,
        agentId: 'agent-tl1',
        capability: 'reconcile',
        policyId: loop.details.policy_generated.policyId,
      },
    });
    expect(items[items.length - 1].kind).toBe('evaluation');
    expect(items.slice(0, 5).map((i: { kind: string }) => i.kind)).toEqual(LOOP_KINDS);
  });

  it('exports the evidence as JSON', async () => {
    const res = await app.http.get(`/incidents/${incidentId}/evidence`).set(auth(viewer)).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const e = res.body;
    expect(Date.parse(e.generatedAt)).not.toBeNaN();
    expect(e.incident).toMatchObject({
      id: incidentId,
      message: MESSAGE,
      severity: 'high',
      matchedPatternId: loop.details.pattern_matched.patternId,
    });
    expect(e.loop).toMatchObject({ incidentId, isComplete: true, state: 'complete', completedAt: loop.completedAt });
    expect(e.pattern).toMatchObject({
      id: loop.details.pattern_matched.patternId,
      errorType: 'timeout',
      occurrenceCount: 1,
    });
    expect(e.policy).toMatchObject({ id: loop.details.policy_generated.policyId, sourcePatternId: e.pattern.id });
    expect(e.policy.condition).toContain('agent-tl1');
    expect(e.timeline).toMatchObject({ incidentId, policyId: e.policy.id, truncated: false });
    expect(e.timeline.items.slice(0, 5).map((i: { kind: string }) => i.kind)).toEqual(LOOP_KINDS);
    expect(
      (await app.http.get(`/incidents/${incidentId}/evidence`).query({ format: 'json' }).set(auth(viewer)).expect(200))
        .body.incident.id,
    ).toBe(incidentId);
  });

  it('exports the evidence as a Markdown attachment for a post-incident review', async () => {
    const res = await app.http
      .get(`/incidents/${incidentId}/evidence`)
      .query({ format: 'md' })
      .set(auth(viewer))
      .expect(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="incident-${incidentId}.md"`);
    const md: string = res.text;
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^# Incident report: /);
    for (const heading of ['## Summary', '## Loop stages', '## Policy', '## Timeline'])
      expect(lines).toContain(heading);
    expect(md.indexOf('## Summary')).toBeLessThan(md.indexOf('## Loop stages'));
    expect(md.indexOf('## Policy')).toBeLessThan(md.indexOf('## Timeline'));

    // The message's | and backticks are escaped: its row still has exactly two cells.
    const messageRow = lines.find((l) => l.startsWith('| Message |'))!;
    expect(messageRow).toContain('ledger \\| svc \\`v2\\` timed out after 30000 ms \\*again\\*');
    expect(cells(messageRow)).toHaveLength(2);
    expect(lines).toContain(`| Incident ID | \`${incidentId}\` |`);
    expect(lines).toContain('| Severity | high |');
    expect(lines).toContain('| Agent | agent-tl1 |');
    expect(lines).toContain('| Capability | reconcile |');
    expect(lines).toContain('| Error type | timeout |');
    expect(lines).toContain('| Pattern occurrences | 1 |');
    expect(lines.find((l) => l.startsWith('| Pattern |'))).toContain(loop.details.pattern_matched.patternId);
    expect(lines.find((l) => l.startsWith('| Loop state |'))).toContain('complete');
    expect(lines.find((l) => l.startsWith('| Loop completed at |'))).toContain(loop.completedAt);
    // Every row of every table has as many cells as its header.
    let width = 0;
    for (const [n, line] of lines.entries()) {
      if (!line.startsWith('|')) {
        width = 0;
        continue;
      }
      if (width === 0) width = cells(line).length;
      else expect([n, cells(line).length]).toEqual([n, width]);
    }

    const stageRows = lines.filter((l) => /^\| \d \| `\w+` \| completed \|/.test(l));
    expect(stageRows.map((l) => cells(l)[1])).toEqual([
      '`incident_created`',
      '`pattern_matched`',
      '`recovery_suggested`',
      '`policy_generated`',
      '`routing_adjusted`',
    ]);

    const policy = (
      await app.http.get(`/policies/${loop.details.policy_generated.policyId}`).set(auth(viewer)).expect(200)
    ).body;
    expect(lines).toContain(`| Action | ${policy.action.replace(/_/g, '\\_')} |`);
    expect(lines.find((l) => l.startsWith('| Name |'))).toBeDefined();
    expect(md).toContain(`\`\`\`cel\n${policy.condition}\n\`\`\``);

    const timelineStart = lines.indexOf('## Timeline');
    const timelineRows = lines
      .slice(timelineStart)
      .filter((l) => /^\| \d+ \|/.test(l))
      .map(cells);
    expect(timelineRows.slice(0, 5).map((c) => c[2])).toEqual(LOOP_KINDS.map((k) => `\`${k}\``));
    for (let n = 1; n < timelineRows.length; n++) {
      expect(Date.parse(timelineRows[n][1])).toBeGreaterThanOrEqual(Date.parse(timelineRows[n - 1][1]));
    }
  });

  it("answers 404 for another tenant's or an unknown incident, 400 for a bad id or format", async () => {
    for (const path of ['timeline', 'evidence', 'evidence?format=md']) {
      await app.http.get(`/incidents/${incidentId}/${path}`).set(auth(stranger)).expect(404);
      await app.http.get(`/incidents/00000000-0000-4000-8000-000000000000/${path}`).set(auth(viewer)).expect(404);
      await app.http.get(`/incidents/not-a-uuid/${path}`).set(auth(viewer)).expect(400);
    }
    const badFormat = await app.http
      .get(`/incidents/${incidentId}/evidence`)
      .query({ format: 'pdf' })
      .set(auth(viewer))
      .expect(400);
    expect(badFormat.body.fields.map((f: { field: string }) => f.field)).toEqual(['format']);
    await app.http.get(`/incidents/${incidentId}/evidence`).query({ format: 'MD' }).set(auth(viewer)).expect(400);
    await app.http.get(`/incidents/${incidentId}/timeline`).expect(401);
  });

  it('lists only the newest 500 matching evaluations and says older ones were left out', async () => {
    const policyId = loop.details.policy_generated.policyId;
    const base = Date.now() + 60_000; // after the evaluation of the test before
    await app.sql(
      `INSERT INTO policy_evaluations (id, tenant_id, agent_id, decision, matched, matched_policy_ids, created_at)
       SELECT gen_random_uuid(), 'tl', 'agent-tl1', 'warn', '[]', ARRAY[$1::uuid], to_timestamp(($2::bigint + n * 1000) / 1000.0)
         FROM generate_series(1, 505) AS n`,
      [policyId, base],
    );
    const timeline = (await app.http.get(`/incidents/${incidentId}/timeline`).set(auth(viewer)).expect(200)).body;
    expect(timeline.truncated).toBe(true);
    const evaluations = timeline.items.filter((i: { kind: string }) => i.kind === 'evaluation');
    expect(evaluations).toHaveLength(500);
    // The newest 500 in time order: the six oldest of 506 (one from the test before) are left out.
    expect(evaluations[0].at).toBe(new Date(base + 6 * 1000).toISOString());
    expect(evaluations[499].at).toBe(new Date(base + 505 * 1000).toISOString());
    expect(timeline.items.slice(0, 5).map((i: { kind: string }) => i.kind)).toEqual(LOOP_KINDS);
    // The evidence export, the one list in it that is cut, says so in both forms.
    const e = (await app.http.get(`/incidents/${incidentId}/evidence`).set(auth(viewer)).expect(200)).body;
    expect(e.timeline).toMatchObject({ truncated: true, evaluationLimit: 500 });
    const md = (
      await app.http.get(`/incidents/${incidentId}/evidence`).query({ format: 'md' }).set(auth(viewer)).expect(200)
    ).text;
    expect(md).toContain('_Only the newest 500 matching policy evaluations are listed._');
  });

  it("lists every one of the incident's recoveries in its evidence, more than a page of them, oldest first", async () => {
    const first = loop.details.recovery_suggested.recoveryId;
    // 120 more, each newer than the first (copies of it, decided): past the 100 a page of recoveries holds.
    await app.sql(
      `INSERT INTO recovery_candidates
       SELECT (jsonb_populate_record(r, jsonb_build_object('id', gen_random_uuid(), 'status', 'rejected',
               'decided_by', 'an operator', 'decided_at', r.created_at + make_interval(secs => i),
               'created_at', r.created_at + make_interval(secs => i)))).*
         FROM recovery_candidates r, generate_series(1, 120) i WHERE r.id = $1`,
      [first],
    );
    const ids = (
      await app.sql<{ id: string }>(
        `SELECT id FROM recovery_candidates WHERE source_incident_id = $1 ORDER BY created_at, id`,
        [incidentId],
      )
    ).map((r) => r.id);
    expect(ids).toHaveLength(121);

    const e = (await app.http.get(`/incidents/${incidentId}/evidence`).set(auth(viewer)).expect(200)).body;
    expect(e.recoveries.map((r: { id: string }) => r.id)).toEqual(ids);
    expect(e.recoveries[0].id).toBe(first);
    // The loop's recovery stage is the first recovery, and says where that one stands now.
    const current = (await app.http.get(`/recoveries/${first}`).set(auth(viewer)).expect(200)).body;
    expect(e.loop.details.recovery_suggested).toMatchObject({ recoveryId: first, status: current.status });

    const md: string = (
      await app.http.get(`/incidents/${incidentId}/evidence`).query({ format: 'md' }).set(auth(viewer)).expect(200)
    ).text;
    const section = md.slice(md.indexOf('## Recoveries'), md.indexOf('## Recovery runs'));
    const rows = section.split('\n').filter((l) => /^\| `/.test(l));
    expect(rows.map((l) => cells(l)[0])).toEqual(ids.map((id) => `\`${id}\``));
  });
});
