import { BadRequestException, type ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { buildMessage, ValidateBy, validateSync } from 'class-validator';
import { isTimeZone } from '../time/weekly-window.js';

export interface FieldError {
  field: string;
  errors: string[];
}

/**
 * class-validator's errors as the fields the API names: `a.b` for nested objects; array items
 * `a.2.b` from the global pipe, `a[2].b` from checkBody (intake's bodies have always named them so).
 * A constraint whose context names a `field` is reported on that sub-field (`labels.alertname`
 * from a check on `labels`).
 */
function flatten(errors: ValidationError[], parent = '', brackets = false): FieldError[] {
  return errors.flatMap((e) => {
    const item = brackets && /^\d+$/.test(e.property);
    const field = !parent ? e.property : item ? `${parent}[${e.property}]` : `${parent}.${e.property}`;
    const own = new Map<string, string[]>();
    for (const [name, message] of Object.entries(e.constraints ?? {})) {
      const sub = (e.contexts?.[name] as { field?: string } | undefined)?.field;
      const at = sub ? `${field}.${sub}` : field;
      own.set(at, [...(own.get(at) ?? []), message]);
    }
    return [
      ...[...own].map(([f, errs]) => ({ field: f, errors: errs })),
      ...flatten(e.children ?? [], field, brackets),
    ];
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a body against a DTO class outside the global pipe (for bodies whose unknown fields a
 * sender adds and the API ignores, or whose rules need the tenant's settings too): the instance,
 * and every offending field (prefixed with `path`). Unknown fields are refused unless
 * `unknownFields` is 'ignore' (then they are dropped).
 */
export function checkBody<T extends object>(
  cls: new () => T,
  body: unknown,
  options: { unknownFields: 'refuse' | 'ignore'; path?: string },
): { value: T; errors: FieldError[] } | { value: null; errors: FieldError[] } {
  if (!isPlainObject(body))
    return { value: null, errors: [{ field: options.path ?? 'body', errors: ['must be a JSON object'] }] };
  const value = plainToInstance(cls, body);
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: options.unknownFields === 'refuse' });
  const fields = flatten(errors, options.path ?? '', true);
  return fields.length ? { value: null, errors: fields } : { value, errors: [] };
}

/** `body` as a valid `cls` (see checkBody), or the 400 naming every offending field. */
export function validBody<T extends object>(
  cls: new () => T,
  body: unknown,
  options: { unknownFields: 'refuse' | 'ignore' },
): T {
  const { value, errors } = checkBody(cls, body, options);
  if (value === null) throw invalidFields(errors);
  return value;
}

/**
 * The 400 of invalid input, the one place its body is built: every offending field named, with
 * its errors (`{statusCode, error, message, fields}`; the message lists the first ten fields).
 */
export function invalidFields(fields: FieldError[]): BadRequestException {
  const listed = fields.map((f) => f.field);
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid fields: ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ` and ${listed.length - 10} more` : ''}`,
    fields,
  });
}

/** 400 naming every offending field; unknown fields are errors, not silently dropped. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => invalidFields(flatten(errors)),
  });
}

// A calendar date, optionally with a time and offset: 2026-12-01, 2026-12-01T10:00:00.123Z,
// 2026-12-01T10:00+02:00. No week dates (2020-W01), ordinal dates or year 0.
const CALENDAR_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

/**
 * Is `s` a real instant: a calendar date that exists (no 2020-02-30), year 0001–9999, valid clock
 * time, and an offset PostgreSQL takes (up to ±15:59; Date.parse reads up to ±23:59, and such a
 * value reached the database as error 22009, a 500)?
 */
export function isCalendarDate(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const m = CALENDAR_DATE.exec(s);
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = m
    .slice(1, 9)
    .map((x) => (x === undefined ? undefined : Number(x))) as number[];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (offsetHours > 15 || offsetMinutes > 59) return false;
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // 2000 is a leap year: February has 29
  if (day > days || (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))))
    return false;
  return !Number.isNaN(Date.parse(s));
}

/**
 * The instant an isCalendarDate string names, read one way wherever it is used: without an offset
 * it is UTC (Date.parse reads a date-time without one in this process's zone, PostgreSQL a date or
 * date-time in the session's); fractions of a millisecond are dropped, as a Date keeps it. Pass
 * the instant on (`toISOString()`), not the string, and every reader agrees on it.
 */
export function utcInstant(s: string): Date {
  const m = CALENDAR_DATE.exec(s);
  if (!m) throw new Error(`"${s}" is not an ISO 8601 calendar date`);
  const hasOffset = m[4] === undefined || /(?:Z|[+-]\d{2}:?\d{2})$/.test(s); // a date alone is UTC to Date.parse
  return new Date(hasOffset ? s : `${s}Z`);
}

/** An ISO 8601 calendar date or date-time that exists (see isCalendarDate). */
export function IsCalendarDate(): PropertyDecorator {
  return ValidateBy({
    name: 'isCalendarDate',
    validator: {
      validate: (value) => isCalendarDate(value),
      defaultMessage: buildMessage(
        (prefix) => `${prefix}$property must be an existing ISO 8601 date such as 2026-12-01 or 2026-12-01T10:00:00Z`,
      ),
    },
  });
}

/** Any time `Date.parse` reads (what intake has always taken from monitoring); `meaning` names it in the error. */
export function IsParsableTime(meaning: string): PropertyDecorator {
  return ValidateBy({
    name: 'isParsableTime',
    validator: {
      validate: (value) => typeof value === 'string' && !Number.isNaN(Date.parse(value)),
      defaultMessage: buildMessage(() => `must be ${meaning}`),
    },
  });
}

/** A time zone the runtime knows (checked with Intl.DateTimeFormat). */
export function IsTimeZone(): PropertyDecorator {
  return ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value) => isTimeZone(value),
      defaultMessage: buildMessage(
        (prefix) => `${prefix}$property must be an IANA time zone name such as Europe/Berlin or UTC`,
      ),
    },
  });
}

/** Differs from the sibling property `other` (a window's end from its start). */
export function DiffersFrom(other: string): PropertyDecorator {
  return ValidateBy({
    name: 'differsFrom',
    constraints: [other],
    validator: {
      validate: (value, args) => value !== (args?.object as Record<string, unknown>)[other],
      defaultMessage: buildMessage((prefix) => `${prefix}$property must differ from $constraint1 (an empty window)`),
    },
  });
}
