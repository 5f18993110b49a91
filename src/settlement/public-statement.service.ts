import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, notFound } from '../common/errors/domain.error';
import { maskName } from '../common/privacy/mask-name';
import { addMonths, assertMonth, monthRange, monthToPeriodDate } from '../common/time/shanghai-month';
import { GENESIS_SEAL } from '../ledger/ledger-seal';
import { LedgerSealService, StoredSeal } from '../ledger/ledger-seal.service';
import { isUuid } from '../common/ids';
import { ShopRepository } from '../shop/shop.repository';


/**
 * What a branch publishes for a settled month (三务公开): totals, activities with their
 * attendance, courses with their seats taken, and every resident who earned or spent
 * points at the branch, by masked name. Nothing else about a person: no id, no mobile,
 * no account. Every figure comes from the month's sealed entries, so the residents'
 * points add up to the totals and the seal vouches for them.
 */
export interface PublicStatement {
  township: string;
  branch: string;
  branchId: string;
  month: string;
  settledAt: Date;
  pointsMinted: number;
  pointsSpent: number;
  activities: { title: string; date: string; attendees: number; points: number }[];
  courses: { title: string; date: string; seatsTaken: number; points: number }[];
  residents: { name: string; earned: number; spent: number }[];
  /**
   * The village's points shop (积分超市): donations received in the month (a person donor's
   * name masked, an organisation's in full), and per item the units redeemed and their
   * points (net of refunds booked in the month, as the ledger counts them) and the stock
   * left at the month's end.
   */
  shop: {
    donations: { date: string; donor: string; donorKind: string; item: string; unit: string; quantity: number; points: number }[];
    goods: { item: string; unit: string; redeemed: number; points: number; stockLeft: number }[];
  };
  /** The township's seal of the month: it covers every branch's entries. */
  seal: Omit<StoredSeal, 'sealedAt'> & { sealedAt: Date };
  /** The month the previous seal belongs to; null when this is the township's first sealed month. */
  previousMonth: string | null;
}

@Injectable()
export class PublicStatementService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly seals: LedgerSealService,
    private readonly shop: ShopRepository,
  ) {}

  async statement(branchId: string, month: string): Promise<PublicStatement> {
    if (!isUuid(branchId)) throw notFound('该村（社区）');
    assertMonth(month);
    const m = this.dataSource.manager;
    const [head] = await m.query(
      `SELECT b.name AS branch, t.name AS township, b.township_id AS "townshipId", s.status, s.finished_at AS "settledAt",
              f.points_minted AS "pointsMinted", f.points_spent AS "pointsSpent"
       FROM branch b JOIN township t ON t.id = b.township_id
       LEFT JOIN settlement s ON s.township_id = b.township_id AND s.month = $2
       LEFT JOIN settlement_branch f ON f.township_id = b.township_id AND f.month = $2 AND f.branch_id = b.id
       WHERE b.id = $1`,
      [branchId, monthToPeriodDate(month)],
    );
    if (!head) throw notFound('该村（社区）');
    const seal = head.status === 'SUCCEEDED' ? await this.seals.seal(m, head.townshipId, month) : null;
    if (!seal) throw new DomainError('MONTH_NOT_SETTLED');
    const range = monthRange(month);
    const [activities, courses, residents, shop] = await Promise.all([
      this.flows(m, branchId, month, ACTIVITIES_SQL),
      this.flows(m, branchId, month, COURSES_SQL),
      this.flows(m, branchId, month, RESIDENTS_SQL),
      this.shop.monthFigures(branchId, range.start, range.end),
    ]);
    return {
      township: head.township,
      branch: head.branch,
      branchId,
      month,
      settledAt: head.settledAt,
      pointsMinted: Number(head.pointsMinted ?? 0),
      pointsSpent: Number(head.pointsSpent ?? 0),
      activities: activities.map((a) => ({ title: a.title, date: a.date, attendees: Number(a.people), points: Number(a.points) })),
      courses: courses.map((c) => ({ title: c.title, date: c.date, seatsTaken: Number(c.people), points: Number(c.points) })),
      residents: residents.map((r) => ({ name: maskName(r.name), earned: Number(r.earned), spent: Number(r.spent) })),
      shop: {
        donations: shop.donations.map(({ donorName, ...d }) => ({ ...d, donor: d.donorKind === 'PERSON' ? maskName(donorName) : donorName })),
        goods: shop.goods,
      },
      seal,
      previousMonth: seal.previousSeal === GENESIS_SEAL.toString('hex') ? null : addMonths(month, -1),
    };
  }

  private flows(m: EntityManager, branchId: string, month: string, sql: string): Promise<Record<string, string>[]> {
    return m.query(`${BRANCH_FLOWS} ${sql}`, [branchId, monthToPeriodDate(month)]);
  }
}

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

/**
 * Per activity (flow MINT) or course (flow SPEND) of the month: how many residents still
 * hold their points or seat at the end of it, and the points net of reversals and refunds;
 * the title and date from the activity or course, else the entry's memo.
 */
const perReference = (flow: 'MINT' | 'SPEND', referenceType: 'ACTIVITY' | 'COURSE', table: 'activity' | 'course') => `
  , per_resident AS (
    SELECT reference_id, resident_id, ${flow === 'MINT' ? '' : '-'}sum(amount) AS points, min(memo) AS memo FROM line
    WHERE flow = '${flow}' AND reference_type = '${referenceType}' GROUP BY reference_id, resident_id
  )
  SELECT coalesce(min(t.title), min(r.memo)) AS title, coalesce(to_char(min(t.starts_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), '') AS date,
         count(*) FILTER (WHERE r.points > 0) AS people, sum(r.points) AS points
  FROM per_resident r LEFT JOIN ${table} t ON t.id::text = r.reference_id
  GROUP BY r.reference_id HAVING sum(r.points) <> 0 OR count(*) FILTER (WHERE r.points > 0) > 0
  ORDER BY 2, 1`;
const ACTIVITIES_SQL = perReference('MINT', 'ACTIVITY', 'activity');
const COURSES_SQL = perReference('SPEND', 'COURSE', 'course');

/** Per resident: points earned at the branch's activities and spent on its courses, net of reversals and refunds. */
const RESIDENTS_SQL = `
  , per_resident AS (
    SELECT resident_id, coalesce(sum(amount) FILTER (WHERE flow = 'MINT'), 0) AS earned,
           coalesce(-sum(amount) FILTER (WHERE flow = 'SPEND'), 0) AS spent
    FROM line GROUP BY resident_id
  )
  SELECT p.name, r.earned, r.spent
  FROM per_resident r JOIN resident res ON res.id = r.resident_id JOIN person p ON p.id = res.person_id
  WHERE r.earned <> 0 OR r.spent <> 0
  ORDER BY r.earned DESC, r.spent DESC, r.resident_id`;
