import type { PolicyView } from '../../governance/policies/find-policy-for-pattern/find-policy-for-pattern.query.js';
import type { IncidentStatus, IncidentView } from '../../incidents/incident.view.js';
import type { IncidentTimeline } from '../../incidents/timeline/timeline.view.js';
import type { PatternView } from '../../self-healing/catalog/get-pattern/get-pattern.query.js';
import type { LoopStatus } from '../loop-status/loop-status.js';

/** `GET /incidents/:id/evidence`: everything a post-incident review needs, in one document. */
import type { IncidentRecovery } from '../../self-healing/recovery/list-incident-recoveries/list-incident-recoveries.query.js';
import type { RunView } from '../../self-healing/runs/list-incident-runs/list-incident-runs.query.js';

/** Where the incident stands: its lifecycle, and how long it took to resolve (MTTR = resolvedAt − occurredAt). */
export interface IncidentLifecycle {
  status: IncidentStatus;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  timeToResolveMs: number | null;
}

export interface IncidentEvidence {
  generatedAt: string;
  incident: IncidentView;
  lifecycle: IncidentLifecycle;
  loop: LoopStatus | null;
  /** The failure pattern the incident was filed under (null: not matched yet). */
  pattern: PatternView | null;
  /** The policy that pattern produced (null: none yet). */
  policy: PolicyView | null;
  timeline: IncidentTimeline;
  /** The incident's recoveries as they stand now (applied, superseded, …), oldest first. */
  recoveries: IncidentRecovery[];
  /** The incident's recovery runs, oldest first, with their steps. */
  runs: RunView[];
}
