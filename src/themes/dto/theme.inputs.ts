import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { PrintableText, trim } from '../../common/graphql/text.validators';
import { MONTH_MESSAGE, MONTH_PATTERN } from '../../common/time/shanghai-month';


@InputType()
export class AddThemeInput {
  @Field(() => ID, { description: 'The township (head bank) the theme belongs to.' })
  @IsUUID()
  townshipId: string;

  @Field(() => ID, { nullable: true, description: "Set for a branch-only theme (the branch's managers); omit for a township theme (admins)." })
  @IsOptional()
  @IsUUID()
  branchId?: string;

  @Field({ description: 'The month, YYYY-MM (Asia/Shanghai); the current month or a later one.' })
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month: string;

  @Field({ description: '1-50 characters, e.g. 平安有我 消防安全宣传.' })
  @Transform(trim)
  @IsString()
  @Length(1, 50)
  @PrintableText()
  title: string;

  @Field({ defaultValue: '', description: 'Up to 1000 characters.' })
  @Transform(trim)
  @IsString()
  @Length(0, 1000)
  @PrintableText({ multiline: true })
  description: string;

  @Field(() => Int, { description: 'Points an activity under this theme usually rewards, 0-100.' })
  @IsInt()
  @Min(0)
  @Max(100)
  suggestedPoints: number;
}
