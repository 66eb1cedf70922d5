import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * GET /audit/verify is open to every viewer: a broken chain is told (audit.verify_failed, an outbox
 * row and a delivery per rule) when its verdict is news, not on every GET (ADR 0016). Real app,
 * real PostgreSQL; the chain is broken behind the append-only trigger, as an intruder would.
 */
describe('GET /audit/verify tells of a break once', () => {
  let app: TestApp;
  let viewer: string;

  beforeAll(async () => {
    app = await startTestApp({ AUDIT_CHECKPOINT_INTERVAL_MS: '0', AUDIT_VERIFY_INTERVAL_MS: '0' });
    viewer = await app.keyFor('audit-asked', 'viewer'); // the key's creation is the tenant's first entry
  }, 60_000);
  afterAll(() => app.stop());

  const verify = async () => (await app.http.get('/audit/verify').set(auth(viewer)).expect(200)).body;
  const told = async () =>
    (
      await app.sql(
        `SELECT payload FROM outbox_events WHERE tenant_id = 'audit-asked' AND payload ->> 'foundBy' = 'verify'`,
      )
    ).map((r) => r.payload);
  const setReason = (reason: string | null) =>
    app
      .sql(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`)
      .then(() => app.sql(`UPDATE audit_entries SET reason = $1 WHERE tenant_id = 'audit-asked' AND seq = 1`, [reason]))
      .finally(() => app.sql(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`));

  it('asking again, one after another or at once, repeats no notification; a new verdict is told', async () => {
    const [{ reason: original }] = await app.sql(
      `SELECT reason FROM audit_entries WHERE tenant_id = 'audit-asked' AND seq = 1`,
    );
    await setReason('rewritten');
    expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    expect(await told()).toEqual([expect.objectContaining({ firstBrokenSeq: 1, foundBy: 'verify' })]);

    for (let i = 0; i < 3; i++) expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    const together = await Promise.all([verify(), verify(), verify()]);
    expect(together.every((v) => v.ok === false)).toBe(true);
    expect(await told()).toHaveLength(1);

    // Mended, then broken again: the verdict changed twice, the break is news again.
    await setReason(original);
    expect(await verify()).toMatchObject({ ok: true });
    expect(await told()).toHaveLength(1);
    await setReason('rewritten again');
    expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    expect(await told()).toHaveLength(2);
  });
});
