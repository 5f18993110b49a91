import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { selectColumns } from '../database/select-columns';
import { HouseholdService } from '../households/household.service';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { Activity, ActivitySignup, Attendance, SignupStatus } from './activity.entity';

/**
 * Whose sign-up: a resident's own (`residentId`), or a household dependent's
 * (`dependentId`; the row's resident is the member who registered them).
 */
export type SignupOwner = { residentId: string; dependentId?: undefined } | { dependentId: string; residentId?: undefined };

/** The SQL condition picking the owner's sign-up, with the owner's id as parameter `$n`. */
function ownerIs(owner: SignupOwner, n: number): string {
  return owner.dependentId ? `dependent_id = $${n}` : `resident_id = $${n} AND dependent_id IS NULL`;
}
const ownerId = (owner: SignupOwner): string => owner.dependentId ?? owner.residentId!;

/**
 * Columns of `activity_signup s` as ActivitySignup fields, with the live waitlist
 * position (the resident's name comes from the organisation, see `named`). In an
 * INSERT's RETURNING clause the row being written is not yet visible to the subquery, hence
 * `ahead` (count those before it, plus one) rather than `<=`.
 */
function signupColumns(position: 'selected' | 'returning'): string {
  const cmp = position === 'selected' ? '<=' : '<';
  const plus = position === 'selected' ? '' : ' + 1';
  return `${selectColumns(ActivitySignup, 's')},
  CASE WHEN s.status = 'WAITLISTED' THEN (SELECT count(*)::int FROM activity_signup w
    WHERE w.activity_id = s.activity_id AND w.status = 'WAITLISTED' AND w.arrival ${cmp} s.arrival)${plus} END AS "waitlistPosition"`;
}
const SIGNUP_COLUMNS = signupColumns('selected');
const SIGNUP_RETURNING = signupColumns('returning');
const SIGN_UP_OWN = `SELECT r.activity_township AS "activityTownshipId", r.activity_status AS "activityStatus", r.activity_deadline AS "activityDeadline",
  ${selectColumns(ActivitySignup, '(r.signup)')}, r.waitlist_position AS "waitlistPosition"
  FROM activity_sign_up($1, $2, $3, $4) r`;
const CANCEL_OWN = `SELECT r.activity_township AS "activityTownshipId", r.activity_status AS "activityStatus", r.activity_starts_at AS "activityStartsAt",
  r.activity_title AS "activityTitle", ${selectColumns(ActivitySignup, '(r.signup)')}, NULL::int AS "waitlistPosition", r.promoted::text[] AS promoted
  FROM activity_cancel_signup($1, $2, $3, $4, $5) r`;

/** The `activity_signup` table, and the places (`activity.confirmed_count`) sign-ups take. */
@Injectable()
export class SignupRepository {
  constructor(
    private readonly organisation: OrganisationRepository,
    private readonly households: HouseholdService,
  ) {}

  /** Sign-ups as the API shows them: with the resident's name, and the dependent's (one more statement only when there is one). */
  async named(m: EntityManager, rows: ActivitySignup[]): Promise<ActivitySignup[]> {
    await this.organisation.attachResidentNames(m, rows);
    const dependentIds = [...new Set(rows.flatMap((r) => (r.dependentId ? [r.dependentId] : [])))];
    const names = dependentIds.length ? await this.households.dependentNames(m, dependentIds) : new Map<string, string>();
    for (const row of rows) row.dependentName = row.dependentId ? (names.get(row.dependentId) ?? null) : null;
    return rows;
  }

