import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Put, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRole } from '../../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../../platform/auth/principal.js';
import { DeliveryView } from '../deliveries/delivery.view.js';
import { checkName } from '../names.js';
import { ChannelList, ChannelView, ChannelWithSecret } from './channel.view.js';
import { DeleteChannel } from './delete-channel/delete-channel.command.js';
import { ListChannels } from './list-channels/list-channels.query.js';
import { PutChannel } from './put-channel/put-channel.command.js';
import { PutChannelDto } from './put-channel/put-channel.dto.js';
import { TestChannel } from './test-channel/test-channel.command.js';

/** A tenant's notification channels: Slack incoming webhooks, signed webhooks (DESIGN §12). Admin only. */
@ApiTags('notifications')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('notifications/channels')
export class ChannelsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Notification channels' })
  @ApiOkResponse({ type: ChannelList })
  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<ChannelList> {
    return { items: await this.queries.execute(new ListChannels({ tenantId: p.tenantId })) };
  }

  @ApiOperation({ summary: 'One notification channel' })
  @ApiOkResponse({ type: ChannelView })
  @Get(':name')
  async get(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<ChannelView> {
    const [channel] = await this.queries.execute(new ListChannels({ tenantId: p.tenantId, name: checkName(name) }));
    if (!channel) throw new NotFoundException(`notification channel ${name} not found`);
    return channel;
  }

  /** 201 when created, 200 when replaced; a webhook channel's new signing secret comes in `secret`, this once. */
  @ApiOperation({ summary: 'Create or replace a notification channel' })
  @ApiCreatedResponse({ type: ChannelWithSecret, description: 'created (a webhook channel: with its signing secret)' })
  @ApiOkResponse({
    type: ChannelWithSecret,
    description: 'replaced (with the new secret when rotated, or when the stored one could not be opened)',
  })
  @Put(':name')
  async put(
    @Param('name') name: string,
    @Body() body: PutChannelDto,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChannelWithSecret> {
    const { channel, created, secret } = await this.commands.execute(
      new PutChannel({ tenantId: p.tenantId, name: checkName(name), channel: body, actor: actorOf(p) }),
    );
    res.status(created ? 201 : 200);
    return secret === null ? channel : { ...channel, secret };
  }

  /** 409 while rules send to it. */
  @ApiOperation({ summary: 'Delete a notification channel' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiConflictResponse({ description: 'rules send to it' })
  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<void> {
    await this.commands.execute(new DeleteChannel({ tenantId: p.tenantId, name: checkName(name), actor: actorOf(p) }));
  }

  /** 202: the test message is queued like any other; its delivery (GET …/deliveries/:id) tells how it went. */
  @ApiOperation({ summary: 'Send a test message' })
  @ApiAcceptedResponse({ type: DeliveryView })
  @Post(':name/test')
  @HttpCode(202)
  test(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<DeliveryView> {
    return this.commands.execute(new TestChannel({ tenantId: p.tenantId, name: checkName(name), actor: actorOf(p) }));
  }
}
