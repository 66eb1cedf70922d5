import { decodeQueryPart, queryPairs } from '../http/query-pairs.js';

/** What stands in for a secret in what an outbound call's receiver answered. */
export const REDACTED = '[redacted]';

/**
 * A secret (or a form of it) this long is cut wherever it occurs in a text; a shorter one only
 * where it is the whole text (an echoed header's value), so `x-team: sre` does not cut every
 * "sre" out of an answer.
 */
export const MIN_EMBEDDED_CHARS = 6;

/** An authorization-style value: a scheme, then the credential. */
const SCHEME = /^([A-Za-z][A-Za-z0-9_-]*)\s+(\S.*)$/s;

/**
 * The forms in which a receiver may echo `secret`: itself, URL-encoded and -decoded, JSON-escaped
 * (jsonForms), base64- and base64url-encoded, and for an authorization-style value (`Bearer …`, `Basic …`) its
 * credential alone (also base64- and base64url-encoded), a Basic credential also decoded
 * (`user:password`) and its password.
 */
export function secretForms(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), ...jsonForms(secret), ...base64Forms(secret)];
  try {
    forms.push(decodeURIComponent(secret));
  } catch {
    /* not URL-encoded */
  }
  const [, scheme, credential] = SCHEME.exec(secret) ?? [];
  if (scheme && credential) {
    forms.push(credential, ...base64Forms(credential));
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('latin1');
      // eslint-disable-next-line no-control-regex -- a Basic credential decodes to printable text
      if (/^[^\u0000-\u001f\u007f]+$/.test(decoded)) {
        forms.push(decoded);
        const colon = decoded.indexOf(':');
        if (colon >= 0) forms.push(decoded.slice(colon + 1));
      }
    }
  }
  return forms;
}

/**
 * `value` inside a JSON string, as JSON writers escape it: JSON.stringify's escapes; also with
 * every character past ASCII as `\uXXXX` (Python's `ensure_ascii`), with `/` as `\/` too (PHP's
 * default), and with `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX` (Go's default). An answer that
 * does not parse (cut at its size limit, or not JSON) is redacted as text only, so these must be
 * forms of it.
 */
function jsonForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const escape = (t: string, chars: RegExp) =>
    t.replace(chars, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const nonAscii = escape(json, /[\u0080-\uffff]/g);
  return [json, nonAscii, nonAscii.replace(/\//g, '\\/'), escape(json, /[<>&\u2028\u2029]/g)];
}

/**
 * `value` base64- and base64url-encoded (as UTF-8, what an echoing receiver most likely holds),
 * without the `=` padding, so a padded and an unpadded echo are both cut (the padding, which
 * carries nothing, stays): what a debug endpoint that base64-encodes the headers it got answers.
 * Only for a value long enough to be cut wherever it occurs (MIN_EMBEDDED_CHARS). The encoding of a value inside a larger
 * encoded text (the base64 of a whole header block, of a request) is out of reach: it depends on
 * where the value falls in that text (its offset modulo 3) and on the bytes around it.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64').replace(/=+$/, '');
  // A value short enough to be cut only where it is whole has no form cut wherever it occurs.
  if (value.length < MIN_EMBEDDED_CHARS) return [];
  return [base64, encodeURIComponent(base64), bytes.toString('base64url')];
}

/** Takes the secrets out of what an outbound call's receiver answered (see secretRedactor). */
export interface SecretRedactor {
  /** `value` with every form of every secret replaced by REDACTED, in every string and key. */
  <T>(value: T): T;
  /**
   * An answer's text, as Egress.send gives it: redacted, and when it was cut at its size limit
   * (`truncated`), with the start of a form the cut left at its end dropped, so no part of a
   * secret cut in two survives (what remains of such a form is never a whole one, so it would not
   * be replaced). What is dropped is the longest end of the text that begins a form (even one
   * character), at the end of an answer that was cut anyway.
   */
  answer(answer: { body: string; truncated: boolean }): string;
}

/**
 * A function that returns a value (an outbound call's parsed answer, or an error text) with every
 * form (secretForms) of every secret in `secrets` replaced by REDACTED, in every string and key.
 * The one place an outbound answer loses the secrets its call carried (an actuator's headers, a
 * channel's sealed URL) before it is stored, logged or shown: receivers that echo the request
 * (debug endpoints, proxies, an error page naming the path) would otherwise hand them to every
 * viewer. The forms are worked out once, for all the parts of one answer. Anything cut to a size
 * after this must be cut from what it returns, never before: an answer's text cut by its size
 * limit goes through `answer`.
 */
export function secretRedactor(secrets: readonly string[]): SecretRedactor {
  const forms = [...new Set(secrets.filter((s) => s !== '').flatMap(secretForms))].filter((f) => f !== '');
  const whole = new Set(forms.filter((f) => f.length < MIN_EMBEDDED_CHARS));
  // Shortest first: a longer form holding a shorter one is cut where the shorter one is.
  const embedded = forms.filter((f) => f.length >= MIN_EMBEDDED_CHARS).sort((a, b) => a.length - b.length);
  const text = (s: string): string =>
    whole.has(s) ? REDACTED : embedded.reduce((t, f) => (t.includes(f) ? t.split(f).join(REDACTED) : t), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x)]));
  };
  /**
   * `t` without its longest end that begins a form without being all of it (a whole form is
   * replaced as anywhere else). Linear in the text's end and the forms (cutPrefixLength).
   */
  const withoutCutForm = (t: string): string =>
    t.slice(0, t.length - Math.max(0, ...embedded.map((f) => cutPrefixLength(t, f))));
  const redact = (forms.length === 0 ? <T>(value: T) => value : <T>(value: T) => walk(value) as T) as SecretRedactor;
  // Dropped again once redacted: the first drop may have taken the end of a whole form that ran
  // into the cut one (`abab|ab…` of a secret `abababab`), leaving its start.
  redact.answer = ({ body, truncated }) => (truncated ? withoutCutForm(text(withoutCutForm(body))) : text(body));
  return redact;
}

/**
 * The length of the longest end of `t` that is the start of `form` and shorter than it: the
 * prefix function (Knuth–Morris–Pratt) of the form, a separator and the text's last characters,
 * in time linear in the form's length, however repetitive the two are.
 */
function cutPrefixLength(t: string, form: string): number {
  const s = `${form}\u0000${t.slice(Math.max(0, t.length - (form.length - 1)))}`;
  const border = new Int32Array(s.length);
  for (let i = 1; i < s.length; i++) {
    let k = border[i - 1];
    while (k > 0 && s[i] !== s[k]) k = border[k - 1];
    border[i] = s[i] === s[k] ? k + 1 : k;
  }
  return border[s.length - 1];
}

/**
 * Words of a query parameter's name that say its value is a credential (`api_key`, `apiKey`,
 * `access_token`, `X-Amz-Signature`, Azure's `code` and `sig`). By whole words, unlike the request
 * log's SECRET_PARAM (where hiding too much costs nothing): a value cut from every answer changes
 * what a check step reads, so `author`, `keyword` and `?force` are not taken for one.
 */
const CREDENTIAL_WORDS = new Set([
  'key',
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'pass',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'session',
  'sid',
  'sig',
  'signature',
  'code',
]);

const isCredentialName = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((word) => CREDENTIAL_WORDS.has(word));

/**
 * The credentials in a URL's query, as written and decoded: the values of the parameters whose
 * names say they are one (isCredentialName). An answer echoing the request must not hand them to
 * viewers (an actuator's URL is shown to admins only; a webhook channel's is shown with its query
 * values masked). Other values (`?cluster=prod`) and bare parameters (`?force`) are left: cut from
 * every answer, they would change what a check step reads. The path is not among them (cutting its
 * segments would mangle answers that name them): a credential belongs in a header.
 */
export function urlQueryCredentials(url: string): string[] {
  return queryPairs(new URL(url).search.slice(1)).flatMap((p) =>
    p.value !== null && isCredentialName(decodeQueryPart(p.name)) ? [p.value, decodeQueryPart(p.value)] : [],
  );
}
