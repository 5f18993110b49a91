import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export enum CourseStatus {
  OPEN = 'OPEN',
  CANCELLED = 'CANCELLED',
}
registerEnumType(CourseStatus, { name: 'CourseStatus' });

export enum EnrolmentStatus {
  ENROLLED = 'ENROLLED',
  /** Cancelled by the resident before the cancel deadline; refunded. */
  CANCELLED = 'CANCELLED',
  /** The branch cancelled the course; refunded. */
  COURSE_CANCELLED = 'COURSE_CANCELLED',
}
registerEnumType(EnrolmentStatus, { name: 'EnrolmentStatus' });

/** An experience course (体验课程) that residents pay for with points. */
@ObjectType({ description: '体验课程' })
@Entity('course')
export class Course {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field({ description: 'The branch (village or community) that runs it, so equal titles from different villages can be told apart.' })
  branchName: string;

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

  @Field({ description: 'Enrolment closes at this instant.' })
  @Column({ name: 'enrol_deadline', type: 'timestamptz' })
  enrolDeadline: Date;

  @Field({ description: 'Residents may cancel (and are refunded) until this instant.' })
  @Column({ name: 'cancel_deadline', type: 'timestamptz' })
  cancelDeadline: Date;

  @Field(() => Int)
  @Column({ type: 'int' })
  capacity: number;

  @Field(() => Int, { description: 'Points charged on enrolment.' })
  @Column({ name: 'price_points', type: 'int' })
  pricePoints: number;

  @Field(() => CourseStatus)
  @Column({ type: 'text' })
  status: CourseStatus;

  @Field(() => Int)
  @Column({ name: 'enrolled_count', type: 'int' })
  enrolledCount: number;

  @Field(() => String, { nullable: true })
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A resident's seat in a course, paid for by one ledger entry (and refunded by its reversal). */
@ObjectType({ description: '课程报名' })
@Entity('course_enrolment')
export class CourseEnrolment {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'course_id' })
  courseId: string;

  @Field(() => ID)
  @Column({ name: 'resident_id' })
  residentId: string;

  @Field(() => String, { nullable: true, description: "The resident's name (shown to the course's managers)." })
  residentName: string | null;

  @Field(() => EnrolmentStatus)
  @Column({ type: 'text' })
  status: EnrolmentStatus;

  @Field(() => Int, { description: 'Points charged.' })
  @Column({ name: 'price_points', type: 'int' })
  pricePoints: number;

  @Field(() => ID)
  @Column({ name: 'charge_entry_id', type: 'bigint' })
  chargeEntryId: string;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'refund_entry_id', type: 'bigint', nullable: true })
  refundEntryId: string | null;

  @Field()
  @Column({ name: 'enrolled_at', type: 'timestamptz' })
  enrolledAt: Date;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;
}

export const COURSE_COLUMNS = `c.id, c.township_id AS "townshipId", c.branch_id AS "branchId", (SELECT b.name FROM branch b WHERE b.id = c.branch_id) AS "branchName",
  c.title, c.description, c.place,
  c.starts_at AS "startsAt", c.ends_at AS "endsAt", c.enrol_deadline AS "enrolDeadline", c.cancel_deadline AS "cancelDeadline",
  c.capacity, c.price_points AS "pricePoints", c.status, c.enrolled_count AS "enrolledCount", c.cancel_reason AS "cancelReason",
  c.cancelled_at AS "cancelledAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

export const ENROLMENT_COLUMNS = `e.id, e.course_id AS "courseId", e.resident_id AS "residentId",
  (SELECT p.name FROM resident r JOIN person p ON p.id = r.person_id WHERE r.id = e.resident_id) AS "residentName",
  e.status, e.price_points AS "pricePoints", e.charge_entry_id::text AS "chargeEntryId", e.refund_entry_id::text AS "refundEntryId",
  e.enrolled_at AS "enrolledAt", e.cancelled_at AS "cancelledAt", e.cancel_reason AS "cancelReason"`;
