import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { invalidFields } from '../http/validation.js';
import { IdempotencyKeysRepository } from './idempotency-keys.repository.js';

/** What an `Idempotency-Key` header may hold. */
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** The header checked at the edge: a 400 naming it, before any work is done. */
export function checkIdempotencyKey(key: string | undefined): string | null {
  if (key === undefined) return null;
  if (!KEY_FORMAT.test(key)) {
    throw invalidFields([{ field: 'Idempotency-Key', errors: ['must be 1-255 visible ASCII characters'] }]);
  }
  return key;
}

// Canonical JSON (sorted keys), so the same body with keys in another order is the same request.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `Idempotency-Key` claims (table `idempotency_keys`): the first request with a key claims it for
 * the resource it creates; a later one with the same key and body gets that resource's id back,
 * one with another body a 422. A claim lasts IDEMPOTENCY_KEY_TTL_HOURS: after that the key is
 * forgotten, and its next use claims it anew (IdempotencyKeysPruner deletes what nobody reused).
 * Call inside the transaction that creates the resource: concurrent requests with one key
 * serialise on the key's primary key, and the second sees the first's commit.
 */
@Injectable()
export class IdempotencyKeys {
  constructor(
    private readonly keys: IdempotencyKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** null: claimed for `resourceId` now; else the id the key was claimed for earlier. */
  async claim(
    tenantId: string,
    scope: string,
    key: string,
    request: unknown,
    resourceId: string,
  ): Promise<string | null> {
    const requestHash = createHash('sha256').update(canonical(request)).digest('hex');
    const ttlHours = this.config.idempotencyKeyTtlHours;
    if (await this.keys.insert(tenantId, scope, key, requestHash, resourceId, ttlHours)) return null;
    const earlier = await this.keys.find(tenantId, scope, key);
    if (earlier.request_hash !== requestHash) {
      throw new UnprocessableEntityException('this Idempotency-Key was already used with a different request body');
    }
    return earlier.resource_id;
  }
}
