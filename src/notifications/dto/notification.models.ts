import { ArgsType, Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { IsBoolean, IsOptional } from 'class-validator';
import { Connection, PageArgs } from '../../common/pagination/connection';
import { NotificationKind } from '../notification.kinds';

@ObjectType({ description: 'A message in the in-app inbox (收件箱).' })
export class Notification {
  @Field(() => ID)
  id: string;

  @Field(() => NotificationKind)
  kind: NotificationKind;

  @Field()
  title: string;

  @Field()
  body: string;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  readAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The activity it is about, if any.' })
  activityId: string | null;

  @Field(() => ID, { nullable: true, description: 'The course it is about, if any.' })
  courseId: string | null;

  @Field(() => String, { nullable: true, description: 'The month it is about (YYYY-MM), if any.' })
  month: string | null;

  @Field(() => Int, { nullable: true, description: 'Points in or out, for points notifications.' })
  points: number | null;
}

@ObjectType()
export class NotificationConnection extends Connection(Notification) {}

@ArgsType()
export class NotificationPageArgs extends PageArgs {
  @Field({ defaultValue: false, description: 'Only the unread ones.' })
  @IsOptional()
  @IsBoolean()
  unreadOnly: boolean = false;
}

@ObjectType({ description: "One kind of notification in a person's settings." })
export class NotificationKindSetting {
  @Field(() => NotificationKind)
  kind: NotificationKind;

  @Field({ description: 'What the kind is called (Chinese).' })
  label: string;

  @Field({ description: 'False when the person turned this kind off: neither the inbox nor WeChat gets it.' })
  enabled: boolean;

  @Field(() => String, { nullable: true, description: 'The WeChat subscription template id to ask for (wx.requestSubscribeMessage); null: inbox only.' })
  wechatTemplateId: string | null;

  @Field({ description: 'The person accepted the template in the mini-program (and WeChat has not said otherwise since).' })
  wechatAccepted: boolean;
}

@ObjectType({ description: "A person's notification settings." })
export class NotificationSettings {
  @Field(() => [NotificationKindSetting])
  kinds: NotificationKindSetting[];

  @Field({ description: 'Quiet hours (Asia/Shanghai, HH:MM-HH:MM; empty: none): WeChat messages that are not urgent wait until they end.' })
  quietHours: string;
}
