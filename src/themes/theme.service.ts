import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { hasEnded, isMonth, Month, monthToPeriodDate } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { AddThemeInput } from './dto/theme.inputs';
import { PublishedThemeList, Theme, ThemePublicationStatus } from './dto/theme.models';
import { AuditService } from '../audit/audit.service';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { PublishTownshipData, publishTownshipJobId, THEMES_QUEUE, ThemeJob } from './theme.jobs';
import { isUuid } from '../common/ids';
import { NotificationKind } from '../notifications/notification.kinds';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { ThemeRepository } from './theme.repository';

/** Most themes a township sets for one month, and a branch adds for itself. */
export const MAX_TOWNSHIP_THEMES = 30;
export const MAX_BRANCH_THEMES = 20;

/**
 * Monthly theme lists: township admins set a month's themes, branch managers add their
 * own, and each branch's list is published once per month (by the scheduler on the 1st
 * or on an admin's request). After publication a branch's list is frozen.
 *
 * Themes of (township, month) and its publications are serialised by one advisory
 * lock, so a theme added at the instant of publication is either in the list or refused.
 */
@Injectable()
export class ThemeService {
  private readonly queue: Queue;

  constructor(
    private readonly tx: TransactionRunner,
    queues: JobQueues,
    private readonly audit: AuditService,
    private readonly organisation: OrganisationRepository,
    private readonly outbox: NotificationOutbox,
    private readonly repository: ThemeRepository,
  ) {
    this.queue = queues.queue(THEMES_QUEUE);
  }

  // ---- setting themes -------------------------------------------------------

  async addTheme(actor: Principal, input: AddThemeInput): Promise<Theme> {
    // input.month is checked by AddThemeInput's validation, where the request enters.
    if (hasEnded(input.month)) throw new DomainError('MONTH_ALREADY_ENDED');
    return this.tx.run(async (m) => {
      await this.authorise(m, actor, input.townshipId, input.branchId ?? null);
      await this.repository.lockMonth(m, input.townshipId, input.month);
      await this.assertEditable(m, input.townshipId, input.branchId ?? null, input.month);
      const period = monthToPeriodDate(input.month);
      const count = await this.repository.count(m, input.townshipId, input.branchId ?? null, period);
      if (count >= (input.branchId ? MAX_BRANCH_THEMES : MAX_TOWNSHIP_THEMES)) throw new DomainError('THEME_LIMIT_REACHED');
      const id = await this.repository.insert(m, {
        townshipId: input.townshipId,
        branchId: input.branchId ?? null,
        period,
        title: input.title,
        description: input.description ?? '',
        suggestedPoints: input.suggestedPoints,
        createdBy: actor.personId,
      });
      if (!id) throw new DomainError('ALREADY_EXISTS', '该月已有同名主题');
      await this.audit.record(m, {
        townshipId: input.townshipId,
        actorId: actor.personId,
        action: 'theme.add',
        subject: id,
        details: { month: input.month, branchId: input.branchId ?? null, title: input.title },
      });
      return (await this.repository.find(m, id))!;
    });
  }

  async removeTheme(actor: Principal, themeId: string): Promise<boolean> {
    return this.tx.run(async (m) => {
      const theme = await this.repository.find(m, themeId);
      if (!theme) throw notFound('该主题');
      await this.authorise(m, actor, theme.townshipId, theme.branchId);
      await this.repository.lockMonth(m, theme.townshipId, theme.month);
      await this.assertEditable(m, theme.townshipId, theme.branchId, theme.month);
      await this.repository.delete(m, themeId);
      await this.audit.record(m, {
        townshipId: theme.townshipId,
        actorId: actor.personId,
        action: 'theme.remove',
        subject: themeId,
        details: { month: theme.month, branchId: theme.branchId, title: theme.title },
      });
      return true;
    });
  }

  /** The month's draft: township themes, plus the branch's own when a branch is given. */
  async monthThemes(actor: Principal, townshipId: string, month: Month, branchId?: string): Promise<Theme[]> {
    return this.tx.run(async (m) => {
      await this.authorise(m, actor, townshipId, branchId ?? null);
      return this.repository.monthThemes(m, townshipId, month.period, branchId ?? null);
    });
  }

  // ---- reading published lists ---------------------------------------------

  /** A branch's published list for a month, or null while it is unpublished. Anyone of the township may read it. */
  async publishedList(actor: Principal, branchId: string, month: Month): Promise<PublishedThemeList | null> {
    return this.tx.read(async (m) => {
      // One statement for a published list (the common case); only an unpublished one asks
      // whose branch it is, to tell "not yet published" from "not yours" or "no such branch".
      const list = await this.repository.publishedList(m, branchId, month.period);
      const townshipId = list?.townshipId ?? (await this.organisation.townshipOfBranch(m, branchId));
      if (!townshipId) throw notFound('该村（社区）');
      requireCapability(actor, Capability.READ, { townshipId });
      return list ? { branchId, month: month.text, publishedAt: list.publishedAt, themes: list.themes } : null;
    });
  }

