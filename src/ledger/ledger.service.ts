import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isSerial } from '../common/ids';
import { DomainError } from '../common/errors/domain.error';
import { monthToPeriodDate } from '../common/time/shanghai-month';
import { afterCommit } from '../database/transaction.runner';
import { ledgerEntriesPosted } from '../observability/metrics';
import { chainSeal, GENESIS_SEAL, merkleTree } from './ledger-seal';
import { LedgerSealRepository } from './ledger-seal.repository';
import { EntryProblem, LedgerSealService, SealableMonth, SealCheck, StoredSeal } from './ledger-seal.service';
import { LedgerRepository } from './ledger.repository';
import { contentHash, MAX_MEMO_LENGTH, validateEntry } from './ledger.rules';
import {
  AccountKind,
  EntryKind,
  EntryReference,
  PostedEntry,
  PostEntryRequest,
  ReverseEntryRequest,
} from './ledger.types';

export interface LedgerLineRow {
  postingId: string;
  entryId: string;
  kind: EntryKind;
  amount: number;
  balanceAfter: number | null;
  memo: string;
  reference: EntryReference | null;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
  bookedAt: Date;
  period: string;
}

/** Whose history: an account, or a resident's (their one account). */
export type HistoryOf = { accountId: string } | { residentId: string };

export interface AccountRow {
  id: string;
  kind: AccountKind;
  townshipId: string;
  branchId: string | null;
  residentId: string | null;
  balance: number;
}

export interface ReconciliationReport {
  townshipId: string;
  checkedAt: Date;
  accountsChecked: number;
  entriesChecked: number;
  postingsChecked: number;
  /** Sum of every stored balance in the township; zero when the ledger balances (rule 7). */
  storedTotal: number;
  /** Sum of every posting in the township; zero by rule 1. */
  postedTotal: number;
  mismatchedAccounts: { accountId: string; kind: AccountKind; stored: number; computed: number }[];
  unbalancedEntries: { entryId: string; postings: number; total: number }[];
  /** Entries whose content hash or seal no longer matches, by entry. */
  entryProblems: EntryProblem[];
  /** Every sealed month recomputed from the entries now in it. */
  sealedMonths: SealCheck[];
  ok: boolean;
}

const SELECT_ACCOUNT = `
  SELECT a.id, a.kind, a.township_id AS "townshipId", a.branch_id AS "branchId", a.resident_id AS "residentId",
         (SELECT sum(b.balance) FROM account_balance b WHERE b.account_id = a.id)::int8 AS balance
  FROM account a`;

