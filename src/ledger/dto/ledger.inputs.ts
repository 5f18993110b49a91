import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { IsInt, IsString, IsUUID, Length, Matches, Max, Min, NotEquals } from 'class-validator';
import { PrintableText, trim } from '../../common/graphql/text.validators';
import { ENTRY_ID_PATTERN } from '../../common/ids';

/** Largest correction an admin can post in one go. */
export const MAX_ADJUSTMENT = 10_000;

@InputType()
export class AdjustmentInput {
  @Field(() => ID, { description: 'The account to correct (a resident or branch account).' })
  @IsUUID()
  accountId: string;

  @Field(() => Int, { description: `Points to add (positive) or take away (negative); at most ${MAX_ADJUSTMENT} either way.` })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX_ADJUSTMENT)
  @Max(MAX_ADJUSTMENT)
  amount: number;

  @Field({ description: 'Why: recorded with the entry and in the audit log, 1-500 characters.' })
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  @PrintableText({ multiline: true })
  reason: string;

  @Field({ description: 'Client-chosen key: retrying with the same key and content books nothing new.' })
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{8,100}$/)
  idempotencyKey: string;
}

@InputType()
export class ReverseEntryInput {
  @Field(() => ID)
  @IsString()
  @Matches(ENTRY_ID_PATTERN)
  entryId: string;

  @Field({ description: 'Why the entry is reversed, 1-500 characters.' })
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  @PrintableText({ multiline: true })
  reason: string;
}