  /**
   * One statement: takes a confirmed place if `confirmed_count < capacity`, else a
   * waitlist position; undefined when the resident already has a live sign-up or the
   * activity is not open (nothing written). See SignupService. Without the resident's
   * name: the caller adds it after commit (`named`), so the place's row lock is not held
   * for one more round trip during a storm.
   */
  async signUp(
    m: EntityManager,
    activityId: string,
    signup: { residentId: string; dependentId: string | null; actedBy: string | null },
    now: Date,
  ): Promise<ActivitySignup | undefined> {
    // A dependent has one live sign-up per activity whoever registered them; a resident one for themselves.
    const owner = signup.dependentId ? `dependent_id = $4` : `resident_id = $2 AND dependent_id IS NULL`;
    const conflict = signup.dependentId ? `(activity_id, dependent_id) WHERE dependent_id IS NOT NULL` : `(activity_id, resident_id) WHERE dependent_id IS NULL`;
    const [row] = await m.query(
      `WITH act AS (
         SELECT id, township_id, branch_id FROM activity WHERE id = $1 AND status = 'PUBLISHED' AND signup_deadline > $3
       ), existing AS (
         SELECT 1 FROM activity_signup WHERE activity_id = $1 AND ${owner} AND status IN ('CONFIRMED', 'WAITLISTED')
       ), place AS (
         UPDATE activity SET confirmed_count = confirmed_count + 1
         WHERE id = (SELECT id FROM act) AND confirmed_count < capacity AND NOT EXISTS (SELECT 1 FROM existing)
         RETURNING id
       )
       INSERT INTO activity_signup AS s (township_id, branch_id, activity_id, resident_id, dependent_id, acted_by, status)
       SELECT act.township_id, act.branch_id, act.id, $2::uuid, $4::uuid, $5::uuid,
              CASE WHEN EXISTS (SELECT 1 FROM place) THEN 'CONFIRMED' ELSE 'WAITLISTED' END
       FROM act
       -- Signing up again after cancelling: back of the queue, attendance reset. Wrong
       -- check-in codes still count: the row is kept for that, so cancelling and signing
       -- up again does not buy ten more guesses. A dependent signed up again by another
       -- member now belongs to that member.
       ON CONFLICT ${conflict} DO UPDATE
         SET status = EXCLUDED.status, arrival = nextval('activity_signup_arrival_seq'), signed_up_at = now(),
             promoted_at = NULL, cancelled_at = NULL, cancel_reason = NULL, attendance = NULL, checked_in_at = NULL,
             attendance_by = NULL, checked_out_at = NULL, checked_in_by_code = false, minutes_served = NULL,
             resident_id = EXCLUDED.resident_id, acted_by = EXCLUDED.acted_by
         WHERE s.status = 'CANCELLED'
       RETURNING ${SIGNUP_RETURNING}`,
      [activityId, signup.residentId, now, signup.dependentId, signup.actedBy],
    );
    return row;
  }

  /**
   * The resident's own sign-up in ONE call of `activity_sign_up` (migration 1766200000200),
   * made outside a transaction so that it commits by itself: the shared lock, the activity
   * read after it, the checks and the write of `signUp` above, in one round trip. Returns
   * the activity as the function read it (undefined if there is none) and the sign-up if
   * it wrote one (nothing is written unless the activity is in `townshipId`, PUBLISHED and
   * before its deadline at `now`). A live sign-up already there is refused by the database
   * (CBA01, ALREADY_SIGNED_UP). Without the resident's name (the caller knows it).
   */
  async signUpOwn(
    m: EntityManager,
    activityId: string,
    residentId: string,
    townshipId: string,
    now: Date,
  ): Promise<{ activity?: Pick<Activity, 'townshipId' | 'status' | 'signupDeadline'>; signup?: ActivitySignup }> {
    const [row] = await m.query(SIGN_UP_OWN, [activityId, residentId, townshipId, now]);
    const { activityTownshipId, activityStatus, activityDeadline, ...signup } = row;
    return {
      activity: activityTownshipId ? { townshipId: activityTownshipId, status: activityStatus, signupDeadline: activityDeadline } : undefined,
      signup: signup.id ? (signup as ActivitySignup) : undefined,
    };
  }

