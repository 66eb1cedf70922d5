import { isIPv6 } from 'node:net';
import { storableText } from '../../platform/database/storable.js';

/**
 * The normalised form of a failure message that the catalog matches on.
 * - `masked`: the message with variable parts replaced by typed placeholders.
 * - `tokens`: `masked` split on whitespace, edge punctuation stripped.
 * - `shapeKey`: a short index key; see {@link shapeKeyOf}.
 */
export interface FailureSignature {
  errorType: string;
  tokens: string[];
  masked: string;
  shapeKey: string;
}

export const PLACEHOLDERS = {
  str: '<STR>',
  url: '<URL>',
  email: '<EMAIL>',
  uuid: '<UUID>',
  ts: '<TS>',
  ip: '<IP>',
  path: '<PATH>',
  host: '<HOST>',
  hex: '<HEX>',
  num: '<NUM>',
  id: '<ID>',
} as const;

const P = PLACEHOLDERS;
const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const WEEKDAY = '(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)';
const SIZE_UNIT = '(?:bytes?|B|[kKMGTP]i?B|[kKMGTP]i)';
const TIME_UNIT = '(?:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)';
const TIME = '\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?';
const ZONE = '(?:\\s?(?:Z|UTC|GMT|[+-]\\d{2}:?\\d{2}))?';
const DATE = '\\d{4}[-/]\\d{2}[-/]\\d{2}';
const FILE_EXT =
  'json|ya?ml|toml|ini|conf|cfg|env|txt|log|csv|tsv|parquet|avro|xml|html?|sql|db|sqlite|py|ipynb|js|mjs|cjs|ts|go|java|jar|class|rb|rs|cs|c|h|cpp|so|dll|dylib|exe|bin|pt|pth|onnx|safetensors|ckpt|h5|pb|gguf|pkl|npy|npz|tar|gz|tgz|zip|pem|crt|cer|key|p12|sock|pid|lock|tmp|bak';
// Generic top-level domains, the private suffixes of internal networks, and (below) any two-letter country code.
const HOST_TLD =
  'com|net|org|edu|gov|mil|int|info|biz|name|pro|io|dev|ai|app|cloud|internal|local|localdomain|lan|corp|intra|home|svc|cluster|example|test|invalid|[a-z]{2}';
// Reverse-DNS names (com.apple.foo, org.example.Bar) are identifiers of code, not hosts.
const REVERSE_DNS = '(?!(?:com|org|net|edu|gov|io)\\.)';

/**
 * Structural masks, applied in order. Order matters: quoted values go first because they
 * may contain spaces (they must collapse to ONE token), URLs before emails/paths/hosts
 * because they contain all of those, timestamps before IPv6 and numbers.
 */
// Guards: a cheap test that must pass before a costly mask is tried at every word.
const HAS_MONTH = new RegExp(`\\b${'(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'}`);
const HAS_WEEKDAY = /day\b/;
const HAS_UNIT_WORD = /\d\s[A-Za-z]/;

