import { Injectable } from '@nestjs/common';
import { can, Capability, requireCapability } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { ENTRY_ID_PATTERN } from '../common/ids';
import { BY_POSTING, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { TransactionRunner } from '../database/transaction.runner';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { AdjustmentInput, ReverseEntryInput } from './dto/ledger.inputs';
import { proofProblem } from './ledger-seal';
import { LedgerSealService } from './ledger-seal.service';
import { AccountRow, HistoryOf, LedgerLineRow, LedgerService, ReconciliationReport } from './ledger.service';
import { AccountKind, EntryKind, PostedEntry } from './ledger.types';

/** Entries booked by a business flow, by reference type, and where to correct them instead. */
const FLOW_OWNED: Record<string, string> = {
  COURSE: '该笔记账是课程报名扣分，不能单独冲正：请由居民取消报名（cancelEnrolment），或由分行取消课程（cancelCourse）退还积分',
  ACTIVITY: '该笔记账是活动出勤奖励，不能单独冲正：如需更正，请做积分调整（postAdjustment）并写明原因',
  SHOP_REDEMPTION: '该笔记账是积分超市兑换扣分，不能单独冲正：请在领取前由居民取消兑换，或过了领取期限由分行取消兑换（cancelShopRedemption）退还积分',
};

/**
 * What people do with the ledger directly, with access checks: look at accounts and
 * histories, correct mistakes (adjustments, reversals), and prove the books balance.
 */
@Injectable()
export class LedgerAdminService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly organisation: OrganisationRepository,
    private readonly seals: LedgerSealService = new LedgerSealService(),
  ) {}

  /** An account's history, newest first. */
  async history(of: HistoryOf, page: PageArgs): Promise<Page<LedgerLineRow & { id: string }>> {
    // LedgerLine.id is the posting id (the row calls it postingId).
    return keysetPage(
      page,
      BY_POSTING,
      (after, limit) => this.tx.read((m) => this.ledger.history(m, of, limit, after?.[0])),
      (r) => ({ ...r, id: r.postingId }),
    );
  }

  async residentHistory(actor: Principal, residentId: string, page: PageArgs): Promise<Page<LedgerLineRow & { id: string }>> {
    const account = await this.tx.run((m) => this.ledger.residentAccount(m, residentId)).catch(() => {
      throw notFound('该居民');
    });
    const resident = (await this.tx.run((m) => this.organisation.residentScope(m, residentId)))!;
    requireCapability(actor, Capability.MANAGE, { townshipId: account.townshipId, branchId: resident.branchId });
    return this.history({ accountId: account.id }, page);
  }

  async branchAccounts(actor: Principal, branchId: string): Promise<AccountRow[]> {
    const townshipId = await this.tx.run((m) => this.organisation.townshipOfBranch(m, branchId));
    if (!townshipId) throw notFound('该村（社区）');
    requireCapability(actor, Capability.MANAGE, { townshipId, branchId });
    return this.tx.run((m) => this.ledger.institutionalAccounts(m, townshipId, branchId));
  }

  async townshipAccounts(actor: Principal, townshipId: string): Promise<AccountRow[]> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run((m) => this.ledger.institutionalAccounts(m, townshipId));
  }

  /**
   * A township admin's correction: moves points between an account and the township's
   * adjustment account, with the reason on the entry and in the audit log.
   */
  async postAdjustment(actor: Principal, input: AdjustmentInput): Promise<PostedEntry> {
    return this.tx.run(async (m) => {
      const account = await this.ledger.account(m, input.accountId);
      requireCapability(actor, Capability.ADMINISTER, { townshipId: account.townshipId });
      if (account.kind === AccountKind.TOWNSHIP_ADJUSTMENT) throw new DomainError('BAD_USER_INPUT', '输入有误：不能对调整账户本身做调整');
      const adjustment = await this.ledger.townshipAccount(m, account.townshipId, AccountKind.TOWNSHIP_ADJUSTMENT);
      const posted = await this.ledger.post(m, {
        townshipId: account.townshipId,
        idempotencyKey: `adjustment:${input.idempotencyKey}`,
        kind: EntryKind.ADJUSTMENT,
        memo: input.reason,
        lines: [
          { accountId: account.id, amount: input.amount },
          { accountId: adjustment.id, amount: -input.amount },
        ],
        reference: { type: 'ACCOUNT', id: account.id },
        createdBy: actor.personId,
      });
      if (posted.created) {
        await this.audit.record(m, {
          townshipId: account.townshipId,
          actorId: actor.personId,
          action: 'ledger.adjust',
          subject: posted.id,
          details: { accountId: account.id, amount: input.amount, reason: input.reason },
        });
      }
      return posted;
    });
  }

  async reverseEntry(actor: Principal, input: ReverseEntryInput): Promise<PostedEntry> {
    return this.tx.run(async (m) => {
      const entry = await this.ledger.entry(m, input.entryId);
      if (!entry) throw notFound('该笔记账');
      const { townshipId } = entry;
      requireCapability(actor, Capability.ADMINISTER, { townshipId });
      // A charge or a reward belongs to its enrolment or attendance: reversed alone it would
      // leave the record saying otherwise (an enrolled seat with its charge refunded, and
      // cancelEnrolment/cancelCourse failing ALREADY_REVERSED). Their own flows refund them.
      if (entry.kind !== EntryKind.REVERSAL && entry.reference?.type && FLOW_OWNED[entry.reference.type]) {
        throw new DomainError('ENTRY_BELONGS_TO_RECORD', FLOW_OWNED[entry.reference.type], { referenceType: entry.reference.type });
      }
      const posted = await this.ledger.reverse(m, { townshipId, entryId: input.entryId, reason: input.reason, createdBy: actor.personId });
      if (posted.created) {
        await this.audit.record(m, {
          townshipId,
          actorId: actor.personId,
          action: 'ledger.reverse',
          subject: posted.id,
          details: { reversedEntryId: input.entryId, reason: input.reason },
        });
      }
      return posted;
    });
  }

  async reconciliation(actor: Principal, townshipId: string): Promise<ReconciliationReport> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run((m) => this.ledger.reconcile(m, townshipId));
  }

  /**
   * The proof that an entry is in its month's published seal: for the resident whose
   * points it moved, the managers of a branch it touches, and the township's admins.
   */
  async entryProof(actor: Principal, entryId: string) {
    if (!ENTRY_ID_PATTERN.test(entryId)) throw new DomainError('BAD_USER_INPUT', '输入有误：记账编号不正确', { field: 'entryId' });
    return this.tx.run(async (m) => {
      const parties = await this.ledger.entryParties(m, entryId);
      if (!parties.length) throw notFound('该笔记账');
      // A resident's line belongs to the resident's branch.
      const branchOf = await this.organisation.branchesOfResidents(m, parties.flatMap((p) => (p.residentId ? [p.residentId] : [])));
      for (const p of parties) if (p.residentId) p.branchId = branchOf.get(p.residentId) ?? null;
      const own = parties.some((p) => p.residentId !== null && p.residentId === actor.resident?.id);
      const managed = parties.some((p) => can(actor, Capability.MANAGE, { townshipId: p.townshipId, branchId: p.branchId }));
      if (!own && !managed) throw new DomainError('FORBIDDEN');
      const proof = await this.seals.proof(m, entryId);
      return { ...proof, valid: proofProblem(proof) === null };
    });
  }
}
