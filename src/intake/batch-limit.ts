import { HttpException, HttpStatus } from '@nestjs/common';

/** 413: a batch with more items than one request may carry. */
export function batchTooLarge(what: string, count: number, limit: number): HttpException {
  return new HttpException(
    {
      statusCode: 413,
      error: 'Payload Too Large',
      message: `${count} ${what} in one request, over the limit of ${limit} (INTAKE_MAX_BATCH); send smaller batches`,
    },
    HttpStatus.PAYLOAD_TOO_LARGE,
  );
}

/** The 413 when `body[key]` is an array of more than `limit` items (checked before the items are). */
export function refuseLargeBatch(body: unknown, key: string, limit: number): void {
  const items = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(items) && items.length > limit) throw batchTooLarge(key, items.length, limit);
}
