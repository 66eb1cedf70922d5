import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { inOneSnapshot } from '../../platform/database/one-snapshot.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { invalidFields } from '../../platform/http/validation.js';
import { NAME_PATTERN, nameMessage } from '../names.js';
import { ListAdjustmentsQuery } from './list-adjustments/list-adjustments.dto.js';
import { ListAdjustments } from './list-adjustments/list-adjustments.query.js';
import { PutAgent } from './put-agent/put-agent.command.js';
import { PutAgentDto } from './put-agent/put-agent.dto.js';
import { RoutingRepository, type AdjustmentRow } from './routing.repository.js';
import { AdjustmentPage, AgentList, agentView, AgentView } from './routing.view.js';
import { SelectRoute, type RouteDecision } from './select-route/select-route.command.js';
import { SelectRouteDto } from './select-route/select-route.dto.js';
import { TrustRepository } from './trust/trust.repository.js';
import { trustChangeView, TrustChangeView } from './trust/trust.view.js';

export class AgentDetail extends AgentView {
  @ApiProperty({ type: [TrustChangeView], description: 'how recovery runs moved its trust, newest first' })
  trustHistory!: TrustChangeView[];
}

/** How many trust changes the agent detail lists (newest first). */
const TRUST_HISTORY_LIMIT = 100;

/** CARE routing state: agents with their effective confidence, and the adjustments behind it. */
@ApiTags('routing')
@ApiBearerAuth()
@Controller('routing')
export class RoutingController {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly trust: TrustRepository,
    private readonly tx: TransactionHost,
  ) {}

  @ApiOperation({ summary: 'List agents with their effective confidence' })
  @ApiOkResponse({ type: AgentList })
  @Get('agents')
  async agents(@CurrentPrincipal() principal: Principal): Promise<AgentList> {
    // One snapshot: an application of a policy registers an agent's capability and writes its
    // adjustment in one commit, which separate reads could show half of. Expiry is judged by the
    // database's clock, as the adjustments' listing and the router judge it.
    const [agents, adjustments, now] = await inOneSnapshot(this.tx, () =>
      Promise.all([
        this.routing.listAgents(principal.tenantId),
        this.routing.activeAdjustments(principal.tenantId),
        this.tx.now(),
      ]),
    );
    const byAgent = new Map<string, AdjustmentRow[]>();
    for (const a of adjustments) byAgent.set(a.agent_id, [...(byAgent.get(a.agent_id) ?? []), a]);
    return { items: agents.map((agent) => agentView(agent, byAgent.get(agent.id) ?? [], now)) };
  }

  @ApiOperation({ summary: 'Get an agent with its trust history' })
  @ApiOkResponse({ type: AgentDetail })
  @Get('agents/:id')
  async agent(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<AgentDetail> {
    const agentId = validAgentId(id);
    // One snapshot: a trust change committed between separate reads showed in the history
    // while the agent's trust was read before it. Expiry by the database's clock, as the router's.
    const [agent, adjustments, history, now] = await inOneSnapshot(this.tx, () =>
      Promise.all([
        this.routing.findAgent(principal.tenantId, agentId),
        this.routing.activeAdjustmentsOf(principal.tenantId, [agentId]),
        this.trust.history(principal.tenantId, agentId, TRUST_HISTORY_LIMIT),
        this.tx.now(),
      ]),
    );
    if (!agent) throw new NotFoundException(`agent ${agentId} not found`);
    // Newest first: what each recovery run did to the agent's trust, and why.
    return { ...agentView(agent, adjustments, now), trustHistory: history.map(trustChangeView) };
  }

  /** Registers the agent or updates it (capabilities replaced, base confidence set). Operators may. */
  @ApiOperation({ summary: 'Register or update an agent' })
  @Put('agents/:id')
  putAgent(
    @Param('id') id: string,
    @Body() body: PutAgentDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AgentView> {
    return this.commands.execute(
      new PutAgent({
        tenantId: principal.tenantId,
        agentId: validAgentId(id),
        capabilities: body.capabilities,
        baseConfidence: body.baseConfidence,
        actor: actorOf(principal),
      }),
    );
  }

  /** CARE route selection for a capability; records the decision. Operators may route. */
  @ApiOperation({ summary: 'Pick an agent for a request' })
  @Post('route')
  @HttpCode(200)
  route(@Body() body: SelectRouteDto, @CurrentPrincipal() principal: Principal): Promise<RouteDecision> {
    return this.commands.execute(
      new SelectRoute({
        tenantId: principal.tenantId,
        input: { capability: body.capability, candidates: body.candidates, context: body.context },
      }),
    );
  }

  @ApiOperation({ summary: 'List routing adjustments' })
  @ApiOkResponse({ type: AdjustmentPage })
  @Get('adjustments')
  adjustments(@Query() query: ListAdjustmentsQuery, @CurrentPrincipal() principal: Principal): Promise<AdjustmentPage> {
    return this.queries.execute(new ListAdjustments({ tenantId: principal.tenantId, query }));
  }
}

function validAgentId(id: string): string {
  if (!NAME_PATTERN.test(id)) {
    throw invalidFields([{ field: 'id', errors: [nameMessage('agent id')] }]);
  }
  return id;
}
