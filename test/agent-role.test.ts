import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/test-app.js';

const SOME_ID = '0190a0a0-0000-7000-8000-000000000001';
/** The routes a coding agent may call. */
const AGENT_ROUTES = /^\/patches\/work-orders(\/\{id\}(\/(claim|progress|complete|fail))?)?$/;

describe('role agent: work orders only (real HTTP)', () => {
  let app: TestApp;
  let agent: string;
  let routes: Array<{ method: string; path: string }>;

  beforeAll(async () => {
    app = await startTestApp();
    agent = await app.keyFor('agents', 'agent');
    // Every route the app serves, from its own OpenAPI document, so a new route group is covered without editing this test.
    const doc = (await app.http.get('/docs-json').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method, path })));
  });
  afterAll(() => app.stop());

  it('is refused (403) on every route outside the work orders, whatever group it is in', async () => {
    // Public routes need no key at all (health probes, console sign-in/out, an actuator's late step
    // result, which carries its step's callback token instead); an agent's session is checked below.
    const others = routes.filter(
      (r) =>
        !AGENT_ROUTES.test(r.path) &&
        !r.path.startsWith('/health') &&
        r.path !== '/auth/session' &&
        r.path !== '/runs/{id}/steps/{stepId}/result',
    );
    const groups = new Set(others.map((r) => r.path.split('/')[1]));
    // The groups of DESIGN §5 and the rest of /patches are all there.
    for (const g of [
      'incidents',
      'catalog',
      'recoveries',
      'policies',
      'routing',
      'integration',
      'admin',
      'patches',
      'metrics',
    ])
      expect(groups).toContain(g);
    const answers = [];
    for (const { method, path } of others) {
      const url = path.replace(/\{[^}]+\}/g, SOME_ID);
      const res = await (app.http as any)[method](url).set('Authorization', `Bearer ${agent}`).send({});
      answers.push(`${method.toUpperCase()} ${path} ${res.status}`);
    }
    expect(answers.filter((a) => !a.endsWith(' 403'))).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
  });

  it('is refused (403) on the API docs, which are not in the document they serve', async () => {
    for (const path of ['/docs', '/docs/', '/docs-json', '/DOCS-JSON', '/docs-yaml'])
      expect([path, (await app.http.get(path).set('Authorization', `Bearer ${agent}`)).status]).toEqual([path, 403]);
    const viewer = await app.keyFor('agents', 'viewer');
    expect((await app.http.get('/docs-json').set('Authorization', `Bearer ${viewer}`)).status).toBe(200);
  });

  it('an agent key signed into the console is held to the same rule', async () => {
    const signIn = await app.http.post('/auth/session').send({ apiKey: agent }).expect(201);
    const cookie = signIn.headers['set-cookie'][0].split(';')[0];
    expect((await app.http.get('/incidents').set('Cookie', cookie)).status).toBe(403);
    expect((await app.http.get('/patches/work-orders').set('Cookie', cookie)).status).toBe(200);
  });

  it('may use the work-order routes (reads, and claim/progress/complete/fail reach their own checks)', async () => {
    expect((await app.http.get('/patches/work-orders').set('Authorization', `Bearer ${agent}`)).status).toBe(200);
    expect((await app.http.get(`/patches/work-orders/${SOME_ID}`).set('Authorization', `Bearer ${agent}`)).status).toBe(
      404,
    );
    for (const action of ['claim', 'progress', 'complete', 'fail']) {
      const res = await app.http
        .post(`/patches/work-orders/${SOME_ID}/${action}`)
        .set('Authorization', `Bearer ${agent}`)
        .send(action === 'claim' ? {} : pick(action));
      expect(res.status).toBe(404);
    }
  });

  it('keeps viewer < operator < admin for people, and an agent key is never a platform admin', async () => {
    const viewer = await app.keyFor('agents', 'viewer');
    const operator = await app.keyFor('agents', 'operator');
    expect((await app.http.get('/incidents').set('Authorization', `Bearer ${viewer}`)).status).toBe(200);
    expect(
      (
        await app.http
          .post('/incidents')
          .set('Authorization', `Bearer ${viewer}`)
          .send({ errorType: 'x', message: 'y' })
      ).status,
    ).toBe(403);
    expect(
      (
        await app.http
          .post('/incidents')
          .set('Authorization', `Bearer ${operator}`)
          .send({ errorType: 'x', message: 'y' })
      ).status,
    ).toBe(201);
    expect((await app.http.post('/policies').set('Authorization', `Bearer ${operator}`).send({})).status).toBe(403);
    // People read work orders as viewers and act on them as operators.
    expect((await app.http.get('/patches/work-orders').set('Authorization', `Bearer ${viewer}`)).status).toBe(200);
    expect(
      (await app.http.post(`/patches/work-orders/${SOME_ID}/claim`).set('Authorization', `Bearer ${viewer}`)).status,
    ).toBe(403);
    expect(
      (await app.http.post(`/patches/work-orders/${SOME_ID}/claim`).set('Authorization', `Bearer ${operator}`)).status,
    ).toBe(404);
    const refused = await app.http
      .post('/admin/api-keys')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ tenantId: 'agents', name: 'rogue', role: 'agent', platformAdmin: true });
    expect(refused.status).toBe(400);
    expect(refused.body.fields.map((f: { field: string }) => f.field)).toEqual(['platformAdmin']);
    const badRole = await app.http
      .post('/admin/api-keys')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ tenantId: 'agents', name: 'x', role: 'robot' });
    expect(badRole.body.fields.map((f: { field: string }) => f.field)).toEqual(['role']);
  });
});

function pick(action: string): object {
  if (action === 'progress') return { note: 'working' };
  if (action === 'complete') return { testsPassed: true, summary: 'done' };
  return { reason: 'gave up' };
}
