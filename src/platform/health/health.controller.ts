import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';

@ApiTags('ops')
@Public()
@Controller('health')
export class HealthController {
  private shuttingDown = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  /** The process is up. */
  @ApiOperation({ summary: 'Liveness probe' })
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers, and the app is not shutting down. */
  @ApiOperation({ summary: 'Readiness probe (database reachable, migrations applied)' })
  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shuttingDown) throw new ServiceUnavailableException({ status: 'shutting_down' });
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
  }

  /**
   * Shutdown began (RunningApp.close(), on SIGTERM or SIGINT): readiness answers 503 from now on,
   * so a load balancer stops sending requests while the app drains its work in flight (up to
   * SHUTDOWN_TIMEOUT_MS), during which it still serves HTTP. Not a shutdown hook: Nest runs those
   * after the drain (onApplicationShutdown even after HTTP is closed), when it is too late to tell.
   */
  beginShutdown(): void {
    this.shuttingDown = true;
  }
}
