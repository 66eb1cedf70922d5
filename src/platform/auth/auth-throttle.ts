import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/** Addresses tracked at once; the oldest window goes first beyond this (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 100_000;

/** 429 with Retry-After (seconds), in the API's error shape. */
export class TooManyAuthFailures extends HttpException {
  constructor(readonly retryAfterS: number) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many failed authentications from this address; retry in ${retryAfterS} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Failed guesses per client address: at most AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MS; past
 * that, every further failure from the address is answered 429 until its window ends. Only a
 * credential that was presented and did not hold counts, and only failures are throttled: a
 * request that authenticates is never refused for its address's earlier failures, so a guesser
 * cannot lock out the people, proxies and Alertmanagers that share its address and hold keys
 * (keys and session tokens are 256 random bits: guessing is hopeless anyway; this keeps it
 * cheap and visible). Not @nestjs/throttler: its 6.x is CommonJS and requires Nest 12's
 * ESM-only @nestjs/common, which the test runner cannot load; a fixed window per address is
 * all this needs.
 */
@Injectable()
export class AuthThrottle {
  private readonly windows = new Map<string, { until: number; failures: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Counts one failed guess from `address`: the 429 to answer once it is over the limit, else null. */
  fail(address: string): TooManyAuthFailures | null {
    const now = Date.now();
    let w = this.windows.get(address);
    if (!w || w.until <= now) {
      w = { until: now + this.config.security.authFailureWindowMs, failures: 0 };
      this.windows.delete(address);
      this.windows.set(address, w);
      if (this.windows.size > MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
    }
    w.failures++;
    return w.failures > this.config.security.authFailureLimit
      ? new TooManyAuthFailures(Math.max(1, Math.ceil((w.until - now) / 1000)))
      : null;
  }
}

/** The client's address: the socket's, or X-Forwarded-For's through the proxies TRUST_PROXY trusts (Express's `trust proxy`). */
export function clientAddress(request: Request): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}
