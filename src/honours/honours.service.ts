import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Capability, can, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { maskName } from '../common/privacy/mask-name';
import { Month, monthToPeriodDate } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { ServiceHoursRepository } from '../activities/service-hours.repository';
import { HonourSettings, MonthlyStars, StarLevel } from './dto/honours.models';
import { SetStarBasisInput, SetStarLevelsInput, SetStarsPerBranchInput } from './dto/honours.inputs';
import { HonoursRepository } from './honours.repository';
import { defaultLadder, ladderProblem, MonthEarning, rankStars, StarBasis, StarRung, standingOn, standingOnHours } from './honours.rules';

/**
 * Honours: the month's 文明之星 of every branch and the residents' star levels (the rules:
 * honours.rules.ts; README, "Honours").
 *
 * Recording. The settlement's township step calls `recordMonth` inside the transaction
 * that marks the settlement SUCCEEDED: the honours of a month exist exactly when its
 * settlement succeeded, and a failed or rolled-back step leaves none. The month's row in
 * honour_month is claimed with INSERT … ON CONFLICT DO NOTHING: a second writer (a re-run,
 * a retried job, a second worker racing) waits on the key, finds it taken and writes
 * nothing; the tables are append-only, so a recorded month never changes.
 *
 * Lifetime points. The recorded months' earnings are stored (honour_earning, read by an
 * index-only scan per resident); the ledger adds the months not recorded yet (the open
 * month, and any closed month not settled since honours existed) from the resident's own
 * postings. No request scans the township's postings.
 *
 * Lifetime hours. On an HOURS ladder the level counts the resident's minutes served at
 * completed activities, as the activities module records them (ServiceHoursRepository):
 * hours are never reduced by spending, and a dependent's attendance is not the member's.
 */