const STRUCTURAL_MASKS: ReadonlyArray<readonly [RegExp, string | ((m: string) => string), RegExp?]> = [
  // 'x', "x", `x` — the opening quote must not follow a word char so "can't" is no quote.
  [/(?<![\w\\])(?:'[^'\n\r]*'|"[^"\n\r]*"|`[^`\n\r]*`)(?!\w)/g, P.str],
  [/\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>`]*[^\s'"<>`.,;:!?)\]}]/g, P.url],
  [/\barn:[\w-]+:[\w-]*:[\w-]*:\d*:[^\s,;'"]*[^\s,;'".)]/g, P.id],
  [/(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, P.email],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, P.uuid],
  // ISO 8601 / RFC 3339 (date, optional time and zone) and 2024/01/02 dates. A date alone right
  // after a "/" or "-" is part of a path's segments ("/reports/2026/12/05" is one path), unless the
  // "/" follows a digit (an interval's end, "2026-12-01/2026-12-02"); a date and time is a time anywhere.
  [new RegExp(`(?<!\\w)(?:${DATE}[T ]${TIME}|(?<!-|(?:^|\\D)/)${DATE})${ZONE}(?!\\w)`, 'g'), P.ts],
  // RFC 1123 / 2822: "Tue, 02 Jan 2024 15:04:05 GMT".
  [new RegExp(`\\b${WEEKDAY},?\\s+\\d{1,2}\\s+${MONTH}\\s+\\d{4}\\s+${TIME}${ZONE}(?!\\w)`, 'g'), P.ts],
  // syslog / ctime: "Jan  2 15:04:05", "Tue Jan 02 15:04:05 2024".
  [new RegExp(`\\b(?:${WEEKDAY}\\s+)?${MONTH}\\s+\\d{1,2}\\s+${TIME}(?:\\s+\\d{4})?(?!\\d)`, 'g'), P.ts],
  [/(?<![\w/-])\d{1,2}\/\d{1,2}\/\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\b/g, P.ts],
  // Common Log Format: "03/Mar/2026:14:22:10 +0000".
  [new RegExp(`\\b\\d{1,2}\\/${MONTH}\\/\\d{4}:${TIME}${ZONE}(?!\\w)`, 'g'), P.ts, HAS_MONTH],
  // Written dates: "March 3, 2026", "Mar 3rd 2026", "3 Mar 2026", "Tuesday, 3 March 2026", optional time.
  [
    new RegExp(
      `\\b(?:${WEEKDAY},?\\s+)?${MONTH}\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?(?:\\s+${TIME}${ZONE})?(?![\\w:])`,
      'g',
    ),
    P.ts,
    HAS_MONTH,
  ],
  [
    new RegExp(
      `\\b(?:${WEEKDAY},?\\s+)?\\d{1,2}(?:st|nd|rd|th)?\\s+${MONTH}(?:,?\\s+\\d{4})?(?:\\s+${TIME}${ZONE})?(?![\\w:])`,
      'g',
    ),
    P.ts,
    HAS_MONTH,
  ],
  [/(?<![\w:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])/g, P.ts],
  // A bare weekday name ("on Tuesday") is a date too.
  [new RegExp(`\\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\\b`, 'g'), P.ts, HAS_WEEKDAY],
  // MAC addresses (before IPv6, which they resemble; one ending in an IPv4 is an IPv6, and so is
  // one of eight groups that is a valid IPv6: `00:00:…:00` is the address `0:0:…:0` zero-padded).
  [
    /(?<![\w:-])(?:[0-9A-Fa-f]{2}[:-]){5,}[0-9A-Fa-f]{2}(?![\w:-]|\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d))/g,
    (mac: string) => (isIPv6(mac) ? P.ip : P.id),
  ],
  // IPv6 candidates (optionally [bracketed]:port), validated so "a:b:c" is left alone.
  [
    /(?<![\w:.])\[?(?:[0-9A-Fa-f]{0,4}:){2,8}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%[\w.]+)?\]?(?::\d{1,5})?(?!\w|\.\d|:[0-9A-Fa-f])/g,
    maskIPv6,
  ],
  // IPv4 with optional CIDR suffix and :port.
  [/(?<![\w.-])(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,2})?(?::\d{1,5})?(?![\w-]|\.[\w-])/g, P.ip],
  // Windows paths (C:\x\y) and UNC shares (\\server\share).
  [/\b[A-Za-z]:\\[^\s'"<>|]*[^\s'"<>|.,;:)]/g, P.path],
  [/(?<!\S)\\\\[\w.$-]+(?:\\[^\s'"<>|\\]+)+/g, P.path],
  // Absolute or ./ ~/ relative paths, with an optional ?query (URL paths).
  [
    /(?<![\w./<>\\-]|(?:^|\W):)(?:~|\.{1,2})?(?:\/+(?:\.{1,2}|[\w@%+=~-](?:[\w.@%+=~-]*[\w@%+=~-])?(?:\.(?=\/))?))+\/?(?:\?[^\s]*[^\s.,;:)])?/g,
    P.path,
  ],
  // Relative paths with at least two separators (gcr.io/a/b, projects/p/topics/t).
  [/(?<![\w./<>-])[\w.-]+(?:\/[\w.@-]+){2,}\/?/g, P.path],
  // Bare file names with a known extension (model-00001.safetensors, app.py).
  [new RegExp(`(?<![\\w./<>-])[\\w-][\\w.-]*\\.(?:${FILE_EXT})(?![\\w-]|\\.\\w)`, 'gi'), P.path],
  // Host names: lowercase dotted names with a known suffix, or any dotted name with :port.
  [
    new RegExp(
      `(?<![\\w.@/<>-])${REVERSE_DNS}(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+(?:${HOST_TLD})(?::\\d{1,5})?|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z][a-z0-9-]*:\\d{1,5}|localhost(?::\\d{1,5})?)(?![\\w-]|\\.\\w)`,
      'g',
    ),
    P.host,
  ],
  // Durations and clock times without seconds: "01:45", "12:30" (after IPv6, hosts and ports).
  [/(?<![\w:.])\d{1,3}:\d{2}(?![\w:]|\.\d)/g, P.num],
  // A number and its unit as two words ("5.0 KB", "812 bytes", "90 seconds", "1h 30m"): one
  // value, as "5.0KB" already is, so a change of unit does not look like a change of word. Only
  // descending units make one compound duration ("1h 30m", "2 min 5 s"); "40ms 25ms" are two values.
  [
    /(?<![\w.])\d+\s?(?:h|hrs?|hours?)\s\d+\s?(?:m|mins?|minutes?)(?:\s\d+\s?(?:s|secs?|seconds?))?(?![\w.])|(?<![\w.])\d+\s?(?:m|mins?|minutes?)\s\d+\s?(?:s|secs?|seconds?)(?![\w.])/g,
    P.num,
    HAS_UNIT_WORD,
  ],
  [new RegExp(`(?<![\\w.])[-+]?\\d+(?:\\.\\d+)?\\s(?:${SIZE_UNIT}|${TIME_UNIT})(?![\\w=])`, 'g'), P.num, HAS_UNIT_WORD],
  // 1,024,000 — thousands separators would otherwise split one number into several.
  [/(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,]|\.\d)/g, P.num],
];

function maskIPv6(candidate: string): string {
  let address = candidate;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) return candidate;
    address = address.slice(1, end);
  }
  address = address.replace(/%[\w.]+$/, ''); // zone id (fe80::1%eth0)
  return isIPv6(address) ? P.ip : candidate;
}

