import type { PolicyView } from '../../governance/policies/policy.view.js';
import type { LoopStatus } from '../../integration/loop-status/loop-status.js';
import type { PatternView } from '../../self-healing/catalog/failure-pattern.repository.js';
import type { IncidentView } from '../incident.view.js';
import type { IncidentTimeline } from '../timeline/timeline.view.js';

/** `GET /incidents/:id/evidence`: everything a post-incident review needs, in one document. */
export interface IncidentEvidence {
  generatedAt: string;
  incident: IncidentView;
  loop: LoopStatus | null;
  /** The failure pattern the incident was filed under (null: not matched yet). */
  pattern: PatternView | null;
  /** The policy that pattern produced (null: none yet). */
  policy: PolicyView | null;
  timeline: IncidentTimeline;
}
