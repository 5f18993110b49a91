import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import { PassbookMonthConnection } from '../ledger/dto/ledger-passbook.models';
import { AddHouseholdDependentInput, CreateHouseholdInput, HouseholdMemberInput, RemoveHouseholdMemberInput } from './dto/household.inputs';
import { HouseholdConnection, HouseholdModel } from './dto/household.models';
import { HouseholdService } from './household.service';

@Resolver(() => HouseholdModel)
export class HouseholdResolver {
  constructor(private readonly service: HouseholdService) {}

  @Query(() => HouseholdModel, { nullable: true, description: "The caller's household (户) with every member's balance and the dependents; null if in none (residents)." })
  myHousehold(@CurrentPrincipal() actor: Principal) {
    return this.service.mine(actor);
  }

  @Query(() => HouseholdModel, { description: 'A household (its members, its branch managers, the township admins).' })
  household(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.service.household(actor, id);
  }

  @Query(() => HouseholdConnection, { description: "A branch's households, oldest first (the branch's managers)." })
  branchHouseholds(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string, @Args() page: PageArgs) {
    return this.service.ofBranch(actor, branchId, page);
  }

  @Query(() => PassbookMonthConnection, { description: "Another member's passbook (存折), newest month first (members of the same household)." })
  householdMemberPassbook(@CurrentPrincipal() actor: Principal, @Args('residentId', { type: () => ID }, uuidArg) residentId: string, @Args() page: PageArgs) {
    return this.service.memberPassbook(actor, residentId, page);
  }

  @Mutation(() => HouseholdModel, { description: 'Groups residents of a branch into a household with a head (managers of the branch).' })
  createHousehold(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateHouseholdInput) {
    return this.service.create(actor, input);
  }

  @Mutation(() => HouseholdModel, { description: 'Adds a resident of the branch who is in no household yet.' })
  addHouseholdMember(@CurrentPrincipal() actor: Principal, @Args('input') input: HouseholdMemberInput) {
    return this.service.addMember(actor, input);
  }

  @Mutation(() => HouseholdModel, { description: 'Removes a member; they can no longer act for the household, from their next request.' })
  removeHouseholdMember(@CurrentPrincipal() actor: Principal, @Args('input') input: RemoveHouseholdMemberInput) {
    return this.service.removeMember(actor, input);
  }

  @Mutation(() => HouseholdModel, { description: 'Adds a dependent without an account (a child, an elder without a phone): name and birth year.' })
  addHouseholdDependent(@CurrentPrincipal() actor: Principal, @Args('input') input: AddHouseholdDependentInput) {
    return this.service.addDependent(actor, input);
  }

  @Mutation(() => HouseholdModel, { description: 'Takes a dependent out of the household.' })
  removeHouseholdDependent(@CurrentPrincipal() actor: Principal, @Args('dependentId', { type: () => ID }, uuidArg) dependentId: string) {
    return this.service.removeDependent(actor, dependentId);
  }
}
