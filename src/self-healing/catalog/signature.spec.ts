import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { generalize, similarity, WILDCARD } from './pattern-matcher.js';
import {
  cutAtWord,
  extractSignature,
  isLiteralToken,
  maskMessage,
  MAX_MESSAGE_LENGTH,
  MAX_MASKED_LENGTH,
  shapeKeyOf,
  tokenize,
} from './signature.js';

describe('maskMessage', () => {
  it.each([
    ['uuid', 'job 3f2b8c1e-9d4a-4e7b-8c2d-1a2b3c4d5e6f failed', 'job <UUID> failed'],
    ['upper-case uuid', 'job 3F2B8C1E-9D4A-4E7B-8C2D-1A2B3C4D5E6F failed', 'job <UUID> failed'],
    ['ISO timestamp', 'expired at 2024-03-01T12:00:01.123Z now', 'expired at <TS> now'],
    ['ISO timestamp with offset', 'at 2024-03-01T12:00:01+05:30 now', 'at <TS> now'],
    ['date and time with a space', 'at 2024-03-01 12:00:01 now', 'at <TS> now'],
    ['bare date', 'on 2024-03-01 only', 'on <TS> only'],
    ['RFC 1123 date', 'at Tue, 02 Jan 2024 15:04:05 GMT now', 'at <TS> now'],
    ['syslog date', 'at Jan  2 15:04:05 now', 'at <TS> now'],
    ['time of day', 'at 12:30:45.123 now', 'at <TS> now'],
    ['IPv4', 'from 10.0.3.17 now', 'from <IP> now'],
    ['IPv4 with port', 'to 10.0.3.17:5432: refused', 'to <IP>: refused'],
    ['IPv4 CIDR', 'route 10.0.0.0/16 added', 'route <IP> added'],
    ['IPv6', 'from 2001:db8::8a2e:370:7334 now', 'from <IP> now'],
    ['bracketed IPv6 with port', 'dial tcp [::1]:5432: connect', 'dial tcp <IP>: connect'],
    ['IPv4-mapped IPv6', 'from ::ffff:10.0.0.1 now', 'from <IP> now'],
    ['IPv6 of six two-digit groups and an IPv4 (no MAC)', 'from 00:00:00:00:00:00:10.0.0.1 now', 'from <IP> now'],
    ['MAC address', 'port 00:1a:2b:3c:4d:5e down', 'port <ID> down'],
    [
      'IPv6 of eight two-digit groups (zero-padded, not a MAC)',
      'client 00:00:00:00:00:00:00:00 gone',
      'client <IP> gone',
    ],
    ['MAC address before a dot and a digit', 'port 00:1a:2b:3c:4d:5e.1 down', 'port <ID>.1 down'],
    ['URL', 'GET https://api.example.com/v1/users?id=5, retrying', 'GET <URL>, retrying'],
    ['s3 URL', 'read s3://bucket-1/a/b.parquet failed', 'read <URL> failed'],
    ['absolute path', 'open /var/lib/data/file.db: denied', 'open <PATH>: denied'],
    ['URL path with query', 'GET /api/v1/users/42?page=2 failed', 'GET <PATH> failed'],
    [
      'path with date segments (one path)',
      'GET /reports/2026/12/05 and /r/0/0/0000 and /-0/0/0000/- and /x/_-1858-28/17-_ failed',
      'GET <PATH> and <PATH> and <PATH> and <PATH> failed',
    ],
    ['month/day/year date', 'failed on 12/05/2026 10:00 again', 'failed on <TS> again'],
    ['a timestamp after a path', 'GET /api/v1/metrics/2026-12-05T10:00:00+02:00 failed', 'GET <PATH><TS> failed'],
    ['an interval of dates', 'range 2026-12-01/2026-12-02 empty', 'range <TS>/<TS> empty'],
    ['an interval of timestamps', 'range 2026-12-01T00:00:00Z/2026-12-02T00:00:00Z', 'range <TS>/<TS>'],
    ['Windows path', 'open C:\\Users\\svc\\data.txt failed', 'open <PATH> failed'],
    ['relative resource path', 'topic projects/p-1/topics/orders gone', 'topic <PATH> gone'],
    ['file name with extension', 'load model-00001-of-00002.safetensors failed', 'load <PATH> failed'],
    ['0x hex', 'fault at 0x7ffe12ab now', 'fault at <HEX> now'],
    ['sha', 'commit 3f786850e387550fdab836ed7e6dc881de23001b failed', 'commit <HEX> failed'],
    ['email', 'user bob.smith+x@corp.example.com locked', 'user <EMAIL> locked'],
    ['single-quoted value with spaces', "group 'orders v2' failed", 'group <STR> failed'],
    ['double-quoted value', 'table "users" missing', 'table <STR> missing'],
    ['backtick-quoted value', 'column `email` missing', 'column <STR> missing'],
    ['apostrophe is not a quote', "can't write to 'db' now", "can't write to <STR> now"],
    ['request id', 'request req-8f3a2 failed', 'request <ID> failed'],
    ['underscore id', 'user user_1234 failed', 'user <ID> failed'],
    ['pod name', 'pod api-7d9f8b-xk2lp killed', 'pod <ID> killed'],
    ['ARN', 'role arn:aws:iam::123456789012:role/deployer denied', 'role <ID> denied'],
    ['host name', 'connect to db-3.prod.internal failed', 'connect to <HOST> failed'],
    ['host name with port', 'connect to redis.cache.svc.cluster.local:6379 failed', 'connect to <HOST> failed'],
    ['integer', 'retry 3 of 10', 'retry <NUM> of <NUM>'],
    ['float', 'score 0.875 low', 'score <NUM> low'],
    ['duration units', 'took 30s then 250ms then 1m30s', 'took <NUM> then <NUM> then <NUM>'],
    ['size units', 'limit 512MB and 2GiB and 256Mi', 'limit <NUM> and <NUM> and <NUM>'],
    ['percentage', 'disk at 97% full', 'disk at <NUM> full'],
    ['thousands separator', 'read 1,024,000 rows', 'read <NUM> rows'],
    ['key=value number', 'exit status=137 code', 'exit status=<NUM> code'],
    ['version', 'node v20.1.0 and 1.2.3', 'node <ID> and <NUM>'],
    ['ctime date', 'since Tue Mar 03 14:22:10 2026 now', 'since <TS> now'],
    ['written date', 'failed on March 3, 2026 at noon', 'failed on <TS> at noon'],
    ['day-month-year date', 'failed on 3 Mar 2026 again', 'failed on <TS> again'],
    ['Common Log Format date', '[03/Mar/2026:14:22:10 +0000] denied', '[<TS>] denied'],
    ['bare weekday', 'last run on Tuesday failed', 'last run on <TS> failed'],
    ['size with a unit word', 'wrote 5120 bytes (5.0 KB)', 'wrote <NUM> (<NUM>)'],
    ['size with another unit', 'wrote 5120 bytes (2.3 MB)', 'wrote <NUM> (<NUM>)'],
    ['duration in words', 'gave up after 90 seconds and 1h 30m', 'gave up after <NUM> and <NUM>'],
    ['mm:ss duration', 'job ran 01:45 then 112:09', 'job ran <NUM> then <NUM>'],
    ['bracketed pid', 'sshd[4312]: Invalid user', 'sshd[<NUM>]: Invalid user'],
    ['host under a country code', 'rhost=csnsu.nsuok.edu user=root', 'rhost=<HOST> user=root'],
    ['host under a two-letter domain', 'from www.example.hk now', 'from <HOST> now'],
    ['IPv4 digits inside a host name', 'from dsl-static-059.45.101.203.touchtel.net now', 'from <HOST> now'],
    ['long colon-separated hex', 'chip FF:F2:9F:15:7E:6E:00:0D:60:EA:81:91 changed', 'chip <ID> changed'],
    ['path with double slashes', 'load /home/yates//bandwidth.rts failed', 'load <PATH> failed'],
    ['path with a dotted directory', 'load /bgl/apps/WORK/1498./hpl_DD failed', 'load <PATH> failed'],
    ['path after a colon', 'source path:/var/log/CoreCapture/x.y now', 'source path:<PATH> now'],
  ])('masks %s', (_rule, message, masked) => {
    expect(maskMessage(message)).toBe(masked);
  });

  it('keeps constant technical words that contain digits', () => {
    expect(maskMessage('x509: certificate signed for s3 via oauth2')).toBe(
      'x509: certificate signed for s3 via oauth2',
    );
  });

  it('leaves literal words, dotted class names and MAC-like text classified consistently', () => {
    expect(maskMessage('java.lang.OutOfMemoryError: Java heap space')).toBe(
      'java.lang.OutOfMemoryError: Java heap space',
    );
    expect(maskMessage('mach-lookup com.apple.networking.captivenetworksupport denied')).toBe(
      'mach-lookup com.apple.networking.captivenetworksupport denied',
    );
    expect(maskMessage('process python3 and eth0')).toBe('process python3 and eth0');
    expect(maskMessage('iface 00:1a:2b:3c:4d:5e down')).toBe('iface <ID> down');
    expect(maskMessage('std::vector and Pub/Sub and 5/20')).toBe('std::vector and Pub/Sub and <NUM>/<NUM>');
  });

  it('collapses whitespace', () => {
    expect(maskMessage('  a \t b\n c  ')).toBe('a b c');
  });
});

