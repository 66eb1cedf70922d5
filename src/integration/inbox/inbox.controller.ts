import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { utcInstant } from '../../platform/http/validation.js';
import { AssignInboxItem } from './assign-item/assign-inbox-item.command.js';
import { AssignInboxItemDto } from './assign-item/assign-inbox-item.dto.js';
import { InboxItem, InboxPage, InboxSummary } from './inbox-item.view.js';
import { GetInboxSummary } from './inbox-summary/get-inbox-summary.query.js';
import { ListInboxQuery } from './list-inbox/list-inbox.dto.js';
import { ListInbox } from './list-inbox/list-inbox.query.js';
import { SnoozeInboxItem } from './snooze-item/snooze-inbox-item.command.js';
import { SnoozeInboxItemDto } from './snooze-item/snooze-inbox-item.dto.js';

/** Everything that waits for a person, across modules (DESIGN §12). Reads: viewer; assign and snooze: operator. */
@ApiTags('inbox')
@ApiBearerAuth()
@Controller('inbox')
export class InboxController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Everything that waits for a person' })
  @ApiOkResponse({ type: InboxPage })
  @Get()
  list(@Query() q: ListInboxQuery, @CurrentPrincipal() p: Principal): Promise<InboxPage> {
    return this.queries.execute(new ListInbox({ tenantId: p.tenantId, filter: q }));
  }

  /** How many items wait, by kind, snoozed ones apart: the navigation's count (live: `inbox_changed`). */
  @ApiOperation({ summary: 'How many items wait, by kind' })
  @ApiOkResponse({ type: InboxSummary })
  @Get('summary')
  summary(@CurrentPrincipal() p: Principal): Promise<InboxSummary> {
    return this.queries.execute(new GetInboxSummary({ tenantId: p.tenantId }));
  }

  @ApiOperation({ summary: 'Assign an item to a person' })
  @ApiOkResponse({ type: InboxItem })
  @ApiNotFoundResponse({ description: 'nothing by that id waits' })
  @Post(':id/assign')
  @HttpCode(200)
  assign(
    @Param('id') id: string,
    @Body() body: AssignInboxItemDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<InboxItem> {
    return this.commands.execute(
      new AssignInboxItem({ tenantId: p.tenantId, itemId: id, assignee: body.assignee, actor: actorOf(p) }),
    );
  }

  @ApiOperation({ summary: 'Snooze an item until a time' })
  @ApiOkResponse({ type: InboxItem })
  @ApiNotFoundResponse({ description: 'nothing by that id waits' })
  @Post(':id/snooze')
  @HttpCode(200)
  snooze(
    @Param('id') id: string,
    @Body() body: SnoozeInboxItemDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<InboxItem> {
    // Without an offset: UTC, as every time the API takes.
    const until = body.until === null ? null : utcInstant(body.until);
    return this.commands.execute(new SnoozeInboxItem({ tenantId: p.tenantId, itemId: id, until, actor: actorOf(p) }));
  }
}
