import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsEnum, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ExpiryMode } from '../township-policy.entity';

/** Only the fields given change. A yearly reset needs a month and a day that exist every year. */
@InputType()
export class UpdateTownshipPolicyInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => Int, { nullable: true, description: "0-100: the share of an activity's length an attendee must serve to earn its points." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  minAttendancePercent?: number;

  @Field(() => ExpiryMode, { nullable: true })
  @IsOptional()
  @IsEnum(ExpiryMode)
  expiryMode?: ExpiryMode;

  @Field(() => Int, { nullable: true, description: 'YEARLY: month of the cut-off date, 1-12.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(12)
  expiryMonth?: number;

  @Field(() => Int, { nullable: true, description: 'YEARLY: day of the cut-off date (29 February is refused: not every year has it).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31)
  expiryDay?: number;

  @Field(() => Int, { nullable: true, description: 'Days before the cut-off residents are told, 1-180 (a cut-off less than this far from when the rule is set is skipped).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(180)
  expiryNoticeDays?: number;
}
