import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { UuidParam } from './uuid-param.js';

const param = (data: string | undefined) => ({ type: 'param' as const, data });

describe('UuidParam', () => {
  it('passes a UUID through', () => {
    const id = '0190a5a0-0000-7000-8000-000000000000';
    expect(new UuidParam().transform(id, param('id'))).toBe(id);
  });

  it('answers the validation 400 naming the parameter', () => {
    const refusal = (value: string, name: string | undefined) => {
      try {
        new UuidParam().transform(value, param(name));
      } catch (e) {
        expect(e).toBeInstanceOf(BadRequestException);
        return (e as BadRequestException).getResponse();
      }
      throw new Error('not refused');
    };
    expect(refusal('nope', 'incidentId')).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'invalid fields: incidentId',
      fields: [{ field: 'incidentId', errors: ['incidentId must be a UUID'] }],
    });
    expect(refusal('0190a5a0-0000-7000-8000-00000000000', undefined)).toMatchObject({
      fields: [{ field: 'id', errors: ['id must be a UUID'] }],
    });
  });
});
