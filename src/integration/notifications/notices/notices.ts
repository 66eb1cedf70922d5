import type { KillSwitchChanged } from '../../../incidents/events/kill-switch-changed.event.js';
import type { IncidentView } from '../../../incidents/incident.view.js';
import type { DegradationDetected } from '../../../intake/events/degradation-detected.event.js';
import type { AuditVerificationFailed } from '../../../platform/audit/audit-verification-failed.event.js';
import { cutText } from '../../../platform/text/cut-text.js';
import type { RecoveryRunFinished } from '../../../self-healing/events/recovery-run-finished.event.js';
import type { WorkOrderChanged } from '../../../self-healing/events/work-order-changed.event.js';
import type { WaitingItem } from '../../inbox/inbox-items.js';
import { asSeverity, atLeast } from '../../severities.js';
import type { Notice, NotificationEvent } from '../notice.js';

/**
 * Other pillars' events in notification words: which notification event each is (or none), and
 * the notice it makes. The only place that knows those events' shapes (run outcomes may change
 * shape with issue 22: this file changes with them).
 */

const TEXT_MAX = 1000;
const clip = (text: string) => cutText(text, TEXT_MAX);

/**
 * The fault an event is about, for repeat intervals: the pattern (else the incident) on the
 * agent and capability. A flapping fault is the same pattern failing again on the same agent.
 */
const faultKey = (patternOrIncident: string | null, agentId: string | null, capability: string | null) =>
  `fault:${patternOrIncident ?? '-'}:${agentId ?? '-'}:${capability ?? '-'}`;

const incidentLinks = (incidentId: string | null) =>
  incidentId ? [{ label: 'Open incident', path: `/console/incidents/${incidentId}` }] : [];

/**
 * A finished run's notification event: the most telling one (a failed rollback outranks a timeout,
 * and a canceled run whose rollback failed left things as half-changed as a failed one). A deadline
 * that stopped the run is `run.timed_out` whatever the outcome: a run nobody answered ends `canceled`
 * (ADR 0014), and its incident is open again all the same. An operator's cancel tells nothing.
 */
export function runEventOf(e: RecoveryRunFinished): NotificationEvent | null {
  if (e.outcome === 'rollback_failed' || (e.outcome === 'canceled' && e.rollbackFailed)) return 'run.rollback_failed';
  if (e.outcome === 'succeeded') return null;
  if (e.timedOut ?? e.reason?.startsWith('timed_out')) return 'run.timed_out';
  if (e.outcome === 'canceled') return null;
  return e.outcome === 'failed' ? 'run.failed' : 'run.rolled_back';
}

const RUN_TITLES: Record<string, string> = {
  'run.failed': 'Recovery run failed',
  'run.rolled_back': 'Recovery run failed and was rolled back',
  'run.rollback_failed': 'Recovery run failed and its rollback failed',
  'run.timed_out': 'Recovery run timed out',
};

export function runNotice(
  e: RecoveryRunFinished,
  event: NotificationEvent,
  incident: IncidentView | null,
  at: string,
): Notice {
  const severity = asSeverity(incident?.severity);
  const who = [e.agentId, e.capability].filter(Boolean).join(' / ');
  return {
    event,
    // A rollback that failed leaves things half-changed: someone must look now.
    severity: event === 'run.rollback_failed' ? atLeast(severity, 'high') : severity,
    title: `${event === 'run.rollback_failed' && e.outcome === 'canceled' ? 'Recovery run canceled and its rollback failed' : RUN_TITLES[event]}: ${e.playbook}`,
    summary: clip(
      `${e.automatic ? 'An automatic' : 'A'} run of playbook ${e.playbook}` +
        `${incident ? ` for “${incident.title}”` : ''}${who ? ` on ${who}` : ''}` +
        ` ended ${e.outcome}${e.reason ? `: ${e.reason}` : ''}.`,
    ),
    subjectKey: faultKey(e.patternId ?? e.incidentId, e.agentId, e.capability),
    subject: { type: 'run', id: e.runId },
    agentId: e.agentId,
    capability: e.capability,
    facts: [
      { label: 'Playbook', value: e.playbook },
      { label: 'Outcome', value: e.outcome },
      ...(who ? [{ label: 'Agent', value: who }] : []),
      ...(incident ? [{ label: 'Incident', value: `${incident.errorType}: ${incident.title}` }] : []),
    ],
    links: [{ label: 'Open run', path: `/console/runs/${e.runId}` }, ...incidentLinks(e.incidentId)],
    occurredAt: at,
  };
}

/** A work order's notification event: created (an escalation to a coding agent) or failed. */
export function workOrderEventOf(e: WorkOrderChanged): NotificationEvent | null {
  if (e.change === 'created') return 'escalation.created';
  if (e.change === 'failed') return 'work_order.failed';
  return null;
}

