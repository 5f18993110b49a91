import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain.error';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import { DeedService } from './deed.service';
import { BranchDeedReportsArgs, DeedRecheckInput, MAX_NOTICE_DAYS, ReportDeedInput, ReviewDeedInput, SaveDeedKindInput } from './dto/deed.inputs';
import { DeedKind, DeedNoticeItem, DeedReport, DeedReportConnection, DeedScorer, DeedSettings } from './dto/deed.models';

@Resolver()
export class DeedResolver {
  constructor(private readonly deeds: DeedService) {}

  // ---- the township's table ----

  @Query(() => DeedSettings, { description: "The township's deed kinds and notice window (anyone of the township)." })
  deedSettings(@CurrentPrincipal() actor: Principal, @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string) {
    return this.deeds.settings(actor, townshipId);
  }

  @Mutation(() => DeedKind, { description: 'Adds a deed kind, or changes one (its name, points, retired or not): township admins.' })
  saveDeedKind(@CurrentPrincipal() actor: Principal, @Args('input') input: SaveDeedKindInput) {
    return this.deeds.saveKind(actor, input);
  }

  @Mutation(() => DeedSettings, { description: `How many days (1-${MAX_NOTICE_DAYS}) an approved report stays on the notice: township admins. Applies to approvals from now on.` })
  setDeedNoticeDays(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('days', { type: () => Int }) days: number,
  ) {
    if (!Number.isInteger(days) || days < 1 || days > MAX_NOTICE_DAYS) {
      throw new DomainError('BAD_USER_INPUT', `输入有误：公示天数须为1-${MAX_NOTICE_DAYS}天`, { field: 'days' });
    }
    return this.deeds.setNoticeDays(actor, townshipId, days);
  }

  // ---- scoring groups ----

  @Query(() => [DeedScorer], { description: "A branch's scoring group (its residents, managers and admins may see who)." })
  scoringGroup(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.deeds.scoringGroup(actor, branchId);
  }

  @Mutation(() => [DeedScorer], { description: 'Appoints a resident of the branch to its scoring group (its managers); returns the group.' })
  appointScorer(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args('residentId', { type: () => ID }, uuidArg) residentId: string,
  ) {
    return this.deeds.appointScorer(actor, branchId, residentId);
  }

  @Mutation(() => [DeedScorer], { description: 'Removes a member from the scoring group (its managers); returns the group.' })
  removeScorer(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args('residentId', { type: () => ID }, uuidArg) residentId: string,
  ) {
    return this.deeds.removeScorer(actor, branchId, residentId);
  }

  // ---- reports ----

  @Mutation(() => DeedReport, { description: 'Reports a good deed (申报): a resident for themselves, a manager for a resident of their branch.' })
  reportDeed(@CurrentPrincipal() actor: Principal, @Args('input') input: ReportDeedInput) {
    return this.deeds.report(actor, input);
  }

  @Mutation(() => DeedReport, { description: "The scoring group's decision (评议), with its reason; never on one's own report or one about oneself." })
  reviewDeedReport(@CurrentPrincipal() actor: Principal, @Args('input') input: ReviewDeedInput) {
    return this.deeds.review(actor, input);
  }

  @Mutation(() => DeedNoticeItem, { description: 'Asks for a recheck (复核) of a report on the notice, while its window is open (residents of the branch).' })
  requestDeedRecheck(@CurrentPrincipal() actor: Principal, @Args('input') input: DeedRecheckInput) {
    return this.deeds.requestRecheck(actor, input);
  }

  @Query(() => DeedReportConnection, { description: 'Reports about the caller or made by them, newest first (residents).' })
  myDeedReports(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.deeds.myReports(actor, page);
  }

  @Query(() => DeedReportConnection, { description: "A branch's reports, newest first (its managers, admins and scoring group)." })
  branchDeedReports(@CurrentPrincipal() actor: Principal, @Args() args: BranchDeedReportsArgs) {
    return this.deeds.branchReports(actor, args.branchId, args.statuses ?? null, args);
  }

  @Query(() => DeedReport, { description: 'One report (its reporter and resident, the scoring group, managers, admins).' })
  deedReport(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.deeds.reportById(actor, id);
  }

  @Query(() => [DeedNoticeItem], { description: "The branch's notice (公示): approved reports in their window, names masked (residents of the branch)." })
  deedNotice(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.deeds.notice(actor, branchId);
  }
}
