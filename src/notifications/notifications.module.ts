import { Module } from '@nestjs/common';
import { OrganisationModule } from '../organisation/organisation.module';
import { NotificationDeliveryProcessor, WechatDeliveryProcessor } from './notification-delivery.processor';
import { NotificationDelivery } from './notification-delivery.service';
import { NotificationOutbox } from './notification-outbox';
import { NotificationRepository } from './notification.repository';
import { MeNotificationsResolver, NotificationResolver } from './notification.resolver';
import { NotificationService } from './notification.service';
import { WechatSubscribeClient } from './wechat-subscribe.client';

/**
 * Notifications: the outbox features write to (NotificationOutbox), the delivery jobs
 * (inbox rows, WeChat subscription messages, the sweep), and everyone's inbox.
 */
@Module({
  imports: [OrganisationModule],
  providers: [
    NotificationRepository,
    NotificationOutbox,
    NotificationDelivery,
    NotificationDeliveryProcessor,
    WechatDeliveryProcessor,
    WechatSubscribeClient,
    NotificationService,
    NotificationResolver,
    MeNotificationsResolver,
  ],
  exports: [NotificationOutbox],
})
export class NotificationsModule {}
