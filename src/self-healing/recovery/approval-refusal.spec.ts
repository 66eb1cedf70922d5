import { describe, expect, it } from '@jest/globals';
import { approvalRefusal } from './approval-refusal.js';
import type { RecoveryStatus } from './recovery.repository.js';

const now = new Date('2026-12-07T10:00:00.000Z');
const waiting = (over: { status?: RecoveryStatus; expires_at?: Date | null } = {}) => ({
  id: 'r-1',
  status: 'pending_review' as RecoveryStatus,
  expires_at: new Date('2026-12-07T11:00:00.000Z'),
  ...over,
});
const incident = (status: 'open' | 'mitigating' | 'resolved') => ({
  id: 'i-1',
  status,
  resolvedBy: status === 'resolved' ? 'alice' : null,
  resolvedAt: status === 'resolved' ? '2026-12-07T09:30:00.000Z' : null,
});

describe('approvalRefusal: why approving a recovery would be refused', () => {
  it('refuses nothing while it waits for review, is not past its expiresAt and its incident is not resolved', () => {
    expect(approvalRefusal(waiting(), now, incident('open'))).toBeNull();
    expect(approvalRefusal(waiting(), now, incident('mitigating'))).toBeNull();
    expect(approvalRefusal(waiting({ expires_at: null }), now, incident('open'))).toBeNull();
    // Not consulted (a rejection, or an approval before it reads the incident).
    expect(approvalRefusal(waiting(), now, null)).toBeNull();
  });

  it.each(['applied', 'rejected', 'expired', 'superseded'] as const)(
    'refuses a recovery that is already %s, whatever its expiresAt and incident',
    (status) => {
      const past = new Date(now.getTime() - 1);
      expect(approvalRefusal(waiting({ status, expires_at: past }), now, incident('resolved'))).toBe(
        `recovery r-1 is already ${status}`,
      );
    },
  );

  it('refuses one whose expiresAt has come by the clock it is given, though nothing marked it expired', () => {
    const at = new Date(now.getTime());
    expect(approvalRefusal(waiting({ expires_at: at }), now, null)).toBe(
      'recovery r-1 is already expired (expiresAt 2026-12-07T10:00:00.000Z)',
    );
    expect(approvalRefusal(waiting({ expires_at: new Date(now.getTime() + 1) }), now, null)).toBeNull();
    // Judged by `now` alone: the same row, one millisecond earlier, is still approvable.
    expect(approvalRefusal(waiting({ expires_at: at }), new Date(now.getTime() - 1), null)).toBeNull();
  });

  it('says it expired before it says its incident resolved', () => {
    expect(approvalRefusal(waiting({ expires_at: now }), now, incident('resolved'))).toMatch(/already expired/);
  });

  it('refuses one whose incident is resolved, naming who resolved it and when', () => {
    expect(approvalRefusal(waiting(), now, incident('resolved'))).toBe(
      'incident i-1 was resolved by alice at 2026-12-07T09:30:00.000Z: recovery r-1 is superseded, nothing to run',
    );
  });
});
