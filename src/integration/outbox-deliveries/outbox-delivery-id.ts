import { type PipeTransform } from '@nestjs/common';
import { invalidFields } from '../../platform/http/validation.js';

/** A delivery's id is a positive bigint (its decimal digits). */
const DELIVERY_ID = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9223372036854775807n;

export const isOutboxDeliveryId = (id: unknown): id is string =>
  typeof id === 'string' && DELIVERY_ID.test(id) && BigInt(id) <= MAX_BIGINT;

/** `:id` of an outbox delivery, else the 400 naming `id`. */
export class ParseOutboxDeliveryIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isOutboxDeliveryId(value))
      throw invalidFields([{ field: 'id', errors: ['id must be an outbox delivery id (a positive integer)'] }]);
    return value;
  }
}

/** Keyset cursor of the deliveries list: the last item's id, opaque to clients. */
export const encodeDeliveryCursor = (id: string): string => Buffer.from(JSON.stringify({ id })).toString('base64url');

export function decodeDeliveryCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    // Whatever a client put in it reaches SQL: it must be an id.
    if (!isOutboxDeliveryId(id)) throw new Error();
    return id;
  } catch {
    throw invalidFields([{ field: 'cursor', errors: ['cursor is not one this API returned'] }]);
  }
}
