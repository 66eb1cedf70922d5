import { describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { ServiceLogger } from './service-logger.js';

describe('ServiceLogger', () => {
  const recorded = () => {
    const calls: Array<[string, ...unknown[]]> = [];
    const inner: LoggerService & { debug: NonNullable<LoggerService['debug']> } = {
      log: (...a: unknown[]) => void calls.push(['log', ...a]),
      error: (...a: unknown[]) => void calls.push(['error', ...a]),
      warn: (...a: unknown[]) => void calls.push(['warn', ...a]),
      debug: (...a: unknown[]) => void calls.push(['debug', ...a]),
    };
    return { calls, logger: new ServiceLogger(inner) };
  };

  it("puts Nest's per-module and per-route start-up lines at debug, and leaves every other line at its level", () => {
    const { calls, logger } = recorded();
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('IncidentsController {/incidents}:', 'RoutesResolver');
    logger.log('Mapped {/incidents, POST} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log('bridge_2 turned off', 'FlagsService');
    logger.log('no context');
    logger.warn('slow', 'RouterExplorer');
    logger.error('failed', 'stack', 'Outbox');
    expect(calls).toEqual([
      ['debug', 'AppModule dependencies initialized', 'InstanceLoader'],
      ['debug', 'IncidentsController {/incidents}:', 'RoutesResolver'],
      ['debug', 'Mapped {/incidents, POST} route', 'RouterExplorer'],
      ['log', 'Nest application successfully started', 'NestApplication'],
      ['log', 'bridge_2 turned off', 'FlagsService'],
      ['log', 'no context'],
      ['warn', 'slow', 'RouterExplorer'],
      ['error', 'failed', 'stack', 'Outbox'],
    ]);
  });
});
