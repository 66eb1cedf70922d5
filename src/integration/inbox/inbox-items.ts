import type { PolicyView } from '../../governance/policies/policy.view.js';
import type { ArmedEscalationView } from '../../intake/signals/signal.view.js';
import { cutText } from '../../platform/text/cut-text.js';
import type { WaitingWorkView } from '../../self-healing/waiting/waiting-work.view.js';
import { asSeverity, atLeast } from '../severities.js';
import type { InboxItem } from './inbox-item.view.js';

/**
 * Each pillar's waiting things as inbox items: ids, titles, priorities and console links. The
 * pillars say what waits; this file says how the inbox shows it.
 */

/** An item before its marks (assignee, snooze) are added. */
export type WaitingItem = Omit<InboxItem, 'assignee' | 'snoozedUntil'> & {
  /** The incidents it is about: once all are resolved, it no longer waits (resolved elsewhere counts). */
  incidentIds: string[];
  /** The agent and capability it concerns, if one (notification rules filter by them). */
  agentId: string | null;
  capability: string | null;
};

const TITLE_MAX = 200;
const cut = (text: string) => cutText(text, TITLE_MAX);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function fromWaitingWork(w: WaitingWorkView): WaitingItem {
  const base = {
    createdAt: w.since,
    deadline: w.deadline,
    incidentIds: w.incidentIds,
    agentId: w.agentId,
    capability: w.capability,
  };
  switch (w.kind) {
    case 'review':
      return {
        ...base,
        id: `review:${w.subject.id}`,
        kind: 'review',
        title: cut(`Review ${plural(w.count, 'recovery', 'recoveries')} for ${w.detail}: ${w.text}`),
        subject: w.subject,
        // Its open incidents' highest (withIncidentPriority); medium until they are read.
        priority: 'medium',
        link: `/console/patterns/${w.subject.id}`,
      };
    case 'operator_step': {
      const rollback = w.detail === 'rollback';
      const severity = asSeverity(w.severity);
      return {
        ...base,
        id: `operator_step:${w.subject.id}:${w.stepId}`,
        kind: 'operator_step',
        // `paused`: a failed step its run waits on (retry, skip or roll back); else a step for a person to do.
        title: cut(
          w.detail === 'paused'
            ? `Step ${w.stepId} of ${w.playbook} failed, the run is paused: ${w.text}`
            : `${rollback ? 'Rollback step' : 'Manual step'} ${w.stepId} of ${w.playbook}: ${w.text}`,
        ),
        subject: w.subject,
        // A run half rolled back is worse off than one waiting to go on.
        priority: rollback ? atLeast(severity, 'high') : severity,
        link: `/console/runs/${w.subject.id}`,
      };
    }
    case 'guardrail_hold':
      return {
        ...base,
        id: `guardrail_hold:${w.subject.id}`,
        kind: 'guardrail_hold',
        title: cut(
          w.detail === 'kill_switch'
            ? `Automatic run of ${w.playbook} paused by the kill switch`
            : `Automatic run of ${w.playbook} held: ${w.text}`,
        ),
        subject: w.subject,
        priority: asSeverity(w.severity),
        link: w.subject.type === 'run' ? `/console/runs/${w.subject.id}` : `/console/recoveries/${w.subject.id}`,
      };
    case 'work_order':
      return {
        ...base,
        id: `work_order:${w.subject.id}`,
        kind: 'work_order',
        title: cut(`${w.detail === 'failed' ? 'Work order failed' : 'Work order stuck (its claim lapsed)'}: ${w.text}`),
        subject: w.subject,
        priority: asSeverity(w.severity),
        link: `/console/work-orders/${w.subject.id}`,
      };
  }
}

/**
 * A review's, or a held recovery's, priority: the highest severity of its open incidents
 * (`openSeverities`: an open incident's id → its severity), medium when none is known. The rest
 * keep the priority their pillar gave them (a run's incident as it was when the run started, a
 * work order's own priority).
 */
export function withIncidentPriority(item: WaitingItem, openSeverities: ReadonlyMap<string, string>): WaitingItem {
  const ranked = item.kind === 'review' || (item.kind === 'guardrail_hold' && item.subject.type === 'recovery');
  if (!ranked) return item;
  const severities = item.incidentIds.flatMap((id) => openSeverities.get(id) ?? []).map(asSeverity);
  if (severities.length === 0) return { ...item, priority: 'medium' };
  return { ...item, priority: severities.reduce((highest, s) => atLeast(s, highest)) };
}

export function fromDraftPolicy(p: PolicyView): WaitingItem {
  return {
    id: `draft_policy:${p.id}`,
    kind: 'draft_policy',
    title: cut(`Draft policy waits for activation: ${p.name}`),
    subject: { type: 'policy', id: p.id },
    priority: 'low',
    createdAt: p.createdAt,
    deadline: null,
    link: `/console/policies/${p.id}`,
    incidentIds: [],
    agentId: null,
    capability: null,
  };
}

export function fromEscalation(e: ArmedEscalationView): WaitingItem {
  const who = [e.agentId ?? 'no agent', e.capability].filter(Boolean).join(' / ');
  return {
    id: `escalation:${e.id}`,
    kind: 'escalation',
    title: cut(`Degradation of ${e.metric} on ${who} (${plural(e.symptomIds.length, 'symptom', 'symptoms')})`),
    subject: { type: 'escalation', id: e.id },
    priority: e.severity === 'critical' ? 'high' : 'medium',
    createdAt: e.armedAt,
    deadline: e.expiresAt,
    link: `/console/incidents/${e.incidentId}`,
    incidentIds: [e.incidentId],
    agentId: e.agentId,
    capability: e.capability,
  };
}

/**
 * The item as listed: with its assignee, and its snooze while it lasts at `now` (the database's
 * clock the marks were read at, as their read judges a snooze).
 */
export function withMarks(
  item: WaitingItem,
  mark: { assignee: string | null; snoozed_until: Date | null; snoozed_at: Date | null } | undefined,
  now: Date,
): InboxItem {
  const { incidentIds: _about, agentId: _agent, capability: _capability, ...shown } = item;
  // A snooze hides the waiting it was set on: an item that began to wait again since (a work order
  // stuck, then failed; a retried step that failed again) is news. An assignment stays with the item.
  const sameWaiting = !mark?.snoozed_at || mark.snoozed_at.getTime() >= Date.parse(item.createdAt);
  const snoozed =
    mark?.snoozed_until && mark.snoozed_until > now && sameWaiting ? mark.snoozed_until.toISOString() : null;
  return { ...shown, assignee: mark?.assignee ?? null, snoozedUntil: snoozed };
}