describe('tokenize', () => {
  it('splits on whitespace and strips edge punctuation', () => {
    expect(tokenize('refused (pool <ID>, attempt <NUM>); done. ... :')).toEqual([
      'refused',
      'pool',
      '<ID>',
      'attempt',
      '<NUM>',
      'done',
    ]);
  });
});

describe('extractSignature', () => {
  it('normalises the error type and masks, tokenises and keys the message', () => {
    const signature = extractSignature(
      '  DB_Connection ',
      'could not connect to server at 10.0.3.17:5432: connection refused (attempt 3)',
    );
    expect(signature).toEqual({
      errorType: 'db_connection',
      masked: 'could not connect to server at <IP>: connection refused (attempt <NUM>)',
      tokens: ['could', 'not', 'connect', 'to', 'server', 'at', '<IP>', 'connection', 'refused', 'attempt', '<NUM>'],
      shapeKey: '11',
    });
  });

  it('keys on the token count alone: any word may turn out to be a parameter', () => {
    expect(shapeKeyOf(['Failed', 'to', 'load', 'model', '<STR>'])).toBe('5');
    expect(shapeKeyOf(['unknown', 'user', 'maria'])).toBe(shapeKeyOf(['unknown', 'user', 'deploy']));
  });

  it('splits key=value into the key and the value', () => {
    expect(tokenize('reset user=maria rhost= code=<NUM>')).toEqual([
      'reset',
      'user=',
      'maria',
      'rhost=',
      'code=',
      '<NUM>',
    ]);
  });

  it('treats words as literal, names ending in one digit included, and values as not', () => {
    expect(isLiteralToken('refused')).toBe(true);
    expect(isLiteralToken('state=FAILED')).toBe(true);
    expect(isLiteralToken('ec2')).toBe(true);
    expect(isLiteralToken('python3')).toBe(true);
    expect(isLiteralToken('<NUM>')).toBe(false);
    expect(isLiteralToken('cache:<NUM>')).toBe(false);
    expect(isLiteralToken('node12')).toBe(false);
  });
});

