/**
 * What the service answers, typed from its OpenAPI document: the console's generated types
 * (`npm run openapi` → console/src/api/schema.d.ts; test/openapi.test.ts keeps them current). Only
 * types come from there; nothing of the service's code is imported.
 */
import type { components, paths } from '../../console/src/api/schema.js';

type Schemas = components['schemas'];
/** The query parameters of a GET route, as the document declares them. */
export type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export type Incident = Schemas['IncidentView'];
export type IncidentDetail = Schemas['IncidentDetail'];
export type IncidentPage = Schemas['IncidentPage'];
export type Recovery = Schemas['RecoveryView'];
export type RecoveryPage = Schemas['RecoveryPage'];
export type ApprovedRun = Schemas['ApprovedRun'];
export type Run = Schemas['NamedRunView'];
export type RunView = Schemas['RunView'];
export type RunPage = Schemas['RunPage'];
export type RunStatus = Run['status'];
export type IntegrationStats = Schemas['IntegrationStats'];
export type LoopHealth = Schemas['LoopHealth'];
export type RunPlan = Schemas['RunPlan'];
export type InboxItem = Schemas['InboxItem'];
export type InboxPage = Schemas['InboxPage'];
export type InboxSummary = Schemas['InboxSummary'];

/** `GET /signals/escalations` items. */
export type Escalation = Schemas['EscalationView'];
/** `GET /audit/verify`. */
export type ChainVerdict = Schemas['ChainVerdictView'];

/** A `run_progress` message on `GET /integration/stream`. */
export interface RunProgress {
  runId: string;
  incidentId: string | null;
  status: RunStatus;
  phase: Run['phase'];
  stepId: string | null;
  stepStatus: string | null;
  attempt: number | null;
  error: string | null;
  note: string | null;
  at: string;
}

/**
 * The values of one of the API's enums, for an option's choices: the compiler checks them against
 * the generated type, so a value the API adds (or drops) fails the build until the list follows.
 */
export const allOf =
  <T extends string>() =>
  <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : 'a value of the API is missing')) =>
    values;

export const INCIDENT_STATUSES = allOf<Incident['status']>()(['open', 'mitigating', 'resolved']);
export const SEVERITIES = allOf<Incident['severity']>()(['low', 'medium', 'high', 'critical']);
export const INCIDENT_SOURCES = allOf<Incident['source']>()(['api', 'alertmanager', 'degradation']);
export const RECOVERY_STATUSES = allOf<Recovery['status']>()([
  'pending_review',
  'applied',
  'rejected',
  'expired',
  'superseded',
]);
export const RUN_STATUSES = allOf<RunStatus>()([
  'queued',
  'running',
  'awaiting_operator',
  'awaiting_patch',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'canceled',
]);
export const RUN_TRIGGERS = allOf<NonNullable<QueryOf<'/runs'>['trigger']>>()(['automatic', 'manual']);
export const INBOX_KINDS = allOf<InboxItem['kind']>()([
  'operator_step',
  'guardrail_hold',
  'review',
  'escalation',
  'work_order',
  'draft_policy',
]);
export const SNOOZED_MODES = allOf<NonNullable<QueryOf<'/inbox'>['snoozed']>>()(['exclude', 'include', 'only']);
export const HEALTH_RANGES = allOf<LoopHealth['range']>()(['24h', '7d', '30d']);
