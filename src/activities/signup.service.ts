import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { byTimeThenId, Keyset, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { ActForTarget, HouseholdService } from '../households/household.service';
import { Activity, ActivitySignup, ActivityStatus, SignupStatus } from './activity.entity';
import { ActivityRepository } from './activity.repository';
import { FamilySignupInput } from './dto/activity.inputs';
import { SignupBatches } from './signup-batches';
import { SignupOwner, SignupRepository } from './signup.repository';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { notifyPromoted } from './activity-notices';

/** An activity's sign-ups are listed in arrival (waitlist) order. */
const BY_ARRIVAL: Keyset<{ arrival: string }> = { shape: ['serial'], of: (s) => [s.arrival] };

/** A signup as listed for its owner, with the activity it is for. */
export type SignupWithActivity = ActivitySignup & { activity?: Activity };

/**
 * Sign-ups and the waitlist.
 *
 * Places. `activity.confirmed_count` counts confirmed places; a sign-up takes one with
 * a single conditional `UPDATE … WHERE confirmed_count < capacity` in the same
 * statement that writes the sign-up, so the database decides confirmed vs waitlisted
 * exactly. Once the activity is full that UPDATE matches no row and takes no lock, so
 * the rest of a storm does not queue on the activity row.
 *
 * Waitlist. Freeing a place (a confirmed resident cancels, the capacity is raised) must
 * see every waitlisted sign-up, including ones not yet committed, or a late sign-up could
 * stay waitlisted beside an empty place. Sign-ups hold the activity's advisory lock
 * shared; whatever frees places or changes the activity takes it exclusively, so it
 * waits for in-flight sign-ups to commit, and sign-ups after it see its result. Shared
 * holders never wait for each other, so the storm itself is not serialised.
 *
 * One writer. Every sign-up is one call of the PL/pgSQL function `activity_sign_ups` (lock,
 * read of the activity after it, checks and write) and every cancellation one call of
 * `activity_cancel_signup` (migrations 1766200000200, 1766200000500, 1766200000900).
 * Residents' own sign-ups call it outside a transaction (committed by itself: one round
 * trip), those for one activity asked in the same turn of the event loop together
 * (SignupBatches: a storm is a few calls, not one per resident); their own cancellation
 * runs in a transaction that also writes the promotion notice. Acting for a
 * household member or dependent calls the same functions inside a transaction with the
 * household check before and the audit record after (other modules', committing with it),
 * and answers with names known or read in that transaction.
 */
@Injectable()
export class SignupService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly activities: ActivityRepository,
    private readonly signups: SignupRepository,
    private readonly households: HouseholdService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly outbox: NotificationOutbox,
    private readonly people: OrganisationRepository,
    private readonly batches: SignupBatches,
  ) {}

  /**
   * Takes a confirmed place if one is free, else a waitlist position in arrival order: one
   * call of `activity_sign_ups` that commits by itself, with the other sign-ups for the
   * activity asked in the same turn (SignupBatches), the refusals mapped from what it read
   * under the lock. The name in the answer is the
   * caller's own, so nothing is read again.
   */
  async signUp(actor: Principal, activityId: string): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const { activity, signup } = await this.batches.signUp({
      activityId,
      townshipId: resident.townshipId,
      residentId: resident.id,
      dependentId: null,
      actedBy: null,
      now,
    });
    if (!activity) throw notFound('该活动');
    requireResident(actor, activity);
    assertCanSignUp(activity, now);
    // The checks above are the function's own: it wrote the sign-up when they pass.
    if (!signup) throw new Error(`activity_sign_ups wrote nothing for activity ${activityId} that passes its checks`);
    return { ...signup, residentName: actor.name, dependentName: null };
  }

  /**
   * The same for another member of the caller's household (the place is theirs, and so is
   * the reward for attending) or for one of its dependents (the place is the dependent's;
   * the caller registered them and is paid for their attendance). `acted_by` and the audit
   * log record who acted. One transaction: the household check, the same call of
   * `activity_sign_ups` and the audit record commit together.
   */
  signUpForFamily(actor: Principal, input: FamilySignupInput): Promise<ActivitySignup> {
    return this.takeForFamily(actor, input.activityId, input);
  }

  private async takeForFamily(actor: Principal, activityId: string, target: ActForTarget): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      // The household check first: the call below takes the place, whose row lock is held
      // until COMMIT, so nothing but the audit record runs after it.
      const link = await this.households.link(m, actor, target);
      const owner = link.dependent
        ? { residentId: resident.id, dependentId: link.dependent.id, actedBy: actor.personId }
        : { residentId: target.residentId!, dependentId: null, actedBy: actor.personId };
      const [{ activity, signup, alreadySignedUp }] = await this.signups.signUpMany(m, activityId, resident.townshipId, [{ ...owner, now }]);
      if (alreadySignedUp) throw new DomainError('ALREADY_SIGNED_UP', '该家人已报名该活动');
      if (!activity) throw notFound('该活动');
      requireResident(actor, activity);
      assertCanSignUp(activity, now);
      if (!signup) throw new Error(`activity_sign_ups wrote nothing for activity ${activityId} that passes its checks`);
      await this.recordActing(m, actor, activity.townshipId, 'household.act.signup', activityId, signup);
      return this.named(m, actor, link, signup);
    });
  }

  /**
   * The resident cancels their own sign-up before the start; a freed place goes to the first
   * waitlisted. One call of `activity_cancel_signup` and the notice to whoever was promoted,
   * in one transaction; the name in the answer is the caller's own.
   */
  async cancelSignup(actor: Principal, activityId: string): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const cancelled = await this.tx.run(async (m) => {
      const { activity, signup, promoted } = await this.signups.cancel(m, activityId, { residentId: resident.id }, resident.townshipId, now, '本人取消报名');
      if (!activity) throw notFound('该活动');
      assertCancellable(actor, activity, now);
      if (!signup) throw new DomainError('NOT_SIGNED_UP', '您没有该活动的有效报名');
      if (promoted.length) await notifyPromoted(this.outbox, m, activity, promoted);
      return signup;
    });
    return { ...cancelled, residentName: actor.name, dependentName: null };
  }

  /** Cancels a household member's or dependent's sign-up for them (see signUpForFamily). */
  cancelSignupForFamily(actor: Principal, input: FamilySignupInput): Promise<ActivitySignup> {
    return this.cancelForFamily(actor, input.activityId, input);
  }

  private async cancelForFamily(actor: Principal, activityId: string, target: ActForTarget): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      const link = await this.households.link(m, actor, target);
      const owner: SignupOwner = link.dependent ? { dependentId: link.dependent.id } : { residentId: target.residentId! };
      const reason = `家人代为取消报名（${actor.name}）`;
      const { activity, signup, promoted } = await this.signups.cancel(m, activityId, owner, resident.townshipId, now, reason);
      if (!activity) throw notFound('该活动');
      assertCancellable(actor, activity, now);
      if (!signup) throw new DomainError('NOT_SIGNED_UP', '该家人没有该活动的有效报名');
      if (promoted.length) await notifyPromoted(this.outbox, m, activity, promoted);
      await this.recordActing(m, actor, activity.townshipId, 'household.act.cancelSignup', activityId, signup);
      return this.named(m, actor, link, signup);
    });
  }

  /**
   * The answer's names, in the act's transaction: the caller's and the dependent's are
   * known (the household check read the dependent); another member's is read (the member
   * acted for, or whoever registered the dependent).
   */
  private async named(m: EntityManager, actor: Principal, link: { dependent: { name: string } | null }, signup: ActivitySignup): Promise<ActivitySignup> {
    const known = { ...signup, residentName: actor.name, dependentName: link.dependent?.name ?? null };
    return signup.residentId === actor.resident?.id ? known : (await this.people.attachResidentNames(m, [known]))[0];
  }

  /** Who acted for whom, in the audit log, in the transaction of the act. */
  private recordActing(m: EntityManager, actor: Principal, townshipId: string, action: string, activityId: string, signup: ActivitySignup): Promise<void> {
    return this.audit.record(m, {
      townshipId,
      actorId: actor.personId,
      action,
      subject: activityId,
      details: { signupId: signup.id, forResidentId: signup.dependentId ? null : signup.residentId, forDependentId: signup.dependentId, registeredBy: signup.residentId },
    });
  }

  /** The caller's own sign-ups (and those for dependents they registered), most recent first, with their activities. */
  async mySignups(actor: Principal, page: PageArgs): Promise<Page<SignupWithActivity>> {
    const resident = requireResident(actor);
    return keysetPage(page, byTimeThenId<SignupWithActivity>((s) => s.signedUpAt), (after, limit) => this.tx.read(async (m) => {
      const signups: SignupWithActivity[] = await this.signups.ofResident(m, resident.id, after ? [new Date(after[0]), after[1]] : null, limit);
      if (signups.length) {
        const activities = await this.activities.byIds(m, [...new Set(signups.map((s) => s.activityId))]);
        const byId = new Map(activities.map((a) => [a.id, a]));
        for (const s of signups) s.activity = byId.get(s.activityId);
      }
      return signups;
    }));
  }

  /** The sign-ups of an activity in arrival order (its branch's managers). */
  async ofActivity(actor: Principal, activityId: string, status: SignupStatus | undefined, page: PageArgs): Promise<Page<ActivitySignup>> {
    const activity = await this.tx.read((m) => this.activities.get(m, activityId));
    requireCapability(actor, Capability.MANAGE, activity);
    return keysetPage(page, BY_ARRIVAL, (after, limit) => this.tx.read((m) => this.signups.ofActivity(m, activityId, status ?? null, after?.[0] ?? null, limit)));
  }

  /** The caller's sign-up for each of these activities, null where none (or not a resident): one statement for a page. */
  async mySignupsFor(actor: Principal, activityIds: readonly string[]): Promise<(ActivitySignup | null)[]> {
    const resident = actor?.resident;
    if (!resident) return activityIds.map(() => null);
    const rows = await this.tx.read((m) => this.signups.ofResidentForActivities(m, activityIds, resident.id));
    const byActivity = new Map(rows.map((s) => [s.activityId, s]));
    return activityIds.map((id) => byActivity.get(id) ?? null);
  }

  /** How many are waitlisted for each of these activities: one statement for a page. */
  async waitlistCounts(activityIds: readonly string[]): Promise<number[]> {
    const counts = await this.tx.read((m) => this.signups.waitlistCounts(m, activityIds));
    return activityIds.map((id) => counts.get(id) ?? 0);
  }
}

function assertCanSignUp(activity: { status: ActivityStatus; signupDeadline: Date }, now: Date): void {
  switch (activity.status) {
    case ActivityStatus.DRAFT:
      throw notFound('该活动');
    case ActivityStatus.CANCELLED:
      throw new DomainError('ACTIVITY_CANCELLED');
    case ActivityStatus.COMPLETED:
      throw new DomainError('SIGNUP_CLOSED');
  }
  if (activity.signupDeadline.getTime() <= now.getTime()) throw new DomainError('SIGNUP_CLOSED');
}

/** Cancelling is for the caller's township's published activities, before they start. */
function assertCancellable(actor: Principal, activity: Pick<Activity, 'townshipId' | 'status' | 'startsAt'>, now: Date): void {
  requireResident(actor, activity);
  if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
  if (activity.status !== ActivityStatus.PUBLISHED || activity.startsAt.getTime() <= now.getTime()) {
    throw new DomainError('SIGNUP_CANCEL_CLOSED');
  }
}
