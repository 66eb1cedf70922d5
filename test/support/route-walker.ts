/**
 * Walks every route of the app's own OpenAPI document (so a route added later is walked without
 * anyone listing it) and checks, as another tenant ("the intruder") and with each role, what
 * issue 20 item 7 and the guide's "security by default" ask of every route:
 *
 * - without a key it answers 401, unless it is a declared public route;
 * - roles are ordered: if a role is refused (403), every lower one is too; some tenant role may use
 *   it (unless it is a platform-admin route, which every tenant role is refused); a write needs at
 *   least `operator` (unless declared read-like); the admin-only groups refuse `operator`;
 * - with a path naming the owner tenant's object, the intruder gets 404 (a valid body is sent, so the
 *   handler, not validation, answers); a name the caller upserts into its own namespace (a PUT) may
 *   answer 2xx but must show nothing of the owner's;
 * - without an object in the path, the intruder's answer (streams too) holds none of the owner's
 *   markers (its object ids and strings only the owner's data holds).
 *
 * Findings are returned, not thrown, so a test can also prove that broken routes are found.
 */

export interface TenantKeys {
  viewer: string;
  operator: string;
  admin: string;
}

export interface WalkOptions {
  baseUrl: string;
  doc: {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
    components?: { schemas?: Record<string, Schema> };
  };
  intruder: TenantKeys;
  /**
   * The owner's objects, by the path segment before the parameter (`incidents/{id}` → incidents), or by
   * the two before it where one segment names two kinds (`outbox/deliveries`, beside `deliveries`).
   */
  objects: Record<string, string>;
  /** Parameters that name vocabulary, not a tenant's object (`flags/{name}`, `retry/{stage}`), by the same segment. */
  vocabulary: Record<string, string>;
  /** Strings only the owner's data holds: its object ids and marked texts. */
  markers: string[];
  /** `METHOD /path` → a valid body where the schema's examples do not make one. */
  bodies: Record<string, unknown>;
  /** `METHOD /path` → why it needs no key. */
  publicRoutes: Record<string, string>;
  /** Routes for platform admins only: every tenant role is refused. */
  platformRoutes: RegExp;
  /** `METHOD /path` → why the caller's PUT of that name creates its own object (names are per tenant). */
  upserts: Record<string, string>;
  /** `METHOD /path` → why a viewer may send it (it computes an answer and changes nothing). */
  readLikeWrites: Record<string, string>;
  /** Routes only a tenant admin may use (DESIGN §5: flags, policies, kill switch, actuators, guardrails, settings). */
  adminOnly: RegExp[];
  /** Called while the intruder reads a stream: makes the owner's data move, resolving once the owner heard it. */
  whileStreaming: () => Promise<void>;
}

export interface Finding {
  route: string;
  problem: string;
}

export interface WalkFigures {
  routes: number;
  requests: number;
  publicRoutes: number;
  platformRoutes: number;
  roleChecked: number;
  objectRoutes: number;
  upserts: number;
  scanned: number;
  streams: number;
}

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  required?: string[];
  properties?: Record<string, Schema>;
}

const ROLES = ['viewer', 'operator', 'admin'] as const;
const NOBODY_ID = '0190a0a0-0000-7000-8000-0000000000ff';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function walkRoutes(o: WalkOptions): Promise<{ findings: Finding[]; figures: WalkFigures }> {
  const findings: Finding[] = [];
  const figures: WalkFigures = {
    routes: 0,
    requests: 0,
    publicRoutes: 0,
    platformRoutes: 0,
    roleChecked: 0,
    objectRoutes: 0,
    upserts: 0,
    scanned: 0,
    streams: 0,
  };
  const hit = async (
    method: string,
    path: string,
    key: string | null,
    body: unknown,
    stream: 'skip' | 'read' = 'skip',
  ) => {
    figures.requests++;
    return send(o.baseUrl, method, path, key, body, stream === 'read' ? o.whileStreaming : null);
  };

  // Upserts last: the intruder's PUT creates its own object under the owner's name, which the
  // other routes of that name (a DELETE) would then find.
  const routes = Object.entries(o.doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ path, method, route: `${method.toUpperCase()} ${path}` })),
  );
  routes.sort((a, b) => Number(a.route in o.upserts) - Number(b.route in o.upserts));
  for (const { path, method, route } of routes) {
    const found = (problem: string) => findings.push({ route, problem });
    figures.routes++;
    const owner = pathFor(path, o, 'owner');
    const nobody = pathFor(path, o, 'nobody');
    if (typeof owner !== 'string' || typeof nobody !== 'string') {
      found(typeof owner === 'string' ? 'unresolvable path' : owner.unknown);
      continue;
    }

    if (o.publicRoutes[route] !== undefined) {
      figures.publicRoutes++;
      continue;
    }
    const anonymous = await hit(method, nobody, null, {});
    if (anonymous.status !== 401)
      found(`answers ${anonymous.status} without a key (declare it public, with why, or guard it)`);

    // Roles: an empty body, and no object of the intruder's own: the guard answers before anything runs.
    const statuses = [];
    for (const role of ROLES) statuses.push((await hit(method, nobody, o.intruder[role], {})).status);
    const refused = statuses.map((s) => s === 403);
    if (o.platformRoutes.test(path)) {
      figures.platformRoutes++;
      if (refused.some((r) => !r))
        found(`a platform-admin route answered ${statuses.join('/')} to tenant viewer/operator/admin, not 403`);
      continue;
    }
    figures.roleChecked++;
    const minimum = refused.indexOf(false);
    if (refused.some((r, i) => !r && refused.slice(i + 1).some(Boolean)))
      found(`roles out of order: viewer/operator/admin answered ${statuses.join('/')}`);
    if (minimum < 0) found('every tenant role is refused (403)');
    if (method !== 'get' && minimum === 0 && o.readLikeWrites[route] === undefined)
      found(`a viewer may ${method.toUpperCase()} it (answered ${statuses[0]}): writes need operator`);
    if (o.adminOnly.some((r) => r.test(route)) && minimum !== 2)
      found(`admin-only, yet viewer/operator/admin answered ${statuses.join('/')}`);

    // Isolation: the intruder's admin, with a valid body, at the owner's objects.
    const body = o.bodies[route] ?? exampleBody(o.doc, path, method);
    const res = await hit(method, owner, o.intruder.admin, body, 'read');
    const sent = `${owner} ${JSON.stringify(body)}`;
    const leaked = o.markers.filter((m) => !sent.includes(m) && res.text.includes(m));
    if (res.status === 400) {
      found(
        `cannot judge: the intruder's request answered 400 (${res.text.slice(0, 160)}): give it a valid body in \`bodies\``,
      );
      continue;
    }
    const namesObject = objectParams(path, o).length > 0;
    if (namesObject && o.upserts[route] === undefined) {
      figures.objectRoutes++;
      if (res.status !== 404)
        found(`another tenant's object answered ${res.status}, not 404: ${res.text.slice(0, 200)}`);
      continue;
    }
    if (namesObject) figures.upserts++;
    else figures.scanned++;
    if (res.stream) figures.streams++;
    if (leaked.length > 0) found(`the intruder's answer (${res.status}) holds the owner's ${leaked.join(', ')}`);
  }
  return { findings, figures };
}

