import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsDate, IsEnum, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { LineText, MultilineText, trim } from '../../common/graphql/text.validators';
import { UpdateInputType } from '../../common/graphql/update-input';
import { MONTH_MESSAGE, MONTH_PATTERN } from '../../common/time/shanghai-month';
import { ActivityStatus, Attendance, SignupStatus } from '../activity.entity';


export const MAX_ACTIVITY_CAPACITY = 10_000;
/** Far above the +2 of a typical activity; a typo like 2000 is refused. */
export const MAX_ACTIVITY_REWARD = 100;
export const MAX_ATTENDANCE_BATCH = 500;

@InputType()
export class CreateActivityInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field(() => ID, { nullable: true, description: 'A service team (服务队) of the same branch.' })
  @IsOptional()
  @IsUUID()
  serviceTeamId?: string | null;

  @Field(() => ID, { nullable: true, description: "A theme from the month's published list." })
  @IsOptional()
  @IsUUID()
  themeId?: string | null;

  @LineText(100, { description: 'e.g. 平安有我消防安全宣传, 1-100 characters.' })
  title: string;

  @MultilineText(2000, { defaultValue: '', description: 'Up to 2000 characters.' })
  description: string;

  @LineText(100, { description: '活动地点, 1-100 characters.' })
  place: string;

  @Field()
  @IsDate()
  startsAt: Date;

  @Field()
  @IsDate()
  endsAt: Date;

  @Field({ description: 'Sign-ups close at this instant; at the latest the start.' })
  @IsDate()
  signupDeadline: Date;

  @Field(() => Int, { description: `Confirmed places, 1-${MAX_ACTIVITY_CAPACITY}; later sign-ups join the waitlist.` })
  @IsInt()
  @Min(1)
  @Max(MAX_ACTIVITY_CAPACITY)
  capacity: number;

  @Field(() => Int, { description: `Points per attendee, 1-${MAX_ACTIVITY_REWARD}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_ACTIVITY_REWARD)
  rewardPoints: number;
}

/** Only the fields given change; null clears serviceTeamId or themeId. */
@InputType()
export class UpdateActivityInput extends UpdateInputType(CreateActivityInput, ['branchId']) {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @Field(() => Int, { nullable: true, description: 'Raising it promotes waitlisted residents; it cannot go below the confirmed count.' })
  override capacity?: number;
}

@InputType()
export class CancelActivityInput {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @LineText(200, { description: 'Shown to every resident who had signed up, 1-200 characters.' })
  reason: string;
}

@InputType()
export class CheckInInput {
  @Field(() => ID)
  @IsUUID()
  activityId: string;

  @Field({ description: 'The 6-digit code the manager shows (or the QR code carries).' })
  @Transform(trim)
  @IsString()
  @Matches(/^\d{6}$/)
  code: string;
}

@InputType()
export class MarkAttendanceInput {
  @Field(() => ID)
  @IsUUID()
  activityId: string;

  @Field(() => [ID], { description: `Residents with a confirmed sign-up, 1-${MAX_ATTENDANCE_BATCH} at a time.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ATTENDANCE_BATCH)
  @IsUUID('all', { each: true })
  residentIds: string[];

  @Field(() => Attendance)
  @IsEnum(Attendance)
  attendance: Attendance;
}

@InputType()
export class RecordCheckOutInput {
  @Field(() => ID)
  @IsUUID()
  activityId: string;

  @Field(() => [ID], { description: `Residents present at the activity, 1-${MAX_ATTENDANCE_BATCH} at a time.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ATTENDANCE_BATCH)
  @IsUUID('all', { each: true })
  residentIds: string[];
}

@ArgsType()
export class ActivityFilterArgs {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  branchId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  themeId?: string;

  @Field({ nullable: true, description: 'Activities starting in this month (YYYY-MM, Asia/Shanghai).' })
  @IsOptional()
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month?: string;

  @Field(() => ActivityStatus, { nullable: true })
  @IsOptional()
  @IsEnum(ActivityStatus)
  status?: ActivityStatus;

  @Field({ defaultValue: false, description: 'Include activities that have already ended (default: upcoming and running only).' })
  @IsBoolean()
  includePast: boolean = false;
}

@ArgsType()
export class SignupStatusArgs {
  @Field(() => SignupStatus, { nullable: true })
  @IsOptional()
  @IsEnum(SignupStatus)
  status?: SignupStatus;
}

/** Acting for someone in the caller's household (户): exactly one of residentId and dependentId. */
@InputType()
export class FamilySignupInput {
  @Field(() => ID)
  @IsUUID()
  activityId: string;

  @Field(() => ID, { nullable: true, description: "Another member of the caller's household." })
  @IsOptional()
  @IsUUID()
  residentId?: string | null;

  @Field(() => ID, { nullable: true, description: "A dependent (家属) of the caller's household." })
  @IsOptional()
  @IsUUID()
  dependentId?: string | null;
}

@InputType()
export class DependentCheckInInput extends CheckInInput {
  @Field(() => ID, { description: "A dependent of the caller's household, signed up with a confirmed place." })
  @IsUUID()
  dependentId: string;
}

@InputType()
export class MarkDependentAttendanceInput {
  @Field(() => ID)
  @IsUUID()
  activityId: string;

  @Field(() => [ID], { description: `Dependents with a confirmed sign-up, 1-${MAX_ATTENDANCE_BATCH} at a time.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ATTENDANCE_BATCH)
  @IsUUID('all', { each: true })
  dependentIds: string[];

  @Field(() => Attendance)
  @IsEnum(Attendance)
  attendance: Attendance;
}
