import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { BY_MONTH, BY_POSTING, keysetPage, PageArgs } from '../common/pagination/connection';
import { PassbookEntryConnection, PassbookMonth, PassbookMonthConnection } from '../ledger/dto/ledger-passbook.models';
import { LedgerLineConnection } from '../ledger/dto/ledger.models';
import { LedgerAdminService } from '../ledger/ledger-admin.service';
import { LedgerPassbookService, PassbookMonthRow } from '../ledger/ledger-passbook.service';
import { LedgerService } from '../ledger/ledger.service';
import { Role } from '../organisation/role-assignment.entity';
import { Me } from './me.model';

/** A resident's own view: profile, balance and history. */
@Resolver(() => Me)
export class MeResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerAdmin: LedgerAdminService,
    private readonly passbooks: LedgerPassbookService,
  ) {}

  @Query(() => Me)
  me(@CurrentPrincipal() principal: Principal): Me {
    // Everything comes with the principal the guard loaded for this request.
    const resident = principal.resident;
    return {
      personId: principal.personId,
      name: principal.name,
      mobile: principal.mobile,
      resident: resident
        ? { residentId: resident.id, townshipId: resident.townshipId, townshipName: resident.townshipName, branchId: resident.branchId, branchName: resident.branchName }
        : null,
      roles: [
        ...principal.adminOf.map((townshipId) => ({ role: Role.TOWNSHIP_ADMIN, townshipId, branchId: null })),
        ...principal.managerOf.map((m) => ({ role: Role.BRANCH_MANAGER, townshipId: m.townshipId, branchId: m.branchId })),
        ...(principal.shopkeeperOf ?? []).map((s) => ({ role: Role.SHOPKEEPER, townshipId: s.townshipId, branchId: s.branchId })),
      ],
    };
  }

  @ResolveField(() => Int, { nullable: true, description: 'Current points balance; null if not a resident.' })
  async balance(@Parent() me: Me): Promise<number | null> {
    if (!me.resident) return null;
    const balances = await this.ledger.residentBalances(this.dataSource.manager, [me.resident.residentId]);
    return balances.get(me.resident.residentId) ?? 0;
  }

  @ResolveField(() => LedgerLineConnection, { nullable: true, description: 'Points history, newest first; null if not a resident.' })
  async history(@Parent() me: Me, @Args() page: PageArgs) {
    if (!me.resident) return null;
    return this.ledgerAdmin.history({ residentId: me.resident.residentId }, page);
  }

  @ResolveField(() => PassbookMonthConnection, {
    nullable: true,
    description: 'The passbook (存折) month by month, newest first, this month included; null if not a resident.',
  })
  async passbook(@Parent() me: Me, @Args() page: PageArgs) {
    if (!me.resident) return null;
    const account = await this.ledger.residentAccount(this.dataSource.manager, me.resident.residentId);
    return keysetPage(
      page,
      BY_MONTH,
      (after, limit) => this.passbooks.months(this.dataSource.manager, account.id, limit, after?.[0]),
      (r) => ({ ...r, sealed: r.seal !== null }),
    );
  }
}

/** A passbook month's lines, in booking order. */
@Resolver(() => PassbookMonth)
export class PassbookMonthResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly passbooks: LedgerPassbookService,
  ) {}

  @ResolveField(() => PassbookEntryConnection)
  async entries(@Parent() month: PassbookMonthRow, @Args() page: PageArgs) {
    return keysetPage(
      page,
      BY_POSTING,
      (after, limit) => this.passbooks.entries(this.dataSource.manager, month, limit, after?.[0]),
      (r) => ({ ...r, id: r.postingId }),
    );
  }
}
