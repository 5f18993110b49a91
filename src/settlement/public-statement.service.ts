import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, notFound } from '../common/errors/domain.error';
import { maskName } from '../common/privacy/mask-name';
import { addMonths, assertMonth, monthRange, monthToPeriodDate } from '../common/time/shanghai-month';
import { GENESIS_SEAL } from '../ledger/ledger-seal';
import { LedgerSealService, StoredSeal } from '../ledger/ledger-seal.service';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { ActivityRepository } from '../activities/activity.repository';
import { CourseRepository } from '../courses/course.repository';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { isUuid } from '../common/ids';
import { HonoursService } from '../honours/honours.service';
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
  /**
   * Points of the branch's residents (by the branch they belong to now) that the township's
   * yearly reset expired in the month (过期清零), net of reversals: not a branch flow, so
   * neither in pointsMinted/pointsSpent nor in the residents' lines below.
   */
  pointsExpired: number;
  activities: { title: string; date: string; attendees: number; points: number }[];
  courses: { title: string; date: string; seatsTaken: number; points: number }[];
  residents: { name: string; earned: number; spent: number }[];
  /**
   * The branch's 文明之星 of the month (its residents who earned the most, wherever they
   * earned it; ranked by honours.rules.ts), masked names only.
   */
  stars: { rank: number; name: string; points: number }[];
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
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly organisation: OrganisationRepository,
    private readonly activities: ActivityRepository,
    private readonly courses: CourseRepository,
    private readonly honours: HonoursService,
    private readonly shop: ShopRepository,
  ) {}

  async statement(branchId: string, month: string): Promise<PublicStatement> {
    if (!isUuid(branchId)) throw notFound('该村（社区）');
    assertMonth(month);
    const m = this.dataSource.manager;
    const period = monthToPeriodDate(month);
    const names = await this.organisation.branchWithTownship(m, branchId);
    if (!names) throw notFound('该村（社区）');
    const [settled] = await m.query(
      `SELECT s.status, s.finished_at AS "settledAt", f.points_minted AS "pointsMinted", f.points_spent AS "pointsSpent"
       FROM settlement s LEFT JOIN settlement_branch f ON f.township_id = s.township_id AND f.month = s.month AND f.branch_id = $3
       WHERE s.township_id = $1 AND s.month = $2`,
      [names.townshipId, period, branchId],
    );
    const seal = settled?.status === 'SUCCEEDED' ? await this.seals.seal(m, names.townshipId, month) : null;
    if (!seal) throw new DomainError('MONTH_NOT_SETTLED');
    const range = monthRange(month);
    const [activities, courses, residents, stars, shop, pointsExpired] = await Promise.all([
      this.perReference(m, branchId, period, 'MINT'),
      this.perReference(m, branchId, period, 'SPEND'),
      this.perResident(m, branchId, period),
      this.honours.publicStars(m, names.townshipId, branchId, month),
      this.shop.monthFigures(branchId, range.start, range.end),
      this.expired(m, names.townshipId, branchId, period),
    ]);
    return {
      township: names.township,
      branch: names.branch,
      branchId,
      month,
      settledAt: settled.settledAt,
      pointsMinted: Number(settled.pointsMinted ?? 0),
      pointsSpent: Number(settled.pointsSpent ?? 0),
      pointsExpired,
      activities: activities.map((a) => ({ title: a.title, date: a.date, attendees: a.people, points: a.points })),
      courses: courses.map((c) => ({ title: c.title, date: c.date, seatsTaken: c.people, points: c.points })),
      residents,
      stars,
      shop: {
        donations: shop.donations.map(({ donorName, ...d }) => ({ ...d, donor: d.donorKind === 'PERSON' ? maskName(donorName) : donorName })),
        goods: shop.goods,
      },
      seal,
      previousMonth: seal.previousSeal === GENESIS_SEAL.toString('hex') ? null : addMonths(month, -1),
    };
  }

  /**
   * The branch's activities (MINT) or courses (SPEND) of the month from the ledger, each
   * titled and dated from its activity or course (else the entry's memo), by date, then title.
   */
  private async perReference(m: EntityManager, branchId: string, period: string, flow: 'MINT' | 'SPEND') {
    const totals = await this.ledgerReads.branchReferenceTotals(m, branchId, period, flow);
    const ids = totals.map((t) => t.referenceId);
    const days = await (flow === 'MINT' ? this.activities.days(m, ids) : this.courses.days(m, ids));
    return totals
      .map((t) => ({ title: days.get(t.referenceId)?.title ?? t.memo, date: days.get(t.referenceId)?.date ?? '', people: Number(t.people), points: Number(t.points) }))
      .sort((a, b) => compareText(a.date, b.date) || compareText(a.title, b.title));
  }

  /** The month's expiry of the branch's residents (see PublicStatement.pointsExpired). */
  private async expired(m: EntityManager, townshipId: string, branchId: string, period: string): Promise<number> {
    const expired = await this.ledgerReads.expiredByResident(m, townshipId, period);
    const branchOf = await this.organisation.residentBranches(m, townshipId, expired.map((e) => e.residentId));
    return expired.reduce((sum, e) => sum + (branchOf.get(e.residentId) === branchId ? e.points : 0), 0);
  }

  /** Every resident who earned or spent at the branch in the month, by masked name, biggest first. */
  private async perResident(m: EntityManager, branchId: string, period: string) {
    const totals = await this.ledgerReads.branchResidentTotals(m, branchId, period);
    const names = await this.organisation.residentNames(m, totals.map((t) => t.residentId));
    return totals.map((r) => ({ name: maskName(names.get(r.residentId)!), earned: Number(r.earned), spent: Number(r.spent) }));
  }
}

/** Orders text by code point, as the database's C collation does. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