const UNIT =
  '(?:ns|us|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|b|kb|mb|gb|tb|pb|kib|mib|gib|tib|ki|mi|gi|ti|k|g|x|rps|qps|bytes)';
const NUMBER_RE = new RegExp(`^[-+]?\\d+(?:\\.\\d+)*(?:e[-+]?\\d+)?${UNIT}?%?$`, 'i');
// Go-style compound durations: 1m30s, 2h0m0s, 1.5s.
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|ns))+$/;
const HEX_PREFIXED_RE = /^0x[0-9a-f]+$/i;
const HEX_RE = /^[0-9a-f]{7,}$/i;
const HAS_DIGIT = /\d/;
const HAS_LETTER = /[A-Za-z]/;

/** Technical terms that contain digits but are constant text, not identifiers. */
const KEEP_WORDS = new Set([
  'ipv4',
  'ipv6',
  'utf8',
  'utf-8',
  'utf16',
  'utf-16',
  'sha1',
  'sha256',
  'sha512',
  'md5',
  'base64',
  'x509',
  'oauth2',
  'http2',
  'h2',
  's3',
  'ec2',
  'k8s',
  'e2e',
  'l4',
  'l7',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'fp16',
  'fp32',
  'bf16',
  'int8',
  'p95',
  'p99',
  '2fa',
  'mp4',
  'tls1.2',
  'tls1.3',
]);

