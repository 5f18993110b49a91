import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum ExpiryMode {
  /** Points never expire (the default). */
  NONE = 'NONE',
  /** Every year on a set date, points earned before it and still unspent expire. */
  YEARLY = 'YEARLY',
}
registerEnumType(ExpiryMode, { name: 'ExpiryMode' });

/** A township's own rules for points and hours (a township without a row has the defaults). */
@ObjectType({ description: '镇积分政策' })
@Entity('township_policy')
export class TownshipPolicy {
  @Field(() => ID)
  @PrimaryColumn({ name: 'township_id', type: 'uuid' })
  townshipId: string;

  @Field(() => Int, { description: "Share of an activity's length (0-100 %) an attendee must serve to earn its points; 0: any attendance." })
  @Column({ name: 'min_attendance_percent', type: 'int' })
  minAttendancePercent: number;

  @Field(() => ExpiryMode)
  @Column({ name: 'expiry_mode', type: 'text' })
  expiryMode: ExpiryMode;

  @Field(() => Int, { nullable: true, description: 'YEARLY: the month (1-12) of the yearly cut-off date (Asia/Shanghai).' })
  @Column({ name: 'expiry_month', type: 'int', nullable: true })
  expiryMonth: number | null;

  @Field(() => Int, { nullable: true, description: 'YEARLY: the day of the month of the cut-off date.' })
  @Column({ name: 'expiry_day', type: 'int', nullable: true })
  expiryDay: number | null;

  @Field(() => Int, { description: 'Residents see the notice this many days before the cut-off.' })
  @Column({ name: 'expiry_notice_days', type: 'int' })
  expiryNoticeDays: number;

  @Field(() => Date, { nullable: true, description: 'When the expiry rule was last set: a cut-off runs only if the rule stood the notice days before it.' })
  @Column({ name: 'expiry_set_at', type: 'timestamptz', nullable: true })
  expirySetAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true })
  updatedAt: Date | null;
}

/** One yearly reset of one township: booked once, whatever runs it. */
@ObjectType({ description: '积分到期清零记录' })
export class PointsExpiryRun {
  @Field({ description: 'The cut-off date (YYYY-MM-DD, Asia/Shanghai): points earned before it expired.' })
  cutoffDate: string;

  @Field({ description: 'RUNNING or DONE.' })
  status: string;

  @Field(() => Int, { description: 'Residents whose points expired.' })
  residents: number;

  @Field(() => Int, { description: 'Points booked to the township expiry account.' })
  points: number;

  @Field()
  startedAt: Date;

  @Field(() => Date, { nullable: true })
  finishedAt: Date | null;
}

/** What a resident is told before a yearly reset. */
@ObjectType({ description: '积分到期提醒' })
export class PointsExpiryNotice {
  @Field({ description: 'The cut-off date (YYYY-MM-DD, Asia/Shanghai): points earned before it and unspent then expire.' })
  cutoffDate: string;

  @Field({ description: 'The instant of the cut-off (00:00 Asia/Shanghai of cutoffDate).' })
  cutoffAt: Date;

  @Field(() => Int, { description: 'Days left until the cut-off (0 on the last day).' })
  daysLeft: number;

  @Field(() => Int, { description: 'Points that would expire if none were spent before then (oldest first: all points held now).' })
  points: number;
}
