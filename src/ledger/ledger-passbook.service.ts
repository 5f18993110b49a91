import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { monthOf, monthToPeriodDate } from '../common/time/shanghai-month';
import { LedgerSealService, StoredSeal } from './ledger-seal.service';
import { EntryKind, EntryReference } from './ledger.types';

export interface PassbookMonthRow {
  accountId: string;
  townshipId: string;
  month: string;
  /** The closing balance of the month before: the sum of every earlier posting. */
  opening: number;
  /** Credits and debits other than expiry; the yearly reset's EXPIRY entries (and reversals of them) are `pointsExpired`. */
  pointsIn: number;
  pointsOut: number;
  pointsExpired: number;
  closing: number;
  seal: StoredSeal | null;
}

export interface PassbookEntryRow {
  postingId: string;
  entryId: string;
  kind: EntryKind;
  memo: string;
  reference: EntryReference | null;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
  amount: number;
  /** The opening balance plus every line of the month up to this one, in booking order. */
  balanceAfter: number;
  bookedAt: Date;
}

/**
 * A resident's passbook (存折): their account month by month. A month's opening is the
 * sum of every posting before it, so it is always the previous month's closing, and each
 * line's balance is the opening plus the lines before it in booking order; sealed months
 * carry their seal.
 */
@Injectable()
export class LedgerPassbookService {
  constructor(private readonly seals: LedgerSealService = new LedgerSealService()) {}

  /**
   * The months the account has lines in, and the current month, newest first, before
   * `before` (a month) if given.
   */
  async months(manager: EntityManager, accountId: string, limit: number, before?: string): Promise<PassbookMonthRow[]> {
    const rows: { townshipId: string; month: string; opening: string; pointsIn: string; pointsOut: string; pointsExpired: string; closing: string }[] = await manager.query(
      `WITH line AS (
         SELECT p.period, p.amount, coalesce(o.kind, e.kind) = 'EXPIRY' AS expiry
         FROM posting p JOIN journal_entry e ON e.id = p.entry_id LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
         WHERE p.account_id = $1
       ), movement AS (
         SELECT period, sum(amount) AS net, coalesce(sum(amount) FILTER (WHERE amount > 0 AND NOT expiry), 0) AS points_in,
                coalesce(-sum(amount) FILTER (WHERE amount < 0 AND NOT expiry), 0) AS points_out,
                coalesce(-sum(amount) FILTER (WHERE expiry), 0) AS points_expired
         FROM line GROUP BY period
         UNION ALL
         SELECT $2::date, 0, 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM posting WHERE account_id = $1 AND period = $2::date)
       ), running AS (
         SELECT period, net, points_in, points_out, points_expired, sum(net) OVER (ORDER BY period) AS closing FROM movement
       )
       SELECT (SELECT township_id FROM account WHERE id = $1) AS "townshipId", to_char(period, 'YYYY-MM') AS month,
              (closing - net)::int8 AS opening, points_in::int8 AS "pointsIn", points_out::int8 AS "pointsOut",
              points_expired::int8 AS "pointsExpired", closing::int8 AS closing
       FROM running WHERE $3::date IS NULL OR period < $3::date
       ORDER BY period DESC LIMIT $4`,
      [accountId, monthToPeriodDate(monthOf(new Date())), before ? monthToPeriodDate(before) : null, limit],
    );
    if (!rows.length) return [];
    const seals = await this.seals.seals(manager, rows[0].townshipId, rows.map((r) => r.month));
    return rows.map((r) => ({
      accountId,
      townshipId: r.townshipId,
      month: r.month,
      opening: Number(r.opening),
      pointsIn: Number(r.pointsIn),
      pointsOut: Number(r.pointsOut),
      pointsExpired: Number(r.pointsExpired),
      closing: Number(r.closing),
      seal: seals.get(r.month) ?? null,
    }));
  }

  /** A month's lines in booking order, after the posting `afterPostingId` if given. */
  async entries(manager: EntityManager, month: PassbookMonthRow, limit: number, afterPostingId?: string): Promise<PassbookEntryRow[]> {
    const rows = await manager.query(
      `WITH line AS (
         SELECT p.id, p.entry_id, p.amount, p.booked_at, sum(p.amount) OVER (ORDER BY p.booked_at, p.id) AS running
         FROM posting p WHERE p.account_id = $1 AND p.period = $2
       )
       SELECT l.id::text AS "postingId", e.id::text AS "entryId", e.kind, e.memo, e.reference_type AS "referenceType",
              e.reference_id AS "referenceId", e.reverses_entry_id::text AS "reversesEntryId",
              (SELECT r.id::text FROM journal_entry r WHERE r.reverses_entry_id = e.id) AS "reversedByEntryId",
              l.amount, ($3 + l.running)::int8 AS "balanceAfter", l.booked_at AS "bookedAt"
       FROM line l JOIN journal_entry e ON e.id = l.entry_id
       WHERE $4::int8 IS NULL OR (l.booked_at, l.id) > (SELECT booked_at, id FROM posting WHERE id = $4 AND account_id = $1)
       ORDER BY l.booked_at, l.id LIMIT $5`,
      [month.accountId, monthToPeriodDate(month.month), month.opening, afterPostingId ?? null, limit],
    );
    return rows.map((r: Record<string, any>) => ({
      postingId: r.postingId,
      entryId: r.entryId,
      kind: r.kind,
      memo: r.memo,
      reference: r.referenceType ? { type: r.referenceType, id: r.referenceId } : null,
      reversesEntryId: r.reversesEntryId,
      reversedByEntryId: r.reversedByEntryId,
      amount: Number(r.amount),
      balanceAfter: Number(r.balanceAfter),
      bookedAt: r.bookedAt,
    }));
  }
}
