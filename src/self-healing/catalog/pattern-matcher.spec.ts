import { describe, expect, it } from '@jest/globals';
import {
  bestMatch,
  fileSignature,
  generalize,
  PatternIndex,
  similarity,
  WILDCARD,
  type PatternCandidate,
} from './pattern-matcher.js';
import { extractSignature, type FailureSignature } from './signature.js';

const words = (text: string) => text.split(' ');
const signatureOf = (text: string): FailureSignature => ({
  errorType: 'e',
  tokens: words(text),
  masked: text,
  shapeKey: 'k',
});

describe('similarity', () => {
  it('is 1 for identical token lists (and for two empty ones)', () => {
    expect(similarity(words('connect to <IP> refused'), words('connect to <IP> refused'))).toBe(1);
    expect(similarity([], [])).toBe(1);
  });

  it('is 0 when the lengths differ', () => {
    expect(similarity(words('a b c'), words('a b c d'))).toBe(0);
  });

  it('lets <*> match any token, including literal words', () => {
    expect(similarity(words(`retry ${WILDCARD} of <NUM>`), words('retry <ID> of <NUM>'))).toBe(1);
    expect(similarity(words(`user ${WILDCARD} locked`), words('user admin locked'))).toBe(1);
  });

  it('treats two values as one slot, whatever the masker classified them as', () => {
    expect(similarity(words('on host <HOST> after <NUM> tries'), words('on host <IP> after <NUM> tries'))).toBe(1);
    expect(similarity(words('region us-east-1 down now'), words('region eu-west-1 down now'))).toBe(1);
  });

  it('counts a value against a literal word as a soft mismatch', () => {
    expect(similarity(words('user admin not found'), words('user <ID> not found'))).toBeCloseTo(3 / 4);
    expect(similarity(words('chdir <PATH> failed no such file'), words('chdir pwd failed no such file'))).toBeCloseTo(
      5 / 6,
    );
  });

  it('is 0 on any hard mismatch: two different literal words at one position', () => {
    expect(
      similarity(
        words('connection refused by <IP> after <NUM> ms x y z'),
        words('connection reset by <IP> after <NUM> ms x y z'),
      ),
    ).toBe(0);
    expect(similarity(words('state=FAILED for <ID>'), words('state=CANCELLED for <ID>'))).toBe(0);
  });
});

describe('hard-mismatch rule on real messages', () => {
  const pairs: Array<[string, string, string]> = [
    [
      'kafka_error',
      "Kafka consumer group 'orders' rebalance failed for topic 'payments' partition 3: member consumer-1-7f3a timed out after 30000ms",
      "Kafka consumer group 'billing' commit failed for topic 'ledger' partition 9: member consumer-2-9b1c timed out after 1200ms",
    ],
    [
      'db_connection',
      'could not connect to server at 10.0.0.1:5432: connection refused (pool pg-1a, attempt 1)',
      'could not connect to server at 10.9.8.7:6543: connection reset (pool pg-2b, attempt 4)',
    ],
  ];

  it.each(pairs)('never matches %s messages that differ in one literal word', (errorType, a, b) => {
    const first = extractSignature(errorType, a);
    const second = extractSignature(errorType, b);
    // Same bucket, almost all tokens shared: only the rule keeps them apart.
    expect(second.shapeKey).toBe(first.shapeKey);
    expect(similarity(first.tokens, second.tokens)).toBe(0);
    expect(bestMatch([{ id: 'p1', templateTokens: first.tokens, occurrenceCount: 1 }], second, 0)).toBeNull();
    expect(() => generalize(first.tokens, second.tokens)).toThrow(/cannot generalise literal/);
  });
});

