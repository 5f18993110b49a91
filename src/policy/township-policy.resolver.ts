import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { uuidArg } from '../common/graphql/uuid.arg';
import { UpdateTownshipPolicyInput } from './dto/policy.inputs';
import { PointsExpiryNotice, PointsExpiryRun, TownshipPolicy } from './township-policy.entity';
import { TownshipPolicyService } from './township-policy.service';

@Resolver(() => TownshipPolicy)
export class TownshipPolicyResolver {
  constructor(private readonly policies: TownshipPolicyService) {}

  @Query(() => TownshipPolicy, { description: "The township's policy on points and hours (anyone of the township)." })
  townshipPolicy(@CurrentPrincipal() actor: Principal, @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string) {
    return this.policies.policy(actor, townshipId);
  }

  @Mutation(() => TownshipPolicy, { description: "Sets the township's policy (admins; audited). Changing the expiry rule restarts its notice period." })
  updateTownshipPolicy(@CurrentPrincipal() actor: Principal, @Args('input') input: UpdateTownshipPolicyInput) {
    return this.policies.update(actor, input);
  }

  @Query(() => PointsExpiryNotice, { nullable: true, description: "The signed-in resident's notice of the next yearly reset, from its notice days before (null: nothing to tell)." })
  myPointsExpiry(@CurrentPrincipal() actor: Principal) {
    return this.policies.myNotice(actor);
  }

  @ResolveField(() => String, { nullable: true, description: 'The next yearly cut-off date (YYYY-MM-DD), if any.' })
  nextExpiryDate(@Parent() policy: TownshipPolicy): string | null {
    return this.policies.nextExpiry(policy);
  }

  @ResolveField(() => [PointsExpiryRun], { description: 'The latest resets, newest first (at most 5).' })
  expiryRuns(@Parent() policy: TownshipPolicy): Promise<PointsExpiryRun[]> {
    return this.policies.recentRuns(policy.townshipId);
  }
}
