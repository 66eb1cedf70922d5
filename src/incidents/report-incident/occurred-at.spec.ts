import { describe, expect, it } from '@jest/globals';
import type { BadRequestException } from '@nestjs/common';
import { checkBody } from '../../platform/http/validation.js';
import { acceptedOccurredAt, boundedOccurredAt } from './occurred-at.js';
import { ReportIncidentDto } from './report-incident.dto.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The receipt time (the database's clock), far from this host's. */
const now = new Date('2020-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
const report = (occurredAt: string) => ({ errorType: 'timeout', message: 'upstream timed out', occurredAt });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { status: (e as BadRequestException).getStatus(), body: (e as BadRequestException).getResponse() };
  }
  throw new Error('expected a 400');
};

describe('occurredAt: its form checked with the body, its bounds against the receipt time', () => {
  it('the body’s validation refuses only a time that is no instant with an offset: the bounds need the receipt time', () => {
    // Years from this host's clock either way: not the validation's to judge.
    expect(checkBody(ReportIncidentDto, report('2020-01-01T00:00:00Z'), { unknownFields: 'refuse' }).errors).toEqual(
      [],
    );
    expect(checkBody(ReportIncidentDto, report('2999-01-01T00:00:00Z'), { unknownFields: 'refuse' }).errors).toEqual(
      [],
    );
    for (const when of ['2026-12-01T10:00:00', '2026-12-01', '2026-02-30T10:00:00Z', 'yesterday']) {
      expect(checkBody(ReportIncidentDto, report(when), { unknownFields: 'refuse' }).errors).toEqual([
        {
          field: 'occurredAt',
          errors: [expect.stringMatching(/^occurredAt must be an ISO 8601 date-time with an offset/)],
        },
      ]);
    }
  });

  it('acceptedOccurredAt refuses one out of bounds at the receipt time with the validation 400 naming occurredAt', () => {
    const invalid = (why: string) => ({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: 'invalid fields: occurredAt',
        fields: [{ field: 'occurredAt', errors: [`occurredAt ${why}`] }],
      },
    });
    expect(refusal(() => acceptedOccurredAt(at(5 * MINUTE + 1), now))).toEqual(
      invalid('must not be more than 5 minutes in the future (clock skew)'),
    );
    expect(refusal(() => acceptedOccurredAt(at(-30 * DAY - 1), now))).toEqual(
      invalid('must not be more than 30 days in the past'),
    );
  });

  it('acceptedOccurredAt takes one within bounds as given, one ahead of the receipt as the receipt, none as the receipt', () => {
    expect(acceptedOccurredAt(at(-30 * DAY), now)).toEqual(new Date(at(-30 * DAY)));
    expect(acceptedOccurredAt(at(-MINUTE).replace('Z', '+00:00'), now)).toEqual(new Date(at(-MINUTE)));
    expect(acceptedOccurredAt(at(5 * MINUTE), now)).toEqual(now);
    expect(acceptedOccurredAt(undefined, now)).toEqual(now);
  });

  it('boundedOccurredAt (reporters no one asks) takes one out of bounds as the receipt time', () => {
    expect(boundedOccurredAt(at(5 * MINUTE + 1), now)).toEqual(now);
    expect(boundedOccurredAt(at(-30 * DAY - 1), now)).toEqual(now);
    expect(boundedOccurredAt(at(-DAY), now)).toEqual(new Date(at(-DAY)));
  });
});