describe('bestMatch', () => {
  const candidates: PatternCandidate[] = [
    { id: 'low', templateTokens: words('disk <PATH> on local x'), occurrenceCount: 1 }, // 4/5 against the message
    { id: 'high', templateTokens: words('disk <PATH> on <IP> x'), occurrenceCount: 1 }, // 5/5
  ];

  it('returns the highest-scoring candidate at or above the threshold', () => {
    expect(bestMatch(candidates, signatureOf('disk <PATH> on <IP> x'))).toEqual({ id: 'high', score: 1 });
  });

  it('uses 0.8 as the default threshold, inclusive', () => {
    const signature = signatureOf('disk <PATH> on remote x');
    expect(bestMatch(candidates, signature)).toEqual({ id: 'high', score: 0.8 });
    expect(bestMatch(candidates, signature, 0.81)).toBeNull();
  });

  it('returns null for no candidates or no candidate above the threshold', () => {
    expect(bestMatch([], signatureOf('a b'))).toBeNull();
    expect(bestMatch(candidates, signatureOf('disk local on remote x'))).toBeNull();
  });

  it('breaks ties by fewest wildcards, then smallest id, whatever the input order', () => {
    const tied: PatternCandidate[] = [
      { id: 'b', templateTokens: words(`open ${WILDCARD} denied`), occurrenceCount: 1 },
      { id: 'c', templateTokens: words('open <PATH> denied'), occurrenceCount: 1 },
      { id: 'a', templateTokens: words(`open ${WILDCARD} denied`), occurrenceCount: 1 },
    ];
    const signature = signatureOf('open <PATH> denied');
    expect(bestMatch(tied, signature)).toEqual({ id: 'c', score: 1 });
    const sameSpecificity = tied.filter((c) => c.id !== 'c');
    expect(bestMatch(sameSpecificity, signature)?.id).toBe('a');
    expect(bestMatch([...sameSpecificity].reverse(), signature)?.id).toBe('a');
  });
});

describe('generalize', () => {
  it('turns differing positions into <*> and keeps equal ones', () => {
    expect(generalize(words('retry <NUM> on <HOST> now'), words('retry <NUM> on <IP> now'))).toEqual(
      words(`retry <NUM> on ${WILDCARD} now`),
    );
  });

  it('keeps existing wildcards and lets a literal meet a placeholder', () => {
    expect(generalize(words(`user ${WILDCARD} admin`), words('user <ID> <ID>'))).toEqual(
      words(`user ${WILDCARD} ${WILDCARD}`),
    );
  });

  it('refuses different lengths and hard mismatches', () => {
    expect(() => generalize(words('a b'), words('a b c'))).toThrow(RangeError);
    expect(() => generalize(words('connection refused'), words('connection reset'))).toThrow(/position 1/);
  });
});