describe('tokenize: punctuation, dot leaders and values of variable length', () => {
  const tokensOf = (message: string) => extractSignature('e', message).tokens;

  it.each([
    ['a value glued to its name by punctuation', 'Previous sleep cause: 5', ['Previous', 'sleep', 'cause', '<NUM>']],
    [
      'a bracketed or parenthesised value',
      'LOGIN chdir(pwd) failed: No such file',
      ['LOGIN', 'chdir', 'pwd', 'failed', 'No', 'such', 'file'],
    ],
    ['dot leaders', 'store operation.............1', ['store', 'operation', '<NUM>']],
    ['a masked run of asterisks', 'llFriendUIN = ******2341.', ['llFriendUIN', '=', '<NUM>']],
    ['a number and its unit in parentheses (one value)', '1190 bytes (1.16 KB) sent', ['<NUM>', 'sent']],
    ['a list of numbers (one value)', 'Supported channels 1 2 3 36 40 44', ['Supported', 'channels', '<NUM>']],
    [
      'values of different kinds side by side (one value)',
      'connection from 10.0.0.1 (host-1.example.net) at 07:07:00',
      ['connection', 'from', '<*>', 'at', '<TS>'],
    ],
    [
      'an empty pair of parentheses',
      'connection from 10.0.0.1 () at 07:07:00',
      ['connection', 'from', '<IP>', 'at', '<TS>'],
    ],
  ])('splits %s', (_case, message, tokens) => {
    expect(tokensOf(message)).toEqual(tokens);
  });

  it('keeps the length of a template whatever its values are', () => {
    expect(tokensOf('close, 0 bytes sent, 0 bytes received, lifetime 00:01')).toEqual(
      tokensOf('close, 1190 bytes (1.16 KB) sent, 815 bytes received, lifetime <1 sec'),
    );
  });
});

// ── Property: variable values never change the signature ──

const hexChars = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${min},${max}}$`));
const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[a-z0-9]{${min},${max}}$`));
const word = fc.constantFrom('orders', 'payments', 'api', 'worker', 'billing');

