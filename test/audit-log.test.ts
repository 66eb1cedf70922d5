import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import { AuditTrail } from '../src/platform/audit/audit-trail.js';
import { AuditRepository, entryOf, type AuditEntryRow } from '../src/platform/audit/audit.repository.js';
import { entryHash } from '../src/platform/audit/chain/audit-chain.js';
import { AuditVerificationScheduler } from '../src/platform/audit/verify/audit-verification.scheduler.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const run = promisify(execFile);

/** The offline verifier, as a user runs it: its exit code and what it prints. */
async function offline(exportText: string, ...pems: string[]): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
  try {
    writeFileSync(join(dir, 'audit.jsonl'), exportText);
    pems.forEach((pem, i) => writeFileSync(join(dir, `key-${i}.pem`), pem));
    const args = [
      'scripts/verify-audit-export.mjs',
      join(dir, 'audit.jsonl'),
      ...pems.map((_, i) => join(dir, `key-${i}.pem`)),
    ];
    const { stdout } = await run(process.execPath, args);
    return { code: 0, out: stdout.trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GET /audit/export as a client downloads it: the status, the content type and the text. */
async function exportOf(baseUrl: string, key: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${baseUrl}/audit/export`, { headers: auth(key) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Issue 26 §1: the audit routes, tampering found by /audit/verify and by the offline script, retention. */
describe('the audit log (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let audit: AuditTrail;
  let pem: string;

  beforeAll(async () => {
    app = await startTestApp({ AUDIT_RETENTION_MIN_DAYS: '0', AUDIT_CHECKPOINT_INTERVAL_MS: '0' });
    audit = app.app.get(AuditTrail);
    pem = (
      await app.http
        .get('/audit/public-key')
        .set(auth(await app.keyFor('keys', 'viewer')))
        .expect(200)
    ).body.publicKeyPem;
  });
  afterAll(() => app.stop());

  /** A tenant with a key of each role, and its log after key creation (keys are audited too). */
  async function tenant(id: string) {
    return {
      id,
      viewer: await app.keyFor(id, 'viewer'),
      operator: await app.keyFor(id, 'operator'),
      admin: await app.keyFor(id, 'admin'),
    };
  }
  async function record(tenantId: string, n: number, from = 1): Promise<void> {
    for (let i = from; i < from + n; i++) {
      await audit.record({
        tenantId,
        actor: 'system',
        action: 'thing.changed',
        subject: { type: 'thing', id: `t${i}` },
        before: { v: i - 1 },
        after: { v: i },
      });
    }
  }
  const verify = async (key: string) => (await app.http.get('/audit/verify').set(auth(key)).expect(200)).body;
  const head = async (tenantId: string) =>
    Number((await app.sql(`SELECT seq FROM audit_heads WHERE tenant_id = $1`, [tenantId]))[0].seq);
  /** What an attacker with the database's owner rights does: the append-only trigger off for one statement. */
  const behindTheTrigger = (sql: string, params: unknown[] = []) =>
    app
      .sql(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`)
      .then(() => app.sql(sql, params))
      .finally(() => app.sql(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`));

  it('lists newest first, filtered, page by page; a viewer may read it, another tenant sees none', async () => {
    const t = await tenant('audit-list');
    const other = await tenant('audit-list-other');
    await record(t.id, 5);
    await audit.record({
      tenantId: t.id,
      actor: 'auto-apply',
      action: 'recovery.applied',
      subject: { type: 'recovery', id: 'r1' },
      reason: 'trusted',
    });
    const page1 = (await app.http.get('/audit?limit=3').set(auth(t.viewer)).expect(200)).body;
    expect(page1.items.map((e: { action: string }) => e.action)[0]).toBe('recovery.applied');
    expect(page1.items[0]).toMatchObject({
      actor: 'auto-apply',
      subject: { type: 'recovery', id: 'r1' },
      before: null,
      after: null,
      reason: 'trusted',
    });
    expect(page1.items[0].hash).toMatch(/^[0-9a-f]{64}$/);
    const page2 = (await app.http.get(`/audit?limit=3&cursor=${page1.nextCursor}`).set(auth(t.viewer)).expect(200))
      .body;
    const seqs = [...page1.items, ...page2.items].map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(6);

    const things = (
      await app.http.get('/audit?action=thing.changed&subjectType=thing&subjectId=t3').set(auth(t.viewer)).expect(200)
    ).body.items;
    expect(things.map((e: { after: unknown }) => e.after)).toEqual([{ v: 3 }]);
    expect((await app.http.get('/audit?actor=auto-apply').set(auth(t.viewer)).expect(200)).body.items).toHaveLength(1);
    const at = Date.parse(page1.items[0].at);
    const since = new Date(at).toISOString();
    expect(
      (await app.http.get(`/audit?since=${since}&action=recovery.applied`).set(auth(t.viewer)).expect(200)).body.items,
    ).toHaveLength(1);
    expect(
      (await app.http.get(`/audit?until=${since}&action=recovery.applied`).set(auth(t.viewer)).expect(200)).body.items,
    ).toHaveLength(0);

    const theirs = (await app.http.get('/audit?limit=500').set(auth(other.admin)).expect(200)).body.items;
    expect(JSON.stringify(theirs)).not.toMatch(/recovery\.applied|"t3"/);
    await app.http.get('/audit').expect(401);
    const bad = (await app.http.get('/audit?cursor=bm9wZQ&since=yesterday&limit=0').set(auth(t.viewer)).expect(400))
      .body;
    expect(bad.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'since']);
    expect((await app.http.get('/audit?cursor=bm9wZQ').set(auth(t.viewer)).expect(400)).body.fields[0].field).toBe(
      'cursor',
    );
  });

  it('verifies an intact chain; an admin signs a checkpoint on demand, the served key verifies it', async () => {
    const t = await tenant('audit-ok');
    await record(t.id, 4);
    expect(await verify(t.viewer)).toEqual({ ok: true, entries: await head(t.id), checkpoints: 0 });
    await app.http.post('/audit/checkpoints').set(auth(t.operator)).expect(403);
    const checkpoint = (await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(201)).body;
    expect(checkpoint).toMatchObject({ tenantId: t.id, seq: await head(t.id), kind: 'on_demand', cut: null });
    const key = (await app.http.get('/audit/public-key').set(auth(t.viewer)).expect(200)).body;
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: checkpoint.keyId });
    const { createPublicKey, verify: verifySignature } = await import('node:crypto');
    const { signature, ...unsigned } = checkpoint;
    const { checkpointStatement } = await import('../src/platform/audit/chain/checkpoint.js');
    expect(
      verifySignature(
        null,
        Buffer.from(checkpointStatement(unsigned)),
        createPublicKey(key.publicKeyPem),
        Buffer.from(signature, 'base64'),
      ),
    ).toBe(true);
    expect(await verify(t.viewer)).toEqual({ ok: true, entries: await head(t.id), checkpoints: 1 });
    // Checkpoints are append-only too.
    await expect(app.sql(`UPDATE audit_checkpoints SET seq = 1 WHERE tenant_id = $1`, [t.id])).rejects.toThrow(
      /append-only/,
    );
  });

  it('names the sequence number whose stored JSON was changed with the trigger disabled', async () => {
    const t = await tenant('audit-edit');
    await record(t.id, 6);
    const target = (await head(t.id)) - 3;
    await expect(
      app.sql(`UPDATE audit_entries SET after = '{"v": 999}' WHERE tenant_id = $1 AND seq = $2`, [t.id, target]),
    ).rejects.toThrow(/append-only/);
    await behindTheTrigger(`UPDATE audit_entries SET after = '{"v": 999}' WHERE tenant_id = $1 AND seq = $2`, [
      t.id,
      target,
    ]);
    expect(await verify(t.viewer)).toMatchObject({ ok: false, firstBrokenSeq: target, entries: target - 1 });
    // No checkpoint is signed over it.
    const refused = (await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(409)).body;
    expect(refused.firstBrokenSeq).toBe(target);
  });

  it('detects a tail deleted after a checkpoint, even with the head row rewound to match', async () => {
    const t = await tenant('audit-cut');
    await record(t.id, 5);
    await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(201);
    const signed = await head(t.id);
    const keep = signed - 3;
    const [kept] = await app.sql(`SELECT hash FROM audit_entries WHERE tenant_id = $1 AND seq = $2`, [t.id, keep]);
    await behindTheTrigger(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq > $2`, [t.id, keep]);
    await app.sql(`UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1`, [t.id, keep, kept.hash]);
    expect(await verify(t.viewer)).toMatchObject({
      ok: false,
      firstBrokenSeq: keep + 1,
      problem: expect.stringMatching(/checkpoint vouches for seq/),
    });
  });

  it('detects entries written around the log: past the chain head, before seq 1, without a head, or back within a retention cut', async () => {
    const t = await tenant('audit-around');
    await record(t.id, 4);
    const top = await head(t.id);
    // INSERT is not refused by the append-only trigger: only the chain says these do not belong.
    const forge = (seq: number) =>
      app.sql(
        `INSERT INTO audit_entries (tenant_id, seq, at, actor, action, subject_type, subject_id, prev_hash, hash)
         VALUES ($1, $2, now(), 'system', 'thing.changed', 'thing', 'forged', 'x', 'y')`,
        [t.id, seq],
      );
    await forge(top + 1); // GET /audit lists it; verification read only up to the head
    expect(await verify(t.viewer)).toMatchObject({
      ok: false,
      firstBrokenSeq: top + 1,
      problem: expect.stringMatching(/beyond the chain head|missing, out of order/),
    });
    const offlineOf = async () => (await offline((await exportOf(app.url, t.viewer)).text, pem)).out;
    expect(await offlineOf()).toBe(
      `BROKEN at seq ${top + 1}: past the chain head, seq ${top} (written around the log)`,
    );
    await behindTheTrigger(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = $2`, [t.id, top + 1]);
    expect(await verify(t.viewer)).toMatchObject({ ok: true });

    // No head row (audit_heads has no trigger): the chain has not begun, so every stored entry lies
    // beyond it. Verification used to skip the head checks then, and a chain forged from the genesis
    // for such a tenant verified.
    const [headRow] = await app.sql(`DELETE FROM audit_heads WHERE tenant_id = $1 RETURNING *`, [t.id]);
    try {
      expect(await verify(t.viewer)).toMatchObject({
        ok: false,
        firstBrokenSeq: 1,
        problem: `entries 1–${top} lie beyond the chain head, seq 0: written around the log`,
      });
      expect(await offlineOf()).toBe('BROKEN at seq 1: past the chain head, seq 0 (written around the log)');
    } finally {
      await app.sql(`INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, $2, $3)`, [
        t.id,
        headRow.seq,
        headRow.hash,
      ]);
    }
    expect(await verify(t.viewer)).toMatchObject({ ok: true });

    // Before seq 1: the table refuses it (migration 1767000000000)…
    await expect(forge(0)).rejects.toThrow(/audit_entries_seq_positive/);
    await expect(forge(-1)).rejects.toThrow(/audit_entries_seq_positive/);
    // …but a database may hold one written before the check (which then stays NOT VALID). GET /audit
    // lists it; verification, the export and a retention cut read from seq 1 on, so the chain
    // verified, the export left it out, and a cut deleted it under its signed checkpoint.
    await app.sql(`ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_seq_positive`);
    try {
      await forge(0);
      const listed = (await app.http.get('/audit?subjectId=forged').set(auth(t.viewer)).expect(200)).body.items;
      expect(listed.map((e: { seq: number }) => e.seq)).toEqual([0]);
      expect(await verify(t.viewer)).toMatchObject({
        ok: false,
        firstBrokenSeq: 0,
        problem: "entry 0 lies before the chain's first seq, 1: written around the log",
      });
      const exported = (await exportOf(app.url, t.viewer)).text;
      expect(exported).toContain('"type":"entry","seq":0,');
      expect(await offlineOf()).toBe('BROKEN at seq 0: before the first seq, 1 (written around the log)');
      // Nothing is signed over it: not a checkpoint, not a retention cut (which would delete it).
      expect((await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(409)).body.firstBrokenSeq).toBe(0);
      const cutBefore = new Date(Date.now() + 1).toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const refused = await app.http
        .post('/audit/retention')
        .set(auth(t.admin))
        .send({ before: cutBefore, reason: 'test' })
        .expect(409);
      expect(refused.body.firstBrokenSeq).toBe(0);
      expect(await app.sql(`SELECT seq FROM audit_entries WHERE tenant_id = $1 AND seq < 1`, [t.id])).toEqual([
        { seq: '0' },
      ]);
    } finally {
      await behindTheTrigger(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq < 1`, [t.id]);
      await app.sql(`ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_seq_positive CHECK (seq > 0)`);
    }
    expect(await verify(t.viewer)).toMatchObject({ ok: true });

    const before = new Date(Date.now() + 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await app.http.post('/audit/retention').set(auth(t.admin)).send({ before, reason: 'test' }).expect(200);
    expect(await verify(t.viewer)).toMatchObject({ ok: true });
    await forge(2);
    expect(await verify(t.viewer)).toMatchObject({
      ok: false,
      firstBrokenSeq: 2,
      problem: expect.stringMatching(/within the retention cut/),
    });
    expect(await offlineOf()).toMatch(/^BROKEN at seq 2: within the retention cut through seq \d+/);
  });

  it('detects a stretch rewritten with recomputed hashes before a checkpoint', async () => {
    const t = await tenant('audit-rewrite');
    await record(t.id, 4);
    const first = (await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(201)).body.seq;
    await record(t.id, 4, 5);
    const second = (await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(201)).body.seq;
    // Rewrite every entry after the first checkpoint, each hash recomputed and linked: only the signature can tell.
    const rows = await app.sql(`SELECT * FROM audit_entries WHERE tenant_id = $1 AND seq > $2 ORDER BY seq`, [
      t.id,
      first,
    ]);
    let prevHash: string = rows[0].prev_hash;
    for (const r of rows) {
      const { hash: _stored, ...entry } = entryOf(r as AuditEntryRow);
      const rest = { ...entry, reason: 'rewritten', prevHash };
      const hash = entryHash(rest);
      await behindTheTrigger(
        `UPDATE audit_entries SET reason = 'rewritten', prev_hash = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2`,
        [t.id, r.seq, prevHash, hash],
      );
      prevHash = hash;
    }
    await app.sql(`UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1`, [t.id, prevHash]);
    expect(await verify(t.viewer)).toMatchObject({
      ok: false,
      firstBrokenSeq: first + 1,
      problem: expect.stringContaining(`entry ${second} differs`),
    });
  });

  it('exports JSON lines the offline script verifies, checkpoints included; it finds an edited export', async () => {
    const t = await tenant('audit-export');
    await record(t.id, 3);
    const checkpoint = (await app.http.post('/audit/checkpoints').set(auth(t.admin)).expect(201)).body;
    await record(t.id, 2, 4);
    const res = await exportOf(app.url, t.viewer);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/x-ndjson/);
    const text = res.text;
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      type: 'header',
      format: 'pillar-loop.audit-export/1',
      tenantId: t.id,
      head: { seq: await head(t.id) },
    });
    expect(lines.filter((l) => l.type === 'checkpoint')).toHaveLength(1);
    expect(lines.filter((l) => l.type === 'entry')).toHaveLength(await head(t.id));

    const good = await offline(text, pem);
    expect(good).toEqual({
      code: 0,
      out: `OK: tenant ${t.id}, ${await head(t.id)} entries, 1 signed checkpoints, head seq ${await head(t.id)}, signed through seq ${checkpoint.seq}`,
    });

    const edited = text.replace('"after":{"v":2}', '"after":{"v":20}');
    expect(edited).not.toBe(text);
    const broken = await offline(edited, pem);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/^BROKEN at seq \d+: hash does not match the entry$/);

    const withoutCheckpointed = text
      .split('\n')
      .filter((l) => !/"type":"entry"/.test(l) || JSON.parse(l).seq <= 2)
      .join('\n');
    expect((await offline(withoutCheckpointed, pem)).out).toMatch(/^BROKEN at seq \d+: differs from the checkpoint/);
    // The README shows the script as it is.
    expect(readFileSync('README.md', 'utf8')).toContain(
      `\`\`\`js\n${readFileSync('scripts/verify-audit-export.mjs', 'utf8')}\`\`\``,
    );
    // A checkpoint signed by another key.
    const { generateKeyPairSync } = await import('node:crypto');
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await offline(text, stranger)).out).toMatch(/^BROKEN at seq \d+: bad checkpoint signature$/);
  });

  it('offline, a chain no checkpoint signs is UNSIGNED when a key is given: it proves nothing', async () => {
    const t = await tenant('audit-unsigned');
    await record(t.id, 2);
    const { text } = await exportOf(app.url, t.viewer);
    expect(await offline(text, pem)).toEqual({
      code: 1,
      out: 'UNSIGNED: no checkpoint of tenant audit-unsigned is signed with the given key',
    });
    // Without a key it checks the links and hashes only (the export's own key: weaker), and says so little.
    expect((await offline(text)).out).toMatch(
      /^OK: tenant audit-unsigned, \d+ entries, 0 signed checkpoints, head seq \d+, signed through seq 0$/,
    );
  });

  it('cuts old entries with a signed retention checkpoint, recorded; the rest verifies (online, offline)', async () => {
    const t = await tenant('audit-retention');
    await record(t.id, 5);
    const cutAt = (await app.sql(`SELECT max(at) AS at FROM audit_entries WHERE tenant_id = $1`, [t.id]))[0].at as Date;
    const before = new Date(cutAt.getTime() + 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await record(t.id, 2, 6);
    const lastCut = Number(
      (await app.sql(`SELECT max(seq) AS seq FROM audit_entries WHERE tenant_id = $1 AND at < $2`, [t.id, before]))[0]
        .seq,
    );

    await app.http.post('/audit/retention').set(auth(t.operator)).send({ before, reason: 'test' }).expect(403);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const tooRecent = (
      await app.http.post('/audit/retention').set(auth(t.admin)).send({ before: future, reason: 'test' }).expect(400)
    ).body;
    expect(tooRecent.fields[0]).toEqual({
      field: 'before',
      errors: [expect.stringMatching(/AUDIT_RETENTION_MIN_DAYS/)],
    });
    expect(
      (await app.http.post('/audit/retention').set(auth(t.admin)).send({ before: 'soon' }).expect(400)).body.fields
        .map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['before', 'reason']);

    const result = (
      await app.http.post('/audit/retention').set(auth(t.admin)).send({ before, reason: 'keep one year' }).expect(200)
    ).body;
    expect(result).toMatchObject({
      entriesCut: lastCut,
      checkpoint: { kind: 'retention', seq: lastCut, cut: { fromSeq: 1, throughSeq: lastCut, entries: lastCut } },
    });
    expect(
      Number((await app.sql(`SELECT min(seq) AS seq FROM audit_entries WHERE tenant_id = $1`, [t.id]))[0].seq),
    ).toBe(lastCut + 1);
    const [recorded] = (await app.http.get('/audit?action=audit.retention_applied').set(auth(t.viewer)).expect(200))
      .body.items;
    expect(recorded).toMatchObject({
      reason: 'keep one year',
      before: { firstSeq: 1 },
      after: { firstSeq: lastCut + 1 },
    });
    expect(await verify(t.viewer)).toEqual({ ok: true, entries: (await head(t.id)) - lastCut, checkpoints: 1 });
    const { text } = await exportOf(app.url, t.viewer);
    expect((await offline(text, pem)).out).toMatch(/^OK: tenant audit-retention, \d+ entries, 1 signed checkpoints/);
    // Nothing older left: a second cut to the same time cuts nothing.
    expect(
      (await app.http.post('/audit/retention').set(auth(t.admin)).send({ before, reason: 'again' }).expect(200)).body,
    ).toEqual({ entriesCut: 0, checkpoint: null });
    // Entries gone without a retention checkpoint are found.
    await behindTheTrigger(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = $2`, [t.id, lastCut + 1]);
    expect(await verify(t.viewer)).toMatchObject({ ok: false, firstBrokenSeq: lastCut + 1 });
  });
});

describe('rotating the audit signing key', () => {
  it('keeps old checkpoints verifiable while the old key is trusted, online and offline', async () => {
    const { randomBytes } = await import('node:crypto');
    const oldKey = randomBytes(32).toString('hex');
    const first = await startTestApp({ AUDIT_SIGNING_KEY: oldKey, AUDIT_CHECKPOINT_INTERVAL_MS: '0' });
    const url = first.database.url;
    const admin = await first.keyFor('rotate', 'admin');
    await first.http.post('/audit/checkpoints').set(auth(admin)).expect(201);
    const old = (await first.http.get('/audit/public-key').set(auth(admin)).expect(200)).body;
    await first.stop();

    const newKey = { AUDIT_SIGNING_KEY: randomBytes(32).toString('hex'), AUDIT_CHECKPOINT_INTERVAL_MS: '0' };
    // A replica that generated its own key (no AUDIT_SIGNING_KEY: replicas without a shared key)
    // refuses to start; one given a new key deliberately starts, and verification names the key.
    const ownDataDir = mkdtempSync(join(tmpdir(), 'audit-own-key-'));
    try {
      await expect(startTestApp({ AUDIT_CHECKPOINT_INTERVAL_MS: '0', DATA_DIR: ownDataDir }, [], url)).rejects.toThrow(
        new RegExp(`signed by key ${old.keyId}, which this service does not trust.*not starting`),
      );
    } finally {
      rmSync(ownDataDir, { recursive: true, force: true });
    }
    const forgetful = await startTestApp(newKey, [], url);
    try {
      expect((await forgetful.http.get('/audit/verify').set(auth(admin)).expect(200)).body).toMatchObject({
        ok: false,
        problem: expect.stringMatching(new RegExp(`is signed by key ${old.keyId}, which this service does not trust`)),
      });
      // Nor is a checkpoint signed over the untrusted one; the answer says why.
      const refused = await forgetful.http.post('/audit/checkpoints').set(auth(admin)).expect(409);
      expect(refused.body.message).toMatch(/AUDIT_PREVIOUS_PUBLIC_KEYS/);
    } finally {
      await forgetful.stop();
    }
    const rotated = await startTestApp({ ...newKey, AUDIT_PREVIOUS_PUBLIC_KEYS: old.publicKey }, [], url);
    try {
      await rotated.http.post('/audit/checkpoints').set(auth(admin)).expect(201);
      expect((await rotated.http.get('/audit/verify').set(auth(admin)).expect(200)).body).toMatchObject({
        ok: true,
        checkpoints: 2,
      });
      const current = (await rotated.http.get('/audit/public-key').set(auth(admin)).expect(200)).body;
      expect(current.keyId).not.toBe(old.keyId);
      const { text } = await exportOf(rotated.url, admin);
      expect((await offline(text, current.publicKeyPem)).out).toMatch(/BROKEN at seq \d+: bad checkpoint signature/);
      expect((await offline(text, current.publicKeyPem, old.publicKeyPem)).out).toMatch(
        /^OK: tenant [^,]+, \d+ entries, 2 signed checkpoints/,
      );
    } finally {
      await rotated.stop();
    }
  });
});

/** Asks for the tenant's export over a raw socket and reads nothing of the answer. */
async function stalledExport(baseUrl: string, key: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.pause(); // nothing read: the kernel's buffers fill, then the app's writes wait
  socket.write(`GET /audit/export HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n\r\n`);
  return socket;
}

describe('an audit export whose client stops reading', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ AUDIT_CHECKPOINT_INTERVAL_MS: '0', AUDIT_EXPORT_STALL_MS: '500', DB_POOL_SIZE: '4' });
  });
  afterAll(() => app.stop());

  it('is cut short after AUDIT_EXPORT_STALL_MS: clients that stop reading do not keep the connection pool', async () => {
    const viewer = await app.keyFor('audit-stall', 'viewer');
    // Some megabytes of log: more than the sockets between the app and a client hold.
    const audit = app.app.get(AuditTrail);
    const filler = 'x'.repeat(2000);
    await app.app.get(TransactionHost).run(async () => {
      for (let i = 0; i < 4000; i++)
        await audit.record({
          tenantId: 'audit-stall',
          actor: 'system',
          action: 'test.filled',
          subject: { type: 'test', id: String(i) },
          after: { filler },
        });
    });
    // As many stalled exports as the pool has connections, each holding one while it waits.
    const sockets = await Promise.all(Array.from({ length: 4 }, () => stalledExport(app.url, viewer)));
    try {
      const res = await app.http.get('/audit?limit=1').set(auth(viewer)).timeout(15_000);
      expect(res.status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('the scheduled verification of every chain (AUDIT_VERIFY_INTERVAL_MS)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ AUDIT_CHECKPOINT_INTERVAL_MS: '0', AUDIT_VERIFY_INTERVAL_MS: '300' });
  });
  afterAll(() => app.stop());

  const verification = async (tenantId: string) =>
    (
      await app.sql(
        `SELECT ok, entries, first_broken_seq, problem FROM audit_verifications WHERE tenant_id = $1 AND finished_at IS NOT NULL`,
        [tenantId],
      )
    )[0];

  it('verifies the chain of a tenant with entries and no head row (the round used to visit only audit_heads)', async () => {
    const audit = app.app.get(AuditTrail);
    for (let i = 1; i <= 2; i++)
      await audit.record({
        tenantId: 'audit-headless',
        actor: 'system',
        action: 'thing.changed',
        subject: { type: 'thing', id: `t${i}` },
      });
    await app.sql(`DELETE FROM audit_heads WHERE tenant_id = 'audit-headless'`);
    const found = await eventually(
      () => verification('audit-headless'),
      'the scheduled verification of a chain without a head row',
    );
    expect(found).toMatchObject({
      ok: false,
      first_broken_seq: '1',
      problem: expect.stringMatching(/beyond the chain head, seq 0/),
    });
  });

  it('finds a rewrite of entries a checkpoint signed without anyone asking, tells of it, and claims each chain once per interval', async () => {
    const admin = await app.keyFor('audit-scheduled', 'admin'); // the key's creation is its first entry
    await app.keyFor('audit-scheduled-clean', 'admin');
    await app.http.post('/audit/checkpoints').set(auth(admin)).expect(201);
    await app
      .sql(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`)
      .then(() =>
        app.sql(`UPDATE audit_entries SET reason = 'rewritten' WHERE tenant_id = 'audit-scheduled' AND seq = 1`),
      )
      .finally(() => app.sql(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`));

    const found = await eventually(async () => {
      const v = await verification('audit-scheduled');
      return v?.ok === false ? v : null;
    }, 'the scheduled verification to find the rewrite');
    expect(found).toMatchObject({ first_broken_seq: '1', problem: expect.stringMatching(/entry 1/) });
    expect(await eventually(() => verification('audit-scheduled-clean'), 'the clean chain verified')).toMatchObject({
      ok: true,
      entries: '1',
    });
    // Told durably, as GET /audit/verify tells it, for notification rules on audit.verify_failed.
    const told = await app.sql(
      `SELECT payload FROM outbox_events WHERE tenant_id = 'audit-scheduled' AND payload ->> 'foundBy' = 'schedule'`,
    );
    expect(told[0].payload).toMatchObject({ firstBrokenSeq: 1 });
    // This replica's scheduler stops (as at shutdown: the round in progress ends first, else it may
    // still record a chain it claimed, `default`, after `before` below); what follows plays two
    // replicas by hand.
    const scheduler = app.app.get(AuditVerificationScheduler);
    scheduler.beforeApplicationShutdown();
    await scheduler.onApplicationShutdown();
    const repository = app.app.get(AuditRepository);
    const claim = () => repository.claimVerifications('', 100, 3_600_000);
    // A chain started within the interval is nobody's to verify again, and its row is left as it is.
    // (Every chain started just now: a round the stop cut short gave back the chains it had not reached.)
    await app.sql(`UPDATE audit_verifications SET started_at = now()`);
    const rows = () => app.sql(`SELECT tenant_id, xmin::text AS version FROM audit_verifications ORDER BY tenant_id`);
    const before = await rows();
    expect(await claim()).toMatchObject({ claimed: [] });
    expect(await rows()).toEqual(before);
    // Two replicas claiming at once share the chains due: each is verified by one of them.
    await app.sql(`UPDATE audit_verifications SET started_at = '-infinity'`);
    const [a, b] = await Promise.all([claim(), claim()]);
    expect([...a.claimed, ...b.claimed].sort()).toEqual(before.map((r) => r.tenant_id));
  });
});

describe("a retention cut's `before`: one instant, whatever the zones of the process and the session", () => {
  let db: pg.Client;
  let child: ChildProcess;
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'audit-zones-'));

  beforeAll(async () => {
    const url = await createTestDatabase();
    db = new pg.Client({ connectionString: url });
    await db.connect();
    // PostgreSQL reads a time without an offset in the session's zone: the pool's sessions are UTC,
    // and the database's own is 10 hours behind, so that a cast of the raw string would show…
    await db.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'America/Adak'); END $$`,
    );
    // …and Node in the process's: the app runs in a process of its own, 14 hours ahead of UTC.
    child = spawn(process.execPath, ['dist/test/support/app-child.js'], {
      env: {
        ...process.env,
        TZ: 'Pacific/Kiritimati',
        DATABASE_URL: url,
        ADMIN_API_KEY: ADMIN_KEY,
        DATA_DIR: dataDir,
        AUDIT_RETENTION_MIN_DAYS: '0',
        AUDIT_CHECKPOINT_INTERVAL_MS: '0',
        AUDIT_VERIFY_INTERVAL_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    base = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => line.startsWith('READY ') && resolve(line.slice('READY '.length).trim()));
      child.once('exit', (code) => reject(new Error(`the app exited (${code}) before READY`)));
    });
  }, 120_000);
  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await db.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (path: string, key: string, body: object) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...auth(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** Each key created is an entry (api_key.created) of its tenant. */
  const write = async (n: number) => {
    for (let i = 0; i < n; i++)
      expect(
        (await post('/admin/api-keys', ADMIN_KEY, { tenantId: 'zones', name: `k${i}`, role: 'viewer' })).status,
      ).toBe(201);
  };
  const entries = async () =>
    (
      await db.query<{ seq: string; at: Date }>(
        `SELECT seq, at FROM audit_entries WHERE tenant_id = 'zones' ORDER BY seq`,
      )
    ).rows.map((r) => ({ seq: Number(r.seq), at: r.at.getTime() }));

  it('reads one without an offset as UTC for the age check, the cut and the signed cut.before alike, to the millisecond', async () => {
    const created = await post('/admin/api-keys', ADMIN_KEY, { tenantId: 'zones', name: 'admin', role: 'admin' });
    const admin = ((await created.json()) as { key: string }).key;
    await write(3);
    const boundary = Math.max(...(await entries()).map((e) => e.at)) + 1;
    await new Promise((r) => setTimeout(r, 5));
    await write(2);
    const all = await entries();
    const older = all.filter((e) => e.at < boundary);
    expect(older.length).toBeGreaterThan(0);
    expect(older.length).toBeLessThan(all.length);

    // An hour ahead in UTC is too recent (AUDIT_RETENTION_MIN_DAYS 0: nothing after now may go);
    // read in the process's zone it was 13 hours ago, and went through.
    const ahead = new Date(Date.now() + 3_600_000).toISOString().slice(0, -1);
    expect((await post('/audit/retention', admin, { before: ahead, reason: 'too soon' })).status).toBe(400);
    expect(await entries()).toEqual(all);

    // The wall-clock time of the boundary, in UTC, without an offset.
    const res = await post('/audit/retention', admin, {
      before: new Date(boundary).toISOString().slice(0, -1),
      reason: 'zones',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      entriesCut: older.length,
      checkpoint: {
        seq: older.at(-1)!.seq,
        cut: { throughSeq: older.at(-1)!.seq, before: new Date(boundary).toISOString() },
      },
    });
    const kept = await entries();
    expect(kept.slice(0, all.length - older.length)).toEqual(all.filter((e) => e.at >= boundary));

    // Finer than a millisecond (the log's resolution), `before` is the millisecond it falls in, for
    // the cut as for the checkpoint: the entry stamped at that millisecond is not older, and stays.
    const first = kept[0];
    const fine = `${new Date(first.at).toISOString().slice(0, -1)}500Z`;
    const again = await post('/audit/retention', admin, { before: fine, reason: 'fine' });
    expect(await again.json()).toEqual({ entriesCut: 0, checkpoint: null });
    expect((await entries())[0]).toEqual(first);
    const verdict = await (await fetch(`${base}/audit/verify`, { headers: auth(admin) })).json();
    expect(verdict).toMatchObject({ ok: true, checkpoints: 1 });
  });
});
