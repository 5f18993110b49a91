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

/** One owner's sign-up as `activity_sign_ups` takes it: the owner, who acted for them, and when they asked. */
export interface SignupRequest {
  residentId: string;
  dependentId: string | null;
  actedBy: string | null;
  now: Date;
}

/** What `activity_sign_ups` answered one owner (see SignupRepository.signUpMany). */
export interface SignupOutcome {
  activity?: Pick<Activity, 'townshipId' | 'status' | 'signupDeadline'>;
  signup?: ActivitySignup;
  /** The owner already had a live sign-up: nothing was written for them. */
  alreadySignedUp?: boolean;
}

/**
 * Columns of `activity_signup s` as ActivitySignup fields, with the live waitlist
 * position (the resident's name comes from the organisation, see `named`).
 */
const SIGNUP_COLUMNS = `${selectColumns(ActivitySignup, 's')},
  CASE WHEN s.status = 'WAITLISTED' THEN (SELECT count(*)::int FROM activity_signup w
    WHERE w.activity_id = s.activity_id AND w.status = 'WAITLISTED' AND w.arrival <= s.arrival) END AS "waitlistPosition"`;
const SIGN_UPS = `SELECT r.activity_township AS "activityTownshipId", r.activity_status AS "activityStatus", r.activity_deadline AS "activityDeadline",
  ${selectColumns(ActivitySignup, '(r.signup)')}, r.waitlist_position AS "waitlistPosition", r.refused
  FROM activity_sign_ups($1, $2, $3::uuid[], $4::uuid[], $5::uuid[], $6::timestamptz[]) r ORDER BY r.ordinal`;
const CANCEL = `SELECT r.activity_township AS "activityTownshipId", r.activity_status AS "activityStatus", r.activity_starts_at AS "activityStartsAt",
  r.activity_title AS "activityTitle", ${selectColumns(ActivitySignup, '(r.signup)')}, NULL::int AS "waitlistPosition", r.promoted::text[] AS promoted
  FROM activity_cancel_signup($1, $2, $3, $4, $5, $6) r`;

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
   * One call of `activity_sign_ups` (migrations 1766200000200, 1766200000500, 1766200000900)
   * for one or more owners of one activity, in arrival order: the shared lock, the activity
   * read after it, then for each owner the checks and a confirmed place if
   * `confirmed_count < capacity`, else a waitlist position (a cancelled sign-up of the same
   * owner comes back at the end of the queue). Outside a transaction it commits by itself
   * (residents' own sign-ups: one round trip); inside one, it commits with it (acting for a
   * household member or dependent). Returns, for each owner, the activity as the function
   * read it (undefined if there is none), the sign-up if it wrote one (nothing is written
   * unless the activity is in `townshipId`, PUBLISHED and before the deadline at the owner's
   * `now`), or `alreadySignedUp` when the owner already has a live sign-up (the others are
   * booked all the same). Without the names (the caller knows them or reads them).
   */
  async signUpMany(m: EntityManager, activityId: string, townshipId: string, owners: readonly SignupRequest[]): Promise<SignupOutcome[]> {
    const rows = await m.query(SIGN_UPS, [
      activityId,
      townshipId,
      owners.map((o) => o.residentId),
      owners.map((o) => o.dependentId),
      owners.map((o) => o.actedBy),
      owners.map((o) => o.now),
    ]);
    if (!rows.length) return owners.map(() => ({}));
    return rows.map(({ activityTownshipId, activityStatus, activityDeadline, refused, ...signup }: Record<string, any>) => ({
      activity: { townshipId: activityTownshipId, status: activityStatus, signupDeadline: activityDeadline },
      signup: signup.id ? (signup as ActivitySignup) : undefined,
      alreadySignedUp: refused === 'CBA01',
    }));
  }

  /**
   * Cancels the owner's live sign-up in one call of `activity_cancel_signup`, in the
   * caller's transaction: the exclusive lock once a live sign-up is seen, the activity read
   * after it, the cancellation, the freed place given to the first waitlisted. Returns the
   * activity as read (undefined if none; nothing is written unless it is in `townshipId`,
   * PUBLISHED and not yet started at `now`), the cancelled sign-up (undefined if none was
   * live) and the residents promoted. Without the names.
   */
  async cancel(
    m: EntityManager,
    activityId: string,
    owner: SignupOwner,
    townshipId: string,
    now: Date,
    reason: string,
  ): Promise<{ activity?: Pick<Activity, 'id' | 'townshipId' | 'status' | 'startsAt' | 'title'>; signup?: ActivitySignup; promoted: string[] }> {
    const [row] = await m.query(CANCEL, [activityId, owner.residentId ?? null, townshipId, now, reason, owner.dependentId ?? null]);
    const { activityTownshipId, activityStatus, activityStartsAt, activityTitle, promoted, ...signup } = row;
    return {
      activity: activityTownshipId
        ? { id: activityId, townshipId: activityTownshipId, status: activityStatus, startsAt: activityStartsAt, title: activityTitle }
        : undefined,
      signup: signup.id ? (signup as ActivitySignup) : undefined,
      promoted,
    };
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
