import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { Activity, ActivitySignup } from '../activity.entity';

@ObjectType()
export class ActivityConnection extends Connection(Activity) {}

@ObjectType()
export class ActivitySignupConnection extends Connection(ActivitySignup) {}

@ObjectType({ description: 'The check-in code to show residents now (as digits or as a QR code of the same value).' })
export class CheckinCode {
  @Field(() => ID)
  activityId: string;

  @Field({ description: '6 digits.' })
  code: string;

  @Field({ description: 'A new code appears at this instant; show it then.' })
  refreshAt: Date;

  @Field({ description: 'This code is refused after this instant.' })
  expiresAt: Date;
}

@ObjectType()
export class ActivityCompletion {
  @Field(() => Activity)
  activity: Activity;

  @Field(() => Int, { description: 'Attendees rewarded by this request (0 when it had already been done).' })
  newlyRewarded: number;

  @Field(() => Int, { description: 'All attendees rewarded for this activity so far.' })
  attendeesRewarded: number;

  @Field(() => Int, { description: 'Points minted for this activity so far.' })
  pointsMinted: number;

  @Field(() => Int, { description: "Attendees not paid: they served less than the township's minimum share of the activity (their hours still count)." })
  belowMinimum: number;

  @Field(() => Int, { description: 'Minutes an attendee had to serve to earn the points (the township policy share of the length).' })
  minMinutes: number;
}