  async hasLive(m: EntityManager, activityId: string, owner: SignupOwner): Promise<boolean> {
    const rows = await m.query(
      `SELECT 1 FROM activity_signup WHERE activity_id = $1 AND ${ownerIs(owner, 2)} AND status IN ('CONFIRMED', 'WAITLISTED')`,
      [activityId, ownerId(owner)],
    );
    return rows.length > 0;
  }

  /** Cancels the owner's live sign-up; the sign-up (without the name) and what it was, or undefined if none. */
  async cancelOwn(
    m: EntityManager,
    activityId: string,
    owner: SignupOwner,
    reason: string,
  ): Promise<{ signup: ActivitySignup; previousStatus: SignupStatus } | undefined> {
    // UPDATE … RETURNING comes back from TypeORM as [rows, rowCount].
    const [[row]] = await m.query(
      `UPDATE activity_signup s SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = $3
       FROM (SELECT id, status FROM activity_signup WHERE activity_id = $1 AND ${ownerIs(owner, 2)}
             AND status IN ('CONFIRMED', 'WAITLISTED') FOR UPDATE) previous
       WHERE s.id = previous.id
       RETURNING ${SIGNUP_COLUMNS}, previous.status AS "previousStatus"`,
      [activityId, ownerId(owner), reason],
    );
    if (!row) return undefined;
    const { previousStatus, ...signup } = row;
    return { signup, previousStatus };
  }

  /**
   * The resident's own cancellation in one call of `activity_cancel_signup` (migration
   * 1766200000200), in the caller's transaction: the exclusive lock once a live sign-up is
   * seen, the activity read after it, the cancellation, the freed place given to the first
   * waitlisted. Returns the activity as read (undefined if none; nothing is written unless
   * it is in `townshipId`, PUBLISHED and not yet started at `now`), the cancelled sign-up
   * (undefined if none was live) and the residents promoted. Without the resident's name.
   */
  async cancelOwnSignup(
    m: EntityManager,
    activityId: string,
    residentId: string,
    townshipId: string,
    now: Date,
    reason: string,
  ): Promise<{ activity?: Pick<Activity, 'id' | 'townshipId' | 'status' | 'startsAt' | 'title'>; signup?: ActivitySignup; promoted: string[] }> {
    const [row] = await m.query(CANCEL_OWN, [activityId, residentId, townshipId, now, reason]);
    const { activityTownshipId, activityStatus, activityStartsAt, activityTitle, promoted, ...signup } = row;
    return {
      activity: activityTownshipId
        ? { id: activityId, townshipId: activityTownshipId, status: activityStatus, startsAt: activityStartsAt, title: activityTitle }
        : undefined,
      signup: signup.id ? (signup as ActivitySignup) : undefined,
      promoted,
    };
  }

  /** Gives back a confirmed place (a confirmed sign-up was cancelled). */
  async releasePlace(m: EntityManager, activityId: string): Promise<void> {
    await m.query(`UPDATE activity SET confirmed_count = confirmed_count - 1 WHERE id = $1`, [activityId]);
  }

  /** The branch cancelled the activity: every live sign-up goes with it. Returns how many. */
  async cancelAllOf(m: EntityManager, activityId: string, reason: string): Promise<number> {
    const [, cancelled] = await m.query(
      `UPDATE activity_signup SET status = 'ACTIVITY_CANCELLED', cancelled_at = now(), cancel_reason = $2
       WHERE activity_id = $1 AND status IN ('CONFIRMED', 'WAITLISTED')`,
      [activityId, reason],
    );
    return cancelled;
  }

