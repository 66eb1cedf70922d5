import type { LoggerService } from '@nestjs/common';

/**
 * Nest's own start-up lines: one per module (InstanceLoader) and one per route (RoutesResolver,
 * RouterExplorer), some 160 at each start. At info they bury what the service itself says (its
 * database, its address, a warning); at debug they are there when asked for (LOG_LEVEL=debug).
 */
const FRAMEWORK_START_UP = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The app's logger (`inner`, JSON lines through pino), with Nest's start-up lines at debug. */
export class ServiceLogger implements LoggerService {
  constructor(private readonly inner: Required<Pick<LoggerService, 'debug'>> & LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    // Nest names the context last.
    if (FRAMEWORK_START_UP.has(rest.at(-1) as string)) this.inner.debug(message, ...rest);
    else this.inner.log(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.inner.fatal?.(message, ...rest);
  }
}
