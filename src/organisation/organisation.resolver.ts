import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { PageArgs } from '../common/pagination/connection';
import { Branch } from './branch.entity';
import {
  AppointBranchManagerInput,
  AppointShopkeeperInput,
  AppointTownshipAdminInput,
  CreateBranchInput,
  CreateServiceTeamInput,
  RegisterResidentInput,
  ResidentSearchInput,
  RevokeRoleInput,
} from './dto/organisation.inputs';
import { ResidentSummary, ResidentSummaryConnection, Staff } from './dto/organisation.models';
import { OrganisationService } from './organisation.service';
import { ServiceTeam } from './service-team.entity';
import { Township } from './township.entity';
import { BranchConnection } from './dto/branch.connection';
import { uuidArg } from '../common/graphql/uuid.arg';

@Resolver()
export class OrganisationResolver {
  constructor(private readonly organisation: OrganisationService) {}

  @Query(() => Township)
  township(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.organisation.township(actor, id);
  }

  @Query(() => BranchConnection, { description: 'The branches (villages, communities) of a township, by name.' })
  branches(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args() page: PageArgs,
  ) {
    return this.organisation.branches(actor, townshipId, page);
  }

  @Query(() => Branch)
  branch(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.organisation.branch(actor, id);
  }

  @Query(() => [ServiceTeam])
  serviceTeams(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.organisation.serviceTeams(actor, branchId);
  }

  @Query(() => [Staff], { description: 'Managers of a branch.' })
  branchStaff(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.organisation.branchStaff(actor, branchId);
  }

  @Query(() => ResidentSummaryConnection, { description: "A branch's residents with their balances (managers of the branch, township admins)." })
  branchResidents(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args() page: PageArgs,
    @Args('search', { nullable: true }) search?: ResidentSearchInput,
  ) {
    return this.organisation.branchResidents(actor, branchId, page, search?.text);
  }

  @Mutation(() => Branch)
  createBranch(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateBranchInput) {
    return this.organisation.createBranch(actor, input);
  }

  @Mutation(() => ServiceTeam)
  createServiceTeam(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateServiceTeamInput) {
    return this.organisation.createServiceTeam(actor, input);
  }

  @Mutation(() => Staff)
  appointBranchManager(@CurrentPrincipal() actor: Principal, @Args('input') input: AppointBranchManagerInput) {
    return this.organisation.appointBranchManager(actor, input);
  }

  @Mutation(() => Boolean, { description: 'true if the person was a manager of the branch (scopeId) and no longer is.' })
  revokeBranchManager(@CurrentPrincipal() actor: Principal, @Args('input') input: RevokeRoleInput) {
    return this.organisation.revokeBranchManager(actor, input);
  }

  @Mutation(() => Staff, { description: "A shopkeeper of the branch's points shop (the branch's managers, township admins)." })
  appointShopkeeper(@CurrentPrincipal() actor: Principal, @Args('input') input: AppointShopkeeperInput) {
    return this.organisation.appointShopkeeper(actor, input);
  }

  @Mutation(() => Boolean, { description: 'true if the person was a shopkeeper of the branch (scopeId) and no longer is.' })
  revokeShopkeeper(@CurrentPrincipal() actor: Principal, @Args('input') input: RevokeRoleInput) {
    return this.organisation.revokeShopkeeper(actor, input);
  }

  @Mutation(() => Staff)
  appointTownshipAdmin(@CurrentPrincipal() actor: Principal, @Args('input') input: AppointTownshipAdminInput) {
    return this.organisation.appointTownshipAdmin(actor, input);
  }

  @Mutation(() => Boolean, { description: 'true if the person was an admin of the township (scopeId) and no longer is.' })
  revokeTownshipAdmin(@CurrentPrincipal() actor: Principal, @Args('input') input: RevokeRoleInput) {
    return this.organisation.revokeTownshipAdmin(actor, input);
  }

  @Mutation(() => ResidentSummary, { description: 'Register a resident of a branch (or return them if already registered there).' })
  registerResident(@CurrentPrincipal() actor: Principal, @Args('input') input: RegisterResidentInput) {
    return this.organisation.registerResident(actor, input);
  }
}
