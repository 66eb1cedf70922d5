import type { IncidentView } from '../../incidents/incident.view.js';
import type { RecoveryRow } from './recovery.repository.js';

/**
 * Why approving (or, without an incident, deciding) a recovery would be refused, or null when it
 * would not: the one judgement ReviewRecoveryHandler refuses by (its 409's message) and a dry run
 * notes, so the two cannot drift apart. In order:
 * - it no longer waits for review (applied, rejected, expired, superseded);
 * - its `expires_at` has passed by `now`, the database's clock (ADR 0018), though the sweep has not
 *   marked it yet;
 * - its incident is resolved, though the supersede has not marked it yet: a run would wait for nothing.
 *
 * `incident` null: not consulted. A rejection passes null, as rejecting a recovery whose incident
 * resolved is allowed; so does an approval before it has locked and read the incident.
 */
export function approvalRefusal(
  recovery: Pick<RecoveryRow, 'id' | 'status' | 'expires_at'>,
  now: Date,
  incident: Pick<IncidentView, 'id' | 'status' | 'resolvedBy' | 'resolvedAt'> | null,
): string | null {
  if (recovery.status !== 'pending_review') return `recovery ${recovery.id} is already ${recovery.status}`;
  if (recovery.expires_at !== null && recovery.expires_at <= now) {
    return `recovery ${recovery.id} is already expired (expiresAt ${recovery.expires_at.toISOString()})`;
  }
  if (incident?.status === 'resolved') {
    return `incident ${incident.id} was resolved by ${incident.resolvedBy} at ${incident.resolvedAt}: recovery ${recovery.id} is superseded, nothing to run`;
  }
  return null;
}
