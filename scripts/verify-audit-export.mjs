// Verifies an audit export (GET /audit/export) offline, with nothing but Node (ADR 0016):
//   node scripts/verify-audit-export.mjs audit.jsonl public-key.pem [earlier-key.pem …]   (GET /audit/public-key's publicKeyPem)
import { createHash, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const canon = (v) => (v === null || typeof v !== 'object' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(canon).join(',')}]`
  : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`);
const fail = (seq, why) => { console.log(`BROKEN at seq ${seq}: ${why}`); process.exit(1); };
const [file, ...keyFiles] = process.argv.slice(2);
const [header, ...lines] = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const keys = keyFiles.length ? keyFiles.map((f) => readFileSync(f, 'utf8')) : [header.publicKey.pem]; // none given: the export's own (weaker)
const checkpoints = lines.filter((l) => l.type === 'checkpoint').map(({ type, ...c }) => c);
for (const { signature, ...c } of checkpoints) {
  const statement = Buffer.from(canon({ type: 'pillar-loop.audit-checkpoint', ...c }));
  const signed = keys.some((key) => verify(null, statement, key, Buffer.from(signature, 'base64')));
  if (c.tenantId !== header.tenantId || !signed) fail(c.seq, 'bad checkpoint signature');
}
const cut = checkpoints.filter((c) => c.kind === 'retention').sort((a, b) => b.seq - a.seq)[0]; // where the kept chain starts
let prev = cut ? { seq: cut.seq, hash: cut.hash } : { seq: 0, hash: '0'.repeat(64) };
const hashes = new Map();
for (const { type, hash, ...e } of lines.filter((l) => l.type === 'entry')) {
  if (cut && e.seq <= cut.seq) fail(e.seq, `within the retention cut through seq ${cut.seq} (written around the log)`);
  if (e.seq < 1) fail(e.seq, 'before the first seq, 1 (written around the log)');
  if (header.head && e.seq > header.head.seq) fail(e.seq, `past the chain head, seq ${header.head.seq} (written around the log)`);
  if (e.seq !== prev.seq + 1 || e.prevHash !== prev.hash) fail(prev.seq + 1, 'entry missing or not linked');
  if (createHash('sha256').update(e.prevHash + canon(e), 'utf8').digest('hex') !== hash) fail(e.seq, 'hash does not match the entry');
  hashes.set(e.seq, hash);
  prev = { seq: e.seq, hash };
}
for (const c of checkpoints.filter((c) => c.seq > (cut?.seq ?? 0) && hashes.get(c.seq) !== c.hash)) fail(c.seq, `differs from the checkpoint of ${c.at} (rewritten or cut)`);
if (header.head && (header.head.seq !== prev.seq || header.head.hash !== prev.hash)) fail(prev.seq + 1, `the export's head is seq ${header.head.seq}`);
// Entries after the last checkpoint are vouched for by nobody; with a key given, a chain no checkpoint signs proves nothing.
const signedThrough = Math.max(0, ...checkpoints.map((c) => c.seq));
if (keyFiles.length && checkpoints.length === 0) { console.log(`UNSIGNED: no checkpoint of tenant ${header.tenantId} is signed with the given key`); process.exit(1); }
console.log(`OK: tenant ${header.tenantId}, ${hashes.size} entries, ${checkpoints.length} signed checkpoints, head seq ${prev.seq}, signed through seq ${signedThrough}`);
