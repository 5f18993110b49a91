import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { can, Capability, requireCapability, requireHouseholdLink, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { BY_MONTH, byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { monthOf } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerPassbookService } from '../ledger/ledger-passbook.service';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import { AddHouseholdDependentInput, CreateHouseholdInput, HouseholdMemberInput, MAX_HOUSEHOLD_MEMBERS, RemoveHouseholdMemberInput } from './dto/household.inputs';
import { HouseholdModel } from './dto/household.models';
import { HouseholdLink, HouseholdRepository, HouseholdRow } from './household.repository';

/** Whom a resident acts for: another member of their household, or one of its dependents. */
export interface ActForTarget {
  residentId?: string | null;
  dependentId?: string | null;
}

/**
 * Households (户). A branch's managers (and the township's admins) group the branch's
 * residents into households with a head and add dependents who have no account; members
 * see each other's balances and passbooks and act for each other and for the dependents
 * (sign-ups, enrolments, check-in: see the activities and courses modules, which ask
 * `link` here inside their own transaction).
 *
 * Membership is read from the database on every request that needs it, never cached
 * with the principal: a member removed a moment ago is refused on their next request.
 */
@Injectable()
export class HouseholdService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly households: HouseholdRepository,
    private readonly organisation: OrganisationService,
    private readonly people: OrganisationRepository,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly passbooks: LedgerPassbookService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  // ---- acting for someone -------------------------------------------------------------

  /**
   * The household link between the caller and the one they act for, inside the caller's
   * transaction (rows locked FOR SHARE, so a removal waits for it); FORBIDDEN if none.
   * Exactly one of residentId and dependentId.
   */
  async link(m: EntityManager, actor: Principal, target: ActForTarget): Promise<HouseholdLink> {
    const resident = requireResident(actor);
    assertOneTarget(target);
    const link = await this.households.link(m, resident.id, { residentId: target.residentId ?? undefined, dependentId: target.dependentId ?? undefined });
    return requireHouseholdLink(actor, link);
  }

  /** Dependents' names by id, for sign-ups and enrolments made for them. */
  dependentNames(m: EntityManager, ids: string[]): Promise<Map<string, string>> {
    return this.households.dependentNames(m, ids);
  }

  // ---- managing (a branch's managers, the township's admins) ------------------------------

  async create(actor: Principal, input: CreateHouseholdInput): Promise<HouseholdModel> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    const others = [...new Set(input.memberResidentIds ?? [])].filter((id) => id !== input.headResidentId);
    if (others.length + 1 > MAX_HOUSEHOLD_MEMBERS) throw new DomainError('BAD_USER_INPUT', `一户最多${MAX_HOUSEHOLD_MEMBERS}名成员`, { field: 'memberResidentIds' });
    const id = await this.tx.run(async (m) => {
      await this.requireResidentsOfBranch(m, scope.townshipId, input.branchId, [input.headResidentId, ...others]);
      const id = await this.households.create(m, { townshipId: scope.townshipId, branchId: input.branchId, headResidentId: input.headResidentId, by: actor.personId });
      const added = await this.households.addMembers(m, id, scope.townshipId, [input.headResidentId, ...others], actor.personId);
      if (added.length !== others.length + 1) {
        const taken = [input.headResidentId, ...others].filter((r) => !added.includes(r));
        throw new DomainError('ALREADY_IN_HOUSEHOLD', undefined, { residentIds: taken });
      }
      await this.audit.record(m, {
        townshipId: scope.townshipId,
        actorId: actor.personId,
        action: 'household.create',
        subject: id,
        details: { branchId: input.branchId, headResidentId: input.headResidentId, memberResidentIds: others },
      });
      return id;
    });
    return this.view(id);
  }

  async addMember(actor: Principal, input: HouseholdMemberInput): Promise<HouseholdModel> {
    await this.tx.run(async (m) => {
      const household = await this.managed(m, actor, input.householdId);
      await this.requireResidentsOfBranch(m, household.townshipId, household.branchId, [input.residentId]);
      const members = await this.households.members(m, [household.id]);
      if (members.length >= MAX_HOUSEHOLD_MEMBERS) throw new DomainError('BAD_USER_INPUT', `一户最多${MAX_HOUSEHOLD_MEMBERS}名成员`, { field: 'residentId' });
      const added = await this.households.addMembers(m, household.id, household.townshipId, [input.residentId], actor.personId);
      if (!added.length) throw new DomainError('ALREADY_IN_HOUSEHOLD');
      await this.audit.record(m, {
        townshipId: household.townshipId,
        actorId: actor.personId,
        action: 'household.member.add',
        subject: household.id,
        details: { residentId: input.residentId },
      });
    });
    return this.view(input.householdId);
  }

  /** Removes a member (the head only with a new head from the members). They lose access to the household at once. */
  async removeMember(actor: Principal, input: RemoveHouseholdMemberInput): Promise<HouseholdModel> {
    await this.tx.run(async (m) => {
      const household = await this.managed(m, actor, input.householdId);
      const members = (await this.households.members(m, [household.id])).map((r) => r.residentId);
      if (!members.includes(input.residentId)) throw new DomainError('NOT_IN_HOUSEHOLD');
      const newHead = input.newHeadResidentId ?? null;
      if (newHead && (newHead === input.residentId || !members.includes(newHead))) {
        throw new DomainError('HOUSEHOLD_HEAD_REQUIRED', '新户主须为本户留下的成员', { field: 'newHeadResidentId' });
      }
      if (household.headResidentId === input.residentId && !newHead) throw new DomainError('HOUSEHOLD_HEAD_REQUIRED', undefined, { field: 'newHeadResidentId' });
      if (newHead && newHead !== household.headResidentId) await this.households.setHead(m, household.id, newHead);
      await this.households.removeMember(m, household.id, input.residentId);
      await this.audit.record(m, {
        townshipId: household.townshipId,
        actorId: actor.personId,
        action: 'household.member.remove',
        subject: household.id,
        details: { residentId: input.residentId, ...(newHead ? { newHeadResidentId: newHead } : {}) },
      });
    });
    return this.view(input.householdId);
  }

  async addDependent(actor: Principal, input: AddHouseholdDependentInput): Promise<HouseholdModel> {
    const thisYear = Number(monthOf(this.clock.now()).slice(0, 4));
    if (input.birthYear > thisYear) throw new DomainError('BAD_USER_INPUT', '出生年份不能晚于今年', { field: 'birthYear' });
    await this.tx.run(async (m) => {
      const household = await this.managed(m, actor, input.householdId);
      const dependentId = await this.households.addDependent(m, {
        householdId: household.id,
        townshipId: household.townshipId,
        name: input.name,
        birthYear: input.birthYear,
        by: actor.personId,
      });
      await this.audit.record(m, {
        townshipId: household.townshipId,
        actorId: actor.personId,
        action: 'household.dependent.add',
        subject: household.id,
        details: { dependentId, name: input.name, birthYear: input.birthYear },
      });
    });
    return this.view(input.householdId);
  }

  /** Takes a dependent out of the household: nobody can act for them any more (their past sign-ups stay on record). */
  async removeDependent(actor: Principal, dependentId: string): Promise<HouseholdModel> {
    const householdId = await this.tx.run(async (m) => {
      const dependent = await this.households.liveDependent(m, dependentId);
      if (!dependent) throw notFound('该家属');
      const household = await this.managed(m, actor, dependent.householdId);
      await this.households.removeDependent(m, dependentId, actor.personId);
      await this.audit.record(m, {
        townshipId: household.townshipId,
        actorId: actor.personId,
        action: 'household.dependent.remove',
        subject: household.id,
        details: { dependentId, name: dependent.name },
      });
      return household.id;
    });
    return this.view(householdId);
  }

  // ---- reading ------------------------------------------------------------------------

  /** The caller's household, null if they are in none (residents). */
  async mine(actor: Principal): Promise<HouseholdModel | null> {
    const resident = requireResident(actor);
    return this.tx.read(async (m) => {
      const household = await this.households.ofResident(m, resident.id);
      return household ? (await this.views(m, [household]))[0] : null;
    });
  }

  /** A household: its members, and its branch's managers and the township's admins. */
  async household(actor: Principal, id: string): Promise<HouseholdModel> {
    const view = await this.tx.read(async (m) => {
      const household = await this.households.get(m, id);
      if (!household) throw notFound('该家庭');
      return (await this.views(m, [household]))[0];
    });
    const member = !!actor.resident && view.members.some((x) => x.residentId === actor.resident!.id);
    if (!member) requireCapability(actor, Capability.MANAGE, view);
    return view;
  }

  /** A branch's households, oldest first (its managers, the township's admins). */
  async ofBranch(actor: Principal, branchId: string, page: PageArgs): Promise<Page<HouseholdModel>> {
    requireCapability(actor, Capability.MANAGE, await this.organisation.scopeOfBranch(branchId));
    return keysetPage(page, byTimeThenId<HouseholdModel>((h) => h.createdAt), (after, limit) =>
      this.tx.read(async (m) => this.views(m, await this.households.ofBranch(m, branchId, after ? [new Date(after[0]), after[1]] : null, limit))),
    );
  }

  /** Another member's passbook, month by month (members of the same household only). */
  async memberPassbook(actor: Principal, residentId: string, page: PageArgs) {
    return this.tx.read(async (m) => {
      await this.link(m, actor, { residentId });
      const account = (await this.ledgerReads.residentAccounts(m, [residentId])).get(residentId);
      if (!account) throw notFound('该居民的积分账户');
      return keysetPage(
        page,
        BY_MONTH,
        (after, limit) => this.passbooks.months(m, account.accountId, limit, after?.[0]),
        (r) => ({ ...r, sealed: r.seal !== null }),
      );
    });
  }

  // ---- helpers ------------------------------------------------------------------------

  private async view(id: string): Promise<HouseholdModel> {
    return this.tx.read(async (m) => (await this.views(m, [(await this.households.get(m, id))!]))[0]);
  }

  /** Households with their members (names, balances) and dependents: four statements for any number. */
  private async views(m: EntityManager, households: HouseholdRow[]): Promise<HouseholdModel[]> {
    const ids = households.map((h) => h.id);
    const members = await this.people.attachResidentNames(m, (await this.households.members(m, ids)).map((r) => ({ ...r, residentName: null as string | null })));
    const accounts = await this.ledgerReads.residentAccounts(m, members.map((r) => r.residentId));
    const dependents = await this.households.dependents(m, ids);
    return households.map((h) => ({
      ...h,
      members: members
        .filter((r) => r.householdId === h.id)
        .map((r) => ({ residentId: r.residentId, name: r.residentName ?? '', isHead: r.residentId === h.headResidentId, balance: accounts.get(r.residentId)?.balance ?? 0, joinedAt: r.joinedAt }))
        .sort((a, b) => Number(b.isHead) - Number(a.isHead)),
      dependents: dependents.filter((d) => d.householdId === h.id).map((d) => ({ id: d.id, name: d.name, birthYear: d.birthYear, addedAt: d.createdAt })),
    }));
  }

  /** The household, locked, if the caller runs its branch. */
  private async managed(m: EntityManager, actor: Principal, id: string): Promise<HouseholdRow> {
    const household = await this.households.get(m, id, 'FOR UPDATE');
    if (!household || !can(actor, Capability.READ, household)) throw notFound('该家庭');
    requireCapability(actor, Capability.MANAGE, household);
    return household;
  }

  /** Every resident must live in the branch: another branch's is FORBIDDEN, an unknown one (or another township's) NOT_FOUND. */
  private async requireResidentsOfBranch(m: EntityManager, townshipId: string, branchId: string, residentIds: string[]): Promise<void> {
    for (const residentId of residentIds) {
      const scope = await this.people.residentScope(m, residentId);
      if (!scope || scope.townshipId !== townshipId) throw notFound('该居民');
      if (scope.branchId !== branchId) throw new DomainError('FORBIDDEN', '只能把本村（社区）的居民编入本村的家庭');
    }
  }
}

function assertOneTarget(target: ActForTarget): void {
  if (!!target.residentId === !!target.dependentId) {
    throw new DomainError('BAD_USER_INPUT', '请选择一位家庭成员或一位家属', { field: target.residentId ? 'dependentId' : 'residentId' });
  }
}
