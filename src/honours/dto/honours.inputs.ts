import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsEnum, IsInt, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { LineText } from '../../common/graphql/text.validators';
import { MAX_LEVELS, MAX_STARS_PER_BRANCH, StarBasis } from '../honours.rules';

@InputType()
export class StarRungInput {
  @LineText(10, { description: '1-10 characters, e.g. 一星.' })
  name: string;

  @Field(() => Int, { description: '1-100000000 (points, or whole hours on an HOURS ladder); higher than the rung below.' })
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  threshold: number;
}

@InputType()
export class SetStarLevelsInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => StarBasis, { defaultValue: StarBasis.POINTS })
  @IsEnum(StarBasis)
  basis: StarBasis;

  @Field(() => [StarRungInput], { description: `1-${MAX_LEVELS} rungs, lowest first, thresholds strictly ascending, names distinct.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LEVELS)
  @ValidateNested({ each: true })
  @Type(() => StarRungInput)
  levels: StarRungInput[];
}

@InputType()
export class SetStarBasisInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => StarBasis, { description: "What the township's star levels count from now on (each basis keeps its own ladder)." })
  @IsEnum(StarBasis)
  basis: StarBasis;
}

@InputType()
export class SetStarsPerBranchInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field(() => Int, { description: `1-${MAX_STARS_PER_BRANCH}; applies to months recorded from now on.` })
  @IsInt()
  @Min(1)
  @Max(MAX_STARS_PER_BRANCH)
  count: number;
}
