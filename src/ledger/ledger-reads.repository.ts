import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** One branch's ledger flows in a month; bigint totals as text, as the driver returns them. */
export interface BranchMonthFigures {
  branchId: string;
  minted: string;
  spent: string;
  held: number;
  volunteers: number;
  courseTakers: number;
  /** The top ten earners at the branch, best first (ties by resident id). */
  topEarners: { residentId: string; points: number }[];
}

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

  // ---- a settled month's figures (settlement) -----------------------------------

  /**
   * Every branch's flows in a closed month ($1 township, $2 period), in one pass over the
   * month's postings: points minted and spent, activities held, distinct volunteers and
   * course takers, and the top ten earners (resident ids, best first). Branches with no
   * flow are absent. Reversals count in the month they are booked in: a mint reversed
   * within the month neither mints nor counts its activity or volunteer; a reversal booked
   * in this month of an earlier month's mint (or a refund of an earlier charge) lowers
   * this month's totals. Adjustments are not branch activity and are left out.
   */
  async branchMonthFigures(m: EntityManager, townshipId: string, period: string): Promise<BranchMonthFigures[]> {
    return m.query(BRANCH_MONTH_FIGURES_SQL, [townshipId, period]);
  }

  /** The month's closing balances (written by LedgerService.snapshotPeriod) summed per account kind. */
  async trialBalanceLines(m: EntityManager, townshipId: string, period: string): Promise<{ kind: string; accounts: number; closing: string }[]> {
    return m.query(
      `SELECT a.kind, count(*)::int AS accounts, coalesce(sum(s.closing), 0)::int8 AS closing
       FROM account_period_balance s JOIN account a ON a.id = s.account_id
       WHERE s.township_id = $1 AND s.period = $2 GROUP BY a.kind ORDER BY a.kind`,
      [townshipId, period],
    );
  }

  /** A resident's snapshot of a settled month; undefined if their account had none (opened after the settlement). */
  async residentPeriodBalance(
    m: EntityManager,
    residentId: string,
    period: string,
  ): Promise<{ opening: string; earned: string; spent: string; expired: string; closing: string } | undefined> {
    const [row] = await m.query(
      `SELECT s.opening, s.earned, s.spent, s.expired, s.closing FROM account_period_balance s JOIN account a ON a.id = s.account_id
       WHERE a.resident_id = $1 AND s.period = $2`,
      [residentId, period],
    );
    return row;
  }

  // ---- a branch's month, line by line (the public statement) ---------------------

  /**
   * What the township's yearly reset took from each resident in a month: their postings of
   * EXPIRY entries booked in it, net of reversals of one booked in it. Expiry goes through
   * no branch account (resident → township expiry account), so the caller places residents
   * in branches. Residents with nothing expired are absent.
   */
  async expiredByResident(m: EntityManager, townshipId: string, period: string): Promise<{ residentId: string; points: number }[]> {
    const rows: { residentId: string; points: string }[] = await m.query(
      `SELECT a.resident_id AS "residentId", -sum(p.amount)::int8 AS points
       FROM journal_entry e
       LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
       JOIN posting p ON p.entry_id = e.id
       JOIN account a ON a.id = p.account_id AND a.kind = 'RESIDENT'
       WHERE e.township_id = $1 AND e.period = $2 AND coalesce(o.kind, e.kind) = 'EXPIRY'
       GROUP BY a.resident_id HAVING sum(p.amount) <> 0`,
      [townshipId, period],
    );
    return rows.map((r) => ({ residentId: r.residentId, points: Number(r.points) }));
  }

  /**
   * Per activity (MINT) or course (SPEND) of the branch's month: how many residents still
   * hold their points or seat at the end of it, the points net of reversals and refunds,
   * and the least of its entries' memos. References with neither are left out.
   */
  async branchReferenceTotals(
    m: EntityManager,
    branchId: string,
    period: string,
    flow: 'MINT' | 'SPEND',
  ): Promise<{ referenceId: string; memo: string; people: string; points: string }[]> {
    return m.query(`${BRANCH_FLOWS} ${flow === 'MINT' ? ACTIVITY_TOTALS_SQL : COURSE_TOTALS_SQL}`, [branchId, period]);
  }

  /** Per resident: points earned at the branch's activities and spent on its courses in the month, net of reversals and refunds; biggest first. */
  async branchResidentTotals(m: EntityManager, branchId: string, period: string): Promise<{ residentId: string; earned: string; spent: string }[]> {
    return m.query(`${BRANCH_FLOWS} ${RESIDENT_TOTALS_SQL}`, [branchId, period]);
  }

  /**
   * What each resident earned in a (closed) month ($2, a period date): the MINT credits
   * booked in it minus the reversals of mints booked in it, whichever month the mint was
   * in (so it can be negative); spending, adjustments and expiry are not earning. `firstEarnedAt`
   * is the booking time of the resident's first mint of the month that no reversal in the
   * month undid (null when there is none). Read from the month's snapshot, which has them
   * (snapshotPeriod) once the settlement has written it; before, one pass over the month's entries.
   */
  async monthEarnings(
    m: EntityManager,
    townshipId: string,
    period: string,
  ): Promise<{ residentId: string; points: number; firstEarnedAt: Date | null }[]> {
    const [snapshot] = await m.query(`SELECT 1 FROM account_period_balance WHERE township_id = $1 AND period = $2 LIMIT 1`, [townshipId, period]);
    const rows: { residentId: string; points: string; firstEarnedAt: Date | null }[] = await m.query(
      snapshot ? MONTH_EARNINGS_FROM_SNAPSHOT_SQL : MONTH_EARNINGS_SQL,
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

/** See monthEarnings ($1 township, $2 period): the snapshot's residents whose balance a mint moved. */
const MONTH_EARNINGS_FROM_SNAPSHOT_SQL = `
  SELECT a.resident_id AS "residentId", s.minted AS points, s.first_minted_at AS "firstEarnedAt"
  FROM account_period_balance s JOIN account a ON a.id = s.account_id AND a.kind = 'RESIDENT'
  WHERE s.township_id = $1 AND s.period = $2 AND s.minted IS NOT NULL`;

/** See monthEarnings ($1 township, $2 period): a month without a snapshot, from its entries. */
const MONTH_EARNINGS_SQL = `
  WITH earning AS (
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
  GROUP BY a.resident_id`;

/** See branchMonthFigures ($1 township, $2 period). */
const BRANCH_MONTH_FIGURES_SQL = `
  WITH reversal AS (   -- the month's reversals, with the kind of entry each undoes
    SELECT r.id, r.reverses_entry_id, o.kind AS undoes
    FROM journal_entry r JOIN journal_entry o ON o.id = r.reverses_entry_id
    WHERE r.township_id = $1 AND r.period = $2 AND r.kind = 'REVERSAL'
  ),
  entry AS (   -- mints, charges and their reversals; live: not a reversal, not reversed within the month
    SELECT e.id, coalesce(rv.undoes, e.kind) AS flow, e.reference_type, e.reference_id, e.kind <> 'REVERSAL' AND undone.id IS NULL AS live
    FROM journal_entry e
    LEFT JOIN reversal rv ON rv.id = e.id
    LEFT JOIN reversal undone ON undone.reverses_entry_id = e.id
    WHERE e.township_id = $1 AND e.period = $2 AND coalesce(rv.undoes, e.kind) IN ('MINT', 'SPEND')
  ),
  line AS (
    SELECT p.entry_id, p.amount, a.kind, a.branch_id, a.resident_id
    FROM posting p JOIN account a ON a.id = p.account_id
    WHERE p.township_id = $1 AND p.period = $2
  ),
  branch_line AS (   -- a mint's line on its branch's issuance account, a charge's on the redemption account
    SELECT e.*, l.branch_id, l.amount
    FROM entry e JOIN line l ON l.entry_id = e.id
    WHERE l.kind = CASE e.flow WHEN 'MINT' THEN 'BRANCH_ISSUANCE' ELSE 'BRANCH_REDEMPTION' END
  ),
  per_resident AS (   -- what each resident earned from, and did at, each branch
    SELECT b.branch_id, l.resident_id,
           sum(l.amount) FILTER (WHERE b.flow = 'MINT') AS earned,
           bool_or(b.flow = 'MINT' AND b.live AND l.amount > 0) AS volunteered,
           bool_or(b.flow = 'SPEND' AND b.live AND b.reference_type = 'COURSE' AND l.amount < 0) AS took_course
    FROM branch_line b JOIN line l ON l.entry_id = b.id AND l.kind = 'RESIDENT'
    GROUP BY b.branch_id, l.resident_id
  ),
  top AS (
    SELECT branch_id, resident_id, earned, row_number() OVER (PARTITION BY branch_id ORDER BY earned DESC, resident_id) AS rank
    FROM per_resident WHERE earned > 0
  )
  SELECT f.branch_id AS "branchId", coalesce(f.minted, 0)::int8::text AS minted, coalesce(f.spent, 0)::int8::text AS spent,
         coalesce(f.held, 0)::int AS held, coalesce(r.volunteers, 0)::int AS volunteers, coalesce(r.course_takers, 0)::int AS "courseTakers",
         coalesce(t.earners, '[]'::jsonb) AS "topEarners"
  FROM (SELECT branch_id, -sum(amount) FILTER (WHERE flow = 'MINT') AS minted, sum(amount) FILTER (WHERE flow = 'SPEND') AS spent,
               count(DISTINCT reference_id) FILTER (WHERE flow = 'MINT' AND live AND reference_type = 'ACTIVITY') AS held
        FROM branch_line GROUP BY branch_id) f
  LEFT JOIN (SELECT branch_id, count(*) FILTER (WHERE volunteered) AS volunteers, count(*) FILTER (WHERE took_course) AS course_takers
             FROM per_resident GROUP BY branch_id) r ON r.branch_id = f.branch_id
  LEFT JOIN (SELECT branch_id, jsonb_agg(jsonb_build_object('residentId', resident_id, 'points', earned) ORDER BY rank) AS earners
             FROM top WHERE rank <= 10 GROUP BY branch_id) t ON t.branch_id = f.branch_id`;

/**
 * The month's entries through the branch ($1 branch, $2 period) — mints from its issuance
 * account, charges into its redemption account, and reversals of either, booked in the
 * month — and the resident each one paid or charged. The settlement's branch figures
 * count the same entries, so the lines below add up to them.
 */
const BRANCH_FLOWS = `
  WITH flow AS (
    SELECT e.id, coalesce(o.kind, e.kind) AS flow, coalesce(o.reference_type, e.reference_type) AS reference_type,
           coalesce(o.reference_id, e.reference_id) AS reference_id, e.memo
    FROM account a
    JOIN posting p ON p.account_id = a.id AND p.period = $2
    JOIN journal_entry e ON e.id = p.entry_id
    LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
    WHERE a.branch_id = $1
      AND ((a.kind = 'BRANCH_ISSUANCE' AND coalesce(o.kind, e.kind) = 'MINT') OR (a.kind = 'BRANCH_REDEMPTION' AND coalesce(o.kind, e.kind) = 'SPEND'))
  ),
  line AS (
    SELECT f.*, ra.resident_id, rp.amount
    FROM flow f JOIN posting rp ON rp.entry_id = f.id JOIN account ra ON ra.id = rp.account_id AND ra.kind = 'RESIDENT'
  )`;

const referenceTotals = (flow: 'MINT' | 'SPEND', referenceType: 'ACTIVITY' | 'COURSE') => `
  , per_resident AS (
    SELECT reference_id, resident_id, ${flow === 'MINT' ? '' : '-'}sum(amount) AS points, min(memo) AS memo FROM line
    WHERE flow = '${flow}' AND reference_type = '${referenceType}' GROUP BY reference_id, resident_id
  )
  SELECT r.reference_id AS "referenceId", min(r.memo) AS memo, count(*) FILTER (WHERE r.points > 0) AS people, sum(r.points) AS points
  FROM per_resident r
  GROUP BY r.reference_id HAVING sum(r.points) <> 0 OR count(*) FILTER (WHERE r.points > 0) > 0`;
const ACTIVITY_TOTALS_SQL = referenceTotals('MINT', 'ACTIVITY');
const COURSE_TOTALS_SQL = referenceTotals('SPEND', 'COURSE');

const RESIDENT_TOTALS_SQL = `
  , per_resident AS (
    SELECT resident_id, coalesce(sum(amount) FILTER (WHERE flow = 'MINT'), 0) AS earned,
           coalesce(-sum(amount) FILTER (WHERE flow = 'SPEND'), 0) AS spent
    FROM line GROUP BY resident_id
  )
  SELECT r.resident_id AS "residentId", r.earned, r.spent
  FROM per_resident r
  WHERE r.earned <> 0 OR r.spent <> 0
  ORDER BY r.earned DESC, r.spent DESC, r.resident_id`;
