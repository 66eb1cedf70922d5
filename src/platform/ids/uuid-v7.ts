import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in bulk: one system call per 256 ids instead of one per id.
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

/**
 * A new row id: a version 7 UUID (RFC 9562), whose first 48 bits are the Unix time in
 * milliseconds and the other 74 free bits random. Ids minted close together sort close
 * together, so a primary key's B-tree takes new rows on its right-most pages instead of on a
 * random page each: fewer pages touched, and fewer full-page images in the WAL after each
 * checkpoint. (A random v4 id would leak nothing, a v7 id tells when the row was made; every row
 * here has a creation timestamp anyway.)
 */
export function uuidv7(): string {
  const ms = Date.now();
  // Within one millisecond the 12 bits after the time count up (RFC 9562 §6.2, method 1), so the
  // ids this process makes in a millisecond sort in the order they were made: rows of one
  // transaction, which share created_at = now(), list in the order they were written. (Past 4 096
  // in one millisecond the count wraps; a clock that steps back starts again from its time.)
  if (ms === last.ms) last.counter = (last.counter + 1) & 0xfff;
  else {
    last.ms = ms;
    last.counter = 0;
  }
  return uuidv7At(ms, last.counter);
}
const last = { ms: -1, counter: 0 };

/**
 * uuidv7 for a given time (tests); kept apart so that `ids.map(uuidv7)` cannot pass a time by
 * accident. With a `counter`, the 12 bits after the time are it rather than random.
 */
export function uuidv7At(now: number, counter?: number): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  bytes.writeUIntBE(now, 0, 6);
  if (counter !== undefined) {
    bytes[6] = counter >> 8;
    bytes[7] = counter & 0xff;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
