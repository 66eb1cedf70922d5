import { Module } from '@nestjs/common';
import { PlatformModule } from '../../platform/platform.module.js';
import { InboxModule } from '../inbox/inbox.module.js';
import { ChannelSecretsCheck } from './channels/channel-secrets-check.js';
import { ChannelRepository } from './channels/channel.repository.js';
import { ChannelsController } from './channels/channels.controller.js';
import { DeleteChannelHandler } from './channels/delete-channel/delete-channel.handler.js';
import { ListChannelsHandler } from './channels/list-channels/list-channels.handler.js';
import { PutChannelHandler } from './channels/put-channel/put-channel.handler.js';
import { TestChannelHandler } from './channels/test-channel/test-channel.handler.js';
import { DeliveriesController } from './deliveries/deliveries.controller.js';
import { DeliveryPruner } from './deliveries/delivery.pruner.js';
import { DeliveryRepository } from './deliveries/delivery.repository.js';
import { GetDeliveryHandler } from './deliveries/get-delivery/get-delivery.handler.js';
import { ListDeliveriesHandler } from './deliveries/list-deliveries/list-deliveries.handler.js';
import { RetryDeliveryHandler } from './deliveries/retry-delivery/retry-delivery.handler.js';
import { DeliveryWakeups } from './dispatch/delivery-wakeups.js';
import { NotificationDispatcher } from './dispatch/notification-dispatcher.js';
import { NotificationRouter } from './route-events/notification-router.js';
import { NotifyOnEventsHandler } from './route-events/notify-on-events.handler.js';
import { ReviewWaitingSweeper } from './route-events/review-waiting.sweeper.js';
import { DeleteRuleHandler } from './rules/delete-rule/delete-rule.handler.js';
import { ListRulesHandler } from './rules/list-rules/list-rules.handler.js';
import { PutRuleHandler } from './rules/put-rule/put-rule.handler.js';
import { RuleRepository } from './rules/rule.repository.js';
import { RulesController } from './rules/rules.controller.js';

/**
 * Notifications (DESIGN §12): channels, rules, and deliveries made durable by the outbox and sent
 * by the dispatcher. They react to every pillar's events, so they live in integration/.
 */
@Module({
  imports: [PlatformModule, InboxModule],
  controllers: [ChannelsController, RulesController, DeliveriesController],
  providers: [
    ChannelRepository,
    ChannelSecretsCheck,
    RuleRepository,
    DeliveryRepository,
    DeliveryPruner,
    DeliveryWakeups,
    NotificationRouter,
    NotificationDispatcher,
    NotifyOnEventsHandler,
    ReviewWaitingSweeper,
    PutChannelHandler,
    DeleteChannelHandler,
    ListChannelsHandler,
    TestChannelHandler,
    PutRuleHandler,
    DeleteRuleHandler,
    ListRulesHandler,
    ListDeliveriesHandler,
    GetDeliveryHandler,
    RetryDeliveryHandler,
  ],
  exports: [NotificationRouter],
})
export class NotificationsModule {}
