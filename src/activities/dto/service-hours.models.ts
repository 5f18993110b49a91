import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';

/** Minutes as hours with one decimal, as volunteer records show them. */
export const hoursOf = (minutes: number) => Math.round((minutes / 60) * 10) / 10;

@ObjectType({ description: '一次志愿服务的时长记录（活动完成时确定）' })
export class ServiceRecord {
  /** The activity's id (one record per activity and resident). */
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  activityId: string;

  @Field()
  title: string;

  @Field(() => ID)
  branchId: string;

  @Field()
  startsAt: Date;

  @Field()
  endsAt: Date;

  @Field(() => Int, { description: 'Minutes served.' })
  minutesServed: number;

  @Field(() => Float, { description: 'Hours served, one decimal.' })
  hours: number;

  @Field(() => Int, { description: 'Points this attendance earned (0 when under the minimum share, or not yet paid).' })
  pointsEarned: number;
}

@ObjectType()
export class ServiceRecordConnection extends Connection(ServiceRecord) {}

@ObjectType({ description: '志愿服务时长：与积分分开记录，消费积分不减少时长' })
export class ServiceHours {
  @Field(() => Int, { description: 'Minutes served at completed activities, all time.' })
  totalMinutes: number;

  @Field(() => Float, { description: 'The same in hours, one decimal.' })
  totalHours: number;

  @Field(() => Int, { description: 'Completed activities with time served.' })
  activityCount: number;
}