@Injectable()
export class HonoursService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly honours: HonoursRepository,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly ledger: LedgerService,
    private readonly organisation: OrganisationRepository,
    private readonly serviceHours: ServiceHoursRepository,
    private readonly audit: AuditService,
  ) {}

  // ---- recording, called by the settlement ----------------------------------

  /** Records the month's earnings and stars once; false when they were already recorded. */
  async recordMonth(m: EntityManager, townshipId: string, month: string): Promise<boolean> {
    const period = monthToPeriodDate(month);
    // An open month's earnings could still change: only a closed month is recorded.
    if (!(await this.ledger.isPeriodClosed(m, townshipId, month))) throw new Error(`period ${month} is not closed`);
    const perBranch = await this.honours.starsPerBranch(m, townshipId);
    if (!(await this.honours.claimMonth(m, townshipId, period, perBranch))) return false;
    const raw = await this.ledgerReads.monthEarnings(m, townshipId, period);
    const branchOf = await this.organisation.residentBranches(
      m,
      townshipId,
      raw.map((r) => r.residentId),
    );
    const earnings: MonthEarning[] = raw
      .filter((r) => branchOf.has(r.residentId))
      .map((r) => ({ ...r, branchId: branchOf.get(r.residentId)! }));
    await this.honours.insertEarnings(m, townshipId, period, earnings);
    await this.honours.insertStars(m, townshipId, period, rankStars(earnings, perBranch));
    return true;
  }

  // ---- reading ----------------------------------------------------------------

  /**
   * A branch's stars of a month, for anyone of the township (the public statement shows
   * them too): names masked, except for the branch's managers and the admins, who run
   * its residents anyway. Null until the month is settled.
   */
  async monthlyStars(actor: Principal, branchId: string, month: Month): Promise<MonthlyStars | null> {
    return this.tx.read(async (m) => {
      const branch = await this.organisation.branchInfo(m, branchId);
      if (!branch) throw notFound('该村（社区）');
      const scope = { townshipId: branch.townshipId, branchId };
      requireCapability(actor, Capability.READ, scope);
      const recorded = await this.honours.month(m, branch.townshipId, month.period);
      if (!recorded) return null;
      const full = can(actor, Capability.MANAGE, scope);
      const stars = await this.organisation.attachResidentNames(
        m,
        (await this.honours.stars(m, branch.townshipId, month.period, branchId)).map((s) => ({ ...s, residentName: null as string | null })),
      );
      return {
        branchId,
        branchName: branch.name,
        month: month.text,
        starsPerBranch: recorded.starsPerBranch,
        recordedAt: recorded.recordedAt,
        namesMasked: !full,
        stars: stars.map((s) => ({
          rank: s.rank,
          name: full ? (s.residentName ?? '') : maskName(s.residentName ?? ''),
          points: s.points,
          isMe: actor.resident?.id === s.residentId,
          residentId: full ? s.residentId : null,
          firstEarnedAt: full ? s.firstEarnedAt : null,
        })),
      };
    });
  }

  /** The stars of a branch's settled month with masked names only (the public statement). */
  async publicStars(m: EntityManager, townshipId: string, branchId: string, month: string): Promise<{ rank: number; name: string; points: number }[]> {
    const stars = await this.organisation.attachResidentNames(
      m,
      (await this.honours.stars(m, townshipId, monthToPeriodDate(month), branchId)).map((s) => ({ ...s, residentName: null as string | null })),
    );
    return stars.map((s) => ({ rank: s.rank, name: maskName(s.residentName ?? ''), points: s.points }));
  }

  /** Each resident's lifetime points earned (see the class comment for how). */
  async lifetimeEarned(m: EntityManager, townshipId: string, residentIds: string[]): Promise<Map<string, number>> {
    // The same list of months for both halves: a month recorded meanwhile is counted once.
    const periods = await this.honours.recordedPeriods(m, townshipId);
    const recorded = await this.honours.recordedEarned(m, residentIds, periods);
    const live = await this.ledgerReads.earnedOutside(m, residentIds, periods);
    return new Map(residentIds.map((id) => [id, (recorded.get(id) ?? 0) + (live.get(id) ?? 0)]));
  }

  /** The resident's level on the township's chosen ladder, or on `basis` if asked for. */
  async myStarLevel(actor: Principal, asked?: StarBasis | null): Promise<StarLevel> {
    const resident = requireResident(actor);
    return this.tx.read(async (m) => {
      const basis = asked ?? (await this.honours.starBasis(m, resident.townshipId));
      const ladder = await this.ladderOf(m, resident.townshipId, basis);
      if (basis === StarBasis.HOURS) {
        const { totalMinutes } = await this.serviceHours.summary(m, resident.id);
        return { basis, lifetimeMinutes: totalMinutes, ...standingOnHours(ladder.rungs, totalMinutes), ladder: withLevels(ladder.rungs) };
      }
      const lifetime = (await this.lifetimeEarned(m, resident.townshipId, [resident.id])).get(resident.id) ?? 0;
      return { basis, lifetime, lifetimeMinutes: null, ...standingOn(ladder.rungs, lifetime), ladder: withLevels(ladder.rungs) };
    });
  }

  /** The settings with the ladder of `basis`, or of the township's chosen basis. */
  async settings(actor: Principal, townshipId: string, basis?: StarBasis | null): Promise<HonourSettings> {
    requireCapability(actor, Capability.READ, { townshipId });
    return this.tx.read((m) => this.loadSettings(m, townshipId, basis));
  }

  // ---- the admin's settings ---------------------------------------------------

  async setStarLevels(actor: Principal, input: SetStarLevelsInput): Promise<HonourSettings> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    const rungs = input.levels.map((l) => ({ name: l.name, threshold: l.threshold }));
    const problem = ladderProblem(rungs);
    if (problem) throw new DomainError('BAD_USER_INPUT', problem, { field: 'levels' });
    return this.tx.run(async (m) => {
      if (!(await this.organisation.townshipExists(m, input.townshipId))) throw notFound('该镇');
      await this.honours.replaceLadder(m, input.townshipId, input.basis, rungs, actor.personId);
      await this.audit.record(m, {
        townshipId: input.townshipId,
        actorId: actor.personId,
        action: 'honours.set-star-levels',
        subject: input.basis,
        details: { levels: rungs },
      });
      return this.loadSettings(m, input.townshipId, input.basis);
    });
  }

  /**
   * Chooses what the township's star levels count. The other basis's ladder is kept (and
   * the chosen one is the default ladder of its basis until the admin sets one), so a
   * resident's level follows the switch at once and switching back restores the old ladder.
   */
  async setStarBasis(actor: Principal, input: SetStarBasisInput): Promise<HonourSettings> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      if (!(await this.organisation.townshipExists(m, input.townshipId))) throw notFound('该镇');
      const before = await this.honours.saveStarBasis(m, input.townshipId, input.basis, actor.personId);
      if (before !== input.basis) {
        await this.audit.record(m, {
          townshipId: input.townshipId,
          actorId: actor.personId,
          action: 'honours.set-star-basis',
          subject: input.basis,
          details: { from: before, to: input.basis },
        });
      }
      return this.loadSettings(m, input.townshipId, input.basis);
    });
  }

  async setStarsPerBranch(actor: Principal, input: SetStarsPerBranchInput): Promise<HonourSettings> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      if (!(await this.organisation.townshipExists(m, input.townshipId))) throw notFound('该镇');
      await this.honours.saveStarsPerBranch(m, input.townshipId, input.count, actor.personId);
      await this.audit.record(m, {
        townshipId: input.townshipId,
        actorId: actor.personId,
        action: 'honours.set-stars-per-branch',
        details: { count: input.count },
      });
      return this.loadSettings(m, input.townshipId);
    });
  }

  private async loadSettings(m: EntityManager, townshipId: string, asked?: StarBasis | null): Promise<HonourSettings> {
    const { starsPerBranch, starBasis: activeBasis } = await this.honours.setting(m, townshipId);
    const basis = asked ?? activeBasis;
    const ladder = await this.ladderOf(m, townshipId, basis);
    return { townshipId, starsPerBranch, activeBasis, basis, levels: withLevels(ladder.rungs), isDefaultLadder: ladder.isDefault };
  }

  private async ladderOf(m: EntityManager, townshipId: string, basis: StarBasis): Promise<{ rungs: readonly StarRung[]; isDefault: boolean }> {
    const own = await this.honours.ladder(m, townshipId, basis);
    return own.length ? { rungs: own, isDefault: false } : { rungs: defaultLadder(basis), isDefault: true };
  }
}

const withLevels = (rungs: readonly StarRung[]) => rungs.map((r, i) => ({ level: i + 1, name: r.name, threshold: r.threshold }));
