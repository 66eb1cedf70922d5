import { HttpException, HttpStatus, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

const THROTTLER = 'auth-failures';

/** 429 with Retry-After (seconds), in the API's error shape. */
export class TooManyAuthFailures extends HttpException {
  constructor(readonly retryAfterS: number) {
    super(
      { statusCode: 429, error: 'Too Many Requests', message: `too many failed authentications from this address; retry in ${retryAfterS} s` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Failed authentications per client address (AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MS), on
 * @nestjs/throttler's storage. Only failures count: a client with a valid key is never slowed,
 * but once an address is blocked even a valid key waits, or guessing would go on.
 */
@Injectable()
export class AuthThrottle implements OnApplicationShutdown {
  private readonly storage = new ThrottlerStorageService();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Throws 429 while `address` is blocked. */
  check(address: string): void {
    const record = this.storage.storage.get(this.key(address));
    if (record?.isBlocked && record.blockExpiresAt > Date.now()) {
      throw new TooManyAuthFailures(Math.max(1, Math.ceil((record.blockExpiresAt - Date.now()) / 1000)));
    }
  }

  /** Counts one failure; throws 429 when it is one too many. */
  async fail(address: string): Promise<void> {
    const { authFailureLimit, authFailureWindowMs } = this.config.security;
    const record = await this.storage.increment(this.key(address), authFailureWindowMs, authFailureLimit, authFailureWindowMs, THROTTLER);
    if (record.isBlocked) throw new TooManyAuthFailures(Math.max(1, record.timeToBlockExpire));
  }

  onApplicationShutdown(): void {
    this.storage.onApplicationShutdown();
  }

  private key(address: string): string {
    return `auth:${address}`;
  }
}
