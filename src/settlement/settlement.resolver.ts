import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { optionalUuidArg, uuidArg } from '../common/graphql/uuid.arg';
import { BranchFigures, MonthlyStatement, Settlement } from './dto/settlement.models';
import { SettlementService } from './settlement.service';
import { Month } from '../common/time/shanghai-month';

@Resolver()
export class SettlementResolver {
  constructor(private readonly settlements: SettlementService) {}

  @Mutation(() => Settlement, {
    description: 'Closes an ended month and settles it in the background (admins). Starting a settled month again returns it unchanged.',
  })
  startSettlement(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.settlements.start(actor, townshipId, Month.parse(month));
  }

  @Query(() => Settlement, { nullable: true, description: "A month's settlement: progress, figures, trial balance, reconciliation (admins)." })
  settlement(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.settlements.settlement(actor, townshipId, Month.parse(month));
  }

  @Query(() => BranchFigures, { nullable: true, description: "A branch's figures for a settled month (its managers, admins)." })
  branchFigures(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.settlements.branchFigures(actor, branchId, Month.parse(month));
  }

  @Query(() => String, { description: "Branch figures of a settled month as CSV: all branches (admins) or one (its managers)." })
  branchFiguresCsv(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
    @Args('branchId', { type: () => ID, nullable: true }, optionalUuidArg) branchId?: string,
  ) {
    return this.settlements.figuresCsv(actor, townshipId, Month.parse(month), branchId);
  }

  @Query(() => MonthlyStatement, { description: "The signed-in resident's statement for a settled month." })
  monthlyStatement(@CurrentPrincipal() actor: Principal, @Args('month', { description: 'YYYY-MM' }) month: string) {
    return this.settlements.monthlyStatement(actor, Month.parse(month));
  }
}
