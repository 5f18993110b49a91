import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import { AdjustmentInput, ReverseEntryInput } from './dto/ledger.inputs';
import { EntryProof } from './dto/ledger-seal.models';
import { LedgerAccount, LedgerLineConnection, PostedEntryModel, ReconciliationReportModel } from './dto/ledger.models';
import { LedgerAdminService } from './ledger-admin.service';

@Resolver()
export class LedgerResolver {
  constructor(private readonly ledgerAdmin: LedgerAdminService) {}

  @Query(() => LedgerLineConnection, { description: "A resident's points history (their branch's managers, township admins)." })
  residentHistory(
    @CurrentPrincipal() actor: Principal,
    @Args('residentId', { type: () => ID }, uuidArg) residentId: string,
    @Args() page: PageArgs,
  ) {
    return this.ledgerAdmin.residentHistory(actor, residentId, page);
  }

  @Query(() => [LedgerAccount], { description: "A branch's issuance and redemption accounts." })
  branchAccounts(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.ledgerAdmin.branchAccounts(actor, branchId);
  }

  @Query(() => [LedgerAccount], { description: 'Every non-resident account of a township (admins).' })
  townshipAccounts(@CurrentPrincipal() actor: Principal, @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string) {
    return this.ledgerAdmin.townshipAccounts(actor, townshipId);
  }

  @Query(() => ReconciliationReportModel, { description: 'Checks every stored balance against its postings (admins).' })
  reconciliation(@CurrentPrincipal() actor: Principal, @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string) {
    return this.ledgerAdmin.reconciliation(actor, townshipId);
  }

  @Query(() => EntryProof, {
    description:
      "Proof that an entry is inside its month's published seal (MONTH_NOT_SEALED before settlement): " +
      'for the resident whose points it moved, the managers of a branch it touches, and admins.',
  })
  entryProof(@CurrentPrincipal() actor: Principal, @Args('entryId', { type: () => ID }) entryId: string) {
    return this.ledgerAdmin.entryProof(actor, entryId);
  }

  @Mutation(() => PostedEntryModel, { description: 'A correcting entry against the township adjustment account, with a written reason (admins).' })
  postAdjustment(@CurrentPrincipal() actor: Principal, @Args('input') input: AdjustmentInput) {
    return this.ledgerAdmin.postAdjustment(actor, input);
  }

  @Mutation(() => PostedEntryModel, { description: 'Books the exact opposite of an entry; an entry can be reversed once (admins).' })
  reverseEntry(@CurrentPrincipal() actor: Principal, @Args('input') input: ReverseEntryInput) {
    return this.ledgerAdmin.reverseEntry(actor, input);
  }
}
