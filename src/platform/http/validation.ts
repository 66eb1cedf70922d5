import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { buildMessage, ValidateBy } from 'class-validator';
import { isTimeZone } from '../time/weekly-window.js';

export interface FieldError {
  field: string;
  errors: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** The 400 of invalid input: every offending field named, with its errors. */
export function invalidFields(fields: FieldError[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid fields: ${fields.map((f) => f.field).join(', ')}`,
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
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Is `s` a real instant: a calendar date that exists (no 2020-02-30), year 0001–9999, valid clock time? */
export function isCalendarDate(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const m = CALENDAR_DATE.exec(s);
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // 2000 is a leap year: February has 29
  if (day > days || (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))) return false;
  return !Number.isNaN(Date.parse(s));
}

/** An ISO 8601 calendar date or date-time that exists (see isCalendarDate). */
export function IsCalendarDate(): PropertyDecorator {
  return ValidateBy({
    name: 'isCalendarDate',
    validator: {
      validate: (value) => isCalendarDate(value),
      defaultMessage: buildMessage((prefix) => `${prefix}$property must be an existing ISO 8601 date such as 2026-12-01 or 2026-12-01T10:00:00Z`),
    },
  });
}

/** A time zone the runtime knows (checked with Intl.DateTimeFormat). */
export function IsTimeZone(): PropertyDecorator {
  return ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value) => isTimeZone(value),
      defaultMessage: buildMessage((prefix) => `${prefix}$property must be an IANA time zone name such as Europe/Berlin or UTC`),
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