  /** Promotes the first waitlisted sign-ups into free places; returns the promoted residents. Caller holds the exclusive lock. */
  async fillPlaces(m: EntityManager, activityId: string): Promise<string[]> {
    const [{ free }] = await m.query(`SELECT capacity - confirmed_count AS free FROM activity WHERE id = $1 FOR UPDATE`, [activityId]);
    if (free <= 0) return [];
    const [promoted]: [{ residentId: string }[]] = await m.query(
      `UPDATE activity_signup s SET status = 'CONFIRMED', promoted_at = now()
       FROM (SELECT id FROM activity_signup WHERE activity_id = $1 AND status = 'WAITLISTED' ORDER BY arrival LIMIT $2 FOR UPDATE) next
       WHERE s.id = next.id RETURNING s.resident_id AS "residentId"`,
      [activityId, free],
    );
    const count = promoted.length;
    if (count) await m.query(`UPDATE activity SET confirmed_count = confirmed_count + $2 WHERE id = $1`, [activityId, count]);
    return promoted.map((p) => p.residentId);
  }

  /** The residents holding a confirmed place (the day-before reminder). */
  async confirmedResidentIds(m: EntityManager, activityId: string): Promise<string[]> {
    const rows: { residentId: string }[] = await m.query(
      `SELECT resident_id AS "residentId" FROM activity_signup WHERE activity_id = $1 AND status = 'CONFIRMED' ORDER BY arrival`,
      [activityId],
    );
    return rows.map((r) => r.residentId);
  }

  // ---- attendance -------------------------------------------------------------------

  /** The owner's sign-up as check-in needs it, locked. */
  async forCheckIn(
    m: EntityManager,
    activityId: string,
    owner: SignupOwner,
  ): Promise<{ id: string; status: SignupStatus; attendance: Attendance | null; failures: number } | undefined> {
    const [row] = await m.query(
      `SELECT id, status, attendance, checkin_failures AS failures FROM activity_signup
       WHERE activity_id = $1 AND ${ownerIs(owner, 2)} FOR UPDATE`,
      [activityId, ownerId(owner)],
    );
    return row;
  }

