import { Controller, Get, HttpException, HttpStatus, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { CredentialWatch } from '../../platform/auth/credential-watch.js';
import type { Principal } from '../../platform/auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { toLoopStatus, type LoopStatus } from '../loop-status/loop-status.js';
import { LoopTraceRepository } from '../loop-status/loop-trace.repository.js';
import { LoopProgressHub } from './loop-progress.hub.js';

/**
 * Server-sent events: `loop_progress` messages carrying LoopStatus, with comment heart-beats. A
 * stream ends when its credential no longer holds (CredentialWatch).
 */
@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration')
export class LoopStreamController {
  /** Open streams on this replica, by API key and by tenant (SSE_MAX_STREAMS_PER_KEY / _PER_TENANT). */
  private readonly openByKey = new Map<string, number>();
  private readonly openByTenant = new Map<string, number>();

  constructor(
    private readonly hub: LoopProgressHub,
    private readonly traces: LoopTraceRepository,
    private readonly credentials: CredentialWatch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One incident's progress; sends the current status first and closes once the loop is complete. */
  @ApiOperation({ summary: 'Live loop progress of one incident (SSE)' })
  @Get('loop/:incidentId/stream')
  @ApiProduces('text/event-stream')
  async incident(
    @Param('incidentId', UuidParam) incidentId: string,
    @CurrentPrincipal() p: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const trace = await this.traces.find(p.tenantId, incidentId);
    if (!trace) throw new NotFoundException(`incident ${incidentId} not found`);
    const stream = this.open(p, req, res);
    const send = (status: LoopStatus) => {
      stream.send(status);
      if (status.isComplete) stream.close();
    };
    stream.onClose(this.hub.subscribeIncident(p.tenantId, incidentId, send));
    // Read again after subscribing, so an update between the first read and the subscription is not missed.
    const current = await this.traces.find(p.tenantId, incidentId);
    if (current) send(toLoopStatus(current));
  }

  /** Every loop update of the caller's tenant, and its work orders' changes (`work_order_progress`). */
  @ApiOperation({ summary: 'Live loop, run and work-order updates of the tenant (SSE)' })
  @Get('stream')
  @ApiProduces('text/event-stream')
  tenant(@CurrentPrincipal() p: Principal, @Req() req: Request, @Res() res: Response) {
    const stream = this.open(p, req, res);
    stream.onClose(this.hub.subscribeTenant(p.tenantId, (status) => stream.send(status)));
    stream.onClose(this.hub.subscribeTenantEvents(p.tenantId, (event, data) => stream.send(data, event)));
    // News lost while this replica's LISTEN connection was down cannot be sent: the stream ends, and
    // its client reconnects and reads again what it shows (as after any break of its stream).
    stream.onClose(this.hub.onMissed(() => stream.close()));
  }

  /** 429 when the key or its tenant already holds its maximum of streams; else counts one more until it closes. */
  private reserve(p: Principal): () => void {
    const { sseMaxStreamsPerKey, sseMaxStreamsPerTenant } = this.config.security;
    const byKey = this.openByKey.get(p.keyId) ?? 0;
    const byTenant = this.openByTenant.get(p.tenantId) ?? 0;
    if (byKey >= sseMaxStreamsPerKey || byTenant >= sseMaxStreamsPerTenant) {
      const which =
        byKey >= sseMaxStreamsPerKey
          ? `this API key (${sseMaxStreamsPerKey})`
          : `this tenant (${sseMaxStreamsPerTenant})`;
      throw Object.assign(
        new HttpException(
          {
            statusCode: 429,
            error: 'Too Many Requests',
            message: `too many open streams for ${which}; close one first`,
          },
          HttpStatus.TOO_MANY_REQUESTS,
        ),
        { retryAfterS: 5 },
      );
    }
    const bump = (map: Map<string, number>, key: string, by: number) => {
      const n = (map.get(key) ?? 0) + by;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    };
    bump(this.openByKey, p.keyId, 1);
    bump(this.openByTenant, p.tenantId, 1);
    return () => {
      bump(this.openByKey, p.keyId, -1);
      bump(this.openByTenant, p.tenantId, -1);
    };
  }

  private open(p: Principal, req: Request, res: Response) {
    const release = this.reserve(p);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // proxies must not buffer the stream
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.config.sseHeartbeatMs);
    const cleanups: Array<() => void> = [() => clearInterval(heartbeat), release];
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      for (const cleanup of cleanups) cleanup();
      res.end();
    };
    req.on('close', close);
    cleanups.push(this.hub.trackStream(close));
    // Authenticated once, here: the stream ends when its key is revoked or its session ends (ADR 0011).
    cleanups.push(this.credentials.watch(p, close));
    // The client left while the stream was being authenticated (a slow database, a tab navigating away):
    // its 'close' came before anyone listened, and the stream would stay subscribed, and counted, for ever.
    if (res.destroyed) close();
    return {
      send: (data: unknown, event = 'loop_progress') => {
        if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      onClose: (cleanup: () => void) => (closed ? cleanup() : cleanups.push(cleanup)),
      close,
    };
  }
}