describe('PatternIndex', () => {
  const ids = () => {
    let n = 0;
    return () => `p${++n}`;
  };

  it('buckets candidates by error type (case-insensitive) and shape key', () => {
    const index = new PatternIndex();
    const candidate = { id: 'p1', templateTokens: ['a'], occurrenceCount: 1 };
    index.add('Timeout', '1:a', candidate);
    expect(index.candidates(' timeout ', '1:a')).toEqual([candidate]);
    expect(index.candidates('timeout', '2:a')).toEqual([]);
    expect(index.candidates('db_error', '1:a')).toEqual([]);
    expect(index.size).toBe(1);
  });

  it('adds a new pattern on a miss, then matches and generalises it', () => {
    const index = new PatternIndex();
    const newId = ids();
    const first = index.matchOrAdd(extractSignature('db_error', 'replica db-1.prod.internal lag 30s'), 0.8, newId);
    expect(first).toEqual({
      id: 'p1',
      score: 1,
      isNew: true,
      templateTokens: ['replica', '<HOST>', 'lag', '<NUM>'],
      absorbed: [],
    });

    const same = index.matchOrAdd(extractSignature('db_error', 'replica db-7.prod.internal lag 2s'), 0.8, newId);
    expect(same).toEqual({
      id: 'p1',
      score: 1,
      isNew: false,
      templateTokens: ['replica', '<HOST>', 'lag', '<NUM>'],
      absorbed: [],
    });

    // A slot that held a host now holds an IP: the same slot, generalised.
    const ip = index.matchOrAdd(extractSignature('db_error', 'replica 10.0.0.5 lag 9s'), 0.8, newId);
    expect(ip).toEqual({
      id: 'p1',
      score: 1,
      isNew: false,
      templateTokens: ['replica', WILDCARD, 'lag', '<NUM>'],
      absorbed: [],
    });
    // A slot that held a value now holds a word: 3 of 4 tokens agree (0.75 < 0.8) → new pattern…
    const words = new PatternIndex();
    words.matchOrAdd(extractSignature('db_error', 'replica db-1.prod.internal lag 30s'), 0.8, newId);
    expect(words.matchOrAdd(extractSignature('db_error', 'replica primary lag 9s'), 0.8, newId).isNew).toBe(true);
    // …but with a lower threshold it joins p1.
    const index2 = new PatternIndex();
    const newId2 = ids();
    index2.matchOrAdd(extractSignature('db_error', 'replica db-1.prod.internal lag 30s'), 0.7, newId2);
    const merged = index2.matchOrAdd(extractSignature('db_error', 'replica primary lag 9s'), 0.7, newId2);
    expect(merged).toEqual({
      id: 'p1',
      score: 0.75,
      isNew: false,
      templateTokens: ['replica', WILDCARD, 'lag', '<NUM>'],
      absorbed: [],
    });
    expect(index2.candidates('db_error', String(merged.templateTokens.length))[0]).toEqual({
      id: 'p1',
      templateTokens: merged.templateTokens,
      occurrenceCount: 2,
    });
    expect(index2.matchOrAdd(extractSignature('db_error', 'replica fd00::1 lag 1s'), 0.7, newId2)).toMatchObject({
      id: 'p1',
      score: 1,
    });
  });

  it('keeps the same message under different error types apart', () => {
    const index = new PatternIndex();
    const newId = ids();
    const a = index.matchOrAdd(extractSignature('timeout', 'call to <x> took 5s'), 0.8, newId);
    const b = index.matchOrAdd(extractSignature('db_error', 'call to <x> took 5s'), 0.8, newId);
    expect(a.id).not.toBe(b.id);
    expect(b.isNew).toBe(true);
  });

  it('keeps confusable templates in separate patterns', () => {
    const index = new PatternIndex();
    const newId = ids();
    const refused = index.matchOrAdd(
      extractSignature('db', 'connect to 10.0.0.1:5432 failed: connection refused after 3 tries'),
      0.8,
      newId,
    );
    const reset = index.matchOrAdd(
      extractSignature('db', 'connect to 10.0.0.2:5432 failed: connection reset after 4 tries'),
      0.8,
      newId,
    );
    const refusedAgain = index.matchOrAdd(
      extractSignature('db', 'connect to 10.0.0.3:6432 failed: connection refused after 1 tries'),
      0.8,
      newId,
    );
    expect(reset.isNew).toBe(true);
    expect(refusedAgain.id).toBe(refused.id);
    expect(index.size).toBe(2);
  });
});