// A word with one trailing digit names a thing (python3, eth0, ssh2, ipv6): a word, not an identifier.
const NAME_WITH_DIGIT = /^[A-Za-z]{2,}\d$/;

/** A word that holds digits and is still text: a known technical term, or a name ending in one digit. */
function isNameWithDigit(word: string): boolean {
  return KEEP_WORDS.has(word.toLowerCase()) || NAME_WITH_DIGIT.test(word);
}

// A "word run": letters, digits, _ . - (plus a leading sign and trailing %).
const WORD_RUN_RE = /(?<![\w.-])[-+]?[A-Za-z0-9_][\w.-]*%?/g;

/** Classifies one word run: number, hex, identifier or literal text. Dot leaders ("operation......0") separate words. */
function maskWordRun(run: string): string {
  if (run.includes('..'))
    return run
      .split(/(\.{2,})/)
      .map((part, i) => (i % 2 === 1 || part === '' ? part : maskWordRun(part)))
      .join('');
  // Trailing dots/hyphens are punctuation ("took 30s." / "dash-"), not part of the value.
  const core = run.replace(/[.-]+$/, '');
  const tail = run.slice(core.length);
  if (core === '') return run;
  if (HEX_PREFIXED_RE.test(core)) return P.hex + tail;
  if (NUMBER_RE.test(core) || DURATION_RE.test(core)) return P.num + tail;
  if (!HAS_DIGIT.test(core)) return run;
  if (isNameWithDigit(core)) return run;
  if (HEX_RE.test(core) && HAS_LETTER.test(core)) return P.hex + tail;
  return HAS_LETTER.test(core) ? P.id + tail : P.num + tail;
}

/** Longer messages (huge stack traces, payload dumps) are cut before masking: bounded work per incident. */
export const MAX_MESSAGE_LENGTH = 4096;
/**
 * The masked message is cut again, to this length: values of different lengths before the cut
 * (`job 7`, `job 123456`) mask to the same placeholder, so they do not move this cut as they move
 * the first one. Half the raw limit: room for values that mask shorter than they are.
 */
export const MAX_MASKED_LENGTH = MAX_MESSAGE_LENGTH / 2;

const SPACE = /\s/;

/**
 * `text` cut to at most `limit` UTF-16 units on a word boundary: a word the cut falls inside is
 * dropped whole, so what is kept never depends on where in a word the limit landed. A text with
 * no space before the limit is cut at the limit, never between the halves of a surrogate pair
 * (a lone surrogate is not storable, and would make every repeat a different word).
 */