/**
 * The only writer of the ledger tables (account, account_balance, journal_entry,
 * posting, ledger_period). Every method takes the caller's EntityManager so a posting
 * commits or rolls back together with the business change it pays for (a seat, an
 * attendance). Run them inside TransactionRunner.run.
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly seals: LedgerSealService = new LedgerSealService(),
    private readonly repository: LedgerRepository = new LedgerRepository(),
    private readonly sealRepository: LedgerSealRepository = new LedgerSealRepository(),
  ) {}

  // ---- accounts -------------------------------------------------------------

  async openTownshipAccounts(manager: EntityManager, townshipId: string): Promise<void> {
    await manager.query(
      `INSERT INTO account (township_id, kind) VALUES ($1, 'TOWNSHIP_ADJUSTMENT'), ($1, 'TOWNSHIP_EXPIRY')
       ON CONFLICT DO NOTHING`,
      [townshipId],
    );
  }

  async openBranchAccounts(manager: EntityManager, townshipId: string, branchId: string): Promise<void> {
    await manager.query(
      `INSERT INTO account (township_id, branch_id, kind) VALUES ($1, $2, 'BRANCH_ISSUANCE'), ($1, $2, 'BRANCH_REDEMPTION')
       ON CONFLICT DO NOTHING`,
      [townshipId, branchId],
    );
  }

  async openResidentAccount(manager: EntityManager, townshipId: string, residentId: string): Promise<void> {
    await this.openResidentAccounts(manager, townshipId, [residentId]);
  }

  async openResidentAccounts(manager: EntityManager, townshipId: string, residentIds: string[]): Promise<void> {
    await manager.query(
      `INSERT INTO account (township_id, resident_id, kind) SELECT $1, r, 'RESIDENT' FROM unnest($2::uuid[]) AS r
       ON CONFLICT DO NOTHING`,
      [townshipId, residentIds],
    );
  }

  async residentAccount(manager: EntityManager, residentId: string): Promise<AccountRow> {
    return this.oneAccount(manager, `${SELECT_ACCOUNT} WHERE a.resident_id = $1`, [residentId]);
  }

  async branchAccount(manager: EntityManager, branchId: string, kind: AccountKind.BRANCH_ISSUANCE | AccountKind.BRANCH_REDEMPTION) {
    return this.oneAccount(manager, `${SELECT_ACCOUNT} WHERE a.branch_id = $1 AND a.kind = $2`, [branchId, kind]);
  }

  /**
   * A resident's account and one of a branch's, in one statement: the two sides of a
   * charge (a seat, a shop item) or of a reward (a good deed).
   */
  async residentAndBranchAccounts(
    manager: EntityManager,
    residentId: string,
    branchId: string,
    kind: AccountKind.BRANCH_ISSUANCE | AccountKind.BRANCH_REDEMPTION,
  ): Promise<{ resident: AccountRow; branch: AccountRow }> {
    const rows: AccountRow[] = await manager.query(`${SELECT_ACCOUNT} WHERE a.resident_id = $1 OR (a.branch_id = $2 AND a.kind = $3)`, [
      residentId,
      branchId,
      kind,
    ]);
    const resident = rows.find((r) => r.residentId === residentId);
    const branch = rows.find((r) => r.branchId === branchId && r.kind === kind);
    if (!resident || !branch) throw new DomainError('UNKNOWN_ACCOUNT');
    return { resident: numericBalance(resident), branch: numericBalance(branch) };
  }

  async townshipAccount(manager: EntityManager, townshipId: string, kind: AccountKind.TOWNSHIP_ADJUSTMENT | AccountKind.TOWNSHIP_EXPIRY) {
    return this.oneAccount(manager, `${SELECT_ACCOUNT} WHERE a.township_id = $1 AND a.kind = $2`, [townshipId, kind]);
  }

  async account(manager: EntityManager, accountId: string): Promise<AccountRow> {
    return this.oneAccount(manager, `${SELECT_ACCOUNT} WHERE a.id = $1`, [accountId]);
  }

  /** Non-resident accounts of a township (or of one branch), with balances. */
  async institutionalAccounts(manager: EntityManager, townshipId: string, branchId?: string): Promise<AccountRow[]> {
    const rows: AccountRow[] = await manager.query(
      `${SELECT_ACCOUNT} WHERE a.township_id = $1 AND a.kind <> 'RESIDENT' AND ($2::uuid IS NULL OR a.branch_id = $2)
       ORDER BY a.branch_id NULLS FIRST, a.kind`,
      [townshipId, branchId ?? null],
    );
    return rows.map(numericBalance);
  }

  /** Current balances of resident accounts, keyed by resident id. */
  async residentBalances(manager: EntityManager, residentIds: string[]): Promise<Map<string, number>> {
    const rows: { residentId: string; balance: string }[] = await manager.query(
      `SELECT a.resident_id AS "residentId", b.balance FROM account a JOIN account_balance b ON b.account_id = a.id
       WHERE a.resident_id = ANY($1::uuid[])`,
      [residentIds],
    );
    return new Map(rows.map((r) => [r.residentId, Number(r.balance)]));
  }

  private async oneAccount(manager: EntityManager, sql: string, params: unknown[]): Promise<AccountRow> {
    const [row] = await manager.query(sql, params);
    if (!row) throw new DomainError('UNKNOWN_ACCOUNT');
    return numericBalance(row);
  }

  // ---- posting --------------------------------------------------------------

  /**
   * Books a balanced entry in one round trip. Replaying an idempotency key with the same
   * content returns the original entry (`created: false`); with different content it is an
   * IDEMPOTENCY_CONFLICT. Overdrawing a resident is INSUFFICIENT_POINTS, booking into a
   * closed month PERIOD_CLOSED (both raised by the database, translated by TransactionRunner).
   * Outside a transaction (a manager that is not in one) the call commits by itself.
   */
  async post(manager: EntityManager, request: PostEntryRequest): Promise<PostedEntry> {
    const [posted] = await this.postMany(manager, [request]);
    return posted;
  }

  /**
   * Books many entries of one township, by one actor, in ONE round trip: all of them or,
   * on any refusal, none. Each entry keeps its own idempotency key (replays answered as by
   * `post`). Results are in the order of `requests`.
   */
  async postMany(manager: EntityManager, requests: PostEntryRequest[]): Promise<PostedEntry[]> {
    if (requests.length === 0) return [];
    const [first] = requests;
    const keys = new Set<string>();
    for (const request of requests) {
      validateEntry(request);
      if (keys.has(request.idempotencyKey)) {
        throw new DomainError('BAD_USER_INPUT', '输入有误：同一批记账中业务编号不能重复', { field: 'idempotencyKey' });
      }
      keys.add(request.idempotencyKey);
      const sameBatch =
        request.townshipId === first.townshipId &&
        (request.createdBy ?? null) === (first.createdBy ?? null) &&
        request.bookedAt?.getTime() === first.bookedAt?.getTime();
      if (!sameBatch) {
        throw new DomainError('BAD_USER_INPUT', '输入有误：同一批记账须属于同一个镇、同一操作人、同一记账时间', { field: 'townshipId' });
      }
    }
    return this.book(manager, first, requests);
  }

  /** Books the exact opposite of an entry, linked to it. An entry is reversed at most once. */
  async reverse(manager: EntityManager, request: ReverseEntryRequest): Promise<PostedEntry> {
    const reason = request.reason?.trim();
    if (!reason || reason.length > MAX_MEMO_LENGTH) {
      throw new DomainError('BAD_USER_INPUT', `输入有误：冲正原因长度须为1-${MAX_MEMO_LENGTH}个字符`, { field: 'reason' });
    }
    if (!isSerial(request.entryId)) throw new DomainError('NOT_FOUND', '未找到该笔记账');
    const original = await this.repository.lockEntryToReverse(manager, request.townshipId, request.entryId);
    if (!original) throw new DomainError('NOT_FOUND', '未找到该笔记账');
    if (original.kind === EntryKind.REVERSAL) throw new DomainError('NOT_REVERSIBLE');
    try {
      const [reversal] = await this.book(manager, request, [
        {
          idempotencyKey: request.idempotencyKey ?? `reversal:${request.entryId}`,
          kind: EntryKind.REVERSAL,
          memo: reason,
          lines: original.lines.map((l) => ({ accountId: l.accountId, amount: -l.amount })),
          // A refund reads as "for" the same enrolment as the charge it undoes.
          reference: original.reference ?? undefined,
          reversesEntryId: request.entryId,
        },
      ]);
      return reversal;
    } catch (error) {
      // The natural key already reversed this entry, with another reason.
      if (error instanceof DomainError && error.code === 'IDEMPOTENCY_CONFLICT') throw new DomainError('ALREADY_REVERSED');
      throw error;
    }
  }

  /**
   * Reverses an entry, or returns the reversal it already has, whatever its reason: for
   * flows that must end refunded (a cancelled enrolment) even if someone reversed the
   * charge before (reversals outside the flows are refused since issue 9; older ones exist).
   */
  async ensureReversed(manager: EntityManager, request: ReverseEntryRequest): Promise<PostedEntry> {
    try {
      return await this.reverse(manager, request);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'ALREADY_REVERSED')) throw error;
      return { ...(await this.repository.reversalOf(manager, request.townshipId, request.entryId)), created: false };
    }
  }

  private async book(
    manager: EntityManager,
    batch: { townshipId: string; createdBy?: string | null; bookedAt?: Date },
    entries: NewEntry[],
  ): Promise<PostedEntry[]> {
    const toBook = entries.map((e) => ({ ...e, contentHash: contentHash(e.kind, e.memo, e.lines, e.reference, e.reversesEntryId) }));
    const booked = await this.repository.book(manager, {
      townshipId: batch.townshipId,
      createdBy: batch.createdBy,
      bookedAt: batch.bookedAt,
      entries: toBook,
    });
    const created = new Map<EntryKind, number>();
    const posted = booked.map((row, i) => {
      if (!row.created && row.contentHash !== toBook[i].contentHash) {
        throw new DomainError('IDEMPOTENCY_CONFLICT', undefined, { idempotencyKey: toBook[i].idempotencyKey, entryId: row.id });
      }
      if (row.created) created.set(toBook[i].kind, (created.get(toBook[i].kind) ?? 0) + 1);
      return { id: row.id, created: row.created, bookedAt: row.bookedAt, period: row.period };
    });
    afterCommit(manager, () => created.forEach((count, kind) => ledgerEntriesPosted.inc({ kind }, count)));
    return posted;
  }

  // ---- reading --------------------------------------------------------------

  /** An account's postings, newest first, keyset-paginated by posting id. */
  /**
   * An account's lines, newest first. Given a resident, their account is found in the same
   * statement (a resident's own history page is one round trip).
   */
  async history(manager: EntityManager, of: HistoryOf, limit: number, beforePostingId?: string): Promise<LedgerLineRow[]> {
    const account = 'accountId' in of ? '$1' : '(SELECT a.id FROM account a WHERE a.resident_id = $1)';
    const rows = await manager.query(
      `SELECT p.id::text AS "postingId", e.id::text AS "entryId", e.kind, p.amount, p.balance_after AS "balanceAfter",
              e.memo, e.reference_type AS "referenceType", e.reference_id AS "referenceId",
              e.reverses_entry_id::text AS "reversesEntryId",
              (SELECT r.id::text FROM journal_entry r WHERE r.reverses_entry_id = e.id) AS "reversedByEntryId",
              p.booked_at AS "bookedAt", to_char(p.period, 'YYYY-MM') AS period
       FROM posting p JOIN journal_entry e ON e.id = p.entry_id
       WHERE p.account_id = ${account} AND ($2::int8 IS NULL OR p.id < $2)
       ORDER BY p.id DESC LIMIT $3`,
      ['accountId' in of ? of.accountId : of.residentId, beforePostingId ?? null, limit],
    );
    return rows.map((r: Record<string, any>) => ({
      postingId: r.postingId,
      entryId: r.entryId,
      kind: r.kind,
      amount: Number(r.amount),
      balanceAfter: r.balanceAfter === null ? null : Number(r.balanceAfter),
      memo: r.memo,
      reference: r.referenceType ? { type: r.referenceType, id: r.referenceId } : null,
      reversesEntryId: r.reversesEntryId,
      reversedByEntryId: r.reversedByEntryId,
      bookedAt: r.bookedAt,
      period: r.period,
    }));
  }

  /** The entry booked under an idempotency key, if any. */
  async entryByKey(manager: EntityManager, townshipId: string, idempotencyKey: string): Promise<string | undefined> {
    const [row] = await manager.query(`SELECT id::text FROM journal_entry WHERE township_id = $1 AND idempotency_key = $2`, [
      townshipId,
      idempotencyKey,
    ]);
    return row?.id;
  }

  /** The accounts an entry moves: township, resident (resident accounts) and branch (branch accounts), one per posting. */
  entryParties(manager: EntityManager, entryId: string): Promise<{ townshipId: string; residentId: string | null; branchId: string | null }[]> {
    return manager.query(
      `SELECT a.township_id AS "townshipId", a.resident_id AS "residentId", a.branch_id AS "branchId"
       FROM posting p JOIN account a ON a.id = p.account_id WHERE p.entry_id = $1`,
      [entryId],
    );
  }

  /** An entry's township (for access checks), kind and the business record it is for. */
  async entry(manager: EntityManager, entryId: string): Promise<{ townshipId: string; kind: EntryKind; reference: EntryReference | null } | undefined> {
    if (!isSerial(entryId)) return undefined;
    const [row] = await manager.query(
      `SELECT township_id AS "townshipId", kind, reference_type AS "type", reference_id AS "id" FROM journal_entry WHERE id = $1`,
      [entryId],
    );
    return row && { townshipId: row.townshipId, kind: row.kind, reference: row.type ? { type: row.type, id: row.id } : null };
  }

  // ---- proof ----------------------------------------------------------------

  /**
   * The books checked from scratch: every account's stored balance against the sum of
   * its postings (rules 5 and 7), every entry's postings against zero (rule 1), every
   * entry's content hash recomputed from its postings, and every sealed month recomputed
   * against its seal (rule 8).
   */
  async reconcile(manager: EntityManager, townshipId: string): Promise<ReconciliationReport> {
    return (await this.reconcileAndPrepareSeals(manager, townshipId)).report;
  }

  /**
   * The reconciliation, and with `sealThrough` the closed months up to it that can be
   * sealed (clean, and nothing broken before them), for `seal` to write.
   */
  async reconcileAndPrepareSeals(
    manager: EntityManager,
    townshipId: string,
    sealThrough?: string,
  ): Promise<{ report: ReconciliationReport; sealable: SealableMonth[] }> {
    const mismatched: { accountId: string; kind: AccountKind; stored: string; computed: string }[] = await manager.query(
      `WITH stored AS (SELECT account_id, sum(balance) AS total FROM account_balance WHERE township_id = $1 GROUP BY account_id),
            computed AS (SELECT account_id, sum(amount) AS total FROM posting WHERE township_id = $1 GROUP BY account_id)
       SELECT a.id AS "accountId", a.kind, coalesce(s.total, 0)::int8 AS stored, coalesce(c.total, 0)::int8 AS computed
       FROM account a
       LEFT JOIN stored s ON s.account_id = a.id
       FULL JOIN computed c ON c.account_id = a.id
       WHERE (a.township_id = $1 OR a.id IS NULL) AND coalesce(s.total, 0) <> coalesce(c.total, 0)
       ORDER BY 1`,
      [townshipId],
    );
    const [totals] = await manager.query(
      `SELECT (SELECT count(*) FROM account WHERE township_id = $1)::int AS accounts,
              (SELECT count(*) FROM posting WHERE township_id = $1)::int AS postings,
              (SELECT coalesce(sum(balance), 0) FROM account_balance WHERE township_id = $1)::int8 AS stored,
              (SELECT coalesce(sum(amount), 0) FROM posting WHERE township_id = $1)::int8 AS posted`,
      [townshipId],
    );
    const audit = await this.seals.audit(manager, townshipId, sealThrough);
    const storedTotal = Number(totals.stored);
    const postedTotal = Number(totals.posted);
    const report: ReconciliationReport = {
      townshipId,
      checkedAt: new Date(),
      accountsChecked: totals.accounts,
      entriesChecked: audit.entriesChecked,
      postingsChecked: totals.postings,
      storedTotal,
      postedTotal,
      mismatchedAccounts: mismatched.map((m) => ({ ...m, stored: Number(m.stored), computed: Number(m.computed) })),
      unbalancedEntries: audit.unbalancedEntries,
      entryProblems: audit.entryProblems,
      sealedMonths: audit.sealedMonths,
      ok:
        mismatched.length === 0 &&
        audit.unbalancedEntries.length === 0 &&
        audit.entryProblems.length === 0 &&
        audit.sealedMonths.every((m) => m.ok) &&
        storedTotal === 0 &&
        postedTotal === 0,
    };
    return { report, sealable: audit.sealable };
  }

  /**
   * Seals closed months prepared by reconcileAndPrepareSeals, in order, each chained to
   * the seal before it. A month sealed meanwhile (a concurrent run) is skipped; the
   * database refuses a seal that does not follow the stored chain.
   */
  async seal(manager: EntityManager, townshipId: string, months: SealableMonth[]): Promise<StoredSeal[]> {
    const sealed: StoredSeal[] = [];
    for (const month of months) {
      const latest = await this.sealRepository.latestSeal(manager, townshipId);
      if (latest && latest.month >= month.month) continue;
      const { tree, root } = merkleTree(month.leaves);
      const previous: Buffer = latest?.seal ?? GENESIS_SEAL;
      await this.sealRepository.insertSeal(manager, {
        townshipId,
        period: monthToPeriodDate(month.month),
        entryIds: month.entryIds,
        tree,
        root,
        previous,
        seal: chainSeal(previous, root),
      });
      sealed.push((await this.seals.seal(manager, townshipId, month.month))!);
    }
    return sealed;
  }

  // ---- periods --------------------------------------------------------------

  /**
   * Closes a month for good. Waits for bookings already in flight in that month to
   * commit; any booking into it afterwards fails with PERIOD_CLOSED. Idempotent.
   */
  async closePeriod(manager: EntityManager, townshipId: string, month: string, closedBy: string | null): Promise<void> {
    await manager.query(
      `INSERT INTO ledger_period (township_id, period, closed_by) VALUES ($1, $2::date, $3) ON CONFLICT DO NOTHING`,
      [townshipId, monthToPeriodDate(month), closedBy],
    );
  }

  /** Writes every account's opening, movement and closing for a closed month (the settlement's snapshot), once. */
  async snapshotPeriod(manager: EntityManager, townshipId: string, month: string): Promise<void> {
    await this.repository.snapshotPeriod(manager, townshipId, monthToPeriodDate(month));
  }

  async isPeriodClosed(manager: EntityManager, townshipId: string, month: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM ledger_period WHERE township_id = $1 AND period = $2::date`, [
      townshipId,
      monthToPeriodDate(month),
    ]);
    return rows.length > 0;
  }
}

function numericBalance(row: AccountRow & { balance: unknown }): AccountRow {
  return { ...row, balance: Number(row.balance ?? 0) };
}

/** What is booked: a validated PostEntryRequest, or a reversal built from its original. */
type NewEntry = Pick<PostEntryRequest, 'idempotencyKey' | 'memo' | 'lines' | 'reference'> & { kind: EntryKind; reversesEntryId?: string };
