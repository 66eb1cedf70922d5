import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';

/** One problem with a request body: the JSON path of the field and what is wrong with it. */
export interface Problem {
  field: string;
  error: string;
}

/** The project's 400 shape (`fields` grouped by path), naming every offending field. */
export function invalidInput(problems: Problem[]): BadRequestException {
  const fields = new Map<string, string[]>();
  for (const p of problems) fields.set(p.field, [...(fields.get(p.field) ?? []), p.error]);
  const listed = [...fields.keys()];
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid fields: ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ` and ${listed.length - 10} more` : ''}`,
    fields: [...fields].map(([field, errors]) => ({ field, errors })),
  });
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