const arb = {
  num: fc.oneof(
    fc.nat().map(String),
    fc.double({ min: 0, max: 1e6, noNaN: true }).map((n) => n.toFixed(3)),
    fc
      .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('ms', 's', 'MB', 'GiB', '%', 'Mi', 'm'))
      .map(([n, unit]) => `${n}${unit}`),
  ),
  uuid: fc.uuid(),
  ipPort: fc.oneof(
    fc.ipV4(),
    fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`),
  ),
  ipv6: fc.ipV6(),
  path: fc.oneof(
    fc
      .array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 6 })
      .map((parts) => `/${parts.join('/')}`),
    fc
      .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/), { minLength: 1, maxLength: 4 })
      .map((parts) => `C:\\${parts.join('\\')}`),
  ),
  quoted: fc.string({ maxLength: 40 }).filter((s) => !/['\r\n]/.test(s)),
  timestamp: fc
    .tuple(
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.nat(3),
    )
    .map(
      ([date, format]) =>
        [
          date.toISOString(),
          date.toUTCString(),
          date.toISOString().slice(0, 19),
          date.toISOString().replace('T', ' ').slice(0, 19),
        ][format]!,
    ),
  // 0x-prefixed, or a sha with at least one letter and one digit (an all-digit sha is a number).
  hex: fc.oneof(
    hexChars(1, 16).map((h) => `0x${h}`),
    fc
      .tuple(hexChars(38, 38), fc.constantFrom(...'abcdef'), fc.constantFrom(...'0123456789'))
      .map(([h, l, d]) => `${l}${h}${d}`),
  ),
  // Ids are told from words by their digits, so every generated id holds one.
  id: fc.oneof(
    fc.tuple(alnum(3, 10), fc.nat(9)).map(([s, d]) => `req-${s}${d}`),
    fc.nat().map((n) => `user_${n}`),
    fc.tuple(word, alnum(5, 9), fc.nat(9), alnum(4, 4), fc.nat(9)).map(([w, a, d, b, e]) => `${w}-${a}${d}-${b}${e}`),
  ),
  host: fc
    .tuple(
      word,
      fc.nat(99),
      fc.constantFrom('prod.internal', 'svc.cluster.local', 'example.com'),
      fc.option(fc.integer({ min: 1, max: 65535 })),
    )
    .map(([w, n, domain, port]) => `${w}-${n}.${domain}${port === null ? '' : `:${port}`}`),
  email: fc
    .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,10}$/), fc.constantFrom('example.com', 'corp.example.org'))
    .map(([local, domain]) => `${local}@${domain}`),
  url: fc
    .tuple(fc.constantFrom('http', 'https', 'gs'), word, fc.array(alnum(1, 8), { maxLength: 4 }))
    .map(([scheme, w, parts]) => `${scheme}://${w}.example.com/${parts.join('/')}`),
};

type Values = { [K in keyof typeof arb]: string };
const values: fc.Arbitrary<Values> = fc.record(arb) as fc.Arbitrary<Values>;

const templates: ReadonlyArray<readonly [string, (v: Values) => string]> = [
  [
    'kafka',
    (v) =>
      `Kafka consumer group '${v.quoted}' rebalance failed for topic '${v.quoted}' partition ${v.num}: member ${v.id} timed out after ${v.num}`,
  ],
  ['db', (v) => `could not connect to server at ${v.ipPort}: connection refused (pool ${v.id}, attempt ${v.num})`],
  ['http', (v) => `GET ${v.path} returned ${v.num} after ${v.num} at ${v.timestamp} (request ${v.uuid})`],
  ['tls', (v) => `TLS handshake with ${v.host} failed at ${v.timestamp}: serial ${v.hex}, client ${v.ipv6}`],
  ['auth', (v) => `JWT for ${v.email} from ${v.url} rejected, kid ${v.hex}, cache file ${v.path}.`],
  [
    'gpu',
    (v) => `CUDA out of memory on GPU ${v.num} (${v.num} allocated; ${v.num} free) in pod ${v.id} at ${v.timestamp}`,
  ],
];

describe('signature stability (property)', () => {
  it.each(templates)('never changes when only the variable parts of the %s template change', (_name, render) => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const first = extractSignature('Err', render(a));
        const second = extractSignature('Err', render(b));
        expect(second.masked).toBe(first.masked);
        expect(second.tokens).toEqual(first.tokens);
        expect(second.shapeKey).toBe(first.shapeKey);
        // …so the pattern never changes: a perfect match that generalises nothing.
        expect(similarity(first.tokens, second.tokens)).toBe(1);
        expect(generalize(first.tokens, second.tokens)).not.toContain(WILDCARD);
      }),
      { numRuns: 300 },
    );
  });
});

