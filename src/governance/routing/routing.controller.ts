import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { effectiveConfidence } from './adjustment-calculator.js';
import { ListAdjustmentsQuery } from './list-adjustments/list-adjustments.dto.js';
import { RoutingRepository } from './routing.repository.js';
import { adjustmentView, type AdjustmentRow, type AgentView } from './routing.view.js';

/** CARE routing state: agents with their effective confidence, and the adjustments behind it. */
@ApiTags('routing')
@ApiBearerAuth()
@Controller('routing')
export class RoutingController {
  constructor(private readonly routing: RoutingRepository) {}

  @Get('agents')
  async agents(@CurrentPrincipal() principal: Principal): Promise<{ items: AgentView[] }> {
    const now = new Date();
    const [agents, adjustments] = await Promise.all([
      this.routing.listAgents(principal.tenantId),
      this.routing.activeAdjustments(principal.tenantId, now),
    ]);
    const byAgent = new Map<string, AdjustmentRow[]>();
    for (const a of adjustments) byAgent.set(a.agent_id, [...(byAgent.get(a.agent_id) ?? []), a]);
    return {
      items: agents.map((agent) => {
        const own = byAgent.get(agent.id) ?? [];
        return {
          agentId: agent.id,
          capabilities: agent.capabilities,
          baseConfidence: agent.base_confidence,
          effectiveConfidence: effectiveConfidence(
            agent.base_confidence,
            own.map((a) => ({ adjustmentType: a.adjustment_type, magnitude: a.magnitude, expiresAt: a.expires_at, isActive: a.is_active })),
            now,
          ),
          activeAdjustments: own.length,
          createdAt: agent.created_at.toISOString(),
        };
      }),
    };
  }

  @Get('adjustments')
  async adjustments(@Query() query: ListAdjustmentsQuery, @CurrentPrincipal() principal: Principal) {
    const limit = query.limit ?? 50;
    const filters = {
      agentId: query.agentId,
      policyId: query.policyId,
      active: query.active === undefined ? undefined : query.active === 'true',
    };
    const rows = await this.routing.listAdjustments(principal.tenantId, filters, decodeCursor(query.cursor), limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(adjustmentView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }
}
