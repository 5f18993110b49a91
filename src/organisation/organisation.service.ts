import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { can, Capability, requireCapability, Scope } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { byNameThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { maskText } from '../observability/masking';
import { Branch } from './branch.entity';
import {
  AppointBranchManagerInput,
  AppointShopkeeperInput,
  AppointTownshipAdminInput,
  CreateBranchInput,
  CreateServiceTeamInput,
  PersonInput,
  RegisterResidentInput,
  RevokeRoleInput,
} from './dto/organisation.inputs';
import { ResidentSummary, Staff } from './dto/organisation.models';
import { OrganisationRepository, ResidentRow } from './organisation.repository';
import { Role } from './role-assignment.entity';
import { ServiceTeam } from './service-team.entity';
import { Township } from './township.entity';

export interface BootstrapInput {
  townshipCode: string;
  townshipName: string;
  adminName: string;
  adminMobile: string;
}

/** Townships, branches, service teams, people and who holds which role. */
@Injectable()
export class OrganisationService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly repository: OrganisationRepository,
    private readonly audit: AuditService,
  ) {}

  /** A service team of the branch? (asked by activities, inside their transaction) */
  isServiceTeamOf(m: EntityManager, serviceTeamId: string, branchId: string): Promise<boolean> {
    return this.repository.isServiceTeamOf(m, serviceTeamId, branchId);
  }

  /** Residents with their points account and balance, from the ledger. */
  private async withAccounts(m: EntityManager, rows: ResidentRow[]): Promise<ResidentSummary[]> {
    const accounts = await this.ledgerReads.residentAccounts(m, rows.map((r) => r.id));
    return rows.flatMap((r) => {
      const account = accounts.get(r.id);
      return account ? [{ ...r, accountId: account.accountId, balance: account.balance }] : [];
    });
  }

  /**
   * Creates a township, its ledger accounts and its first admin (the CLI's `bootstrap`).
   * Idempotent: running it again with the same values changes nothing.
   */
  async bootstrap(input: BootstrapInput): Promise<{ townshipId: string; adminPersonId: string }> {
    return this.tx.run(async (m) => {
      const townshipId = await this.repository.upsertTownship(m, input.townshipCode, input.townshipName);
      await this.ledger.openTownshipAccounts(m, townshipId);
      const adminPersonId = await this.repository.upsertPerson(m, townshipId, { name: input.adminName, mobile: input.adminMobile });
      await this.grant(m, adminPersonId, Role.TOWNSHIP_ADMIN, townshipId, null, null);
      return { townshipId, adminPersonId };
    });
  }

  // ---- reading ----------------------------------------------------------------

  async township(actor: Principal, townshipId: string): Promise<Township> {
    requireCapability(actor, Capability.READ, { townshipId });
    const township = await this.tx.run((m) => this.repository.findTownship(m, townshipId));
    if (!township) throw notFound('该镇');
    return township;
  }

  async branch(actor: Principal, branchId: string): Promise<Branch> {
    const branch = await this.tx.run((m) => this.repository.findBranch(m, branchId));
    if (!branch) throw notFound('该村（社区）');
    requireCapability(actor, Capability.READ, { townshipId: branch.townshipId });
    return branch;
  }

  async branches(actor: Principal, townshipId: string, page: PageArgs): Promise<Page<Branch>> {
    requireCapability(actor, Capability.READ, { townshipId });
    return keysetPage(page, byNameThenId<Branch>(), (after, limit) => this.tx.run((m) => this.repository.branchPage(m, townshipId, after, limit)));
  }

  async serviceTeams(actor: Principal, branchId: string): Promise<ServiceTeam[]> {
    await this.requireOnBranch(actor, Capability.READ, branchId);
    return this.tx.run((m) => this.repository.serviceTeamsOf(m, branchId));
  }

  async branchResidents(actor: Principal, branchId: string, page: PageArgs, text?: string): Promise<Page<ResidentSummary>> {
    await this.requireOnBranch(actor, Capability.MANAGE, branchId);
    return keysetPage(page, byNameThenId<ResidentSummary>(), (after, limit) =>
      this.tx.run(async (m) => this.withAccounts(m, await this.repository.residentsOfBranch(m, branchId, text ?? null, after, limit))),
    );
  }

  /** Residents see who runs their branch, with the mobile masked; its managers and admins see it whole. */
  async branchStaff(actor: Principal, branchId: string): Promise<Staff[]> {
    const scope = await this.requireOnBranch(actor, Capability.READ, branchId);
    const rows = await this.tx.run((m) => this.repository.staffOfBranch(m, branchId));
    if (can(actor, Capability.MANAGE, scope)) return rows;
    return rows.map((row) => ({ ...row, mobile: maskText(row.mobile) }));
  }

  // ---- changing -----------------------------------------------------------------

  async createBranch(actor: Principal, input: CreateBranchInput): Promise<Branch> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      const id = await this.repository.insertBranch(m, input.townshipId, input.name, input.kind);
      if (!id) throw new DomainError('ALREADY_EXISTS', `本镇已有名为“${input.name}”的村（社区）`);
      await this.ledger.openBranchAccounts(m, input.townshipId, id);
      await this.audit.record(m, { townshipId: input.townshipId, actorId: actor.personId, action: 'branch.create', subject: id, details: { name: input.name } });
      return (await this.repository.findBranch(m, id))!;
    });
  }

  async createServiceTeam(actor: Principal, input: CreateServiceTeamInput): Promise<ServiceTeam> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.branchId);
    return this.tx.run(async (m) => {
      const id = await this.repository.insertServiceTeam(m, scope.townshipId, input.branchId, input.name);
      if (!id) throw new DomainError('ALREADY_EXISTS', `本村（社区）已有“${input.name}”`);
      return (await this.repository.findServiceTeam(m, id))!;
    });
  }

  async appointBranchManager(actor: Principal, input: AppointBranchManagerInput): Promise<Staff> {
    const scope = await this.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.ADMINISTER, scope);
    return this.tx.run(async (m) => {
      const personId = await this.repository.upsertPerson(m, scope.townshipId, input);
      await this.grant(m, personId, Role.BRANCH_MANAGER, scope.townshipId, input.branchId, actor.personId);
      return this.staff(m, personId, Role.BRANCH_MANAGER);
    });
  }

  /** A shopkeeper of the branch's points shop: its managers or the township's admins appoint one. */
  async appointShopkeeper(actor: Principal, input: AppointShopkeeperInput): Promise<Staff> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.branchId);
    return this.tx.run(async (m) => {
      const personId = await this.repository.upsertPerson(m, scope.townshipId, input);
      await this.grant(m, personId, Role.SHOPKEEPER, scope.townshipId, input.branchId, actor.personId);
      return this.staff(m, personId, Role.SHOPKEEPER);
    });
  }

  async revokeShopkeeper(actor: Principal, input: RevokeRoleInput): Promise<boolean> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.scopeId);
    return this.revoke(actor, Role.SHOPKEEPER, scope, input.personId);
  }

  async appointTownshipAdmin(actor: Principal, input: AppointTownshipAdminInput): Promise<Staff> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      const personId = await this.repository.upsertPerson(m, input.townshipId, input);
      await this.grant(m, personId, Role.TOWNSHIP_ADMIN, input.townshipId, null, actor.personId);
      return this.staff(m, personId, Role.TOWNSHIP_ADMIN);
    });
  }

  async revokeBranchManager(actor: Principal, input: RevokeRoleInput): Promise<boolean> {
    const scope = await this.scopeOfBranch(input.scopeId);
    requireCapability(actor, Capability.ADMINISTER, scope);
    return this.revoke(actor, Role.BRANCH_MANAGER, scope, input.personId);
  }

  async revokeTownshipAdmin(actor: Principal, input: RevokeRoleInput): Promise<boolean> {
    const scope = { townshipId: input.scopeId };
    requireCapability(actor, Capability.ADMINISTER, scope);
    if (input.personId === actor.personId) throw new DomainError('FORBIDDEN', '不能撤销自己的管理员身份');
    return this.revoke(actor, Role.TOWNSHIP_ADMIN, scope, input.personId);
  }

  /**
   * Registers a resident of a branch and opens their points account. Registering the
   * same mobile in the same branch again returns the existing resident; in another branch
   * of the township it is MOBILE_TAKEN. Other townships' records of the number are never
   * read: they neither block this one nor show through it.
   */
  async registerResident(actor: Principal, input: RegisterResidentInput): Promise<ResidentSummary> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.branchId);
    return this.tx.run(async (m) => {
      const personId = await this.repository.upsertPerson(m, scope.townshipId, input);
      const inserted = await this.repository.insertResident(m, personId, { townshipId: scope.townshipId, branchId: input.branchId }, actor.personId);
      if (inserted) {
        await this.ledger.openResidentAccount(m, scope.townshipId, inserted);
        await this.audit.record(m, { townshipId: scope.townshipId, actorId: actor.personId, action: 'resident.register', subject: inserted });
      }
      const [summary] = await this.withAccounts(m, [(await this.repository.residentOfPerson(m, personId))!]);
      if (summary.branchId !== input.branchId) throw new DomainError('MOBILE_TAKEN');
      return summary;
    });
  }

  // ---- helpers ------------------------------------------------------------------

  /** The scope of a branch, or NOT_FOUND. */
  async scopeOfBranch(branchId: string): Promise<Scope> {
    const townshipId = await this.tx.run((m) => this.repository.townshipOfBranch(m, branchId));
    if (!townshipId) throw notFound('该村（社区）');
    return { townshipId, branchId };
  }

  private async requireOnBranch(actor: Principal, capability: Capability, branchId: string): Promise<Scope> {
    const scope = await this.scopeOfBranch(branchId);
    requireCapability(actor, capability, scope);
    return scope;
  }

  private async grant(m: EntityManager, personId: string, role: Role, townshipId: string, branchId: string | null, grantedBy: string | null) {
    if (await this.repository.insertRoleAssignment(m, { personId, role, townshipId, branchId, grantedBy })) {
      await this.audit.record(m, { townshipId, actorId: grantedBy, action: 'role.grant', subject: personId, details: { role, branchId } });
    }
  }

  private async revoke(actor: Principal, role: Role, scope: Scope, personId: string): Promise<boolean> {
    return this.tx.run(async (m) => {
      const removed = await this.repository.deleteRoleAssignment(m, personId, role, scope.townshipId, role === Role.TOWNSHIP_ADMIN ? null : scope.branchId!);
      if (removed) {
        await this.audit.record(m, { townshipId: scope.townshipId, actorId: actor.personId, action: 'role.revoke', subject: personId, details: { role, branchId: scope.branchId ?? null } });
      }
      return removed > 0;
    });
  }

  private async staff(m: EntityManager, personId: string, role: Role): Promise<Staff> {
    return { ...(await this.repository.personContact(m, personId))!, role };
  }
}