describe('fileSignature: learning variable positions', () => {
  const file = (index: PatternIndex, message: string, newId: () => string) =>
    index.matchOrAdd(extractSignature('ssh', message), 0.8, newId);
  const ids = () => {
    let n = 0;
    return () => `p${++n}`;
  };

  it('learns a word position as a parameter once several words, none dominating, have shown there, and keeps the oldest id', () => {
    const index = new PatternIndex();
    const newId = ids();
    expect(file(index, 'unknown user deploy from gw-west', newId)).toMatchObject({ id: 'p1', isNew: true });
    expect(file(index, 'unknown user maria from gw-west', newId)).toMatchObject({ id: 'p2', isNew: true });
    // Three words seen once each are not enough yet (1 + 3 margin, 1, 1: 2.2 effective words)…
    expect(file(index, 'unknown user oracle from gw-west', newId)).toMatchObject({ id: 'p3', isNew: true });
    // …four are (2.9).
    const fourth = file(index, 'unknown user admin from gw-west', newId);
    expect(fourth).toEqual({
      id: 'p1',
      score: 1,
      isNew: false,
      templateTokens: ['unknown', 'user', WILDCARD, 'from', 'gw-west'],
      absorbed: ['p2', 'p3'],
    });
    expect(index.resolve('p3')).toBe('p1');
    expect(file(index, 'unknown user guest from gw-west', newId)).toMatchObject({
      id: 'p1',
      isNew: false,
      absorbed: [],
    });
    expect(index.size).toBe(1);
    expect(index.candidates('ssh', '5')[0]?.occurrenceCount).toBe(5);
  });

  it('keeps a word that dominates its position literal, whatever the order (root 30 times, guest 3, test 1)', () => {
    const messages = [...Array(30).fill('root'), 'guest', 'guest', 'guest', 'test'].map(
      (user) => `authentication failure rhost=10.0.0.1 user=${user}`,
    );
    for (const order of [messages, [...messages].reverse(), [...messages.slice(28), ...messages.slice(0, 28)]]) {
      const index = new PatternIndex();
      const newId = ids();
      const final = order.map((m) => file(index, m, newId).id).map((id) => index.resolve(id));
      expect(new Set(final).size).toBe(3);
    }
  });

  it('judges on every incident: a position learned from counts, not from when its third word came', () => {
    const index = new PatternIndex();
    const newId = ids();
    // Three users, the first two often before the third shows: 10, 10, then 1 — not yet.
    for (let i = 0; i < 10; i++) {
      file(index, 'session closed for user cyrus', newId);
      file(index, 'session closed for user news', newId);
    }
    expect(file(index, 'session closed for user test', newId).isNew).toBe(true);
    // The third user's next incidents match its own pattern; as its count grows the position is learned.
    const filed = Array.from({ length: 10 }, () => file(index, 'session closed for user test', newId));
    expect(filed.some((r) => r.absorbed.length > 0)).toBe(true);
    expect(index.size).toBe(1);
  });

  it('does not learn positions whose words change together (state transitions)', () => {
    const index = new PatternIndex();
    const newId = ids();
    const transitions = [
      ['NEW', 'UNASSIGNED'],
      ['UNASSIGNED', 'ASSIGNED'],
      ['ASSIGNED', 'RUNNING'],
      ['RUNNING', 'SUCCEEDED'],
      ['SUCCEEDED', 'DONE'],
    ];
    for (let i = 0; i < 5; i++)
      for (const [from, to] of transitions) file(index, `attempt_${i}_0 transitioned from ${from} to ${to}`, newId);
    expect(index.size).toBe(transitions.length);
  });

  it('learns several positions together when their words vary independently', () => {
    const index = new PatternIndex();
    const newId = ids();
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const hosts = ['gw-west', 'gw-east', 'bastion', 'jumpbox', 'relay'];
    const filed = Array.from(
      { length: 12 },
      (_, i) => file(index, `login refused for ${users[(i * 5) % 6]} on ${hosts[(i * 7) % 5]} by policy`, newId).id,
    );
    expect(new Set(filed.map((id) => index.resolve(id))).size).toBe(1);
    expect(index.candidates('ssh', '8')).toEqual([
      {
        id: 'p1',
        templateTokens: words(`login refused for ${WILDCARD} on ${WILDCARD} by policy`),
        occurrenceCount: 12,
      },
    ]);
  });

  it('never learns a template that would keep fewer literal words than values', () => {
    const index = new PatternIndex();
    const newId = ids();
    for (const word of ['Launching', 'KILLING', 'ATTEMPT_START', 'JOB_CREATE', 'Cleaning', 'Removing']) {
      for (let i = 0; i < 3; i++) file(index, `${word} attempt_${i}_${word.length}`, newId);
    }
    expect(index.size).toBe(6);
  });

  it('keeps two look-alikes one word apart in two patterns, however often they come', () => {
    const index = new PatternIndex();
    const newId = ids();
    const ofA = new Set<string>();
    const ofB = new Set<string>();
    for (let i = 0; i < 50; i++) {
      ofA.add(index.resolve(file(index, `connection to 10.0.0.${i} refused after ${i} tries`, newId).id));
      ofB.add(index.resolve(file(index, `connection to 10.0.1.${i} reset after ${i} tries`, newId).id));
    }
    expect(ofA.size).toBe(1);
    expect(ofB.size).toBe(1);
    expect([...ofA][0]).not.toBe([...ofB][0]);
  });

  it('needs only two words for a key=value value in a record whose other fields all hold values', () => {
    const index = new PatternIndex();
    const newId = ids();
    file(index, 'slow query docs=120 ms=3400 plan=COLLSCAN', newId);
    const second = file(index, 'slow query docs=9 ms=210 plan=IXSCAN', newId);
    expect(second).toMatchObject({
      id: 'p1',
      isNew: false,
      templateTokens: ['slow', 'query', 'docs=', '<NUM>', 'ms=', '<NUM>', 'plan=', WILDCARD],
    });
    // A record that keeps a literal field (tty=ssh) keeps its other literal fields too.
    const index2 = new PatternIndex();
    file(index2, 'auth failure uid=0 tty=ssh rhost=10.0.0.1 user=root', newId);
    expect(file(index2, 'auth failure uid=0 tty=ssh rhost=10.0.0.2 user=guest', newId).isNew).toBe(true);
  });

  it('merges a pattern the generalised template now covers into the oldest one', () => {
    const candidates: PatternCandidate[] = [
      { id: 'p1', templateTokens: words('unknown user <*> from gw-west'), occurrenceCount: 4 },
      { id: 'p2', templateTokens: words('unknown user alice from edge-north'), occurrenceCount: 1 },
      { id: 'p3', templateTokens: words('unknown user <*> from mailhub'), occurrenceCount: 4 },
      { id: 'p5', templateTokens: words('unknown user <*> from bastion'), occurrenceCount: 4 },
    ];
    // The host position has shown four words (2.9 effective with the margin); the user position,
    // where p1, p3 and p5 already hold <*>, only two: p2 does not vary there as a variant…
    const decision = fileSignature(candidates, signatureOf('unknown user git from jumpbox'));
    // …but the learned template covers it, so it merges too.
    expect(decision).toEqual({
      kind: 'merge',
      id: 'p1',
      score: 1,
      templateTokens: words(`unknown user ${WILDCARD} from ${WILDCARD}`),
      absorbed: ['p2', 'p3', 'p5'],
    });
  });

  it('keeps a stored pattern as the survivor over one founded in this transaction, whatever their ids (a replica whose clock is behind)', () => {
    // p0 was founded by this transaction on a host 40 s behind: its id sorts before the stored ones'.
    const candidates: PatternCandidate[] = [
      { id: 'p0', templateTokens: words('unknown user oracle from gw-west'), occurrenceCount: 1, isNew: true },
      { id: 'p1', templateTokens: words('unknown user deploy from gw-west'), occurrenceCount: 1 },
      { id: 'p2', templateTokens: words('unknown user maria from gw-west'), occurrenceCount: 1 },
    ];
    expect(fileSignature(candidates, signatureOf('unknown user admin from gw-west'))).toMatchObject({
      kind: 'merge',
      id: 'p1',
      absorbed: ['p2', 'p0'],
    });
    // Among patterns all founded in this transaction (or all stored), the smallest id.
    const fresh = candidates.map((c) => ({ ...c, isNew: true }));
    expect(fileSignature(fresh, signatureOf('unknown user admin from gw-west'))).toMatchObject({
      kind: 'merge',
      id: 'p0',
      absorbed: ['p1', 'p2'],
    });
  });
});
