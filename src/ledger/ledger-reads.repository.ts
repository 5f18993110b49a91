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
   * What a yearly reset at `cutoffAt` takes from each of a page of the township's resident
   * accounts (in account id order, after `afterAccountId`): points earned before the cut-off
   * and not spent since, oldest first. Spending consumes a resident's oldest points first
   * (FIFO), so what is left of the points earned before the cut-off is their sum less every
   * point that has left the account (spends, reversals, earlier resets), whenever it left:
   * credits before the cut-off − all debits, when positive. Never more than the balance
   * (the balance adds the credits since). Zero rows are returned too, so the page moves on.
   */
  async expirable(
    m: EntityManager,
    townshipId: string,
    cutoffAt: Date,
    afterAccountId: string | null,
    limit: number,
  ): Promise<{ accountId: string; residentId: string; amount: number }[]> {
    const rows: { accountId: string; residentId: string; amount: string }[] = await m.query(
      `WITH page AS (
         SELECT id, resident_id FROM account
         WHERE township_id = $1 AND kind = 'RESIDENT' AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4
       )
       SELECT page.id AS "accountId", page.resident_id AS "residentId",
              greatest(0, coalesce((SELECT sum(CASE WHEN p.amount < 0 OR p.booked_at < $2 THEN p.amount ELSE 0 END)
                                    FROM posting p WHERE p.account_id = page.id), 0))::int8 AS amount
       FROM page ORDER BY page.id`,
      [townshipId, cutoffAt, afterAccountId, limit],
    );
    return rows.map((r) => ({ ...r, amount: Number(r.amount) }));
  }

  /** The same for one resident: what a reset at `cutoffAt` would take if nothing changed meanwhile. */
  async expirableOf(m: EntityManager, residentId: string, cutoffAt: Date): Promise<number> {
    const [row] = await m.query(
      `SELECT greatest(0, coalesce(sum(CASE WHEN p.amount < 0 OR p.booked_at < $2 THEN p.amount ELSE 0 END), 0))::int8 AS amount
       FROM account a JOIN posting p ON p.account_id = a.id WHERE a.resident_id = $1`,
      [residentId, cutoffAt],
    );
    return Number(row?.amount ?? 0);
  }

  /** Entries of a kind booked for one business reference (a reset's date), and the points they credited. */
  async referenceTotals(m: EntityManager, townshipId: string, kind: string, referenceType: string, referenceId: string): Promise<{ entries: number; points: number }> {
    const [totals] = await m.query(
      `SELECT count(DISTINCT e.id)::int AS entries, coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::int AS points
       FROM journal_entry e JOIN posting p ON p.entry_id = e.id
       WHERE e.township_id = $1 AND e.kind = $2 AND e.reference_type = $3 AND e.reference_id = $4`,
      [townshipId, kind, referenceType, referenceId],
    );
    return totals;
  }
}