/** The path's parameters that name a tenant's object (not vocabulary). */
function objectParams(path: string, o: WalkOptions): string[] {
  return [...path.matchAll(/([^/]+)\/\{(\w+)\}/g)]
    .map((m) => objectKey(path, m.index, m[1]!, o))
    .filter((key) => o.objects[key] !== undefined);
}

/** The key of the object named after `segment` at `offset`: with the segment before it when the options have it. */
function objectKey(path: string, offset: number, segment: string, o: WalkOptions): string {
  const wider = `${path.slice(0, offset).split('/').at(-2)}/${segment}`;
  return o.objects[wider] !== undefined ? wider : segment;
}

/** An id of the same form as `value` that names nothing: a number for a numeric id, else a name. */
const nobodysName = (value: string) => (/^\d+$/.test(value) ? '9000000000000000000' : 'no-such-object');

/** The path with its parameters filled: the owner's objects, or objects nobody has; `unknown` when a parameter has no fixture. */
function pathFor(path: string, o: WalkOptions, whose: 'owner' | 'nobody'): string | { unknown: string } {
  let unknown: string | null = null;
  const filled = path.replace(/([^/]+)\/\{(\w+)\}/g, (_all, segment: string, param: string, offset: number) => {
    const key = objectKey(path, offset, segment, o);
    const value = o.objects[key] ?? o.vocabulary[segment];
    if (value === undefined) {
      unknown = `no fixture for {${param}} after /${segment}/: add the owner's object (or a vocabulary value) to the walker's options`;
      return _all;
    }
    const given =
      whose === 'owner' || o.objects[key] === undefined ? value : UUID.test(value) ? NOBODY_ID : nobodysName(value);
    return `${segment}/${encodeURIComponent(given)}`;
  });
  return unknown ? { unknown } : filled;
}

/** A body from the request schema: each required field's example, else its first enum value, else a value of its type. */
function exampleBody(doc: WalkOptions['doc'], path: string, method: string): unknown {
  const schema = doc.paths[path][method].requestBody?.content?.['application/json']?.schema;
  return schema ? fromSchema(doc, schema, 0) : {};
}

function fromSchema(doc: WalkOptions['doc'], s: Schema, depth: number): unknown {
  if (depth > 8) return null;
  const resolved = s.$ref
    ? (doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {})
    : s.allOf?.[0]
      ? fromRef(doc, s.allOf[0])
      : s;
  if (resolved.example !== undefined) return resolved.example;
  if (resolved.enum?.length) return resolved.enum[0];
  switch (resolved.type) {
    case 'string':
      return 'x';
    case 'number':
    case 'integer':
      return resolved.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    default:
      return Object.fromEntries(
        (resolved.required ?? []).map((k) => [k, fromSchema(doc, resolved.properties?.[k] ?? {}, depth + 1)]),
      );
  }
}

const fromRef = (doc: WalkOptions['doc'], s: Schema): Schema =>
  s.$ref ? (doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {}) : s;

/** One request; a stream (SSE) is read while `whileStreaming` runs, or closed at once. */
async function send(
  baseUrl: string,
  method: string,
  path: string,
  key: string | null,
  body: unknown,
  whileStreaming: (() => Promise<void>) | null,
) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15_000);
  const withBody = !['get', 'head', 'delete'].includes(method);
  try {
    const res = await fetch(baseUrl + path, {
      method: method.toUpperCase(),
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(withBody ? { 'content-type': 'application/json' } : {}),
      },
      body: withBody ? JSON.stringify(body) : undefined,
      signal: abort.signal,
    });
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream'))
      return { status: res.status, text: await res.text(), stream: false };
    let text = '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    if (whileStreaming) {
      await whileStreaming();
      await new Promise((r) => setTimeout(r, 200)); // what the intruder would hear of it has arrived by now
    }
    abort.abort();
    await reading;
    return { status: res.status, text, stream: true };
  } finally {
    clearTimeout(timer);
  }
}
