/** Every call goes to the same origin with the HttpOnly session cookie; the key itself is never kept. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
  /** The route is not on this server yet (its feature has not landed). */
  get notAvailable() {
    return this.status === 404;
  }
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const msg = data && typeof data === 'object' ? (Array.isArray(data.message) ? data.message.join('; ') : data.message ?? data.error) : data;
    throw new ApiError(res.status, `${res.status}: ${msg || res.statusText}`);
  }
  return data as T;
}

export const qs = (params: Record<string, string | number | undefined | null>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export interface Session {
  tenantId: string;
  keyName: string;
  role: 'viewer' | 'operator' | 'admin';
  platformAdmin: boolean;
  expiresAt: string | null;
}

export const STAGES = ['incident_created', 'pattern_matched', 'recovery_suggested', 'policy_generated', 'routing_adjusted'] as const;
export const STAGE_LABELS: Record<string, string> = {
  incident_created: 'Incident',
  pattern_matched: 'Pattern',
  recovery_suggested: 'Recovery',
  policy_generated: 'Policy',
  routing_adjusted: 'Routing',
};
