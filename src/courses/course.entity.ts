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

  @Field(() => ID, { nullable: true, description: 'For a dependent (家属) of a household: whom the seat is for. residentId is then the member who paid.' })
  @Column({ name: 'dependent_id', type: 'uuid', nullable: true })
  dependentId: string | null;

  @Field(() => String, { nullable: true, description: "The dependent's name, for a dependent's enrolment." })
  dependentName: string | null;

  @Field(() => ID, { nullable: true, description: 'The person who enrolled on behalf of the dependent; null when the resident enrolled themselves.' })
  @Column({ name: 'acted_by', type: 'uuid', nullable: true })
  actedBy: string | null;

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
