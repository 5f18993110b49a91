import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsString, MaxLength } from 'class-validator';
import { ArgsType, Field } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { Me } from '../me/me.model';
import { Notification, NotificationConnection, NotificationPageArgs, NotificationSettings } from './dto/notification.models';
import { NotificationKind } from './notification.kinds';
import { NotificationService } from './notification.service';

@ArgsType()
export class AcceptWechatTemplatesArgs {
  @Field(() => [String], { description: "The template ids wx.requestSubscribeMessage answered 'accept' for." })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  templateIds: string[];
}

/** Everyone's own inbox and notification settings. */
@Resolver()
export class NotificationResolver {
  constructor(private readonly inbox: NotificationService) {}

  @Query(() => NotificationConnection, { description: 'My inbox, newest first.' })
  notifications(@CurrentPrincipal() actor: Principal, @Args() page: NotificationPageArgs) {
    return this.inbox.inbox(actor, page);
  }

  @Mutation(() => Notification, { description: 'Marks one of my notifications read.' })
  markNotificationRead(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.inbox.markRead(actor, id);
  }

  @Mutation(() => Int, { description: 'Marks all my notifications read; returns how many were unread.' })
  markAllNotificationsRead(@CurrentPrincipal() actor: Principal) {
    return this.inbox.markAllRead(actor);
  }

  @Query(() => NotificationSettings, { description: 'Which kinds of notification I get, and the WeChat templates to ask for.' })
  notificationSettings(@CurrentPrincipal() actor: Principal) {
    return this.inbox.settings(actor);
  }

  @Mutation(() => NotificationSettings, { description: 'Turns one kind of notification on or off for me (inbox and WeChat).' })
  setNotificationPreference(
    @CurrentPrincipal() actor: Principal,
    @Args('kind', { type: () => NotificationKind }) kind: NotificationKind,
    @Args('enabled') enabled: boolean,
  ) {
    return this.inbox.setPreference(actor, kind, enabled);
  }

  @Mutation(() => NotificationSettings, {
    description: 'Records the WeChat subscription templates I accepted in the mini-program (after wx.requestSubscribeMessage).',
  })
  acceptWechatTemplates(@CurrentPrincipal() actor: Principal, @Args() args: AcceptWechatTemplatesArgs) {
    return this.inbox.acceptWechatTemplates(actor, args.templateIds);
  }
}

/** `me.unreadNotifications`: the badge. */
@Resolver(() => Me)
export class MeNotificationsResolver {
  constructor(private readonly notifications: NotificationService) {}

  @ResolveField(() => Int, { description: 'How many of my notifications are unread (the badge).' })
  unreadNotifications(@Parent() me: Me) {
    return this.notifications.unreadCount(me.personId);
  }
}
