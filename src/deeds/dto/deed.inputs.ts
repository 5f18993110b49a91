import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, IsBoolean, IsDate, IsEnum, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PageArgs } from '../../common/pagination/connection';
import { LineText, MultilineText } from '../../common/graphql/text.validators';
import { DeedReportStatus } from './deed.models';

export const MAX_DEED_POINTS = 100;
export const MAX_NOTICE_DAYS = 30;

@InputType()
export class SaveDeedKindInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => ID, { nullable: true, description: 'A kind to change; omit to add one.' })
  @IsOptional()
  @IsUUID()
  id?: string | null;

  @LineText(50, { description: 'e.g. 扶老助残, 1-50 characters.' })
  name: string;

  @Field(() => Int, { description: `The most points a report of this kind may ask, 1-${MAX_DEED_POINTS}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_DEED_POINTS)
  points: number;

  @Field({ defaultValue: true, description: 'false retires the kind (old reports keep it).' })
  @IsBoolean()
  active: boolean = true;
}

@InputType()
export class ReportDeedInput {
  @Field(() => ID, { nullable: true, description: "The resident who did it: omit for yourself; a manager names a resident of their branch." })
  @IsOptional()
  @IsUUID()
  residentId?: string | null;

  @Field(() => ID, { description: "A kind of the township's table." })
  @IsUUID()
  kindId: string;

  @LineText(100, { description: 'What was done, 1-100 characters, e.g. 帮独居老人清扫积雪.' })
  title: string;

  @MultilineText(1000, { defaultValue: '', description: 'Up to 1000 characters.' })
  description: string = '';

  @Field({ description: 'When it was done: not in the future, within the last 90 days.' })
  @IsDate()
  occurredAt: Date;

  @Field(() => Int, { description: "Points asked: 1 to the kind's value." })
  @IsInt()
  @Min(1)
  @Max(MAX_DEED_POINTS)
  points: number;

  @Field(() => ID, { description: 'The photo uploaded by you (POST /deeds/photos), not yet used by another report.' })
  @IsUUID()
  photoId: string;
}

@InputType()
export class ReviewDeedInput {
  @Field(() => ID)
  @IsUUID()
  reportId: string;

  @Field({ description: 'true approves (posts it on the notice), false rejects.' })
  @IsBoolean()
  approve: boolean;

  @LineText(200, { description: 'The scoring group’s reason (评议意见), 1-200 characters.' })
  reason: string;
}

@InputType()
export class DeedRecheckInput {
  @Field(() => ID)
  @IsUUID()
  reportId: string;

  @LineText(200, { description: 'Why it should be looked at again, 1-200 characters.' })
  reason: string;
}

@ArgsType()
export class BranchDeedReportsArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field(() => [DeedReportStatus], { nullable: true, description: 'Only these statuses; all when omitted.' })
  @IsOptional()
  @ArrayMaxSize(5)
  @IsEnum(DeedReportStatus, { each: true })
  statuses?: DeedReportStatus[] | null;
}

