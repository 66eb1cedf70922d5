import { buildMessage, ValidateBy } from 'class-validator';
import { isCalendarDate } from '../../platform/http/validation.js';

/*
 * `occurredAt` starts an incident's MTTR (resolvedAt − occurredAt), so it must be an instant a
 * clock could have read: with an offset (a time without one would be read in the server's zone),
 * not in the future beyond the clock skew tolerated between a reporter and this service (and one
 * ahead of the receipt time within it is stored as the receipt time), and not older than an
 * incident anyone still reports. The bounds are tolerances of minutes and days, checked by this
 * host's clock when the request is validated; the receipt time, and so the clamp, is the
 * database's clock (ReportIncidentHandler), as the resolution's and a run's watch window are.
 */

/** How far in the future a reporter's clock may be ahead of ours (5 min). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How long ago an incident may have occurred when it is reported (30 days). */
export const MAX_INCIDENT_AGE_MS = 30 * 24 * 3_600_000;

const WITH_OFFSET = /T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Why `value` is no acceptable occurredAt at `now`; null when it is. */
export function occurredAtProblem(value: unknown, now: number): string | null {
  if (typeof value !== 'string' || !isCalendarDate(value) || !WITH_OFFSET.test(value)) {
    return 'must be an ISO 8601 date-time with an offset, such as 2026-12-01T10:00:00Z or 2026-12-01T11:00:00+01:00';
  }
  const at = Date.parse(value);
  if (at > now + MAX_CLOCK_SKEW_MS)
    return `must not be more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes in the future (clock skew)`;
  if (at < now - MAX_INCIDENT_AGE_MS)
    return `must not be more than ${MAX_INCIDENT_AGE_MS / 86_400_000} days in the past`;
  return null;
}

/** The validation of `POST /incidents`: a 400 naming occurredAt and why. */
export function IsOccurredAt(): PropertyDecorator {
  return ValidateBy({
    name: 'isOccurredAt',
    validator: {
      validate: (value) => occurredAtProblem(value, Date.now()) === null,
      defaultMessage: buildMessage(
        (prefix, args) => `${prefix}$property ${occurredAtProblem(args?.value, Date.now()) ?? 'is invalid'}`,
      ),
    },
  });
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
