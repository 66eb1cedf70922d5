import { ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { invalidFields } from '../../platform/http/validation.js';
import { HandlerRegistry } from '../../platform/outbox/handler-registry.js';
import { OutboxRepository } from '../../platform/outbox/outbox.repository.js';
import { isLoopStage, LOOP_STAGES, type LoopStage } from './loop-stages.js';
import { LoopStageDetail, LoopStatus, toLoopStatus, toStageDetails } from './loop-status.js';
import { LoopTraceRepository } from './loop-trace.repository.js';

@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/loop')
export class LoopController {
  constructor(
    private readonly traces: LoopTraceRepository,
    private readonly registry: HandlerRegistry,
    private readonly outbox: OutboxRepository,
    private readonly tx: TransactionHost,
    private readonly audit: AuditTrail,
  ) {}

  private async trace(tenantId: string, incidentId: string) {
    const trace = await this.traces.find(tenantId, incidentId);
    if (!trace) throw new NotFoundException(`incident ${incidentId} not found`);
    return trace;
  }

  @ApiOkResponse({ type: LoopStatus })
  @ApiOperation({ summary: "An incident's loop status" })
  @Get(':incidentId')
  async status(@Param('incidentId', UuidParam) incidentId: string, @CurrentPrincipal() p: Principal) {
    return toLoopStatus(await this.trace(p.tenantId, incidentId));
  }

  @ApiOkResponse({ type: [LoopStageDetail] })
  @ApiOperation({ summary: "An incident's loop stages in detail" })
  @Get(':incidentId/stages')
  async stages(@Param('incidentId', UuidParam) incidentId: string, @CurrentPrincipal() p: Principal) {
    return toStageDetails(await this.trace(p.tenantId, incidentId));
  }

  /**
   * Re-queues a failed (dead-lettered) or held stage with fresh attempts, and the incident's
   * failed or held deliveries of bridge 5 (loop status), shown on the stages their events complete.
   */
  @ApiOkResponse({ type: LoopStatus })
  @ApiOperation({ summary: 'Re-queue a failed or held loop stage' })
  @Post(':incidentId/retry/:stage')
  @HttpCode(200)
  async retry(
    @Param('incidentId', UuidParam) incidentId: string,
    @Param('stage') stage: string,
    @CurrentPrincipal() p: Principal,
  ) {
    const retryable = LOOP_STAGES.slice(1);
    const handler = this.registry.handlers().find((h) => h.loopStage === stage);
    if (!isLoopStage(stage) || !handler) {
      throw invalidFields([{ field: 'stage', errors: [`stage must be one of ${retryable.join(', ')}`] }]);
    }
    await this.trace(p.tenantId, incidentId);
    // The stage shows pending in the transaction that re-queues: a relay woken by its commit may
    // hold or fail the delivery at once, and that record must not be written over.
    await this.tx.run(async () => {
      const requeued = await this.outbox.requeue(p.tenantId, incidentId, handler.name);
      const stages = new Set<LoopStage>(requeued.length > 0 ? [stage] : []);
      let recorded = 0;
      for (const recorder of this.registry.handlers().filter((h) => h.loopStages)) {
        const eventTypes = await this.outbox.requeue(p.tenantId, incidentId, recorder.name);
        recorded += eventTypes.length;
        for (const eventType of eventTypes) {
          const completes = recorder.loopStages![eventType];
          if (completes && isLoopStage(completes)) stages.add(completes);
        }
      }
      if (requeued.length + recorded === 0)
        throw new ConflictException(`stage ${stage} of incident ${incidentId} is neither failed nor held`);
      for (const pending of stages) await this.traces.markPending(incidentId, pending);
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: 'loop.stage_retried',
        subject: { type: 'loop', id: incidentId },
        after: { stage, requeued: requeued.length, loopStatusRequeued: recorded, pending: [...stages] },
      });
    });
    return toLoopStatus(await this.trace(p.tenantId, incidentId));
  }
}