  async countCheckinFailure(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE activity_signup SET checkin_failures = checkin_failures + 1 WHERE id = $1`, [id]);
  }

  /** Marks the sign-up present; returns it (without the name). */
  async checkIn(m: EntityManager, id: string, by: string): Promise<ActivitySignup> {
    const [[row]] = await m.query(
      `UPDATE activity_signup s SET attendance = 'PRESENT', checked_in_at = now(), checked_in_by_code = true, attendance_by = $2
       WHERE s.id = $1 RETURNING ${SIGNUP_COLUMNS}`,
      [id, by],
    );
    return row;
  }

  /** Marks the confirmed sign-ups of these residents; returns those it marked. */
  async markAttendance(
    m: EntityManager,
    activityId: string,
    residentIds: string[],
    attendance: Attendance,
    by: string,
  ): Promise<{ id: string; residentId: string }[]> {
    const [rows] = await m.query(
      `UPDATE activity_signup SET attendance = $3, attendance_by = $4,
              checked_in_at = CASE WHEN $3 = 'PRESENT' THEN coalesce(checked_in_at, now()) END,
              checked_in_by_code = $3 = 'PRESENT' AND checked_in_by_code,
              checked_out_at = CASE WHEN $3 = 'PRESENT' THEN checked_out_at END
       WHERE activity_id = $1 AND resident_id = ANY($2::uuid[]) AND dependent_id IS NULL AND status = 'CONFIRMED'
       RETURNING id, resident_id AS "residentId"`,
      [activityId, residentIds, attendance, by],
    );
    return rows;
  }

  /** Marks the confirmed sign-ups of these dependents; returns those it marked. */
  async markDependentAttendance(
    m: EntityManager,
    activityId: string,
    dependentIds: string[],
    attendance: Attendance,
    by: string,
  ): Promise<{ id: string; dependentId: string }[]> {
    const [rows] = await m.query(
      `UPDATE activity_signup SET attendance = $3, attendance_by = $4,
              checked_in_at = CASE WHEN $3 = 'PRESENT' THEN coalesce(checked_in_at, now()) END
       WHERE activity_id = $1 AND dependent_id = ANY($2::uuid[]) AND status = 'CONFIRMED'
       RETURNING id, dependent_id AS "dependentId"`,
      [activityId, dependentIds, attendance, by],
    );
    return rows;
  }

  /** The resident's sign-up as check-out needs it, locked. */
  async forCheckOut(
    m: EntityManager,
    activityId: string,
    residentId: string,
  ): Promise<{ id: string; status: SignupStatus; attendance: Attendance | null; checkedOut: boolean; failures: number } | undefined> {
    const [row] = await m.query(
      `SELECT id, status, attendance, checked_out_at IS NOT NULL AS "checkedOut", checkin_failures AS failures FROM activity_signup
       WHERE activity_id = $1 AND resident_id = $2 AND dependent_id IS NULL FOR UPDATE`,
      [activityId, residentId],
    );
    return row;
  }

  /** Checks the sign-up out now (a second check-out keeps the first); returns it (without the name). */
  async checkOut(m: EntityManager, id: string): Promise<ActivitySignup> {
    const [[row]] = await m.query(
      `UPDATE activity_signup s SET checked_out_at = coalesce(checked_out_at, now()) WHERE s.id = $1 RETURNING ${SIGNUP_COLUMNS}`,
      [id],
    );
    return row;
  }

  /** Checks out these residents' present sign-ups now (keeping earlier check-outs); returns those present. */
  async recordCheckOut(m: EntityManager, activityId: string, residentIds: string[]): Promise<{ id: string; residentId: string }[]> {
    const [rows] = await m.query(
      `UPDATE activity_signup SET checked_out_at = coalesce(checked_out_at, now())
       WHERE activity_id = $1 AND resident_id = ANY($2::uuid[]) AND dependent_id IS NULL AND status = 'CONFIRMED' AND attendance = 'PRESENT'
       RETURNING id, resident_id AS "residentId"`,
      [activityId, residentIds],
    );
    return rows;
  }

  /**
   * Closes attendance: whoever was neither checked in nor marked did not come, and every
   * attendee's minutes served are fixed, from the check-in by code (or the start, when a
   * manager marked them) to the check-out (or the end, when they never checked out),
   * within the activity's own start and end.
   */
  async closeAttendance(m: EntityManager, activityId: string): Promise<void> {
    await m.query(
      `UPDATE activity_signup s SET
         attendance = coalesce(s.attendance, 'ABSENT'),
         minutes_served = CASE WHEN s.attendance = 'PRESENT' THEN greatest(0, floor(extract(epoch FROM
           least(a.ends_at, coalesce(s.checked_out_at, a.ends_at))
           - CASE WHEN s.checked_in_by_code THEN greatest(a.starts_at, s.checked_in_at) ELSE a.starts_at END) / 60))::int END
       FROM activity a
       WHERE a.id = s.activity_id AND s.activity_id = $1 AND s.status = 'CONFIRMED'`,
      [activityId],
    );
  }

  /**
   * Attendees not yet paid, in arrival order, with whether they served the minimum for
   * points (`minMinutes`; attendance closed before hours were recorded counts in full). A
   * dependent's attendance pays the member who registered them (`residentId`).
   */
  async unpaidAttendees(
    m: EntityManager,
    activityId: string,
    minMinutes: number,
  ): Promise<{ signupId: string; residentId: string; dependentId: string | null; qualifies: boolean }[]> {
    return m.query(
      `SELECT s.id AS "signupId", s.resident_id AS "residentId", s.dependent_id AS "dependentId",
              coalesce(s.minutes_served >= $2, true) AS qualifies FROM activity_signup s
       WHERE s.activity_id = $1 AND s.status = 'CONFIRMED' AND s.attendance = 'PRESENT' AND s.reward_entry_id IS NULL
       ORDER BY s.arrival`,
      [activityId, minMinutes],
    );
  }

  async setRewardEntries(m: EntityManager, signupIds: string[], entryIds: string[]): Promise<void> {
    await m.query(`UPDATE activity_signup s SET reward_entry_id = v.entry FROM unnest($1::uuid[], $2::int8[]) AS v(id, entry) WHERE s.id = v.id`, [
      signupIds,
      entryIds,
    ]);
  }

  /** The ledger entries that paid this activity's attendees. */
  async rewardEntryIds(m: EntityManager, activityId: string): Promise<string[]> {
    const rows: { entryId: string }[] = await m.query(
      `SELECT s.reward_entry_id::text AS "entryId" FROM activity_signup s WHERE s.activity_id = $1 AND s.reward_entry_id IS NOT NULL`,
      [activityId],
    );
    return rows.map((r) => r.entryId);
  }

  // ---- reading ----------------------------------------------------------------------

  async byId(m: EntityManager, id: string): Promise<ActivitySignup> {
    const [row] = await m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.id = $1`, [id]);
    return row && (await this.named(m, [row]))[0];
  }

  async byIdsInArrivalOrder(m: EntityManager, ids: string[]): Promise<ActivitySignup[]> {
    return this.named(m, await m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.id = ANY($1::uuid[]) ORDER BY s.arrival`, [ids]));
  }

  /** The resident's own sign-ups for any of these activities (at most one each; not those for their dependents). */
  async ofResidentForActivities(m: EntityManager, activityIds: readonly string[], residentId: string): Promise<ActivitySignup[]> {
    return this.named(
      m,
      await m.query(`SELECT ${SIGNUP_COLUMNS} FROM activity_signup s WHERE s.activity_id = ANY($1::uuid[]) AND s.resident_id = $2 AND s.dependent_id IS NULL`, [
        activityIds,
        residentId,
      ]),
    );
  }

  /** A resident's sign-ups (their own, and those for dependents they registered), most recent first, after the keyset `after` (signed up at, id). */
  async ofResident(m: EntityManager, residentId: string, after: [Date, string] | null, limit: number): Promise<ActivitySignup[]> {
    const rows = await m.query(
      `SELECT ${SIGNUP_COLUMNS} FROM activity_signup s
       WHERE s.resident_id = $1 AND ($2::timestamptz IS NULL OR (s.signed_up_at, s.id) < ($2::timestamptz, $3::uuid))
       ORDER BY s.signed_up_at DESC, s.id DESC LIMIT $4`,
      [residentId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return this.named(m, rows);
  }

  /** An activity's sign-ups in arrival order, with the arrival as the keyset. */
  async ofActivity(
    m: EntityManager,
    activityId: string,
    status: SignupStatus | null,
    afterArrival: string | null,
    limit: number,
  ): Promise<(ActivitySignup & { arrival: string })[]> {
    const rows = await m.query(
      `SELECT ${SIGNUP_COLUMNS}, s.arrival::text AS arrival FROM activity_signup s
       WHERE s.activity_id = $1 AND ($2::text IS NULL OR s.status = $2) AND ($3::int8 IS NULL OR s.arrival > $3)
       ORDER BY s.arrival LIMIT $4`,
      [activityId, status, afterArrival, limit],
    );
    return this.named(m, rows) as Promise<(ActivitySignup & { arrival: string })[]>;
  }

  /** How many are waitlisted for each of these activities (absent: none). */
  async waitlistCounts(m: EntityManager, activityIds: readonly string[]): Promise<Map<string, number>> {
    const rows: { activityId: string; n: number }[] = await m.query(
      `SELECT activity_id AS "activityId", count(*)::int AS n FROM activity_signup
       WHERE activity_id = ANY($1::uuid[]) AND status = 'WAITLISTED' GROUP BY activity_id`,
      [activityIds],
    );
    return new Map(rows.map((r) => [r.activityId, r.n]));
  }
}
