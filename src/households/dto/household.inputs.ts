import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { LineText } from '../../common/graphql/text.validators';

export const MAX_HOUSEHOLD_MEMBERS = 20;

@InputType()
export class CreateHouseholdInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field(() => ID, { description: 'The head (户主): a resident of the branch in no household yet.' })
  @IsUUID()
  headResidentId: string;

  @Field(() => [ID], { nullable: true, description: `Other residents of the branch to add at once, 1-${MAX_HOUSEHOLD_MEMBERS - 1}.` })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_HOUSEHOLD_MEMBERS - 1)
  @IsUUID('all', { each: true })
  memberResidentIds?: string[] | null;
}

@InputType()
export class HouseholdMemberInput {
  @Field(() => ID)
  @IsUUID()
  householdId: string;

  @Field(() => ID)
  @IsUUID()
  residentId: string;
}

@InputType()
export class RemoveHouseholdMemberInput extends HouseholdMemberInput {
  @Field(() => ID, { nullable: true, description: 'The member who becomes head (required when removing the head); must stay in the household.' })
  @IsOptional()
  @IsUUID()
  newHeadResidentId?: string | null;
}

@InputType()
export class AddHouseholdDependentInput {
  @Field(() => ID)
  @IsUUID()
  householdId: string;

  @LineText(30, { description: 'The name, 1-30 characters.' })
  name: string;

  @Field(() => Int, { description: 'Year of birth, 1900 to this year.' })
  @IsInt()
  @Min(1900)
  @Max(2100)
  birthYear: number;
}
