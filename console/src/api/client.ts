import type { components } from './schema';

/** The response shapes of the service, generated from its OpenAPI document (`npm run openapi`). */
export type Schemas = components['schemas'];
export type Incident = Schemas['IncidentView'];
export type IncidentDetail = Schemas['IncidentDetail'];
export type IncidentPage = Schemas['IncidentPage'];
export type LoopStatus = Schemas['LoopStatus'];
export type LoopStageDetail = Schemas['LoopStageDetail'];
export type Timeline = Schemas['IncidentTimeline'];
export type Recovery = Schemas['RecoveryView'];
export type RecoveryPage = Schemas['RecoveryPage'];
export type ApprovedRun = Schemas['ApprovedRun'];
export type Run = Schemas['NamedRunView'];
export type RunPage = Schemas['RunPage'];
export type Step = Schemas['StepView'];
export type RunTransition = Schemas['RunTransitionView'];
export type LoopHealth = Schemas['LoopHealth'];
export type LoopHealthBucket = Schemas['LoopHealthBucket'];
export type Session = Schemas['SessionView'];
export type IntegrationStats = Schemas['IntegrationStats'];
export type Policy = Schemas['PolicyView'];
export type PolicyPage = Schemas['PolicyPage'];
export type Agent = Schemas['AgentView'];
export type AgentDetail = Schemas['AgentDetail'];
export type AgentList = Schemas['AgentList'];
export type AdjustmentPage = Schemas['AdjustmentPage'];
export type KillSwitchState = Schemas['KillSwitchListing'];
export type InboxItem = Schemas['InboxItem'];
export type InboxPage = Schemas['InboxPage'];
export type InboxSummary = Schemas['InboxSummary'];

/** An answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const messageOf = (data: unknown): string | null => {
  if (!data || typeof data !== 'object') return typeof data === 'string' ? data : null;
  const { message, error } = data as { message?: unknown; error?: unknown };
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : typeof error === 'string' ? error : null;
};

/**
 * Sent on `window` when a call answers 401: the session expired, was signed out elsewhere or its
 * key was revoked. The app then shows the sign-in form. Sign-in's own 401 (a wrong key) is not one.
 */
export const SESSION_ENDED = 'pillar-loop:session-ended';

/**
 * Sent on `window` (detail: the session now signed in, or null) when this tab learns that the browser's
 * session cookie is no longer the session it shows: another tab signed in or out (api/session-sync.ts),
 * or the live stream opened with another session's cookie (api/stream.ts). The app then stops showing
 * the old session's pages (ADR 0011).
 */
export const SESSION_CHANGED = 'pillar-loop:session-changed';

/** Every call goes to the same origin with the HttpOnly session cookie; the key itself is never kept. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 401 && !(path === '/auth/session' && init.method === 'POST'))
    window.dispatchEvent(new Event(SESSION_ENDED));
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, `${res.status}: ${messageOf(data) || res.statusText}`);
  // The generated types are the contract of the route called.
  return data as T;
}

export const qs = (params: Record<string, string | number | undefined | null>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const STAGES = [
  'incident_created',
  'pattern_matched',
  'recovery_suggested',
  'policy_generated',
  'routing_adjusted',
] as const;
export const STAGE_LABELS: Record<(typeof STAGES)[number], string> = {
  incident_created: 'Incident',
  pattern_matched: 'Pattern',
  recovery_suggested: 'Recovery',
  policy_generated: 'Policy',
  routing_adjusted: 'Routing',
};
