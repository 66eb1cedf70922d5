/**
 * Failure-catalog lookup benchmark: builds an index of 10 000 distinct patterns over many
 * error types and shapes, then times 20 000 `extractSignature` + bucket lookup + `fileSignature`
 * (the matcher's whole decision: match, learn-and-merge, or new) calls on fresh messages
 * (90 % of known patterns, 10 % novel).
 *
 *   npm run build && node dist/bench/catalog-match.bench.js
 */
import { pathToFileURL } from 'node:url';
import { fileSignature, PatternIndex } from '../src/self-healing/catalog/pattern-matcher.js';
import { extractSignature } from '../src/self-healing/catalog/signature.js';
import { mulberry32 } from '../test/fixtures/error-corpus.js';

export interface CatalogMatchBenchResult {
  patterns: number;
  medianUs: number;
  p95Us: number;
  p99Us: number;
}

const PATTERNS = 10_000;
const LOOKUPS = 20_000;
const WARMUP = 2_000;
const ERROR_TYPES = 60;

const VOCABULARY = (
  'connection refused reset timeout timed out failed failure unable to connect read write ' +
  'deadline exceeded quota limit rate throttled denied forbidden unauthorized token expired ' +
  'revoked invalid missing corrupted checkpoint model load inference request response upstream ' +
  'downstream broker consumer producer partition topic queue message retry backoff attempt ' +
  'replica primary leader follower lag commit rebalance offset schema mismatch column table ' +
  'index constraint violation duplicate key pool exhausted memory heap allocate gpu device ' +
  'kernel driver node pod container image pull registry manifest evicted killed restarting ' +
  'certificate handshake resolver lookup nxdomain servfail disk space volume mount permission ' +
  'file path socket closed channel session lock deadlock transaction rollback abort cancel ' +
  'worker thread process signal crashed panic unexpected null undefined overflow underflow'
).split(' ');

type Slot = 'NUM' | 'IP' | 'UUID' | 'HEX' | 'ID' | 'PATH' | 'STR' | 'TS' | 'HOST' | 'EMAIL' | 'URL';
const SLOTS: readonly Slot[] = ['NUM', 'IP', 'UUID', 'HEX', 'ID', 'PATH', 'STR', 'TS', 'HOST', 'EMAIL', 'URL'];

/** A template: literal words and typed slots, e.g. ['connect', 'to', {slot: 'IP'}]. */
type Part = string | { slot: Slot };

class Values {
  constructor(readonly next: () => number) {}

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  hex(length: number): string {
    let out = this.pick(['a', 'b', 'c', 'd', 'e', 'f']);
    while (out.length < length - 1) out += '0123456789abcdef'[this.int(16)];
    return out + String(this.int(10));
  }

  /** A concrete value the masker turns back into the slot's placeholder. */
  render(slot: Slot): string {
    switch (slot) {
      case 'NUM':
        return this.pick([`${this.int(100_000)}`, `${this.int(5000)}ms`, `${(this.next() * 100).toFixed(2)}%`]);
      case 'IP':
        return `10.${this.int(256)}.${this.int(256)}.${this.int(256)}:${1024 + this.int(60_000)}`;
      case 'UUID':
        return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
      case 'HEX':
        return this.hex(40);
      case 'ID':
        return `req-${this.hex(6)}${this.int(10)}`;
      case 'PATH':
        return `/var/${this.pick(VOCABULARY)}/${this.int(1000)}/data.bin`;
      case 'STR':
        return `'${this.pick(VOCABULARY)} ${this.int(100)}'`;
      case 'TS':
        return new Date(1_700_000_000_000 + this.int(1e10)).toISOString();
      case 'HOST':
        return `${this.pick(VOCABULARY)}-${this.int(50)}.prod.internal`;
      case 'EMAIL':
        return `user${this.int(10_000)}@example.com`;
      case 'URL':
        return `https://api.example.com/v1/${this.pick(VOCABULARY)}/${this.int(10_000)}`;
    }
  }
}

function randomTemplate(v: Values): Part[] {
  const length = 5 + v.int(16);
  const parts: Part[] = [];
  for (let i = 0; i < length; i++) parts.push(i > 0 && v.next() < 0.3 ? { slot: v.pick(SLOTS) } : v.pick(VOCABULARY));
  return parts;
}

function renderMessage(template: readonly Part[], v: Values): string {
  return template.map((part) => (typeof part === 'string' ? part : v.render(part.slot))).join(' ');
}

function percentile(sortedNs: readonly bigint[], p: number): number {
  const index = Math.min(sortedNs.length - 1, Math.ceil((p / 100) * sortedNs.length) - 1);
  return Number(sortedNs[index]!) / 1000;
}

export function runCatalogMatchBench(): CatalogMatchBenchResult {
  const v = new Values(mulberry32(20240601));
  const errorTypes = Array.from({ length: ERROR_TYPES }, (_, i) => `error_type_${i}`);

  // Build 10 000 distinct patterns (distinct by error type + masked tokens).
  const index = new PatternIndex();
  const templates: Array<{ errorType: string; template: Part[]; id: string }> = [];
  const seen = new Set<string>();
  while (templates.length < PATTERNS) {
    const errorType = v.pick(errorTypes);
    const template = randomTemplate(v);
    const signature = extractSignature(errorType, renderMessage(template, v));
    const key = `${signature.errorType}|${signature.tokens.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const id = `p${templates.length + 1}`;
    index.add(signature.errorType, signature.shapeKey, { id, templateTokens: signature.tokens, occurrenceCount: 1 });
    templates.push({ errorType, template, id });
  }

  // Messages are rendered up front so only extraction and matching are timed.
  const total = WARMUP + LOOKUPS;
  const lookups = Array.from({ length: total }, () => {
    const novel = v.next() < 0.1;
    const { errorType, template, id } = novel
      ? { ...v.pick(templates), template: randomTemplate(v), id: null }
      : v.pick(templates);
    return { errorType, message: renderMessage(template, v), expectedId: id };
  });

  const durations: bigint[] = [];
  let wrong = 0;
  for (let i = 0; i < total; i++) {
    const { errorType, message, expectedId } = lookups[i]!;
    const start = process.hrtime.bigint();
    const signature = extractSignature(errorType, message);
    const decision = fileSignature(index.candidates(signature.errorType, signature.shapeKey), signature, 0.8);
    const elapsed = process.hrtime.bigint() - start;
    if (i >= WARMUP) durations.push(elapsed);
    if (expectedId !== null && (decision.kind === 'new' || decision.id !== expectedId)) wrong++;
  }
  // A fast matcher that finds the wrong pattern is no result: fail loudly.
  if (wrong > 0) throw new Error(`${wrong} known-pattern lookups did not find their own pattern`);

  durations.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    patterns: index.size,
    medianUs: percentile(durations, 50),
    p95Us: percentile(durations, 95),
    p99Us: percentile(durations, 99),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = runCatalogMatchBench();
  const us = (n: number) => `${n.toFixed(1)} µs`;
  console.log(
    `catalog match: ${result.patterns} patterns, ${LOOKUPS} lookups (extractSignature + fileSignature): ` +
      `median ${us(result.medianUs)}, p95 ${us(result.p95Us)}, p99 ${us(result.p99Us)}`,
  );
}