export function cutAtWord(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  if (!SPACE.test(text[end]!)) {
    let i = end;
    while (i > 0 && !SPACE.test(text[i - 1]!)) i--;
    if (i > 0) end = i;
  }
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

/**
 * Text in the message that looks like one of the masker's placeholders (`<EOF>`, `<*>`) is
 * words of the message, not a value: its `<` becomes `‹`, so only the masker's placeholders are
 * placeholders (and `<*>` in a message is no wildcard).
 */
const PLACEHOLDER_LOOKALIKE = /<(?=(?:[A-Z]+|\*)>)/g;

/** Replaces every variable part of a message with a typed placeholder. */
export function maskMessage(message: string): string {
  // Storable first (lone surrogates, NUL become U+FFFD): what is matched is what is stored.
  let masked = storableText(cutAtWord(message, MAX_MESSAGE_LENGTH)).replace(PLACEHOLDER_LOOKALIKE, '‹');
  for (const [pattern, replacement, guard] of STRUCTURAL_MASKS) {
    if (guard && !guard.test(masked)) continue;
    masked =
      typeof replacement === 'string' ? masked.replace(pattern, replacement) : masked.replace(pattern, replacement);
  }
  masked = masked.replace(WORD_RUN_RE, maskWordRun);
  return cutAtWord(masked.replace(/\s+/g, ' ').trim(), MAX_MASKED_LENGTH).trimEnd();
}

// A token: a placeholder, or a run of characters up to whitespace or punctuation that separates
// words in log lines (a value glued to its name by ':', '(', '[', ',' or a quote is a token of its own).
const TOKEN_RE = /<(?:[A-Z]+|\*)>|[^\s,;:()[\]{}|"'`!?<>*]+/g;
const DOT_LEADER = /\.{2,}/;
const EDGE_DOTS = /^\.+|\.+$/g;

// key=value: the key is constant text, the value its own position (a word the matcher may learn as a parameter).
const KEY_VALUE_RE = /^([A-Za-z_][\w.-]*=)(.+)$/;

/** A template position that has held different values, or words learned to be a parameter (the matcher's wildcard). */
export const WILDCARD = '<*>';

/**
 * Splits a masked message into tokens: on whitespace and on word-separating punctuation, which
 * is dropped (`cause: 5)` → `cause`, `5`), dot leaders and sentence dots. A `key=value` token
 * becomes two, `key=` and `value`, so a value that is a word (`user=maria`) can vary while its
 * key stays. A run of adjacent variable tokens is one value of variable length (`1190 bytes
 * (1.16 KB)`, a list of numbers) and becomes one token: `<*>`, or the placeholder they share.
 */
export function tokenize(masked: string): string[] {
  const tokens: string[] = [];
  let previousVariable = false;
  const add = (token: string) => {
    const variable = !isLiteralToken(token);
    if (variable && previousVariable) {
      if (tokens[tokens.length - 1] !== token) tokens[tokens.length - 1] = WILDCARD;
      return;
    }
    tokens.push(token);
    previousVariable = variable;
  };
  for (const [word] of masked.matchAll(TOKEN_RE)) {
    for (const piece of word.includes('..') ? word.split(DOT_LEADER) : [word]) {
      const token = piece.startsWith('.') || piece.endsWith('.') ? piece.replace(EDGE_DOTS, '') : piece;
      if (token === '') continue;
      const keyValue = token.includes('=') ? KEY_VALUE_RE.exec(token) : null;
      if (keyValue) {
        add(keyValue[1]!);
        add(keyValue[2]!);
      } else add(token);
    }
  }
  return tokens;
}

/** Whether a placeholder (`<NUM>`, `<*>`) starts at index i of the token. */
function placeholderAt(token: string, i: number): boolean {
  let j = i + 1;
  if (token.charCodeAt(j) === 42 /* * */) return token.charCodeAt(j + 1) === 62; /* > */
  while (j < token.length && token.charCodeAt(j) >= 65 && token.charCodeAt(j) <= 90) j++;
  return j > i + 1 && token.charCodeAt(j) === 62;
}

/**
 * Literal text: no placeholder, and no digit unless it is a word that names something (see
 * {@link isNameWithDigit}). Two different literal tokens at one position are two different
 * words; the matcher learns only from their counts that such a position is a parameter.
 * A character scan, not a regular expression: the matcher asks this of every token it compares.
 */
export function isLiteralToken(token: string): boolean {
  let digit = false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 60 /* < */ && placeholderAt(token, i)) return false;
    if (c >= 48 && c <= 57) digit = true;
  }
  return !digit || isNameWithDigit(token);
}

/**
 * shapeKey = the token count. Messages of one template have the same token count (each
 * variable part masks to one token), and the matcher only compares same-length token lists,
 * so the key loses no match. It uses no word of the message: any word may turn out to be a
 * parameter (a user or host name), and a key built from it would split one template over
 * several buckets that are never compared. With the error type it keeps buckets small.
 */
export function shapeKeyOf(tokens: readonly string[]): string {
  return String(tokens.length);
}

export function normalizeErrorType(errorType: string): string {
  return errorType.trim().toLowerCase();
}

export function extractSignature(errorType: string, message: string): FailureSignature {
  const masked = maskMessage(message);
  const tokens = tokenize(masked);
  return { errorType: normalizeErrorType(errorType), tokens, masked, shapeKey: shapeKeyOf(tokens) };
}
