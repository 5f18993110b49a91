import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { can, Capability, requireCapability } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { assertSchedule } from '../common/time/schedule';
import { monthOf, monthRange } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { OrganisationService } from '../organisation/organisation.service';
import { ThemeService } from '../themes/theme.service';
import { Activity, ActivityStatus } from './activity.entity';
import { ActivityRepository } from './activity.repository';
import { ActivityFilterArgs, CancelActivityInput, CreateActivityInput, UpdateActivityInput } from './dto/activity.inputs';
import { SignupWithActivity } from './signup.service';
import { SignupRepository } from './signup.repository';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { ActivityReminders } from './activity-reminders';
import { notifyPromoted } from './activity-notices';

/** Managing activities (create, edit, publish, cancel) and reading them. */
@Injectable()
export class ActivityService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly activities: ActivityRepository,
    private readonly signups: SignupRepository,
    private readonly organisation: OrganisationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly themes: ThemeService,
    private readonly outbox: NotificationOutbox,
    private readonly reminders: ActivityReminders,
  ) {}

  // ---- managing ---------------------------------------------------------------

  async create(actor: Principal, input: CreateActivityInput): Promise<Activity> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    const now = this.clock.now();
    assertSchedule(
      { startsAt: input.startsAt, endsAt: input.endsAt, deadlines: [{ at: input.signupDeadline, field: 'signupDeadline', label: '报名截止时间', changed: true }] },
      now,
    );
    return this.tx.run(async (m) => {
      if (input.serviceTeamId) await this.assertServiceTeam(m, input.serviceTeamId, input.branchId);
      if (input.themeId) {
        await this.themes.assertThemeAvailable(m, {
          townshipId: scope.townshipId,
          branchId: input.branchId,
          themeId: input.themeId,
          month: monthOf(input.startsAt),
        });
      }
      const id = await this.activities.insert(
        m,
        { townshipId: scope.townshipId, branchId: input.branchId },
        {
          serviceTeamId: input.serviceTeamId ?? null,
          themeId: input.themeId ?? null,
          title: input.title,
          description: input.description ?? '',
          place: input.place,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          signupDeadline: input.signupDeadline,
          capacity: input.capacity,
          rewardPoints: input.rewardPoints,
        },
        randomBytes(32),
        actor.personId,
      );
      return this.activities.get(m, id);
    });
  }

  /** Edits an activity that has not started. Raising the capacity promotes waitlisted residents. */
  async update(actor: Principal, input: UpdateActivityInput): Promise<Activity> {
    return this.tx.run(async (m) => {
      requireCapability(actor, Capability.MANAGE, await this.activities.get(m, input.id)); // before making sign-ups wait
      await this.activities.lockExclusive(m, input.id);
      const current = await this.activities.get(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, current);
      const now = this.clock.now();
      this.assertEditable(current, now);
      const next = {
        serviceTeamId: input.serviceTeamId === undefined ? current.serviceTeamId : input.serviceTeamId,
        themeId: input.themeId === undefined ? current.themeId : input.themeId,
        title: input.title ?? current.title,
        description: input.description ?? current.description,
        place: input.place ?? current.place,
        startsAt: input.startsAt ?? current.startsAt,
        endsAt: input.endsAt ?? current.endsAt,
        signupDeadline: input.signupDeadline ?? current.signupDeadline,
        capacity: input.capacity ?? current.capacity,
        rewardPoints: input.rewardPoints ?? current.rewardPoints,
      };
      assertSchedule(
        {
          startsAt: next.startsAt,
          endsAt: next.endsAt,
          deadlines: [
            { at: next.signupDeadline, field: 'signupDeadline', label: '报名截止时间', changed: input.signupDeadline !== undefined },
          ],
        },
        now,
      );
      if (next.capacity < current.confirmedCount) {
        throw new DomainError('CAPACITY_BELOW_TAKEN', `名额不能少于已确认报名人数（${current.confirmedCount}人）`);
      }
      if (next.serviceTeamId && next.serviceTeamId !== current.serviceTeamId) await this.assertServiceTeam(m, next.serviceTeamId, current.branchId);
      // The theme must be on the branch's published list for the month the activity is held in.
      if (next.themeId && (next.themeId !== current.themeId || monthOf(next.startsAt) !== monthOf(current.startsAt))) {
        await this.themes.assertThemeAvailable(m, {
          townshipId: current.townshipId,
          branchId: current.branchId,
          themeId: next.themeId,
          month: monthOf(next.startsAt),
        });
      }
      await this.activities.update(m, input.id, next);
      const promoted = current.status === ActivityStatus.PUBLISHED ? await this.signups.fillPlaces(m, input.id) : [];
      const updated = await this.activities.get(m, input.id);
      if (promoted.length) await notifyPromoted(this.outbox, m, updated, promoted);
      if (current.status === ActivityStatus.PUBLISHED && updated.startsAt.getTime() !== current.startsAt.getTime()) {
        this.reminders.removeAfterCommit(m, current);
        this.reminders.scheduleAfterCommit(m, updated);
      }
      return updated;
    });
  }

  /** Makes a draft visible to the township's residents. Publishing twice changes nothing. */
  async publish(actor: Principal, id: string): Promise<Activity> {
    return this.tx.run(async (m) => {
      const activity = await this.activities.get(m, id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.PUBLISHED) return activity;
      this.assertEditable(activity, this.clock.now());
      if (activity.signupDeadline.getTime() <= this.clock.now().getTime()) {
        throw new DomainError('SIGNUP_CLOSED', '报名截止时间已过，请先修改报名截止时间再发布');
      }
      await this.activities.markPublished(m, id);
      const published = await this.activities.get(m, id);
      this.reminders.scheduleAfterCommit(m, published);
      return published;
    });
  }

  /** Cancels the activity and every live sign-up, with a reason residents see. Idempotent. */
  async cancel(actor: Principal, input: CancelActivityInput): Promise<Activity> {
    return this.tx.run(async (m) => {
      requireCapability(actor, Capability.MANAGE, await this.activities.get(m, input.id)); // before making sign-ups wait
      await this.activities.lockExclusive(m, input.id);
      const activity = await this.activities.get(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.CANCELLED) return activity;
      if (activity.status === ActivityStatus.COMPLETED) throw new DomainError('ACTIVITY_COMPLETED', '活动已结束并发放积分，不能取消');
      await this.activities.markCancelled(m, input.id, input.reason);
      this.reminders.removeAfterCommit(m, activity);
      const cancelled = await this.signups.cancelAllOf(m, input.id, input.reason);
      await this.audit.record(m, {
        townshipId: activity.townshipId,
        actorId: actor.personId,
        action: 'activity.cancel',
        subject: input.id,
        details: { reason: input.reason, signupsCancelled: cancelled },
      });
      return this.activities.get(m, input.id);
    });
  }

  // ---- reading --------------------------------------------------------------------

  async activity(actor: Principal, id: string): Promise<Activity> {
    const activity = await this.tx.read((m) => this.activities.get(m, id));
    this.assertVisible(actor, activity);
    return activity;
  }

  /** Activities of a township, soonest first; drafts only for those who manage them. */
  async list(actor: Principal, filter: ActivityFilterArgs, page: PageArgs): Promise<Page<Activity>> {
    requireCapability(actor, Capability.READ, { townshipId: filter.townshipId });
    const range = filter.month ? monthRange(filter.month) : undefined;
    return keysetPage(page, byTimeThenId<Activity>((a) => a.startsAt), (after, limit) =>
      this.tx.read((m) =>
        this.activities.list(m, {
        townshipId: filter.townshipId,
        branchId: filter.branchId ?? null,
        themeId: filter.themeId ?? null,
        status: filter.status ?? null,
        startsFrom: range?.start ?? null,
        startsBefore: range?.end ?? null,
        endsAfter: filter.includePast ? null : this.clock.now(),
        admin: actor.adminOf.includes(filter.townshipId),
        managedBranchIds: actor.managerOf.filter((b) => b.townshipId === filter.townshipId).map((b) => b.branchId),
        after: after ? [new Date(after[0]), after[1]] : null,
        limit,
      }),
      ),
    );
  }

  async activityForSignup(signup: SignupWithActivity): Promise<Activity> {
    return signup.activity ?? this.tx.read((m) => this.activities.get(m, signup.activityId));
  }

  // ---- rules ------------------------------------------------------------------------

  private async assertServiceTeam(m: EntityManager, serviceTeamId: string, branchId: string): Promise<void> {
    if (!(await this.organisation.isServiceTeamOf(m, serviceTeamId, branchId))) {
      throw new DomainError('BAD_USER_INPUT', '输入有误：服务队不属于该村（社区）', { field: 'serviceTeamId' });
    }
  }

  /** Drafts are visible only to those who may manage them; others get NOT_FOUND. */
  private assertVisible(actor: Principal, activity: Activity): void {
    requireCapability(actor, Capability.READ, activity);
    if (activity.status === ActivityStatus.DRAFT && !can(actor, Capability.MANAGE, activity)) throw notFound('该活动');
  }

  private assertEditable(activity: Activity, now: Date): void {
    const open = activity.status === ActivityStatus.DRAFT || activity.status === ActivityStatus.PUBLISHED;
    if (!open || activity.startsAt.getTime() <= now.getTime()) throw new DomainError('ACTIVITY_NOT_EDITABLE');
  }
}
