import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsDate, IsEnum, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { LineText, MultilineText } from '../../common/graphql/text.validators';
import { UpdateInputType } from '../../common/graphql/update-input';
import { MONTH_MESSAGE, MONTH_PATTERN } from '../../common/time/shanghai-month';
import { CourseStatus } from '../course.entity';


export const MAX_COURSE_CAPACITY = 1000;
export const MAX_COURSE_PRICE = 1000;

@InputType()
export class CreateCourseInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @LineText(100, { description: 'e.g. 小记者团非遗体验课, 1-100 characters.' })
  title: string;

  @MultilineText(2000, { defaultValue: '', description: 'Up to 2000 characters.' })
  description: string;

  @LineText(100, { description: '1-100 characters.' })
  place: string;

  @Field()
  @IsDate()
  startsAt: Date;

  @Field()
  @IsDate()
  endsAt: Date;

  @Field({ description: 'Enrolment closes at this instant; at the latest the start.' })
  @IsDate()
  enrolDeadline: Date;

  @Field({ description: 'Residents may cancel and be refunded until this instant; at the latest the start.' })
  @IsDate()
  cancelDeadline: Date;

  @Field(() => Int, { description: `Seats, 1-${MAX_COURSE_CAPACITY}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_COURSE_CAPACITY)
  capacity: number;

  @Field(() => Int, { description: `Points charged per seat, 1-${MAX_COURSE_PRICE}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_COURSE_PRICE)
  pricePoints: number;
}

/** Only the fields given change. A new price applies to later enrolments; refunds return what was paid. */
@InputType()
export class UpdateCourseInput extends UpdateInputType(CreateCourseInput, ['branchId']) {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @Field(() => Int, { nullable: true, description: 'Cannot go below the seats taken.' })
  override capacity?: number;
}

@InputType()
export class CancelCourseInput {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @LineText(200, { description: 'Shown to enrolled residents (who are all refunded), 1-200 characters.' })
  reason: string;
}

@ArgsType()
export class CourseFilterArgs {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  branchId?: string;

  @Field({ nullable: true, description: 'Courses starting in this month (YYYY-MM, Asia/Shanghai).' })
  @IsOptional()
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month?: string;

  @Field(() => CourseStatus, { nullable: true })
  @IsOptional()
  @IsEnum(CourseStatus)
  status?: CourseStatus;

  @Field({ defaultValue: false, description: 'Include courses that have already ended.' })
  @IsBoolean()
  includePast: boolean = false;
}

/** A dependent (家属) of the caller's household and a course. */
@InputType()
export class DependentCourseInput {
  @Field(() => ID)
  @IsUUID()
  courseId: string;

  @Field(() => ID)
  @IsUUID()
  dependentId: string;
}
