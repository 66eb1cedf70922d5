import { Inject, Injectable } from '@nestjs/common';
import dns, { type LookupAddress } from 'node:dns';
import { setMaxListeners } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ipLiteral, isReachable, type Network } from './networks.js';

/** The variable that opens non-public networks to outbound calls. */
export const ALLOW_NETWORKS_VARIABLE = 'ACTUATOR_ALLOW_NETWORKS';
/** How long a configuration-time check waits for DNS before leaving the decision to the call. */
const CHECK_LOOKUP_MS = 2000;

/**
 * Why an outbound call failed, in words safe to store and show to the tenant: never the host,
 * port, resolved address or the library's message, so stored errors are no port scanner.
 * `refused`: the egress rule refused the address (not worth a retry); `timed_out` and `network`:
 * the call did not get an answer.
 */
export class EgressFailure extends Error {
  constructor(
    readonly kind: 'refused' | 'timed_out' | 'network' | 'interrupted',
    message: string,
  ) {
    super(message);
    this.name = 'EgressFailure';
  }
}

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole call: connecting, sending, and reading the answer. */
  timeoutMs: number;
  /** The answer is read up to this many bytes; the rest is dropped unread. */
  maxAnswerBytes: number;
  /** Ends the call early (a stop: CallCutOff): it then fails as `interrupted`. */
  cutOff?: AbortSignal;
}

export interface OutboundAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** UTF-8, at most maxAnswerBytes (cut where a character starts, so no half of one is left at the end). */
  body: string;
  /** Whether the answer was longer than maxAnswerBytes, and `body` is its start. */
  truncated: boolean;
}

const CUT_OFF = 'cut off: the service is stopping';

/**
 * Cuts off one caller's outbound calls at a stop's deadline (Egress.stopDeadline): those still out
 * then, and any made after, fail as `interrupted`, so that an actuator's timeout of minutes does not
 * hold the stop. Each caller (the run engine, the notification dispatcher) has its own and arms it
 * only once it claims no more work: a call cut off is handed back for the next replica to repeat,
 * never taken back by a pump still claiming (which would fail it again at once).
 */
export class CallCutOff {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;

  constructor() {
    // One listener per call in flight (Egress.send): hundreds are no leak.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Cuts off at `deadline` (epoch ms). */
  arm(deadline: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.controller.abort(), Math.max(0, deadline - Date.now()));
    this.timer.unref();
  }

  /** The calls it waited for are over: no cut-off. */
  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Waits for `stopped` (a pump's stop: its calls over), cutting off at `deadline` what is still out. */
  async until(stopped: Promise<void>, deadline: number): Promise<void> {
    this.arm(deadline);
    try {
      await stopped;
    } finally {
      this.disarm();
    }
  }
}

const NOT_REACHABLE = `the address is neither public nor in ${ALLOW_NETWORKS_VARIABLE}`;

/**
 * The one egress rule for every outbound call (DESIGN §8 "Actuator reach", §12; ADR 0013):
 * public addresses only, plus the networks the platform operator lists in
 * ACTUATOR_ALLOW_NETWORKS. The rule is applied to the address a connection really goes to: names
 * are resolved by the agents' own `lookup`, which refuses the whole answer if any address in it is
 * outside, and the socket connects to the address that lookup returned (so a DNS answer that
 * changes between a check and the connection, DNS rebinding, cannot slip an internal address in).
 * IP literals, which no lookup sees, are checked as the connection is made.
 */
@Injectable()
export class Egress {
  private readonly allowed: readonly Network[];
  private readonly agents: { http: http.Agent; https: https.Agent };
  private stopDeadlineAt: number | null = null;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'egress'>) {
    this.allowed = config.egress.allowNetworks;
    const guard = (options: http.ClientRequestArgs): EgressFailure | null => {
      if (options.socketPath)
        return new EgressFailure('refused', 'refused by the egress rule: Unix sockets are not reachable');
      const host = options.host ?? options.hostname ?? '';
      return isIP(host) && !this.allows(host)
        ? new EgressFailure('refused', `refused by the egress rule: ${NOT_REACHABLE}`)
        : null;
    };
    const options = { keepAlive: true, lookup: this.lookup };
    this.agents = {
      http: new (guarded(http.Agent, guard))(options),
      https: new (guarded(https.Agent, guard))(options),
    };
  }

  /**
   * When a stop cuts off the outbound calls still out (epoch ms): `ms` after the first time this
   * is asked (the app's close, or a caller's own stop hook when that comes first). Shared, so the
   * stop waits `ms` for calls however its hooks are ordered; each caller arms its own CallCutOff
   * for it once it claims no more work.
   */
  stopDeadline(ms: number): number {
    return (this.stopDeadlineAt ??= Date.now() + ms);
  }

  /** Whether the rule lets a connection reach `address` (an IP literal). */
  allows(address: string): boolean {
    return isReachable(address, this.allowed);
  }

