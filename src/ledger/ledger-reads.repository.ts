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

  /** Does the current database role own the ledger's tables (the only role that may date an entry in the past)? */
  async isLedgerOwner(m: EntityManager): Promise<boolean> {
    const [{ owner }] = await m.query(
      `SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.journal_entry'::regclass), 'MEMBER') AS owner`,
    );
    return owner;
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
}
