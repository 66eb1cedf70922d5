/** One `name=value` pair of a URL's query, as written; `value` null for a bare `name`. */
export interface QueryPair {
  written: string;
  name: string;
  value: string | null;
}

/** The pairs of a query string (without its `?`), as written, in order. */
export function queryPairs(query: string): QueryPair[] {
  return query.split('&').map((written) => {
    const eq = written.indexOf('=');
    return eq < 0
      ? { written, name: written, value: null }
      : { written, name: written.slice(0, eq), value: written.slice(eq + 1) };
  });
}

/** `url` with each pair of its query (what follows the first `?`) written as `rewrite` says. */
export function rewriteQuery(url: string, rewrite: (pair: QueryPair) => string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  return `${url.slice(0, at + 1)}${queryPairs(url.slice(at + 1))
    .map(rewrite)
    .join('&')}`;
}

/**
 * `url` with the value of each query parameter masked (`https://ops.example/hook?token=…`): a query
 * may hold a credential, which would otherwise be shown on every read (and fingerprinted in the
 * audit log, where a short one could be guessed back from its hash).
 */
export function maskedQueryUrl(url: string): string {
  // A fragment after the query (never sent) goes with the last value.
  return rewriteQuery(url, (p) => (p.written === '' ? '' : `${p.value === null ? '' : p.name}=…`));
}

/** A name or value of a query decoded as a form would be (`+` a space); a malformed escape as written. */
export function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}