  /**
   * At configuration time (an actuator, a notification channel): null when `url` may be called,
   * else why not, as a sentence for a 400 on the URL field. A name is resolved; one that does not
   * resolve (yet) is accepted, since the rule is applied again to every call.
   */
  async refusal(url: string): Promise<string | null> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return 'must be an http or https URL';
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http or https URL';
    if (u.username || u.password)
      return 'must not carry credentials (user:password@): send them in a header, which is stored sealed';
    const literal = ipLiteral(u.hostname);
    if (literal)
      return this.allows(literal)
        ? null
        : `${literal} is not a public address; only the networks in ${ALLOW_NETWORKS_VARIABLE} may be reached besides public ones`;
    const addresses = await resolveAll(u.hostname, CHECK_LOOKUP_MS);
    return addresses.every((a) => this.allows(a))
      ? null
      : `${u.hostname} resolves to an address that is not public; only the networks in ${ALLOW_NETWORKS_VARIABLE} may be reached besides public ones`;
  }

  /** The agent to use for a request to `url` made by other HTTP clients: it applies the rule when it connects. */
  agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  /**
   * One HTTP request under the rule. Redirects are not followed (a 3xx is the answer). Throws
   * EgressFailure when there is no answer.
   */
  send(url: string, o: OutboundRequest): Promise<OutboundAnswer> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.reject(new EgressFailure('refused', 'not an http or https URL'));
    }
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username || target.password) {
      return Promise.reject(new EgressFailure('refused', 'not an http or https URL without credentials'));
    }
    const signal = AbortSignal.timeout(o.timeoutMs);
    const cutOff = o.cutOff;
    if (cutOff?.aborted) return Promise.reject(new EgressFailure('interrupted', CUT_OFF));
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<OutboundAnswer>((resolve, reject) => {
      // A listener on the caller's long-lived cut-off signal, removed once the call settles (not
      // AbortSignal.any: Node keeps every signal combined with a long-lived one, a leak per call).
      let req: http.ClientRequest | undefined;
      const cut = () => req?.destroy(new EgressFailure('interrupted', CUT_OFF));
      const fail = (err: unknown) => {
        cutOff?.removeEventListener('abort', cut);
        reject(cutOff?.aborted ? new EgressFailure('interrupted', CUT_OFF) : failureOf(err, signal));
      };
      try {
        req = client.request(
          target,
          { method: o.method, headers: o.headers, agent: this.agentFor(target), signal },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const done = () => {
              cutOff?.removeEventListener('abort', cut);
              const read = Buffer.concat(chunks);
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: utf8Start(read, o.maxAnswerBytes),
                truncated: read.length > o.maxAnswerBytes,
              });
            };
            res.on('data', (chunk: Buffer) => {
              chunks.push(chunk);
              size += chunk.length;
              // One byte past the limit tells an answer that was cut from one exactly as long as the limit.
              if (size > o.maxAnswerBytes) {
                done();
                res.destroy();
              }
            });
            res.on('end', done);
            res.on('error', fail);
          },
        );
      } catch (err) {
        // Node refuses to build the request (a header value it cannot send, say): no retry can help.
        return reject(new EgressFailure('refused', `the request is not valid HTTP${codeOf(err)}`));
      }
      cutOff?.addEventListener('abort', cut, { once: true });
      req.on('error', fail);
      req.end(o.body);
    });
  }

  /** dns.lookup, refusing the whole answer when any of its addresses is outside the rule. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (addresses.length === 0 || !addresses.every((a) => this.allows(a.address))) {
        return callback(
          new EgressFailure(
            'refused',
            `refused by the egress rule: the host name resolves to an address that is neither public nor in ${ALLOW_NETWORKS_VARIABLE}`,
          ),
          '',
          0,
        );
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * The first `max` bytes of `bytes` as UTF-8, less the start of a character the cut would split
 * (which would decode to U+FFFD, hiding what it began from a redaction of what was cut).
 */
function utf8Start(bytes: Buffer, max: number): string {
  if (bytes.length <= max) return bytes.toString('utf8');
  let end = max;
  // A byte 10xxxxxx continues a character (of at most 4 bytes): the cut goes before the byte that starts it.
  while (end > max - 3 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

type AgentClass = typeof http.Agent | typeof https.Agent;

/** An agent class that refuses, before connecting, what `guard` refuses (IP literals never reach `lookup`). */
function guarded<A extends AgentClass>(Base: A, guard: (options: http.ClientRequestArgs) => EgressFailure | null): A {
  return class extends (Base as typeof http.Agent) {
    override createConnection(
      options: http.ClientRequestArgs,
      callback?: (err: Error | null, stream: Duplex) => void,
    ): Duplex | null | undefined {
      const refused = guard(options);
      if (!refused) return super.createConnection(options, callback);
      process.nextTick(() => callback?.(refused, undefined as never));
      return undefined;
    }
  } as A;
}

async function resolveAll(hostname: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), timeoutMs)));
  const lookup = dns.promises.lookup(hostname, { all: true }).then(
    (a) => a.map((x) => x.address),
    () => [],
  );
  try {
    return await Promise.race([lookup, late]);
  } finally {
    clearTimeout(timer);
  }
}

const TLS_CODE = /^(EPROTO$|ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** What failed, in words that name no host, port or address (see EgressFailure). */
export function failureOf(err: unknown, signal?: AbortSignal): EgressFailure {
  if (err instanceof EgressFailure) return err;
  if (signal?.aborted) return new EgressFailure('timed_out', 'timed out');
  const code = errorCode(err);
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection reset',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  if (code === 'ETIMEDOUT') return new EgressFailure('timed_out', 'timed out');
  if (known[code]) return new EgressFailure('network', known[code]);
  if (code.startsWith('HPE_')) return new EgressFailure('network', 'the answer is not valid HTTP');
  if (TLS_CODE.test(code)) return new EgressFailure('network', `TLS failed (${code})`);
  return new EgressFailure('network', `network error${codeOf(err)}`);
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return String(e?.code ?? e?.cause?.code ?? '');
}

/** ` (CODE)` for an error with a Node or system code, else nothing: never the error's message, which may name the host. */
function codeOf(err: unknown): string {
  const code = errorCode(err);
  return /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : '';
}
