import { buildMessage, ValidateBy } from 'class-validator';
import { invalidFields, isCalendarDate } from '../../platform/http/validation.js';

/*
 * `occurredAt` starts an incident's MTTR (resolvedAt − occurredAt), so it must be an instant a
 * clock could have read: with an offset (a time without one would be read in the server's zone),
 * not in the future beyond the clock skew tolerated between a reporter and this service (and one
 * ahead of the receipt time within it is stored as the receipt time), and not older than an
 * incident anyone still reports. The form is checked when the request is validated; the bounds
 * are judged against the receipt time, the database's clock (ReportIncidentHandler), as the clamp,
 * the resolution and a run's watch window are: by this host's clock, a replica whose clock is
 * behind the database's by more than the skew refused a report of now, and one ahead took one
 * older than 30 days (test/app-clock-drift.test.ts).
 */

/** How far in the future a reporter's clock may be ahead of ours (5 min). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How long ago an incident may have occurred when it is reported (30 days). */
export const MAX_INCIDENT_AGE_MS = 30 * 24 * 3_600_000;

const WITH_OFFSET = /T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Why `value` is no instant with an offset; null when it is one. */
export function occurredAtFormProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !isCalendarDate(value) || !WITH_OFFSET.test(value)) {
    return 'must be an ISO 8601 date-time with an offset, such as 2026-12-01T10:00:00Z or 2026-12-01T11:00:00+01:00';
  }
  return null;
}

/** Why `value` is no acceptable occurredAt at `now` (the receipt time); null when it is. */
export function occurredAtProblem(value: unknown, now: number): string | null {
  const form = occurredAtFormProblem(value);
  if (form !== null) return form;
  const at = Date.parse(value as string);
  if (at > now + MAX_CLOCK_SKEW_MS)
    return `must not be more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes in the future (clock skew)`;
  if (at < now - MAX_INCIDENT_AGE_MS)
    return `must not be more than ${MAX_INCIDENT_AGE_MS / 86_400_000} days in the past`;
  return null;
}

/**
 * The validation of `POST /incidents`'s body: a 400 naming occurredAt when it is no instant with
 * an offset. Its bounds need the receipt time, which the handler reads: see acceptedOccurredAt.
 */
export function IsOccurredAt(): PropertyDecorator {
  return ValidateBy({
    name: 'isOccurredAt',
    validator: {
      validate: (value) => occurredAtFormProblem(value) === null,
      defaultMessage: buildMessage(
        (prefix, args) => `${prefix}$property ${occurredAtFormProblem(args?.value) ?? 'is invalid'}`,
      ),
    },
  });
}

/**
 * The occurredAt stored for a reporter that reads the answer (`POST /incidents`): one outside the
 * bounds at `now` (the receipt time) is the 400 the validation pipe gives, naming occurredAt and
 * why. Thrown inside the report's transaction, it rolls back whatever was written (the
 * Idempotency-Key's claim). One ahead of `now` within the tolerated skew is `now`, as below.
 */
export function acceptedOccurredAt(value: string | undefined, now: Date): Date {
  const problem = value === undefined ? null : occurredAtProblem(value, now.getTime());
  if (problem !== null) throw invalidFields([{ field: 'occurredAt', errors: [`occurredAt ${problem}`] }]);
  return boundedOccurredAt(value, now);
}

/**
 * The occurredAt stored. For reporters that are not asked (monitoring's alerts, degradation
 * detection) one outside the bounds is replaced by `now` (the receipt time), so one odd clock cannot
 * skew MTTR. One within the tolerated skew but after `now` is `now` too: an incident cannot occur
 * after it is received, and a time ahead of ours would make MTTR negative when it is resolved at
 * once (and land the report in a run's watch window early).
 */
export function boundedOccurredAt(value: string | undefined, now: Date): Date {
  if (value === undefined || occurredAtProblem(value, now.getTime()) !== null) return now;
  const at = new Date(value);
  return at.getTime() > now.getTime() ? now : at;
}
