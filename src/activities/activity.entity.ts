import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum ActivityStatus {
  /** Being prepared; only the branch's managers see it. */
  DRAFT = 'DRAFT',
  /** Visible to the township's residents; open for sign-up until the deadline. */
  PUBLISHED = 'PUBLISHED',
  CANCELLED = 'CANCELLED',
  /** Attendance closed and rewards minted. */
  COMPLETED = 'COMPLETED',
}
registerEnumType(ActivityStatus, { name: 'ActivityStatus' });

export enum SignupStatus {
  CONFIRMED = 'CONFIRMED',
  WAITLISTED = 'WAITLISTED',
  /** Cancelled by the resident. */
  CANCELLED = 'CANCELLED',
  /** The branch cancelled the activity (see the activity's cancelReason). */
  ACTIVITY_CANCELLED = 'ACTIVITY_CANCELLED',
}
registerEnumType(SignupStatus, { name: 'SignupStatus' });

export enum Attendance {
  PRESENT = 'PRESENT',
  ABSENT = 'ABSENT',
}
registerEnumType(Attendance, { name: 'Attendance' });

/** A volunteer activity (志愿活动) run by a branch; attendance earns `rewardPoints`. */
@ObjectType({ description: '志愿活动' })
@Entity('activity')
export class Activity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'service_team_id', type: 'uuid', nullable: true })
  serviceTeamId: string | null;

  @Field(() => ID, { nullable: true, description: "A theme of the month's published list." })
  @Column({ name: 'theme_id', type: 'uuid', nullable: true })
  themeId: string | null;

  @Field()
  @Column()
  title: string;

  @Field()
  @Column()
  description: string;

  @Field()
  @Column()
  place: string;

  @Field()
  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Field()
  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Field()
  @Column({ name: 'signup_deadline', type: 'timestamptz' })
  signupDeadline: Date;

  @Field(() => Int)
  @Column({ type: 'int' })
  capacity: number;

  @Field(() => Int, { description: 'Points each attendee receives when the activity is completed.' })
  @Column({ name: 'reward_points', type: 'int' })
  rewardPoints: number;

  @Field(() => ActivityStatus)
  @Column({ type: 'text' })
  status: ActivityStatus;

  @Field(() => Int, { description: 'Confirmed places taken.' })
  @Column({ name: 'confirmed_count', type: 'int' })
  confirmedCount: number;

  @Field(() => String, { nullable: true, description: 'Why the branch cancelled it.' })
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A resident's sign-up for an activity: a confirmed place or a waitlist position, then attendance. */
@ObjectType({ description: '活动报名' })
@Entity('activity_signup')
export class ActivitySignup {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'activity_id' })
  activityId: string;

  @Field(() => ID)
  @Column({ name: 'resident_id' })
  residentId: string;

  @Field(() => String, { nullable: true, description: "The resident's name (shown to the activity's managers)." })
  residentName: string | null;

  @Field(() => ID, { nullable: true, description: 'For a dependent (家属) of a household: whom the place is for. residentId is then the member who registered them, who is paid for their attendance.' })
  @Column({ name: 'dependent_id', type: 'uuid', nullable: true })
  dependentId: string | null;

  @Field(() => String, { nullable: true, description: "The dependent's name, for a dependent's sign-up." })
  dependentName: string | null;

  @Field(() => ID, { nullable: true, description: 'The person who signed up on behalf of the resident or dependent (a household member); null when the resident signed up themselves.' })
  @Column({ name: 'acted_by', type: 'uuid', nullable: true })
  actedBy: string | null;

  @Field(() => SignupStatus)
  @Column({ type: 'text' })
  status: SignupStatus;

  @Field(() => Int, { nullable: true, description: 'Place in the waitlist, 1 = next to be promoted; null unless WAITLISTED.' })
  waitlistPosition: number | null;

  @Field(() => Attendance, { nullable: true, description: 'Null until checked in or marked.' })
  @Column({ type: 'text', nullable: true })
  attendance: Attendance | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'checked_in_at', type: 'timestamptz', nullable: true })
  checkedInAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the resident checked out (with the code, or recorded by a manager); null: not checked out.' })
  @Column({ name: 'checked_out_at', type: 'timestamptz', nullable: true })
  checkedOutAt: Date | null;

  /** Checked in with the code (service counts from then), not marked by a manager (from the start). */
  @Column({ name: 'checked_in_by_code', type: 'boolean' })
  checkedInByCode: boolean;

  @Field(() => Int, {
    nullable: true,
    description: 'Minutes served, fixed when the activity is completed: from check-in (or the start, when a manager marked attendance) to check-out (or the end), within the activity.',
  })
  @Column({ name: 'minutes_served', type: 'int', nullable: true })
  minutesServed: number | null;

  @Field(() => ID, { nullable: true, description: 'The ledger entry that paid the reward, once minted.' })
  @Column({ name: 'reward_entry_id', type: 'bigint', nullable: true })
  rewardEntryId: string | null;

  @Field()
  @Column({ name: 'signed_up_at', type: 'timestamptz' })
  signedUpAt: Date;

  @Field(() => Date, { nullable: true, description: 'When a cancellation moved this sign-up from the waitlist to a place.' })
  @Column({ name: 'promoted_at', type: 'timestamptz', nullable: true })
  promotedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was cancelled (the activity cancellation reason, for ACTIVITY_CANCELLED).' })
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;
}
