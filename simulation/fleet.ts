import { mulberry32 } from '../test/fixtures/error-corpus.js';

/** The seeded fleet: which agents exist, what they can do, and where they secretly fail. */

export interface AgentSpec {
  id: string;
  capabilities: string[];
  baseConfidence: number;
}

export interface SeededFailure {
  id: string;
  agentId: string;
  capability: string;
  /** Probability that a request of this capability routed to this agent fails this way. */
  rate: number;
  errorType: string;
  message: (n: number) => string;
}

export const CAPABILITIES = ['summarise', 'translate', 'classify', 'extract'];

// The agents that fail are the most trusted for their capability: a regression in a good agent,
// which plain confidence-based routing keeps sending traffic to.
export const AGENTS: AgentSpec[] = [
  { id: 'agent-01', capabilities: ['summarise', 'translate', 'extract'], baseConfidence: 0.9 },
  { id: 'agent-02', capabilities: ['summarise', 'classify'], baseConfidence: 0.96 },
  { id: 'agent-03', capabilities: ['translate', 'classify', 'extract'], baseConfidence: 0.88 },
  { id: 'agent-04', capabilities: ['translate', 'summarise'], baseConfidence: 0.95 },
  { id: 'agent-05', capabilities: ['classify', 'extract'], baseConfidence: 0.94 },
  { id: 'agent-06', capabilities: ['summarise', 'translate', 'classify', 'extract'], baseConfidence: 0.87 },
];

export const SEEDED_FAILURES: SeededFailure[] = [
  {
    id: 'F1-oom',
    agentId: 'agent-02',
    capability: 'summarise',
    rate: 0.6,
    errorType: 'oom',
    message: (n) => `Worker summarise-${n} OOMKilled: container exceeded memory limit 2048Mi`,
  },
  {
    id: 'F2-rate-limit',
    agentId: 'agent-04',
    capability: 'translate',
    rate: 0.5,
    errorType: 'rate_limit',
    message: (n) => `HTTP 429 from translate-upstream: rate limit exceeded for key tk-${n}`,
  },
  {
    id: 'F3-null-reference',
    agentId: 'agent-05',
    capability: 'classify',
    rate: 0.5,
    errorType: 'null_reference',
    message: (n) => `TypeError: Cannot read properties of undefined (reading 'label') at classify.js:${100 + (n % 50)}`,
  },
];

/** Every agent also fails now and then for reasons that have nothing to do with it. */
export const BACKGROUND_RATE = 0.02;
export const backgroundMessage = (n: number) => `upstream feature-store-${n % 7} timed out after ${1000 + n} ms`;

export interface PlannedRequest {
  capability: string;
  /** The agents available for this request (a subset, as availability varies). */
  candidates: string[];
  /** Drawn up front so both runs see the same luck; compared with the chosen agent's failure rate. */
  luck: number;
  n: number;
}

/** The request stream, fixed by the seed and independent of routing, so both runs get the same traffic. */
export function planRequests(seed: number, windows: number, perWindow: number): PlannedRequest[][] {
  const random = mulberry32(seed);
  return Array.from({ length: windows }, () =>
    Array.from({ length: perWindow }, () => {
      const capability = CAPABILITIES[Math.floor(random() * CAPABILITIES.length)];
      const able = AGENTS.filter((a) => a.capabilities.includes(capability)).map((a) => a.id);
      // Two or three of the able agents are available (all of them when fewer).
      const size = Math.min(able.length, 2 + Math.floor(random() * 2));
      const shuffled = [...able];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      return {
        capability,
        candidates: shuffled.slice(0, size).sort(),
        luck: random(),
        n: Math.floor(random() * 100_000),
      };
    }),
  );
}

/** What happens when `agentId` serves the request: the failure it hits, if any. */
export function outcome(
  agentId: string,
  request: PlannedRequest,
): { errorType: string; message: string; failure: SeededFailure | null } | null {
  const seeded = SEEDED_FAILURES.find((f) => f.agentId === agentId && f.capability === request.capability);
  if (seeded && request.luck < seeded.rate)
    return { errorType: seeded.errorType, message: seeded.message(request.n), failure: seeded };
  // The background draw uses the top of the luck range, so it never overlaps a seeded failure's draw.
  if (request.luck > 1 - BACKGROUND_RATE)
    return { errorType: 'timeout', message: backgroundMessage(request.n), failure: null };
  return null;
}