describe('input bounds', () => {
  it('masks long, pathological input quickly and caps its length', () => {
    const nasty = [
      'a.'.repeat(50_000),
      '/a'.repeat(50_000),
      '"'.repeat(50_000),
      '1:'.repeat(50_000),
      'x-1'.repeat(50_000),
    ];
    for (const message of nasty) {
      const started = performance.now();
      const signature = extractSignature('e', message);
      expect(performance.now() - started).toBeLessThan(500);
      expect(signature.masked.length).toBeLessThanOrEqual(MAX_MASKED_LENGTH);
    }
  });
});

describe('long messages: the cut', () => {
  // What PostgreSQL stores for a text: U+0000 and lone surrogates would come back as U+FFFD (or fail).
  const storableUnchanged = (token: string) =>
    // eslint-disable-next-line no-control-regex -- NUL is one of the characters looked for
    !/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(token) &&
    Buffer.from(token, 'utf8').toString('utf8') === token;

  it('never leaves half a surrogate pair: an emoji across the limit is dropped whole, and the same message gives the same tokens', () => {
    const messages = [
      MAX_MASKED_LENGTH - 1,
      MAX_MESSAGE_LENGTH - 2,
      MAX_MESSAGE_LENGTH - 1,
      MAX_MESSAGE_LENGTH,
    ].flatMap((at) => [
      'worker crashed: '.padEnd(at, 'y') + '😀 tail',
      'x'.repeat(at) + '😀'.repeat(MAX_MESSAGE_LENGTH),
    ]);
    for (const message of messages) {
      const first = extractSignature('crash', message);
      const second = extractSignature('crash', message);
      expect(first.tokens.every(storableUnchanged)).toBe(true);
      expect(first.masked.length).toBeLessThanOrEqual(MAX_MASKED_LENGTH);
      expect(second.tokens).toEqual(first.tokens);
    }
    // The cut itself: a trailing high surrogate is never kept.
    expect(cutAtWord('a'.repeat(9) + '😀', 10)).toBe('a'.repeat(9));
  });

  it('makes every token storable: lone surrogates and NUL in the message become U+FFFD before matching', () => {
    const tokens = extractSignature('e', 'bad \ud83d byte \u0000 and \ude00 here').tokens;
    expect(tokens.every(storableUnchanged)).toBe(true);
    expect(tokens).toEqual(['bad', '\ufffd', 'byte', '\ufffd', 'and', '\ufffd', 'here']);
  });

  it('cuts on a word boundary: a word the limit falls inside is dropped', () => {
    expect(cutAtWord('alpha bravo charlie', 13)).toBe('alpha bravo ');
    expect(cutAtWord('alpha bravo charlie', 11)).toBe('alpha bravo');
    expect(cutAtWord('alphabravocharlie', 5)).toBe('alpha'); // no space: cut at the limit
  });

  it('two long messages differing only in the length of an earlier value give the same template', () => {
    const words = 'at com.acme.orders.OrderService.process connection refused by upstream payments gateway '.repeat(60);
    const signatures = [7, 1234, 98, 123456, 5, 31, 4242, 77777].map((n) =>
      extractSignature('crash', `job ${n} failed after retries: ${words}`),
    );
    for (const signature of signatures) {
      expect(signature.shapeKey).toBe(signatures[0]!.shapeKey);
      expect(signature.tokens).toEqual(signatures[0]!.tokens);
    }
  });
});

describe('placeholder-shaped text in a message is words, not a value', () => {
  it('keeps <EOF> and <INDENT> apart: different words, no match', () => {
    const eof = extractSignature('parse', 'syntax error: unexpected <EOF> while reading config');
    const indent = extractSignature('parse', 'syntax error: unexpected <INDENT> while reading config');
    expect(similarity(eof.tokens, indent.tokens)).toBe(0);
    expect(eof.tokens.every(isLiteralToken)).toBe(true);
  });

  it('treats a raw <*> as a word, never as the wildcard', () => {
    const signature = extractSignature('render', 'template render failed: <*> is not defined here now');
    expect(signature.tokens).not.toContain(WILDCARD);
    expect(signature.tokens.every(isLiteralToken)).toBe(true);
    const other = extractSignature('render', 'template render failed: user is not defined here now');
    expect(similarity(signature.tokens, other.tokens)).toBe(0);
  });

  it("neutralises only the look-alike's '<' and masks the rest as before", () => {
    expect(maskMessage('got <EOF> after 12 bytes')).toBe('got ‹EOF> after <NUM>');
  });
});
