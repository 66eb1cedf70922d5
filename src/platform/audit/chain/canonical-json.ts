import { storable } from '../../database/storable.js';

/**
 * The canonical JSON text of a value, the form the audit chain hashes and signs (ADR 0016):
 * - no whitespace anywhere;
 * - object keys sorted by their UTF-16 code units (JavaScript's default sort), each once;
 * - strings and numbers written as JSON.stringify writes them (shortest round-trip number form,
 *   only `"`, `\` and U+0000–U+001F escaped, everything else literal);
 * - `null`, `true`, `false` literally; arrays in their order.
 * For the values the audit log holds (JSON data) this is RFC 8785 (JCS); the text is hashed as UTF-8.
 * Only JSON data is accepted: pass values through `jsonData` first (dates become strings, undefined goes).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonical JSON has no form for ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
      .join(',')}}`;
  }
  throw new Error(`canonical JSON has no form for a ${typeof value}`);
}

/**
 * `value` as the JSON data it would be sent as (JSON.stringify's rules: dates become ISO strings,
 * undefined properties and functions go, non-finite numbers become null), with U+0000 and lone
 * surrogates in strings and keys replaced by U+FFFD (`storable`), so what is stored in jsonb reads back equal.
 * undefined (or nothing) is null.
 */
export function jsonData(value: unknown): unknown {
  const text = value === undefined ? undefined : JSON.stringify(value);
  return text === undefined ? null : storable(JSON.parse(text));
}
