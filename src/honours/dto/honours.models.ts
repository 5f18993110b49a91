import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { StarBasis } from '../honours.rules';

registerEnumType(StarBasis, {
  name: 'StarBasis',
  description: 'What a star ladder counts: POINTS, lifetime points earned; HOURS, lifetime hours of volunteer service. Spending lowers neither.',
  valuesMap: {
    POINTS: { description: 'Lifetime points earned (MINT credits net of their reversals; not the balance). Thresholds in points.' },
    HOURS: { description: 'Lifetime service hours (minutes served at completed activities). Thresholds in whole hours.' },
  },
});

@ObjectType({ description: 'A rung of a star ladder.' })
export class StarRung {
  @Field(() => Int, { description: '1 for the first rung.' })
  level: number;

  @Field({ description: 'e.g. 一星.' })
  name: string;

  @Field(() => Int, { description: 'Lifetime amount (of the basis) that reaches this level.' })
  threshold: number;
}

@ObjectType({ description: "A township's honours settings: stars per branch each month and the star ladder." })
export class HonourSettings {
  @Field(() => ID)
  townshipId: string;

  @Field(() => Int, { description: 'How many 文明之星 each branch records per settled month.' })
  starsPerBranch: number;

  @Field(() => StarBasis, { description: "What the township's star levels count (chosen by its admin; POINTS until then)." })
  activeBasis: StarBasis;

  @Field(() => StarBasis, { description: 'The basis of the ladder below (the one asked for, else activeBasis).' })
  basis: StarBasis;

  @Field(() => [StarRung], { description: 'Lowest first, thresholds strictly ascending.' })
  levels: StarRung[];

  @Field({ description: 'True while the township uses the default ladder (its admin has set none).' })
  isDefaultLadder: boolean;
}

@ObjectType({ description: 'A star level as the signed-in resident stands on the ladder.' })
export class StarLevel {
  @Field(() => StarBasis, { description: 'The ladder this level is on: the township\'s chosen basis unless another was asked for.' })
  basis: StarBasis;

  @Field(() => Float, {
    description: 'POINTS: lifetime points earned (MINT credits net of their reversals; not the balance). HOURS: lifetime hours served, one decimal.',
  })
  lifetime: number;

  @Field(() => Int, { nullable: true, description: 'HOURS: the exact minutes served the level is decided on; null on a POINTS ladder.' })
  lifetimeMinutes: number | null;

  @Field(() => Int, { description: '0 below the first rung.' })
  level: number;

  @Field(() => String, { nullable: true })
  levelName: string | null;

  @Field(() => Int, { nullable: true, description: 'Null at the top of the ladder.' })
  nextLevel: number | null;

  @Field(() => String, { nullable: true })
  nextLevelName: string | null;

  @Field(() => Int, { nullable: true, description: 'In points, or hours on an HOURS ladder.' })
  nextThreshold: number | null;

  @Field(() => Float, { nullable: true, description: 'Still to earn (points) or serve (hours, one decimal, rounded up) for the next level; null at the top.' })
  toNext: number | null;

  @Field(() => [StarRung])
  ladder: StarRung[];
}

@ObjectType({ description: 'One 文明之星 of a branch and month.' })
export class MonthlyStar {
  @Field(() => Int, { description: '1 for the most points (ties: earlier first earning, then resident id).' })
  rank: number;

  @Field({ description: 'Masked (马*珍) unless the viewer manages the branch.' })
  name: string;

  @Field(() => Int, { description: 'Points earned in the month.' })
  points: number;

  @Field({ description: 'This star is the signed-in resident.' })
  isMe: boolean;

  @Field(() => ID, { nullable: true, description: "Only for the branch's managers and the township's admins." })
  residentId: string | null;

  @Field(() => Date, { nullable: true, description: 'First earning of the month (the tie-break); only for managers and admins.' })
  firstEarnedAt: Date | null;
}

@ObjectType({ description: "A branch's 文明之星 of a settled month." })
export class MonthlyStars {
  @Field(() => ID)
  branchId: string;

  @Field()
  branchName: string;

  @Field({ description: 'YYYY-MM' })
  month: string;

  @Field(() => Int, { description: 'The township setting when the month was recorded.' })
  starsPerBranch: number;

  @Field()
  recordedAt: Date;

  @Field({ description: 'Names are masked for this viewer.' })
  namesMasked: boolean;

  @Field(() => [MonthlyStar], { description: 'By rank; empty when nobody of the branch earned points.' })
  stars: MonthlyStar[];
}
