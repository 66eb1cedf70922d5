import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { invalidFields } from './validation.js';

/**
 * A path parameter that must be a UUID (`@Param('id', UuidParam)`): anything else is the 400 of
 * invalid input naming the parameter (`{…, message: 'invalid fields: id', fields: [{field: 'id',
 * errors: ['id must be a UUID']}]}`), as every other validation 400 names its fields.
 */
export class UuidParam implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && isUUID(value)) return value;
    const field = metadata.data ?? 'id';
    throw invalidFields([{ field, errors: [`${field} must be a UUID`] }]);
  }
}
