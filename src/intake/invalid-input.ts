import { type BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import { invalidFields } from '../platform/http/validation.js';

/** One problem with a request body: the JSON path of the field and what is wrong with it. */
export interface Problem {
  field: string;
  error: string;
}

/** The project's 400 (`fields` grouped by path), naming every offending field. */
export function invalidInput(problems: Problem[]): BadRequestException {
  const fields = new Map<string, string[]>();
  for (const p of problems) fields.set(p.field, [...(fields.get(p.field) ?? []), p.error]);
  return invalidFields([...fields].map(([field, errors]) => ({ field, errors })));
}

/** 413: a batch with more items than one request may carry. */
export function batchTooLarge(what: string, count: number, limit: number): HttpException {
  return new HttpException(
    { statusCode: 413, error: 'Payload Too Large', message: `${count} ${what} in one request, over the limit of ${limit} (INTAKE_MAX_BATCH); send smaller batches` },
    HttpStatus.PAYLOAD_TOO_LARGE,
  );
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
