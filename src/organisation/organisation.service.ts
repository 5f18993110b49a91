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
import { OrganisationRepository, ResidentRow, SELECT_RESIDENT } from './organisation.repository';
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
      await m.query(`INSERT INTO township (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING`, [
        input.townshipCode,
        input.townshipName,
      ]);
      const [{ id: townshipId }] = await m.query(`SELECT id FROM township WHERE code = $1`, [input.townshipCode]);
      await this.ledger.openTownshipAccounts(m, townshipId);
      const adminPersonId = await this.upsertPerson(m, townshipId, { name: input.adminName, mobile: input.adminMobile });
      await this.grant(m, adminPersonId, Role.TOWNSHIP_ADMIN, townshipId, null, null);
      return { townshipId, adminPersonId };
    });
  }

  // ---- reading ----------------------------------------------------------------

  async township(actor: Principal, townshipId: string): Promise<Township> {
    requireCapability(actor, Capability.READ, { townshipId });
    const township = await this.tx.run((m) => m.findOneBy(Township, { id: townshipId }));
    if (!township) throw notFound('该镇');
    return township;
  }

  async branch(actor: Principal, branchId: string): Promise<Branch> {
    const branch = await this.tx.run((m) => m.findOneBy(Branch, { id: branchId }));
    if (!branch) throw notFound('该村（社区）');
    requireCapability(actor, Capability.READ, { townshipId: branch.townshipId });
    return branch;
  }

  async branches(actor: Principal, townshipId: string, page: PageArgs): Promise<Page<Branch>> {
    requireCapability(actor, Capability.READ, { townshipId });
    return keysetPage(page, byNameThenId<Branch>(), (after, limit) =>
      this.tx.run((m) =>
        m
          .createQueryBuilder(Branch, 'b')
          .where('b.township_id = :townshipId', { townshipId })
          .andWhere(after ? '(b.name, b.id) > (:name, :id)' : 'true', after ? { name: after[0], id: after[1] } : {})
          .orderBy('b.name')
          .addOrderBy('b.id')
          .limit(limit)
          .getMany(),
      ),
    );
  }

  async serviceTeams(actor: Principal, branchId: string): Promise<ServiceTeam[]> {
    await this.requireOnBranch(actor, Capability.READ, branchId);
    return this.tx.run((m) => m.find(ServiceTeam, { where: { branchId }, order: { name: 'ASC' } }));
  }

  async branchResidents(actor: Principal, branchId: string, page: PageArgs, text?: string): Promise<Page<ResidentSummary>> {
    await this.requireOnBranch(actor, Capability.MANAGE, branchId);
    return keysetPage(page, byNameThenId<ResidentSummary>(), (after, limit) =>
      this.tx.run(async (m) =>
        this.withAccounts(
          m,
          await m.query(
            `${SELECT_RESIDENT}
             WHERE r.branch_id = $1
               AND ($2::text IS NULL OR strpos(p.name, $2) > 0 OR p.mobile LIKE $2 || '%')
               AND ($3::text IS NULL OR (p.name, r.id) > ($3::text, $4::uuid))
             ORDER BY p.name, r.id
             LIMIT $5`,
            [branchId, text ?? null, after?.[0] ?? null, after?.[1] ?? null, limit],
          ),
        ),
      ),
    );
  }

  /** Residents see who runs their branch, with the mobile masked; its managers and admins see it whole. */
  async branchStaff(actor: Principal, branchId: string): Promise<Staff[]> {
    const scope = await this.requireOnBranch(actor, Capability.READ, branchId);
    const rows: Staff[] = await this.tx.run((m) =>
      m.query(
        `SELECT p.id AS "personId", p.name, p.mobile, ra.role FROM role_assignment ra JOIN person p ON p.id = ra.person_id
         WHERE ra.branch_id = $1 ORDER BY ra.created_at`,
        [branchId],
      ),
    );
    if (can(actor, Capability.MANAGE, scope)) return rows;
    return rows.map((row) => ({ ...row, mobile: maskText(row.mobile) }));
  }

  // ---- changing -----------------------------------------------------------------

  async createBranch(actor: Principal, input: CreateBranchInput): Promise<Branch> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      const [row] = await m.query(
        `INSERT INTO branch (township_id, name, kind) VALUES ($1, $2, $3) ON CONFLICT (township_id, name) DO NOTHING RETURNING id`,
        [input.townshipId, input.name, input.kind],
      );
      if (!row) throw new DomainError('ALREADY_EXISTS', `本镇已有名为“${input.name}”的村（社区）`);
      await this.ledger.openBranchAccounts(m, input.townshipId, row.id);
      await this.audit.record(m, { townshipId: input.townshipId, actorId: actor.personId, action: 'branch.create', subject: row.id, details: { name: input.name } });
      return m.findOneByOrFail(Branch, { id: row.id });
    });
  }

  async createServiceTeam(actor: Principal, input: CreateServiceTeamInput): Promise<ServiceTeam> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.branchId);
    return this.tx.run(async (m) => {
      const [row] = await m.query(
        `INSERT INTO service_team (township_id, branch_id, name) VALUES ($1, $2, $3) ON CONFLICT (branch_id, name) DO NOTHING RETURNING id`,
        [scope.townshipId, input.branchId, input.name],
      );
      if (!row) throw new DomainError('ALREADY_EXISTS', `本村（社区）已有“${input.name}”`);
      return m.findOneByOrFail(ServiceTeam, { id: row.id });
    });
  }

  async appointBranchManager(actor: Principal, input: AppointBranchManagerInput): Promise<Staff> {
    const scope = await this.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.ADMINISTER, scope);
    return this.tx.run(async (m) => {
      const personId = await this.upsertPerson(m, scope.townshipId, input);
      await this.grant(m, personId, Role.BRANCH_MANAGER, scope.townshipId, input.branchId, actor.personId);
      return this.staff(m, personId, Role.BRANCH_MANAGER);
    });
  }

  /** A shopkeeper of the branch's points shop: its managers or the township's admins appoint one. */
  async appointShopkeeper(actor: Principal, input: AppointShopkeeperInput): Promise<Staff> {
    const scope = await this.requireOnBranch(actor, Capability.MANAGE, input.branchId);
    return this.tx.run(async (m) => {
      const personId = await this.upsertPerson(m, scope.townshipId, input);
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
      const personId = await this.upsertPerson(m, input.townshipId, input);
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
      const personId = await this.upsertPerson(m, scope.townshipId, input);
      const [inserted] = await m.query(
        `INSERT INTO resident (person_id, township_id, branch_id, registered_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (person_id) DO NOTHING RETURNING id`,
        [personId, scope.townshipId, input.branchId, actor.personId],
      );
      if (inserted) {
        await this.ledger.openResidentAccount(m, scope.townshipId, inserted.id);
        await this.audit.record(m, { townshipId: scope.townshipId, actorId: actor.personId, action: 'resident.register', subject: inserted.id });
      }
      const [summary] = await this.withAccounts(m, await m.query(`${SELECT_RESIDENT} WHERE r.person_id = $1`, [personId]));
      if (summary.branchId !== input.branchId) throw new DomainError('MOBILE_TAKEN');
      return summary;
    });
  }

  // ---- helpers ------------------------------------------------------------------

  /** The scope of a branch, or NOT_FOUND. */
  async scopeOfBranch(branchId: string): Promise<Scope> {
    const [row] = await this.tx.run((m) => m.query(`SELECT township_id AS "townshipId" FROM branch WHERE id = $1`, [branchId]));
    if (!row) throw notFound('该村（社区）');
    return { townshipId: row.townshipId, branchId };
  }

  private async requireOnBranch(actor: Principal, capability: Capability, branchId: string): Promise<Scope> {
    const scope = await this.scopeOfBranch(branchId);
    requireCapability(actor, capability, scope);
    return scope;
  }

  /** Finds the township's person with this mobile or creates them; an existing person keeps their recorded name. */
  private async upsertPerson(m: EntityManager, townshipId: string, input: PersonInput): Promise<string> {
    const [created] = await m.query(
      `INSERT INTO person (township_id, name, mobile) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT person_township_mobile_key DO NOTHING RETURNING id`,
      [townshipId, input.name, input.mobile],
    );
    if (created) return created.id;
    const [existing] = await m.query(`SELECT id FROM person WHERE township_id = $1 AND mobile = $2`, [townshipId, input.mobile]);
    return existing.id;
  }

  private async grant(m: EntityManager, personId: string, role: Role, townshipId: string, branchId: string | null, grantedBy: string | null) {
    const [row] = await m.query(
      `INSERT INTO role_assignment (person_id, role, township_id, branch_id, granted_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (person_id, role, township_id, branch_id) DO NOTHING RETURNING id`,
      [personId, role, townshipId, branchId, grantedBy],
    );
    if (row) {
      await this.audit.record(m, { townshipId, actorId: grantedBy, action: 'role.grant', subject: personId, details: { role, branchId } });
    }
  }

  private async revoke(actor: Principal, role: Role, scope: Scope, personId: string): Promise<boolean> {
    return this.tx.run(async (m) => {
      const [, removed] = await m.query(
        `DELETE FROM role_assignment WHERE person_id = $1 AND role = $2 AND township_id = $3 AND branch_id IS NOT DISTINCT FROM $4`,
        [personId, role, scope.townshipId, role === Role.TOWNSHIP_ADMIN ? null : scope.branchId],
      );
      if (removed) {
        await this.audit.record(m, { townshipId: scope.townshipId, actorId: actor.personId, action: 'role.revoke', subject: personId, details: { role, branchId: scope.branchId ?? null } });
      }
      return removed > 0;
    });
  }

  private async staff(m: EntityManager, personId: string, role: Role): Promise<Staff> {
    const [row] = await m.query(`SELECT id AS "personId", name, mobile FROM person WHERE id = $1`, [personId]);
    return { ...row, role };
  }
}