  /**
   * Throws THEME_NOT_PUBLISHED unless the theme is in the branch's published list for
   * the month. Runs in the caller's transaction (e.g. creating an activity).
   */
  async assertThemeAvailable(
    manager: EntityManager,
    { townshipId, branchId, themeId, month }: { townshipId: string; branchId: string; themeId: string; month: string },
  ): Promise<void> {
    if (!isUuid(themeId) || !isMonth(month)) throw new DomainError('THEME_NOT_PUBLISHED');
    const published = await this.repository.isPublished(manager, { townshipId, branchId, period: monthToPeriodDate(month), themeId });
    if (!published) throw new DomainError('THEME_NOT_PUBLISHED');
  }

  async publicationStatus(actor: Principal, townshipId: string, month: Month): Promise<ThemePublicationStatus> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run((m) => this.status(m, townshipId, month.text));
  }

  // ---- publishing -----------------------------------------------------------

  /** An admin's on-demand publication: queued as the same job the scheduler runs. */
  async requestPublication(actor: Principal, townshipId: string, month: Month): Promise<ThemePublicationStatus> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    if (hasEnded(month.text)) throw new DomainError('MONTH_ALREADY_ENDED');
    const status = await this.tx.run((m) => this.status(m, townshipId, month.text));
    if (status.branchesPublished < status.branchesTotal) {
      await this.enqueuePublication(townshipId, month.text, status.branchesPublished, actor.personId);
    }
    return status;
  }

  async enqueuePublication(townshipId: string, month: string, alreadyPublished: number, requestedBy: string | null): Promise<void> {
    const data: PublishTownshipData = { townshipId, month, requestedBy };
    await this.queue.add(ThemeJob.PUBLISH_TOWNSHIP, data, {
      ...RETRIED_JOB_OPTIONS,
      jobId: publishTownshipJobId(townshipId, month, alreadyPublished),
    });
  }

  /** Every township with its publication progress for a month (the scheduler's fan-out). */
  async townshipsToPublish(month: string): Promise<{ townshipId: string; published: number; total: number }[]> {
    return this.tx.run(async (m) => {
      const published = await this.repository.publishedCounts(m, monthToPeriodDate(month));
      const publishedOf = new Map(published.map((p) => [p.townshipId, p.published]));
      const townships = await this.organisation.townshipsWithBranchCounts(m);
      return townships.map((t) => ({ townshipId: t.townshipId, published: publishedOf.get(t.townshipId) ?? 0, total: t.branches }));
    });
  }

  /**
   * Publishes every unpublished branch of a township for a month, one transaction per
   * branch, so a retry after a failure only does what is left. Returns how many lists
   * this call published.
   */
  async publishTownship(townshipId: string, month: string, publishedBy: string | null): Promise<number> {
    // In id order, as before the branches had names: a retry walks them in the same order.
    const branches = (await this.tx.run((m) => this.organisation.branchesOf(m, townshipId))).sort((a, b) => (a.id < b.id ? -1 : 1));
    let published = 0;
    for (const branch of branches) {
      if (await this.tx.run((m) => this.publishBranch(m, townshipId, branch.id, month, publishedBy))) published++;
    }
    return published;
  }

  /** Publishes one branch's list unless it already is; true when this call published it. */
  async publishBranch(m: EntityManager, townshipId: string, branchId: string, month: string, publishedBy: string | null): Promise<boolean> {
    await this.repository.lockMonth(m, townshipId, month);
    if (!(await this.repository.publish(m, townshipId, branchId, monthToPeriodDate(month), publishedBy))) return false;
    // The village's residents are told: one outbox row, expanded into their inboxes by a job.
    await this.outbox.emit(m, {
      townshipId,
      to: { branchResidents: branchId },
      key: `themes:${branchId}:${month}`,
      facts: { kind: NotificationKind.THEMES_PUBLISHED, branchId, month },
    });
    return true;
  }

  // ---- helpers --------------------------------------------------------------

  private async status(m: EntityManager, townshipId: string, month: string): Promise<ThemePublicationStatus> {
    const publications = await this.repository.publications(m, townshipId, monthToPeriodDate(month));
    const publishedAt = new Map(publications.map((p) => [p.branchId, p.publishedAt]));
    const branches = (await this.organisation.branchesOf(m, townshipId)).map((b) => ({
      branchId: b.id,
      branchName: b.name,
      publishedAt: publishedAt.get(b.id) ?? null,
    }));
    return { townshipId, month, branchesTotal: branches.length, branchesPublished: publications.length, branches };
  }

  /** Township themes are the admins'; a branch's own themes its managers' (and the admins'). */
  private async authorise(m: EntityManager, actor: Principal, townshipId: string, branchId: string | null): Promise<void> {
    if (!branchId) {
      requireCapability(actor, Capability.ADMINISTER, { townshipId });
      return;
    }
    if ((await this.organisation.townshipOfBranch(m, branchId)) !== townshipId) throw notFound('该村（社区）');
    requireCapability(actor, Capability.MANAGE, { townshipId, branchId });
  }

  /** A township theme can change until any branch's list is out; a branch theme until that branch's is. */
  private async assertEditable(m: EntityManager, townshipId: string, branchId: string | null, month: string): Promise<void> {
    if (await this.repository.anyPublished(m, townshipId, branchId, monthToPeriodDate(month))) throw new DomainError('THEMES_ALREADY_PUBLISHED');
  }
}