export function workOrderNotice(e: WorkOrderChanged, event: NotificationEvent, incident: IncidentView | null): Notice {
  const created = event === 'escalation.created';
  return {
    event,
    severity: asSeverity(incident?.severity),
    title: created ? 'Escalated to a coding agent' : 'Work order failed',
    summary: clip(e.summary),
    subjectKey: faultKey(
      incident?.matchedPatternId ?? e.incidentId ?? e.workOrderId,
      incident?.agentId ?? null,
      incident?.capability ?? null,
    ),
    subject: { type: 'work_order', id: e.workOrderId },
    agentId: incident?.agentId ?? null,
    capability: incident?.capability ?? null,
    facts: [
      { label: 'Work order', value: e.workOrderId },
      { label: 'Status', value: e.status },
      ...(incident ? [{ label: 'Incident', value: `${incident.errorType}: ${incident.title}` }] : []),
    ],
    links: [
      { label: 'Open work order', path: `/console/work-orders/${e.workOrderId}` },
      ...(e.runId ? [{ label: 'Open run', path: `/console/runs/${e.runId}` }] : []),
      ...incidentLinks(e.incidentId),
    ],
    occurredAt: e.at,
  };
}

export function degradationNotice(e: DegradationDetected): Notice {
  const who = [e.agentId ?? 'no agent', e.capability].filter(Boolean).join(' / ');
  return {
    event: 'degradation.detected',
    severity: e.severity === 'critical' ? 'high' : 'medium',
    title: `Degradation detected: ${e.metric} on ${who}`,
    summary: clip(e.message),
    subjectKey: `degradation:${e.metric}:${e.agentId ?? '-'}:${e.capability ?? '-'}`,
    subject: { type: 'escalation', id: e.escalationId },
    agentId: e.agentId,
    capability: e.capability,
    facts: [
      { label: 'Metric', value: e.metric },
      { label: 'Agent', value: who },
      { label: 'Armed until', value: e.expiresAt },
    ],
    links: incidentLinks(e.incidentId),
    occurredAt: e.armedAt,
  };
}

export function killSwitchNotice(e: KillSwitchChanged): Notice {
  const target = e.agentId === null ? 'the tenant' : `agent ${e.agentId}`;
  return {
    event: 'killswitch.changed',
    severity: e.active ? 'high' : 'medium',
    title: `Kill switch ${e.active ? 'on' : 'off'} for ${target}`,
    summary: clip(
      `${e.actor} turned the kill switch ${e.active ? 'on' : 'off'} for ${target}${e.reason ? `: ${e.reason}` : ''}.`,
    ),
    // Every change is news (a person made it): gated by state, on → off → on within an interval
    // left the channel's last word "off" while the switch was on.
    subjectKey: `killswitch:${e.agentId ?? '-'}:${e.active ? 'on' : 'off'}:${e.changedAt}`,
    subject: { type: 'killswitch', id: e.agentId ?? 'tenant' },
    agentId: e.agentId,
    capability: null,
    // The tenant's switch stops every agent: rules filtering by agent or capability want to know.
    tenantWide: e.agentId === null,
    facts: [
      { label: 'Scope', value: target },
      { label: 'By', value: e.actor },
    ],
    links: [],
    occurredAt: e.changedAt,
  };
}

const FOUND_BY: Record<AuditVerificationFailed['foundBy'], string> = {
  verify: 'GET /audit/verify',
  checkpoint: 'a checkpoint that refused to sign',
  schedule: 'the scheduled verification',
};

export function auditNotice(e: AuditVerificationFailed, at: string): Notice {
  return {
    event: 'audit.verify_failed',
    severity: 'critical',
    title: `Audit log does not verify from entry ${e.firstBrokenSeq}`,
    summary: clip(
      `The audit chain of tenant ${e.tenantId} is broken at seq ${e.firstBrokenSeq}: ${e.problem}. ` +
        `Found by ${FOUND_BY[e.foundBy]}; ` +
        'check GET /audit/verify and the export.',
    ),
    subjectKey: `audit:${e.firstBrokenSeq}`,
    subject: { type: 'audit_entry', id: String(e.firstBrokenSeq) },
    agentId: null,
    capability: null,
    tenantWide: true, // the tenant's whole log
    facts: [
      { label: 'First broken seq', value: String(e.firstBrokenSeq) },
      { label: 'Found by', value: e.foundBy },
    ],
    links: [],
    occurredAt: at,
  };
}

/** A review (or a held recovery) that waits: told once it has waited a rule's afterMs, then every repeat interval. */
export function reviewNotice(item: WaitingItem, at: string): Notice {
  return {
    event: 'review.waiting',
    severity: item.priority,
    title: clip(`Waiting for review: ${item.title}`),
    summary: clip(
      `${item.title}. Waiting since ${item.createdAt}` +
        `${item.deadline ? `; it expires unreviewed at ${item.deadline}` : ''}.`,
    ),
    subjectKey: item.id,
    subject: item.subject,
    // Those of what waits: a review group's when all its recoveries share one (else null, which
    // passes no filter of it: the group is about several).
    agentId: item.agentId,
    capability: item.capability,
    facts: [
      { label: 'Waiting since', value: item.createdAt },
      ...(item.deadline ? [{ label: 'Expires', value: item.deadline }] : []),
    ],
    links: [{ label: 'Review it', path: item.link }],
    occurredAt: at,
    waitingSince: item.createdAt,
  };
}
