import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * What other modules read from the ledger's tables, so that none of them names one:
 * they pass their own ids (residents, entries, a township's month) and get figures back.
 */
@Injectable()
export class LedgerReadsRepository {
  /** Each resident's points account and its current balance, keyed by resident id. */
  async residentAccounts(m: EntityManager, residentIds: string[]): Promise<Map<string, { accountId: string; balance: number }>> {
    if (!residentIds.length) return new Map();
    const rows: { residentId: string; accountId: string; balance: number }[] = await m.query(
      `SELECT a.resident_id AS "residentId", a.id AS "accountId", b.balance::int AS balance
       FROM account a JOIN account_balance b ON b.account_id = a.id
       WHERE a.resident_id = ANY($1::uuid[])`,
      [residentIds],
    );
    return new Map(rows.map((r) => [r.residentId, { accountId: r.accountId, balance: r.balance }]));
  }

  /** How many of these entries credit someone, and the points they credit (a mint's positive side). */
  async creditedTotals(m: EntityManager, entryIds: string[]): Promise<{ entries: number; points: number }> {
    const [totals] = await m.query(
      `SELECT count(*)::int AS entries, coalesce(sum(p.amount), 0)::int AS points
       FROM posting p WHERE p.entry_id = ANY($1::int8[]) AND p.amount > 0`,
      [entryIds],
    );
    return totals;
  }

  /** The first month the township booked into, up to and including `period` (null if none). */
  async firstBookedMonth(m: EntityManager, townshipId: string, period: string): Promise<string | null> {
    const [{ first }] = await m.query(`SELECT to_char(min(period), 'YYYY-MM') AS first FROM posting WHERE township_id = $1 AND period <= $2`, [
      townshipId,
      period,
    ]);
    return first;
  }

  /**
   * What each resident earned in a (closed) month ($2, a period date): the MINT credits
   * booked in it minus the reversals of mints booked in it, whichever month the mint was
   * in (so it can be negative); spending and adjustments are not earning. `firstEarnedAt`
   * is the booking time of the resident's first mint of the month that no reversal in the
   * month undid (null when there is none). One pass over the month's entries.
   */
  async monthEarnings(
    m: EntityManager,
    townshipId: string,
    period: string,
  ): Promise<{ residentId: string; points: number; firstEarnedAt: Date | null }[]> {
    const rows: { residentId: string; points: string; firstEarnedAt: Date | null }[] = await m.query(
      `WITH earning AS (
         SELECT e.id, e.kind, e.booked_at
         FROM journal_entry e LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
         WHERE e.township_id = $1 AND e.period = $2 AND (e.kind = 'MINT' OR o.kind = 'MINT')
       ),
       undone AS (
         SELECT r.reverses_entry_id AS id FROM journal_entry r WHERE r.township_id = $1 AND r.period = $2 AND r.kind = 'REVERSAL'
       )
       SELECT a.resident_id AS "residentId", sum(p.amount)::int8 AS points,
              min(e.booked_at) FILTER (WHERE e.kind = 'MINT' AND p.amount > 0 AND u.id IS NULL) AS "firstEarnedAt"
       FROM earning e
       JOIN posting p ON p.entry_id = e.id
       JOIN account a ON a.id = p.account_id AND a.kind = 'RESIDENT'
       LEFT JOIN undone u ON u.id = e.id
       GROUP BY a.resident_id`,
      [townshipId, period],
    );
    return rows.map((r) => ({ residentId: r.residentId, points: Number(r.points), firstEarnedAt: r.firstEarnedAt }));
  }

  /**
   * Points earned (as in monthEarnings) by each resident in every month except `skipPeriods`
   * (the months whose earnings are stored elsewhere): reads only these residents' own
   * postings, by an index-only scan of posting_account_idx (it includes the period), and
   * looks up the entries of the months not skipped. Residents who earned nothing are absent.
   */
  async earnedOutside(m: EntityManager, residentIds: string[], skipPeriods: string[]): Promise<Map<string, number>> {
    if (!residentIds.length) return new Map();
    const rows: { residentId: string; points: string }[] = await m.query(
      `SELECT a.resident_id AS "residentId", sum(p.amount)::int8 AS points
       FROM account a
       JOIN posting p ON p.account_id = a.id AND p.period <> ALL($2::date[])
       JOIN journal_entry e ON e.id = p.entry_id
       LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
       WHERE a.resident_id = ANY($1::uuid[]) AND (e.kind = 'MINT' OR o.kind = 'MINT')
       GROUP BY a.resident_id`,
      [residentIds, skipPeriods],
    );
    return new Map(rows.map((r) => [r.residentId, Number(r.points)]));
  }
}
