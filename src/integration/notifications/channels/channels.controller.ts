import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Put, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRole } from '../../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../../platform/auth/principal.js';
import type { DeliveryView } from '../deliveries/delivery.view.js';
import { checkName } from '../names.js';
import type { ChannelView } from './channel.view.js';
import { DeleteChannel } from './delete-channel/delete-channel.command.js';
import { ListChannels } from './list-channels/list-channels.query.js';
import { PutChannel } from './put-channel/put-channel.command.js';
import { PutChannelDto } from './put-channel/put-channel.dto.js';
import { TestChannel } from './test-channel/test-channel.command.js';

/** A tenant's notification channels: Slack incoming webhooks and signed webhooks (DESIGN §12). Admin only, like actuators. */
@ApiTags('notifications')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('notifications/channels')
export class ChannelsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<{ items: ChannelView[] }> {
    return { items: await this.queries.execute(new ListChannels({ tenantId: p.tenantId })) };
  }

  @Get(':name')
  async get(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<ChannelView> {
    const [channel] = await this.queries.execute(new ListChannels({ tenantId: p.tenantId, name: checkName(name) }));
    if (!channel) throw new NotFoundException(`notification channel ${name} not found`);
    return channel;
  }

  /** 201 when created, 200 when replaced; a webhook channel's new signing secret comes in `secret`, this once. */
  @Put(':name')
  async put(
    @Param('name') name: string,
    @Body() body: PutChannelDto,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChannelView & { secret?: string }> {
    const { channel, created, secret } = await this.commands.execute(
      new PutChannel({ tenantId: p.tenantId, name: checkName(name), channel: body, actor: actorOf(p) }),
    );
    res.status(created ? 201 : 200);
    return secret === null ? channel : { ...channel, secret };
  }

  /** 409 while rules send to it. */
  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<void> {
    await this.commands.execute(new DeleteChannel({ tenantId: p.tenantId, name: checkName(name), actor: actorOf(p) }));
  }

  /** 202: the test message is queued like any other; its delivery (`GET /notifications/deliveries/:id`) tells how it went. */
  @Post(':name/test')
  @HttpCode(202)
  test(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<DeliveryView> {
    return this.commands.execute(new TestChannel({ tenantId: p.tenantId, name: checkName(name), actor: actorOf(p) }));
  }
}
