import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { can, Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { decodeCursor, Page, PageArgs, toPage } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { assertSchedule } from '../common/time/schedule';
import { monthOf, monthRange } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationService } from '../organisation/organisation.service';
import { ThemeService } from '../themes/theme.service';
import { Activity, ACTIVITY_COLUMNS, ActivitySignup, ActivityStatus, Attendance, SIGNUP_COLUMNS, SIGNUP_RETURNING, SignupStatus } from './activity.entity';
import { checkinCode, checkinWindow, CHECKIN_GRACE_MS, CHECKIN_WINDOW_SECONDS, isCheckinOpen, isValidCheckinCode, MAX_CHECKIN_FAILURES } from './checkin-code';
import { ActivityFilterArgs, CancelActivityInput, CheckInInput, CreateActivityInput, MarkAttendanceInput, UpdateActivityInput } from './dto/activity.inputs';
import { ActivityCompletion, CheckinCode } from './dto/activity.models';

/** A signup as listed for its owner, with the activity it is for. */
export type SignupWithActivity = ActivitySignup & { activity?: Activity };

/**
 * Activities, sign-ups, the waitlist, attendance and the reward mint.
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
 */
@Injectable()
export class ActivitiesService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly organisation: OrganisationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly themes: ThemeService,
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
      const [row] = await m.query(
        `INSERT INTO activity (township_id, branch_id, service_team_id, theme_id, title, description, place, starts_at, ends_at,
                               signup_deadline, capacity, reward_points, checkin_secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
        [
          scope.townshipId,
          input.branchId,
          input.serviceTeamId ?? null,
          input.themeId ?? null,
          input.title,
          input.description ?? '',
          input.place,
          input.startsAt,
          input.endsAt,
          input.signupDeadline,
          input.capacity,
          input.rewardPoints,
          randomBytes(32),
          actor.personId,
        ],
      );
      return this.activityRow(m, row.id);
    });
  }

  /** Edits an activity that has not started. Raising the capacity promotes waitlisted residents. */
  async update(actor: Principal, input: UpdateActivityInput): Promise<Activity> {
    return this.tx.run(async (m) => {
      requireCapability(actor, Capability.MANAGE, await this.activityRow(m, input.id)); // before making sign-ups wait
      await this.lockExclusive(m, input.id);
      const current = await this.activityRow(m, input.id, 'FOR UPDATE');
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
      await m.query(
        `UPDATE activity SET service_team_id = $2, theme_id = $3, title = $4, description = $5, place = $6, starts_at = $7,
                ends_at = $8, signup_deadline = $9, capacity = $10, reward_points = $11, updated_at = now()
         WHERE id = $1`,
        [input.id, next.serviceTeamId, next.themeId, next.title, next.description, next.place, next.startsAt, next.endsAt,
          next.signupDeadline, next.capacity, next.rewardPoints],
      );
      if (current.status === ActivityStatus.PUBLISHED) await this.fillPlaces(m, input.id);
      return this.activityRow(m, input.id);
    });
  }

  /** Makes a draft visible to the township's residents. Publishing twice changes nothing. */
  async publish(actor: Principal, id: string): Promise<Activity> {
    return this.tx.run(async (m) => {
      const activity = await this.activityRow(m, id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.PUBLISHED) return activity;
      this.assertEditable(activity, this.clock.now());
      if (activity.signupDeadline.getTime() <= this.clock.now().getTime()) {
        throw new DomainError('SIGNUP_CLOSED', '报名截止时间已过，请先修改报名截止时间再发布');
      }
      await m.query(`UPDATE activity SET status = 'PUBLISHED', updated_at = now() WHERE id = $1`, [id]);
      return this.activityRow(m, id);
    });
  }

  /** Cancels the activity and every live sign-up, with a reason residents see. Idempotent. */
  async cancel(actor: Principal, input: CancelActivityInput): Promise<Activity> {
    return this.tx.run(async (m) => {
      requireCapability(actor, Capability.MANAGE, await this.activityRow(m, input.id)); // before making sign-ups wait
      await this.lockExclusive(m, input.id);
      const activity = await this.activityRow(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.CANCELLED) return activity;
      if (activity.status === ActivityStatus.COMPLETED) throw new DomainError('ACTIVITY_COMPLETED', '活动已结束并发放积分，不能取消');
      await m.query(
        `UPDATE activity SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now(), updated_at = now() WHERE id = $1`,
        [input.id, input.reason],
      );
      const [, cancelled] = await m.query(
        `UPDATE activity_signup SET status = 'ACTIVITY_CANCELLED', cancelled_at = now(), cancel_reason = $2
         WHERE activity_id = $1 AND status IN ('CONFIRMED', 'WAITLISTED')`,
        [input.id, input.reason],
      );
      await this.audit.record(m, {
        townshipId: activity.townshipId,
        actorId: actor.personId,
        action: 'activity.cancel',
        subject: input.id,
        details: { reason: input.reason, signupsCancelled: cancelled },
      });
      return this.activityRow(m, input.id);
    });
  }

  // ---- signing up ---------------------------------------------------------------

  /** Takes a confirmed place if one is free, else a waitlist position in arrival order. */
  async signUp(actor: Principal, activityId: string): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      // Checks for a clear error, and the shared lock (see the class comment). The
      // statement below re-checks with a snapshot taken after the lock is held.
      const [activity] = await m.query(
        `SELECT a.township_id AS "townshipId", a.status, a.signup_deadline AS "signupDeadline",
                pg_advisory_xact_lock_shared(hashtextextended('activity:' || a.id, 0)) AS locked
         FROM activity a WHERE a.id = $1`,
        [activityId],
      );
      if (!activity) throw notFound('该活动');
      requireResident(actor, activity);
      this.assertCanSignUp(activity, now);
      const [row] = await m.query(
        `WITH act AS (
           SELECT id, township_id, branch_id FROM activity WHERE id = $1 AND status = 'PUBLISHED' AND signup_deadline > $3
         ), existing AS (
           SELECT 1 FROM activity_signup WHERE activity_id = $1 AND resident_id = $2 AND status IN ('CONFIRMED', 'WAITLISTED')
         ), place AS (
           UPDATE activity SET confirmed_count = confirmed_count + 1
           WHERE id = (SELECT id FROM act) AND confirmed_count < capacity AND NOT EXISTS (SELECT 1 FROM existing)
           RETURNING id
         )
         INSERT INTO activity_signup AS s (township_id, branch_id, activity_id, resident_id, status)
         SELECT act.township_id, act.branch_id, act.id, $2,
                CASE WHEN EXISTS (SELECT 1 FROM place) THEN 'CONFIRMED' ELSE 'WAITLISTED' END
         FROM act
         -- Signing up again after cancelling: back of the queue, attendance reset. Wrong
         -- check-in codes still count: the row is kept for that, so cancelling and signing
         -- up again does not buy ten more guesses.
         ON CONFLICT (activity_id, resident_id) DO UPDATE
           SET status = EXCLUDED.status, arrival = nextval('activity_signup_arrival_seq'), signed_up_at = now(),
               promoted_at = NULL, cancelled_at = NULL, cancel_reason = NULL, attendance = NULL, checked_in_at = NULL,
               attendance_by = NULL
           WHERE s.status = 'CANCELLED'
         RETURNING ${SIGNUP_RETURNING}`,
        [activityId, resident.id, now],
      );
      // Nothing written: already signed up (a duplicate racing us, or a stale read); the
      // rollback returns any place the statement took.
      if (!row) throw new DomainError('ALREADY_SIGNED_UP');
      return row as ActivitySignup;
    });
  }

  /** The resident cancels their own sign-up before the start; a freed place goes to the first waitlisted. */
  async cancelSignup(actor: Principal, activityId: string): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const assertCancellable = (activity: Activity) => {
      requireResident(actor, activity);
      if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
      if (activity.status !== ActivityStatus.PUBLISHED || activity.startsAt.getTime() <= this.clock.now().getTime()) {
        throw new DomainError('SIGNUP_CANCEL_CLOSED');
      }
    };
    const id = await this.tx.run(async (m) => {
      // Checked before taking the exclusive lock, so only a resident with a live sign-up
      // can make the activity's sign-ups wait; checked again under the lock.
      assertCancellable(await this.activityRow(m, activityId));
      const live = await m.query(
        `SELECT 1 FROM activity_signup WHERE activity_id = $1 AND resident_id = $2 AND status IN ('CONFIRMED', 'WAITLISTED')`,
        [activityId, resident.id],
      );
      if (!live.length) throw new DomainError('NOT_SIGNED_UP', '您没有该活动的有效报名');
      await this.lockExclusive(m, activityId);
      assertCancellable(await this.activityRow(m, activityId));
      // UPDATE … RETURNING comes back from TypeORM as [rows, rowCount].
      const [[row]] = await m.query(
        `UPDATE activity_signup s SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = '本人取消报名'
         FROM (SELECT id, status FROM activity_signup WHERE activity_id = $1 AND resident_id = $2
               AND status IN ('CONFIRMED', 'WAITLISTED') FOR UPDATE) previous
         WHERE s.id = previous.id
         RETURNING s.id, previous.status AS "previousStatus"`,
        [activityId, resident.id],
      );
      if (!row) throw new DomainError('NOT_SIGNED_UP', '您没有该活动的有效报名');
      if (row.previousStatus === SignupStatus.CONFIRMED) {
        await m.query(`UPDATE activity SET confirmed_count = confirmed_count - 1 WHERE id = $1`, [activityId]);
        await this.fillPlaces(m, activityId);
      }
      return row.id as string;
    });
    return this.signupRow(id);
  }

  // ---- attendance ---------------------------------------------------------------

  /** The code a manager shows while check-in is open. */
  async currentCheckinCode(actor: Principal, activityId: string): Promise<CheckinCode> {
    const { activity, secret } = await this.tx.run(async (m) => this.activityWithSecret(m, activityId, ''));
    requireCapability(actor, Capability.MANAGE, activity);
    const now = this.clock.now();
    this.assertAttendanceOpen(activity, now, true);
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
  async checkIn(actor: Principal, input: CheckInInput): Promise<ActivitySignup> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const outcome = await this.tx.run(async (m) => {
      // FOR SHARE: completion (FOR UPDATE) cannot run between this check and the write.
      const { activity, secret } = await this.activityWithSecret(m, input.activityId, 'FOR SHARE');
      requireResident(actor, activity);
      this.assertAttendanceOpen(activity, now, true);
      const [signup] = await m.query(
        `SELECT id, status, attendance, checkin_failures AS failures FROM activity_signup
         WHERE activity_id = $1 AND resident_id = $2 FOR UPDATE`,
        [input.activityId, resident.id],
      );
      if (!signup || signup.status !== SignupStatus.CONFIRMED) throw new DomainError('NOT_SIGNED_UP');
      if (signup.attendance === Attendance.PRESENT) return { id: signup.id as string, valid: true };
      if (signup.failures >= MAX_CHECKIN_FAILURES) throw new DomainError('CHECKIN_LOCKED');
      if (!isValidCheckinCode(secret, input.code, now)) {
        // Counted (and committed) before refusing, to stop guessing.
        await m.query(`UPDATE activity_signup SET checkin_failures = checkin_failures + 1 WHERE id = $1`, [signup.id]);
        return { id: signup.id as string, valid: false };
      }
      await m.query(
        `UPDATE activity_signup SET attendance = 'PRESENT', checked_in_at = now(), attendance_by = $2 WHERE id = $1`,
        [signup.id, actor.personId],
      );
      return { id: signup.id as string, valid: true };
    });
    if (!outcome.valid) throw new DomainError('CHECKIN_CODE_INVALID');
    return this.signupRow(outcome.id);
  }

  /** The manager marks confirmed residents present or absent; all or nothing. */
  async markAttendance(actor: Principal, input: MarkAttendanceInput): Promise<ActivitySignup[]> {
    const residentIds = [...new Set(input.residentIds)];
    const ids = await this.tx.run(async (m) => {
      const activity = await this.activityRow(m, input.activityId, 'FOR SHARE');
      requireCapability(actor, Capability.MANAGE, activity);
      this.assertAttendanceOpen(activity, this.clock.now(), false);
      const [rows]: [{ id: string; residentId: string }[]] = await m.query(
        `UPDATE activity_signup SET attendance = $3, attendance_by = $4,
                checked_in_at = CASE WHEN $3 = 'PRESENT' THEN coalesce(checked_in_at, now()) END
         WHERE activity_id = $1 AND resident_id = ANY($2::uuid[]) AND status = 'CONFIRMED'
         RETURNING id, resident_id AS "residentId"`,
        [input.activityId, residentIds, input.attendance, actor.personId],
      );
      if (rows.length !== residentIds.length) {
        const marked = new Set(rows.map((r) => r.residentId));
        throw new DomainError('NOT_SIGNED_UP', '以下居民没有该活动的确认报名，本次登记未生效', {
          residentIds: residentIds.filter((r) => !marked.has(r)),
        });
      }
      return rows.map((r) => r.id);
    });
    return this.tx.run((m) => m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.id = ANY($1::uuid[]) ORDER BY s.arrival`, [ids]));
  }

  /**
   * Closes attendance and mints the reward to every attendee, once per attendance
   * (ledger key `attendance:<signupId>`). The activity row lock makes a second
   * completion wait and then find nothing left to mint; the key would stop it anyway.
   */
  async complete(actor: Principal, activityId: string): Promise<ActivityCompletion> {
    return this.tx.run(async (m) => {
      const activity = await this.activityRow(m, activityId, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, activity);
      if (activity.status === ActivityStatus.DRAFT) throw new DomainError('ACTIVITY_NOT_PUBLISHED');
      if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
      if (activity.startsAt.getTime() > this.clock.now().getTime()) throw new DomainError('ACTIVITY_NOT_STARTED');
      if (activity.status === ActivityStatus.PUBLISHED) {
        await m.query(`UPDATE activity SET status = 'COMPLETED', completed_at = now(), updated_at = now() WHERE id = $1`, [activityId]);
        // Whoever was neither checked in nor marked did not come.
        await m.query(`UPDATE activity_signup SET attendance = 'ABSENT' WHERE activity_id = $1 AND status = 'CONFIRMED' AND attendance IS NULL`, [
          activityId,
        ]);
      }
      const present: { signupId: string; residentId: string }[] = await m.query(
        `SELECT s.id AS "signupId", s.resident_id AS "residentId" FROM activity_signup s
         WHERE s.activity_id = $1 AND s.status = 'CONFIRMED' AND s.attendance = 'PRESENT' AND s.reward_entry_id IS NULL
         ORDER BY s.arrival`,
        [activityId],
      );
      const accounts = await this.ledgerReads.residentAccounts(m, present.map((p) => p.residentId));
      const due = present.map((p) => ({ signupId: p.signupId, accountId: accounts.get(p.residentId)!.accountId }));
      let newlyRewarded = 0;
      if (due.length) {
        const issuance = await this.ledger.branchAccount(m, activity.branchId, AccountKind.BRANCH_ISSUANCE);
        const entries: string[] = [];
        for (const d of due) {
          const posted = await this.ledger.post(m, {
            townshipId: activity.townshipId,
            kind: EntryKind.MINT,
            idempotencyKey: `attendance:${d.signupId}`,
            reference: { type: 'ACTIVITY', id: activityId },
            memo: activity.title,
            lines: [
              { accountId: issuance.id, amount: -activity.rewardPoints },
              { accountId: d.accountId, amount: activity.rewardPoints },
            ],
            createdBy: actor.personId,
          });
          if (posted.created) newlyRewarded++;
          entries.push(posted.id);
        }
        await m.query(
          `UPDATE activity_signup s SET reward_entry_id = v.entry FROM unnest($1::uuid[], $2::int8[]) AS v(id, entry) WHERE s.id = v.id`,
          [due.map((d) => d.signupId), entries],
        );
        await this.audit.record(m, {
          townshipId: activity.townshipId,
          actorId: actor.personId,
          action: 'activity.complete',
          subject: activityId,
          details: { rewarded: newlyRewarded, points: newlyRewarded * activity.rewardPoints },
        });
      }
      const rewardEntries: { entryId: string }[] = await m.query(
        `SELECT s.reward_entry_id::text AS "entryId" FROM activity_signup s WHERE s.activity_id = $1 AND s.reward_entry_id IS NOT NULL`,
        [activityId],
      );
      const totals = await this.ledgerReads.creditedTotals(m, rewardEntries.map((r) => r.entryId));
      return { activity: await this.activityRow(m, activityId), newlyRewarded, attendeesRewarded: totals.entries, pointsMinted: totals.points };
    });
  }

  // ---- reading --------------------------------------------------------------------

  async activity(actor: Principal, id: string): Promise<Activity> {
    const activity = await this.tx.run((m) => this.activityRow(m, id));
    this.assertVisible(actor, activity);
    return activity;
  }

  /** Activities of a township, soonest first; drafts only for those who manage them. */
  async activities(actor: Principal, filter: ActivityFilterArgs, page: PageArgs): Promise<Page<Activity>> {
    requireCapability(actor, Capability.READ, { townshipId: filter.townshipId });
    const after = decodeCursor(page.after, ['time', 'uuid']);
    const range = filter.month ? monthRange(filter.month) : undefined;
    const admin = actor.adminOf.includes(filter.townshipId);
    const managed = actor.managerOf.filter((b) => b.townshipId === filter.townshipId).map((b) => b.branchId);
    const rows: Activity[] = await this.tx.run((m) =>
      m.query(
        `SELECT ${ACTIVITY_COLUMNS} FROM activity a
         WHERE a.township_id = $1
           AND ($2::uuid IS NULL OR a.branch_id = $2)
           AND ($3::uuid IS NULL OR a.theme_id = $3)
           AND ($4::text IS NULL OR a.status = $4)
           AND ($5::timestamptz IS NULL OR (a.starts_at >= $5 AND a.starts_at < $6))
           AND ($7::timestamptz IS NULL OR a.ends_at > $7)
           AND (a.status <> 'DRAFT' OR $8::boolean OR a.branch_id = ANY($9::uuid[]))
           AND ($10::timestamptz IS NULL OR (a.starts_at, a.id) > ($10::timestamptz, $11::uuid))
         ORDER BY a.starts_at, a.id
         LIMIT $12`,
        [
          filter.townshipId,
          filter.branchId ?? null,
          filter.themeId ?? null,
          filter.status ?? null,
          range?.start ?? null,
          range?.end ?? null,
          filter.includePast ? null : this.clock.now(),
          admin,
          managed,
          after ? new Date(after[0] as string) : null,
          after?.[1] ?? null,
          page.first + 1,
        ],
      ),
    );
    return toPage(rows, page.first, (r) => r, (r) => [r.startsAt.toISOString(), r.id]);
  }

  /** The caller's own sign-ups, most recent first, with their activities. */
  async mySignups(actor: Principal, page: PageArgs): Promise<Page<SignupWithActivity>> {
    const resident = requireResident(actor);
    const after = decodeCursor(page.after, ['time', 'uuid']);
    const rows: SignupWithActivity[] = await this.tx.run(async (m) => {
      const signups: SignupWithActivity[] = await m.query(
        `SELECT ${SIGNUP_COLUMNS} FROM activity_signup s
         WHERE s.resident_id = $1 AND ($2::timestamptz IS NULL OR (s.signed_up_at, s.id) < ($2::timestamptz, $3::uuid))
         ORDER BY s.signed_up_at DESC, s.id DESC LIMIT $4`,
        [resident.id, after ? new Date(after[0] as string) : null, after?.[1] ?? null, page.first + 1],
      );
      await this.attachActivities(m, signups);
      return signups;
    });
    return toPage(rows, page.first, (r) => r, (r) => [r.signedUpAt.toISOString(), r.id]);
  }

  /** The sign-ups of an activity in arrival order (its branch's managers). */
  async signups(actor: Principal, activityId: string, status: SignupStatus | undefined, page: PageArgs): Promise<Page<ActivitySignup>> {
    const activity = await this.tx.run((m) => this.activityRow(m, activityId));
    requireCapability(actor, Capability.MANAGE, activity);
    const after = decodeCursor(page.after, ['serial']);
    const rows: (ActivitySignup & { arrival: string })[] = await this.tx.run((m) =>
      m.query(
        `SELECT ${SIGNUP_COLUMNS}, s.arrival::text AS arrival FROM activity_signup s
         WHERE s.activity_id = $1 AND ($2::text IS NULL OR s.status = $2) AND ($3::int8 IS NULL OR s.arrival > $3)
         ORDER BY s.arrival LIMIT $4`,
        [activityId, status ?? null, after?.[0] ?? null, page.first + 1],
      ),
    );
    return toPage(rows, page.first, (r) => r, (r) => [r.arrival]);
  }

  /** The caller's sign-up for an activity, if they are a resident and have one. */
  async mySignup(actor: Principal, activityId: string): Promise<ActivitySignup | null> {
    if (!actor?.resident) return null;
    const [row] = await this.tx.run((m) =>
      m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.activity_id = $1 AND s.resident_id = $2`, [activityId, actor.resident!.id]),
    );
    return row ?? null;
  }

  async waitlistCount(activityId: string): Promise<number> {
    const [row] = await this.tx.run((m) =>
      m.query(`SELECT count(*)::int AS n FROM activity_signup WHERE activity_id = $1 AND status = 'WAITLISTED'`, [activityId]),
    );
    return row.n;
  }

  async activityForSignup(signup: SignupWithActivity): Promise<Activity> {
    return signup.activity ?? this.tx.run((m) => this.activityRow(m, signup.activityId));
  }

  // ---- helpers ----------------------------------------------------------------------

  /** Promotes the first waitlisted sign-ups into free places. Caller holds the exclusive lock. */
  private async fillPlaces(m: EntityManager, activityId: string): Promise<number> {
    const [{ free }] = await m.query(`SELECT capacity - confirmed_count AS free FROM activity WHERE id = $1 FOR UPDATE`, [activityId]);
    if (free <= 0) return 0;
    const [promoted] = await m.query(
      `UPDATE activity_signup s SET status = 'CONFIRMED', promoted_at = now()
       FROM (SELECT id FROM activity_signup WHERE activity_id = $1 AND status = 'WAITLISTED' ORDER BY arrival LIMIT $2 FOR UPDATE) next
       WHERE s.id = next.id RETURNING s.id`,
      [activityId, free],
    );
    const count = promoted.length;
    if (count) await m.query(`UPDATE activity SET confirmed_count = confirmed_count + $2 WHERE id = $1`, [activityId, count]);
    return count;
  }

  private async lockExclusive(m: EntityManager, activityId: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('activity:' || $1::uuid, 0))`, [activityId]);
  }

  private async activityRow(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' | 'FOR SHARE' = ''): Promise<Activity> {
    const [row] = await m.query(`SELECT ${ACTIVITY_COLUMNS} FROM activity a WHERE a.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该活动');
    return row;
  }

  private async activityWithSecret(m: EntityManager, id: string, lock: '' | 'FOR SHARE') {
    const [row] = await m.query(`SELECT ${ACTIVITY_COLUMNS}, a.checkin_secret AS secret FROM activity a WHERE a.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该活动');
    const { secret, ...activity } = row;
    return { activity: activity as Activity, secret: secret as Buffer };
  }

  private async signupRow(id: string): Promise<ActivitySignup> {
    const [row] = await this.tx.run((m) => m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.id = $1`, [id]));
    return row;
  }

  private async attachActivities(m: EntityManager, signups: SignupWithActivity[]): Promise<void> {
    if (!signups.length) return;
    const activities: Activity[] = await m.query(`SELECT ${ACTIVITY_COLUMNS} FROM activity a WHERE a.id = ANY($1::uuid[])`, [
      [...new Set(signups.map((s) => s.activityId))],
    ]);
    const byId = new Map(activities.map((a) => [a.id, a]));
    for (const s of signups) s.activity = byId.get(s.activityId);
  }

  private async assertServiceTeam(m: EntityManager, serviceTeamId: string, branchId: string): Promise<void> {
    if (!(await this.organisation.isServiceTeamOf(m, serviceTeamId, branchId))) throw new DomainError('BAD_USER_INPUT', '输入有误：服务队不属于该村（社区）', { field: 'serviceTeamId' });
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

  private assertCanSignUp(activity: { status: ActivityStatus; signupDeadline: Date }, now: Date): void {
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

  /**
   * Check-in (residents, and the code shown by managers) is open from the grace period
   * before the start to the grace period after the end; managers may mark attendance
   * from the same moment until the activity is completed.
   */
  private assertAttendanceOpen(activity: Activity, now: Date, checkin: boolean): void {
    if (activity.status === ActivityStatus.DRAFT) throw new DomainError('ACTIVITY_NOT_PUBLISHED');
    if (activity.status === ActivityStatus.CANCELLED) throw new DomainError('ACTIVITY_CANCELLED');
    if (activity.status === ActivityStatus.COMPLETED) throw new DomainError('ACTIVITY_COMPLETED');
    if (checkin) {
      if (!isCheckinOpen(activity.startsAt, activity.endsAt, now)) throw new DomainError('CHECKIN_NOT_OPEN');
    } else if (now.getTime() < activity.startsAt.getTime() - CHECKIN_GRACE_MS) {
      throw new DomainError('ATTENDANCE_NOT_OPEN');
    }
  }
}
