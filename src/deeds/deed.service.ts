import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { can, Capability, livesIn, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { maskName } from '../common/privacy/mask-name';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { DeedJob, DEEDS_QUEUE, MintDeedData, mintDeedJobId } from './deed.jobs';
import { MAX_PHOTO_BYTES, sniffPhotoType } from './deed-photo';
import { DeedReportRow, DeedRepository } from './deed.repository';
import { DeedRecheckInput, ReportDeedInput, ReviewDeedInput, SaveDeedKindInput } from './dto/deed.inputs';
import { DeedKind, DeedNoticeItem, DeedReport, DeedReportStatus, DeedScorer, DeedSettings } from './dto/deed.models';

/** How far back a deed may be reported. */
const MAX_DEED_AGE_MS = 90 * 24 * 3600 * 1000;
/** Photos one person may upload in a day (each up to 5 MB): enough for any honest use. */
const MAX_PHOTOS_PER_DAY = 30;
/** The ledger's reference type of a good deed's mint. */
export const GOOD_DEED_REFERENCE = 'good_deed';

/**
 * Good-deed reports: 申报 (a resident, or a manager for one) → 评议 (the branch's scoring
 * group approves or rejects, never their own or about themselves) → 公示 (on the branch's
 * notice for the township's window) → 复核 (any resident of the branch may ask for a
 * recheck while the window is open: the report goes back to the group). Points are minted
 * once, by the job that runs when the window closes (deed-mint.processor.ts).
 *
 * Each step locks the report's row, so a recheck and the mint (or two reviews) cannot both
 * win: whichever comes second sees the state the first left.
 */
@Injectable()
export class DeedService {
  private readonly logger = new Logger(DeedService.name);
  private readonly queue: Queue;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly deeds: DeedRepository,
    private readonly organisation: OrganisationRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    queues: JobQueues,
  ) {
    this.queue = queues.queue(DEEDS_QUEUE);
  }

  // ---- the township's table (admins) ----------------------------------------------

  async settings(actor: Principal, townshipId: string): Promise<DeedSettings> {
    requireCapability(actor, Capability.READ, { townshipId });
    return this.tx.read((m) => this.settingsOf(m, townshipId));
  }

  async saveKind(actor: Principal, input: SaveDeedKindInput): Promise<DeedKind> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      let kind: DeedKind | undefined;
      if (input.id) {
        if (!(await this.deeds.kind(m, input.townshipId, input.id))) throw notFound('该类好人好事');
        if (await this.deeds.nameTaken(m, input.townshipId, input.name, input.id)) throw new DomainError('ALREADY_EXISTS', '已有同名的好人好事类别');
        kind = await this.deeds.updateKind(m, input.townshipId, input.id, input.name, input.points, input.active);
      } else {
        kind = await this.deeds.addKind(m, input.townshipId, input.name, input.points, input.active);
        if (!kind) throw new DomainError('ALREADY_EXISTS', '已有同名的好人好事类别');
      }
      await this.audit.record(m, {
        townshipId: input.townshipId,
        actorId: actor.personId,
        action: input.id ? 'deed.kind.update' : 'deed.kind.add',
        subject: kind!.id,
        details: { name: input.name, points: input.points, active: input.active },
      });
      return kind!;
    });
  }

  async setNoticeDays(actor: Principal, townshipId: string, days: number): Promise<DeedSettings> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run(async (m) => {
      const before = await this.deeds.noticeDays(m, townshipId);
      await this.deeds.setNoticeDays(m, townshipId, days, actor.personId);
      await this.audit.record(m, { townshipId, actorId: actor.personId, action: 'deed.notice-days', details: { before, after: days } });
      return this.settingsOf(m, townshipId);
    });
  }

  private async settingsOf(m: EntityManager, townshipId: string): Promise<DeedSettings> {
    return { townshipId, noticeDays: await this.deeds.noticeDays(m, townshipId), kinds: await this.deeds.kinds(m, townshipId) };
  }

  // ---- scoring groups (the branch's managers appoint; the branch's residents see who) ----

  async scoringGroup(actor: Principal, branchId: string): Promise<DeedScorer[]> {
    return this.tx.read(async (m) => {
      const scope = await this.branchScope(m, branchId);
      if (!can(actor, Capability.MANAGE, scope) && !livesIn(actor, scope)) throw new DomainError('FORBIDDEN');
      return this.group(m, branchId);
    });
  }

  async appointScorer(actor: Principal, branchId: string, residentId: string): Promise<DeedScorer[]> {
    return this.changeGroup(actor, branchId, residentId, 'appoint');
  }

  async removeScorer(actor: Principal, branchId: string, residentId: string): Promise<DeedScorer[]> {
    return this.changeGroup(actor, branchId, residentId, 'remove');
  }

  private async changeGroup(actor: Principal, branchId: string, residentId: string, change: 'appoint' | 'remove'): Promise<DeedScorer[]> {
    return this.tx.run(async (m) => {
      const scope = await this.branchScope(m, branchId);
      requireCapability(actor, Capability.MANAGE, scope);
      const resident = await this.organisation.residentScope(m, residentId);
      if (!resident || resident.branchId !== branchId) throw notFound('本村（社区）的该居民');
      const changed =
        change === 'appoint'
          ? await this.deeds.addScorer(m, { ...scope, branchId, residentId, personId: resident.personId, by: actor.personId })
          : await this.deeds.removeScorer(m, branchId, residentId);
      if (changed) {
        await this.audit.record(m, {
          townshipId: scope.townshipId,
          actorId: actor.personId,
          action: change === 'appoint' ? 'deed.scorer.appoint' : 'deed.scorer.remove',
          subject: residentId,
          details: { branchId },
        });
      }
      return this.group(m, branchId);
    });
  }

  private async group(m: EntityManager, branchId: string): Promise<DeedScorer[]> {
    const members = await this.deeds.scorers(m, branchId);
    const names = await this.organisation.personNames(m, members.map((s) => s.personId));
    return members.map((s) => ({ ...s, name: names.get(s.personId) ?? '' }));
  }

  // ---- photos -----------------------------------------------------------------------

  /** Stores an uploaded photo for the caller's next report; its type is read from its bytes. */
  async uploadPhoto(actor: Principal, data: Buffer): Promise<{ photoId: string; contentType: string; size: number }> {
    const townshipId = actor.resident?.townshipId ?? actor.managerOf[0]?.townshipId ?? actor.adminOf[0];
    if (!townshipId) throw new DomainError('FORBIDDEN');
    if (data.length > MAX_PHOTO_BYTES) throw new DomainError('PHOTO_TOO_LARGE');
    const contentType = sniffPhotoType(data);
    if (!contentType) throw new DomainError('PHOTO_TYPE_NOT_ALLOWED');
    return this.tx.run(async (m) => {
      if ((await this.deeds.photosUploadedSince(m, actor.personId, 24)) >= MAX_PHOTOS_PER_DAY) throw new DomainError('RATE_LIMITED', '今天上传的照片太多了，请明天再试');
      const photoId = await this.deeds.addPhoto(m, { townshipId, uploadedBy: actor.personId, contentType, data });
      await this.audit.record(m, { townshipId, actorId: actor.personId, action: 'deed.photo', subject: photoId, details: { size: data.length, contentType } });
      return { photoId, contentType, size: data.length };
    });
  }

  /** A photo for whoever may see its report (or uploaded it); NOT_FOUND for anyone else. */
  async photo(actor: Principal, photoId: string): Promise<{ contentType: string; data: Buffer }> {
    return this.tx.read(async (m) => {
      const photo = await this.deeds.photo(m, photoId);
      if (!photo) throw notFound('该照片');
      if (photo.uploadedBy !== actor.personId) {
        const report = photo.reportId ? await this.deeds.report(m, photo.reportId) : undefined;
        if (!report || !(await this.maySee(m, actor, report))) throw notFound('该照片');
      }
      return { contentType: photo.contentType, data: photo.data };
    });
  }

  // ---- 申报 ---------------------------------------------------------------------------

  async report(actor: Principal, input: ReportDeedInput): Promise<DeedReport> {
    return this.tx.run(async (m) => {
      let subject: { residentId: string; personId: string; townshipId: string; branchId: string };
      if (input.residentId && input.residentId !== actor.resident?.id) {
        const scope = await this.organisation.residentScope(m, input.residentId);
        if (!scope) throw notFound('该居民');
        requireCapability(actor, Capability.MANAGE, scope);
        subject = { residentId: input.residentId, ...scope };
      } else {
        const own = requireResident(actor);
        subject = { residentId: own.id, personId: actor.personId, townshipId: own.townshipId, branchId: own.branchId };
      }
      const kind = await this.deeds.kind(m, subject.townshipId, input.kindId);
      if (!kind) throw notFound('该类好人好事');
      if (!kind.active) throw new DomainError('DEED_KIND_INACTIVE');
      if (input.points > kind.points) throw new DomainError('DEED_POINTS_OVER_LIMIT', `申报积分超过该类好人好事的分值（最多${kind.points}分）`, { field: 'points' });
      const now = this.clock.now().getTime();
      if (input.occurredAt.getTime() > now) throw new DomainError('BAD_USER_INPUT', '输入有误：发生时间不能晚于现在', { field: 'occurredAt' });
      if (input.occurredAt.getTime() < now - MAX_DEED_AGE_MS) throw new DomainError('BAD_USER_INPUT', '输入有误：只能申报90天内的好人好事', { field: 'occurredAt' });
      if (!(await this.deeds.claimPhoto(m, input.photoId, subject.townshipId, actor.personId))) throw new DomainError('PHOTO_NOT_AVAILABLE');
      const id = await this.deeds.insertReport(m, {
        townshipId: subject.townshipId,
        branchId: subject.branchId,
        residentId: subject.residentId,
        subjectPersonId: subject.personId,
        reportedBy: actor.personId,
        kindId: kind.id,
        title: input.title,
        description: input.description ?? '',
        occurredAt: input.occurredAt,
        points: input.points,
        photoId: input.photoId,
      });
      await this.audit.record(m, {
        townshipId: subject.townshipId,
        actorId: actor.personId,
        action: 'deed.report',
        subject: id,
        details: { residentId: subject.residentId, branchId: subject.branchId, kindId: kind.id, points: input.points },
      });
      return this.view(m, (await this.deeds.report(m, id))!);
    });
  }

  // ---- 评议 ---------------------------------------------------------------------------

  async review(actor: Principal, input: ReviewDeedInput): Promise<DeedReport> {
    const result = await this.tx.run(async (m) => {
      const report = await this.deeds.report(m, input.reportId, 'FOR UPDATE');
      if (!report) throw notFound('该申报');
      if (!(await this.isScorer(m, actor, report.branchId))) {
        throw (await this.maySee(m, actor, report)) ? new DomainError('FORBIDDEN', '只有本村（社区）评议小组成员可以评议') : notFound('该申报');
      }
      if (report.reportedBy === actor.personId || report.subjectPersonId === actor.personId) throw new DomainError('DEED_OWN_REPORT');
      if (report.status !== DeedReportStatus.PENDING && report.status !== DeedReportStatus.RECHECK) throw new DomainError('DEED_NOT_PENDING');
      const recheck = report.status === DeedReportStatus.RECHECK;
      let notice: { round: number; noticeEndsAt: Date } | null = null;
      if (input.approve) {
        notice = await this.deeds.approve(m, report.id, actor.personId, input.reason, await this.deeds.noticeDays(m, report.townshipId));
      } else {
        await this.deeds.reject(m, report.id, actor.personId, input.reason);
      }
      if (recheck) await this.deeds.resolveRecheck(m, report.id, input.approve ? 'APPROVED' : 'REJECTED');
      await this.audit.record(m, {
        townshipId: report.townshipId,
        actorId: actor.personId,
        action: input.approve ? 'deed.approve' : 'deed.reject',
        subject: report.id,
        details: { reason: input.reason, afterRecheck: recheck, ...(notice ? { round: notice.round, noticeEndsAt: notice.noticeEndsAt } : {}) },
      });
      return { report: await this.view(m, (await this.deeds.report(m, report.id))!), notice };
    });
    if (result.notice) await this.scheduleMint(result.report.id, result.notice.round, result.notice.noticeEndsAt);
    return result.report;
  }

  // ---- 公示 and 复核 -------------------------------------------------------------------

  /** The branch's notice, for its residents (and its managers and admins): names masked, no photo. */
  async notice(actor: Principal, branchId: string): Promise<DeedNoticeItem[]> {
    return this.tx.read(async (m) => {
      const scope = await this.branchScope(m, branchId);
      if (!livesIn(actor, scope) && !can(actor, Capability.MANAGE, scope)) throw new DomainError('FORBIDDEN', '只有本村（社区）居民可以查看本村公示');
      return this.noticeItems(m, actor, await this.deeds.notice(m, branchId));
    });
  }

  async requestRecheck(actor: Principal, input: DeedRecheckInput): Promise<DeedNoticeItem> {
    return this.tx.run(async (m) => {
      const report = await this.deeds.report(m, input.reportId, 'FOR UPDATE');
      if (!report) throw notFound('该申报');
      if (!livesIn(actor, report)) {
        throw can(actor, Capability.READ, report) ? new DomainError('FORBIDDEN', '只有本村（社区）居民可以申请复核') : notFound('该申报');
      }
      // A recheck is the village's check on the group; the report's own side has had its say (and could stall its own rejection).
      if (ownSide(actor, report)) throw new DomainError('DEED_OWN_RECHECK');
      if (report.status !== DeedReportStatus.ON_NOTICE || !(await this.deeds.noticeOpen(m, report.id))) throw new DomainError('DEED_NOT_ON_NOTICE');
      await this.deeds.openRecheck(m, { townshipId: report.townshipId, reportId: report.id, round: report.round, requestedBy: actor.personId, reason: input.reason });
      await this.audit.record(m, {
        townshipId: report.townshipId,
        actorId: actor.personId,
        action: 'deed.recheck',
        subject: report.id,
        details: { round: report.round, reason: input.reason },
      });
      const [item] = await this.noticeItems(m, actor, [(await this.deeds.report(m, report.id))!]);
      return item;
    });
  }

  // ---- the mint (run by the job when the window closes) ------------------------------

  /**
   * Mints the report's points if this round's window has closed with the report still on
   * the notice (no recheck open), in one transaction with the report's row locked: the
   * ledger entry (MINT, key `good_deed:<reportId>`), the report marked MINTED, the audit.
   * Anything else (rechecked, rejected, already minted, a later round) is a no-op; a window
   * still open by the database's clock is an error, so the job is retried.
   */
  async mint(data: MintDeedData): Promise<{ minted: boolean; reason?: string; entryId?: string }> {
    return this.tx.run(async (m) => {
      const report = await this.deeds.report(m, data.reportId, 'FOR UPDATE');
      if (!report) return { minted: false, reason: 'no such report' };
      if (report.status === DeedReportStatus.MINTED) return { minted: false, reason: 'already minted', entryId: report.entryId! };
      if (report.status !== DeedReportStatus.ON_NOTICE || report.round !== data.round) return { minted: false, reason: `status ${report.status}, round ${report.round}` };
      if (await this.deeds.noticeOpen(m, report.id)) throw new Error(`the notice of deed report ${report.id} is still open`);
      const { resident, branch: issuance } = await this.ledger.residentAndBranchAccounts(m, report.residentId, report.branchId, AccountKind.BRANCH_ISSUANCE);
      const posted = await this.ledger.post(m, {
        townshipId: report.townshipId,
        kind: EntryKind.MINT,
        idempotencyKey: `${GOOD_DEED_REFERENCE}:${report.id}`,
        reference: { type: GOOD_DEED_REFERENCE, id: report.id },
        memo: `好人好事：${report.title}`,
        lines: [
          { accountId: issuance.id, amount: -report.points },
          { accountId: resident.id, amount: report.points },
        ],
        createdBy: null,
      });
      await this.deeds.markMinted(m, report.id, posted.id);
      await this.audit.record(m, {
        townshipId: report.townshipId,
        actorId: null,
        action: 'deed.mint',
        subject: report.id,
        details: { entryId: posted.id, points: report.points, residentId: report.residentId, round: report.round },
      });
      return { minted: true, entryId: posted.id };
    });
  }

  /** Queues the mint for when the window closes; a lost or failed job is put back by the sweep. */
  async scheduleMint(reportId: string, round: number, noticeEndsAt: Date): Promise<void> {
    const data: MintDeedData = { reportId, round };
    try {
      await this.queue.add(DeedJob.MINT, data, {
        ...RETRIED_JOB_OPTIONS,
        jobId: mintDeedJobId(reportId, round),
        delay: Math.max(0, noticeEndsAt.getTime() - Date.now()),
      });
    } catch (error) {
      // Committed already: the sweep finds the closed window and queues the mint then.
      this.logger.warn(`queueing the mint of deed report ${reportId}: ${String(error)}`);
    }
  }

  /** Queues (or retries, if its job failed for good) the mint of every closed window; removes unused photos. */
  async sweep(): Promise<{ queued: number; photosRemoved: number }> {
    const closed = await this.tx.read((m) => this.deeds.closedNotices(m, 1000));
    for (const report of closed) {
      const jobId = mintDeedJobId(report.id, report.round);
      await this.queue.add(DeedJob.MINT, { reportId: report.id, round: report.round }, { ...RETRIED_JOB_OPTIONS, jobId });
      const job = await this.queue.getJob(jobId);
      if (job && (await job.isFailed())) await job.retry();
    }
    const photosRemoved = await this.tx.run((m) => this.deeds.deleteUnusedPhotos(m));
    return { queued: closed.length, photosRemoved };
  }

  // ---- reading reports ---------------------------------------------------------------

  /** Reports about the caller or reported by them (residents), newest first. */
  async myReports(actor: Principal, page: PageArgs): Promise<Page<DeedReport>> {
    const resident = requireResident(actor);
    return this.tx.read(async (m) => {
      const result = await keysetPage(page, byTimeThenId<DeedReportRow>((r) => r.createdAt), (after, limit) =>
        this.deeds.reports(m, { residentId: resident.id, personId: actor.personId }, after, limit),
      );
      return this.viewPage(m, result);
    });
  }

  /** A branch's reports (its managers, admins and its scoring group), newest first. */
  async branchReports(actor: Principal, branchId: string, statuses: DeedReportStatus[] | null, page: PageArgs): Promise<Page<DeedReport>> {
    return this.tx.read(async (m) => {
      const scope = await this.branchScope(m, branchId);
      if (!can(actor, Capability.MANAGE, scope) && !(await this.isScorer(m, actor, branchId))) {
        throw new DomainError('FORBIDDEN');
      }
      const result = await keysetPage(page, byTimeThenId<DeedReportRow>((r) => r.createdAt), (after, limit) =>
        this.deeds.reports(m, { branchId, statuses: statuses?.length ? statuses : null }, after, limit),
      );
      return this.viewPage(m, result);
    });
  }

  async reportById(actor: Principal, reportId: string): Promise<DeedReport> {
    return this.tx.read(async (m) => {
      const report = await this.deeds.report(m, reportId);
      if (!report || !(await this.maySee(m, actor, report))) throw notFound('该申报');
      return this.view(m, report);
    });
  }

  // ---- helpers -----------------------------------------------------------------------

  /** Who sees a report in full: its reporter and resident, the branch's scoring group, managers and admins. */
  private async maySee(m: EntityManager, actor: Principal, report: DeedReportRow): Promise<boolean> {
    return (
      report.reportedBy === actor.personId ||
      report.subjectPersonId === actor.personId ||
      can(actor, Capability.MANAGE, report) ||
      (await this.isScorer(m, actor, report.branchId))
    );
  }

  /** A member of the branch's scoring group who still lives in the branch (one who moved away no longer scores it). */
  private async isScorer(m: EntityManager, actor: Principal, branchId: string): Promise<boolean> {
    return actor.resident?.branchId === branchId && (await this.deeds.isScorer(m, branchId, actor.personId));
  }

  private async branchScope(m: EntityManager, branchId: string): Promise<{ townshipId: string; branchId: string }> {
    const townshipId = await this.organisation.townshipOfBranch(m, branchId);
    if (!townshipId) throw notFound('该村（社区）');
    return { townshipId, branchId };
  }

  private async view(m: EntityManager, row: DeedReportRow): Promise<DeedReport> {
    return (await this.views(m, [row]))[0];
  }

  private async viewPage(m: EntityManager, page: Page<DeedReportRow>): Promise<Page<DeedReport>> {
    const views = await this.views(m, page.edges.map((e) => e.node));
    return { ...page, edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: views[i] })) };
  }

  /** Full names (the resident's and the reporter's) in one statement for a whole page. */
  private async views(m: EntityManager, rows: DeedReportRow[]): Promise<DeedReport[]> {
    const names = await this.organisation.personNames(m, rows.flatMap((r) => [r.subjectPersonId, r.reportedBy]));
    return rows.map((r) => ({
      ...r,
      residentName: names.get(r.subjectPersonId) ?? null,
      reportedByName: names.get(r.reportedBy) ?? null,
      photoUrl: `/deeds/photos/${r.photoId}`,
    }));
  }

  private async noticeItems(m: EntityManager, viewer: Principal, rows: DeedReportRow[]): Promise<DeedNoticeItem[]> {
    const names = await this.organisation.personNames(m, rows.map((r) => r.subjectPersonId));
    return rows.map((r) => ({
      id: r.id,
      branchId: r.branchId,
      residentName: maskName(names.get(r.subjectPersonId) ?? ''),
      kindName: r.kindName,
      title: r.title,
      description: r.description,
      occurredAt: r.occurredAt,
      points: r.points,
      status: r.status,
      decisionReason: r.decisionReason,
      noticeEndsAt: r.noticeEndsAt!,
      mine: ownSide(viewer, r),
    }));
  }
}

/** The viewer made the report or it is about them. */
function ownSide(actor: Principal, report: DeedReportRow): boolean {
  return report.reportedBy === actor.personId || report.subjectPersonId === actor.personId;
}
