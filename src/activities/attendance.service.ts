import { Injectable } from '@nestjs/common';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain.error';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { HouseholdService } from '../households/household.service';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { Activity, ActivitySignup, ActivityStatus, Attendance, SignupStatus } from './activity.entity';
import { ActivityRepository } from './activity.repository';
import { checkinCode, checkinWindow, CHECKIN_GRACE_MS, CHECKIN_WINDOW_SECONDS, isCheckinOpen, isValidCheckinCode, MAX_CHECKIN_FAILURES } from './checkin-code';
import { TownshipPolicyRepository } from '../policy/township-policy.repository';
import { CheckInInput, DependentCheckInInput, MarkAttendanceInput, MarkDependentAttendanceInput, RecordCheckOutInput } from './dto/activity.inputs';
import { ActivityCompletion, CheckinCode } from './dto/activity.models';
import { SignupRepository } from './signup.repository';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { NotificationKind } from '../notifications/notification.kinds';

/** Attendance: the check-in code, residents checking in, managers marking, and completion with the reward mint. */
@Injectable()
export class AttendanceService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly activities: ActivityRepository,
    private readonly signups: SignupRepository,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly audit: AuditService,
    private readonly households: HouseholdService,
    private readonly clock: Clock,
    private readonly policies: TownshipPolicyRepository,
    private readonly outbox: NotificationOutbox,
  ) {}

  /** The code a manager shows while check-in is open. */
  async currentCheckinCode(actor: Principal, activityId: string): Promise<CheckinCode> {
    const { activity, secret } = await this.tx.run(async (m) => this.activities.getWithSecret(m, activityId, ''));
    requireCapability(actor, Capability.MANAGE, activity);
    const now = this.clock.now();
    assertAttendanceOpen(activity, now, true);
    const window = checkinWindow(now);
    const windowMs = CHECKIN_WINDOW_SECONDS * 1000;
    return {
      activityId,
      code: checkinCode(secret, window),
      refreshAt: new Date((window + 1) * windowMs),
      expiresAt: new Date((window + 2) * windowMs),
    };
  }

  /** A resident checks themselves in with the code on the manager's screen. */
  checkIn(actor: Principal, input: CheckInInput): Promise<ActivitySignup> {
    return this.checkInWithCode(actor, input, null);
  }

  /**
   * A household member checks one of its dependents in with the code (the dependent has no
   * phone); the sign-up's resident, who registered the dependent, is paid at completion.
   */
  checkInDependent(actor: Principal, input: DependentCheckInInput): Promise<ActivitySignup> {
    return this.checkInWithCode(actor, input, input.dependentId);
  }

  private async checkInWithCode(actor: Principal, input: CheckInInput, dependentId: string | null): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const outcome = await this.tx.run(async (m) => {
      // FOR SHARE: completion (FOR UPDATE) cannot run between this check and the write.
      const { activity, secret } = await this.activities.getWithSecret(m, input.activityId, 'FOR SHARE');
      requireResident(actor, activity);
      if (dependentId) await this.households.link(m, actor, { dependentId });
      assertAttendanceOpen(activity, now, true);
      const signup = await this.signups.forCheckIn(m, input.activityId, dependentId ? { dependentId } : { residentId: resident.id });
      if (!signup || signup.status !== SignupStatus.CONFIRMED) throw new DomainError('NOT_SIGNED_UP');
      if (signup.attendance === Attendance.PRESENT) return { checkedIn: await this.signups.byId(m, signup.id) };
      if (signup.failures >= MAX_CHECKIN_FAILURES) throw new DomainError('CHECKIN_LOCKED');
      if (!isValidCheckinCode(secret, input.code, now)) {
        // Counted (and committed) before refusing, to stop guessing.
        await this.signups.countCheckinFailure(m, signup.id);
        return { checkedIn: null };
      }
      const checkedIn = await this.signups.checkIn(m, signup.id, actor.personId);
      if (dependentId) {
        await this.audit.record(m, {
          townshipId: activity.townshipId,
          actorId: actor.personId,
          action: 'household.act.checkIn',
          subject: input.activityId,
          details: { signupId: signup.id, forDependentId: dependentId },
        });
      }
      return { checkedIn };
    });
    if (!outcome.checkedIn) throw new DomainError('CHECKIN_CODE_INVALID');
    const [named] = await this.tx.read((m) => this.signups.named(m, [outcome.checkedIn!]));
    return named;
  }

  /**
   * A checked-in resident checks out with the code on the manager's screen (the same code
   * and window as check-in): their service ends now. Checking out again changes nothing.
   */
  async checkOut(actor: Principal, input: CheckInInput): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const outcome = await this.tx.run(async (m) => {
      const { activity, secret } = await this.activities.getWithSecret(m, input.activityId, 'FOR SHARE');
      requireResident(actor, activity);
      assertAttendanceOpen(activity, now, true);
      const signup = await this.signups.forCheckOut(m, input.activityId, resident.id);
      if (!signup || signup.status !== SignupStatus.CONFIRMED) throw new DomainError('NOT_SIGNED_UP');
      if (signup.attendance !== Attendance.PRESENT) throw new DomainError('NOT_CHECKED_IN');
      if (signup.checkedOut) return { checkedOut: await this.signups.byId(m, signup.id) };
      if (signup.failures >= MAX_CHECKIN_FAILURES) throw new DomainError('CHECKIN_LOCKED');
      if (!isValidCheckinCode(secret, input.code, now)) {
        await this.signups.countCheckinFailure(m, signup.id);
        return { checkedOut: null };
      }
      const [named] = await this.signups.named(m, [await this.signups.checkOut(m, signup.id)]);
      return { checkedOut: named };
    });
    if (!outcome.checkedOut) throw new DomainError('CHECKIN_CODE_INVALID');
    return outcome.checkedOut;
  }

  /** The manager records that present residents left now (those who cannot check out themselves); all or nothing. */
  async recordCheckOut(actor: Principal, input: RecordCheckOutInput): Promise<ActivitySignup[]> {
    const residentIds = [...new Set(input.residentIds)];
    return this.tx.run(async (m) => {
      const activity = await this.activities.get(m, input.activityId, 'FOR SHARE');
      requireCapability(actor, Capability.MANAGE, activity);
      assertAttendanceOpen(activity, this.clock.now(), false);
      const rows = await this.signups.recordCheckOut(m, input.activityId, residentIds);
      if (rows.length !== residentIds.length) {
        const present = new Set(rows.map((r) => r.residentId));
        throw new DomainError('NOT_CHECKED_IN', '以下居民尚未签到或未登记出勤，本次签退未生效', { residentIds: residentIds.filter((r) => !present.has(r)) });
      }
      return this.signups.byIdsInArrivalOrder(m, rows.map((r) => r.id));
    });
  }

  /** The manager marks confirmed residents present or absent; all or nothing. */
  async markAttendance(actor: Principal, input: MarkAttendanceInput): Promise<ActivitySignup[]> {
    const residentIds = [...new Set(input.residentIds)];
    const ids = await this.tx.run(async (m) => {
      const activity = await this.activities.get(m, input.activityId, 'FOR SHARE');
      requireCapability(actor, Capability.MANAGE, activity);
      assertAttendanceOpen(activity, this.clock.now(), false);
      const rows = await this.signups.markAttendance(m, input.activityId, residentIds, input.attendance, actor.personId);
      if (rows.length !== residentIds.length) {
        const marked = new Set(rows.map((r) => r.residentId));
        throw new DomainError('NOT_SIGNED_UP', '以下居民没有该活动的确认报名，本次登记未生效', {
          residentIds: residentIds.filter((r) => !marked.has(r)),
        });
      }
      return rows.map((r) => r.id);
    });
    return this.tx.run((m) => this.signups.byIdsInArrivalOrder(m, ids));
  }

  /** The manager marks dependents (家属) with a confirmed sign-up present or absent; all or nothing. */
  async markDependentAttendance(actor: Principal, input: MarkDependentAttendanceInput): Promise<ActivitySignup[]> {
    const dependentIds = [...new Set(input.dependentIds)];
    const ids = await this.tx.run(async (m) => {
      const activity = await this.activities.get(m, input.activityId, 'FOR SHARE');
      requireCapability(actor, Capability.MANAGE, activity);
      assertAttendanceOpen(activity, this.clock.now(), false);
      const rows = await this.signups.markDependentAttendance(m, input.activityId, dependentIds, input.attendance, actor.personId);
      if (rows.length !== dependentIds.length) {
        const marked = new Set(rows.map((r) => r.dependentId));
        throw new DomainError('NOT_SIGNED_UP', '以下家属没有该活动的确认报名，本次登记未生效', { dependentIds: dependentIds.filter((d) => !marked.has(d)) });
      }
      return rows.map((r) => r.id);
    });
    return this.tx.run((m) => this.signups.byIdsInArrivalOrder(m, ids));
  }

  /**
   * Closes attendance and mints the reward to every attendee, once per attendance
   * (ledger key `attendance:<signupId>`). The activity row lock makes a second
   * completion wait and then find nothing left to mint; the key would stop it anyway.
   */
  async complete(actor: Principal, activityId: string): Promise<ActivityCompletion> {
    return this.tx.run(async (m) => {
      const activity = await this.activities.get(m, activityId, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.DRAFT) throw new DomainError('ACTIVITY_NOT_PUBLISHED');
      if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
      if (activity.startsAt.getTime() > this.clock.now().getTime()) throw new DomainError('ACTIVITY_NOT_STARTED');
      if (activity.status === ActivityStatus.PUBLISHED) {
        await this.activities.markCompleted(m, activityId);
        await this.signups.closeAttendance(m, activityId);
      }
      // The township's minimum share of the activity's length that earns the points.
      const { minAttendancePercent } = await this.policies.get(m, activity.townshipId);
      const minMinutes = Math.ceil((minAttendancePercent / 100) * Math.floor((activity.endsAt.getTime() - activity.startsAt.getTime()) / 60_000));
      const unpaid = await this.signups.unpaidAttendees(m, activityId, minMinutes);
      const attendees = unpaid.filter((a) => a.qualifies);
      let newlyRewarded = 0;
      if (attendees.length) {
        const accounts = await this.ledgerReads.residentAccounts(m, attendees.map((a) => a.residentId));
        // A dependent's attendance pays the member who registered them; the line says for whom.
        const dependentIds = attendees.flatMap((a) => (a.dependentId ? [a.dependentId] : []));
        const dependentNames = dependentIds.length ? await this.households.dependentNames(m, dependentIds) : new Map<string, string>();
        const issuance = await this.ledger.branchAccount(m, activity.branchId, AccountKind.BRANCH_ISSUANCE);
        // Every attendee in one round trip, while the activity row is held.
        const posted = await this.ledger.postMany(
          m,
          attendees.map((attendee) => ({
            townshipId: activity.townshipId,
            kind: EntryKind.MINT,
            idempotencyKey: `attendance:${attendee.signupId}`,
            reference: { type: 'ACTIVITY', id: activityId },
            memo: attendee.dependentId ? `${activity.title}（家属${dependentNames.get(attendee.dependentId) ?? ''}参加）` : activity.title,
            lines: [
              { accountId: issuance.id, amount: -activity.rewardPoints },
              { accountId: accounts.get(attendee.residentId)!.accountId, amount: activity.rewardPoints },
            ],
            createdBy: actor.personId,
            bookedAt: this.clock.bookingTime(),
          })),
        );
        newlyRewarded = posted.filter((p) => p.created).length;
        // Points in: one outbox row for everyone newly paid, keyed by the first entry paid.
        const paid = attendees.filter((_, i) => posted[i].created);
        if (paid.length) {
          await this.outbox.emit(m, {
            townshipId: activity.townshipId,
            to: { residents: paid.map((a) => a.residentId) },
            key: `minted:${posted.find((p) => p.created)!.id}`,
            facts: { kind: NotificationKind.POINTS_MINTED, activityId, title: activity.title, points: activity.rewardPoints },
          });
        }
        await this.signups.setRewardEntries(m, attendees.map((a) => a.signupId), posted.map((p) => p.id));
        await this.audit.record(m, {
          townshipId: activity.townshipId,
          actorId: actor.personId,
          action: 'activity.complete',
          subject: activityId,
          details: { rewarded: newlyRewarded, points: newlyRewarded * activity.rewardPoints },
        });
      }
      const totals = await this.ledgerReads.creditedTotals(m, await this.signups.rewardEntryIds(m, activityId));
      return {
        activity: await this.activities.get(m, activityId),
        newlyRewarded,
        attendeesRewarded: totals.entries,
        pointsMinted: totals.points,
        belowMinimum: unpaid.length - attendees.length,
        minMinutes,
      };
    });
  }
}

/**
 * Check-in (residents, and the code shown by managers) is open from the grace period
 * before the start to the grace period after the end; managers may mark attendance
 * from the same moment until the activity is completed.
 */
function assertAttendanceOpen(activity: Activity, now: Date, checkin: boolean): void {
  if (activity.status === ActivityStatus.DRAFT) throw new DomainError('ACTIVITY_NOT_PUBLISHED');
  if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
  if (activity.status === ActivityStatus.COMPLETED) throw new DomainError('ACTIVITY_COMPLETED');
  if (checkin) {
    if (!isCheckinOpen(activity.startsAt, activity.endsAt, now)) throw new DomainError('CHECKIN_NOT_OPEN');
  } else if (now.getTime() < activity.startsAt.getTime() - CHECKIN_GRACE_MS) {
    throw new DomainError('ATTENDANCE_NOT_OPEN');
  }
}
