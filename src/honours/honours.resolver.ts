import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { uuidArg } from '../common/graphql/uuid.arg';
import { Month } from '../common/time/shanghai-month';
import { HonourSettings, MonthlyStars, StarLevel } from './dto/honours.models';
import { SetStarBasisInput, SetStarLevelsInput, SetStarsPerBranchInput } from './dto/honours.inputs';
import { HonoursService } from './honours.service';
import { StarBasis } from './honours.rules';

@Resolver()
export class HonoursResolver {
  constructor(private readonly honours: HonoursService) {}

  @Query(() => MonthlyStars, {
    nullable: true,
    description: "A branch's 文明之星 of a settled month (anyone of the township; names masked except for its managers and the admins); null until settled.",
  })
  monthlyStars(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.honours.monthlyStars(actor, branchId, Month.parse(month));
  }

  @Query(() => StarLevel, {
    description: "The signed-in resident's star level (lifetime points earned, or hours served, as the township chose) and the next level.",
  })
  myStarLevel(
    @CurrentPrincipal() actor: Principal,
    @Args('basis', { type: () => StarBasis, nullable: true, description: "Another ladder than the township's chosen one." }) basis: StarBasis | null,
  ) {
    return this.honours.myStarLevel(actor, basis);
  }

  @Query(() => HonourSettings, { description: "The township's stars per branch, star basis and star ladder (anyone of the township)." })
  honourSettings(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('basis', { type: () => StarBasis, nullable: true, description: "The ladder of this basis; default the township's chosen one." }) basis: StarBasis | null,
  ) {
    return this.honours.settings(actor, townshipId, basis);
  }

  @Mutation(() => HonourSettings, { description: "Replaces the township's star ladder (admins): ascending thresholds, audited." })
  setStarLevels(@CurrentPrincipal() actor: Principal, @Args('input') input: SetStarLevelsInput) {
    return this.honours.setStarLevels(actor, input);
  }

  @Mutation(() => HonourSettings, {
    description: "Chooses what the township's star levels count, points or service hours (admins); audited. Returns the chosen basis's ladder.",
  })
  setStarBasis(@CurrentPrincipal() actor: Principal, @Args('input') input: SetStarBasisInput) {
    return this.honours.setStarBasis(actor, input);
  }

  @Mutation(() => HonourSettings, { description: 'Sets how many 文明之星 each branch records per month from now on (admins).' })
  setStarsPerBranch(@CurrentPrincipal() actor: Principal, @Args('input') input: SetStarsPerBranchInput) {
    return this.honours.setStarsPerBranch(actor, input);
  }
}
