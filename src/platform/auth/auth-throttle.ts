import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/** Addresses tracked at once; the oldest window goes first beyond this (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 100_000;

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
 * Failed authentications per client address: at most AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MS,
 * then the address is blocked until its window ends. Only failures count: a client with a valid
 * key is never slowed, but a blocked address waits even with a valid key, or guessing would go
 * on. (Not @nestjs/throttler: its 6.x is CommonJS and requires Nest 12's ESM-only @nestjs/common,
 * which the test runner cannot load; a fixed window per address is all this needs.)
 */
@Injectable()
export class AuthThrottle {
  private readonly windows = new Map<string, { until: number; failures: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Throws 429 while `address` is blocked. */
  check(address: string): void {
    const w = this.windows.get(address);
    if (w && w.until > Date.now() && w.failures >= this.config.security.authFailureLimit) throw this.tooMany(w.until);
  }

  /** Counts one failure; throws 429 when it is one too many. */
  fail(address: string): void {
    const now = Date.now();
    let w = this.windows.get(address);
    if (!w || w.until <= now) {
      w = { until: now + this.config.security.authFailureWindowMs, failures: 0 };
      this.windows.delete(address);
      this.windows.set(address, w);
      if (this.windows.size > MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
    }
    w.failures++;
    if (w.failures > this.config.security.authFailureLimit) throw this.tooMany(w.until);
  }

  private tooMany(until: number): TooManyAuthFailures {
    return new TooManyAuthFailures(Math.max(1, Math.ceil((until - Date.now()) / 1000)));
  }
}
