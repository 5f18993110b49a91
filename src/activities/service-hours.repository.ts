import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ServiceRecordRow {
  id: string;
  activityId: string;
  title: string;
  branchId: string;
  startsAt: Date;
  endsAt: Date;
  minutesServed: number;
  pointsEarned: number;
}

const RECORD_COLUMNS = `a.id, a.id AS "activityId", a.title, a.branch_id AS "branchId", a.starts_at AS "startsAt", a.ends_at AS "endsAt",
  s.minutes_served AS "minutesServed", CASE WHEN s.reward_entry_id IS NULL THEN 0 ELSE a.reward_points END AS "pointsEarned"`;

/**
 * Service hours, read from attendance (a resident's own sign-ups: a dependent's attendance,
 * paid to the member who registered them, is not the member's service): a resident's minutes served at completed activities
 * (fixed at completion; see SignupRepository.closeAttendance). Nothing here touches the
 * ledger: hours are kept apart from points and spending never reduces them.
 */
@Injectable()
export class ServiceHoursRepository {
  async summary(m: EntityManager, residentId: string): Promise<{ totalMinutes: number; activityCount: number }> {
    const [row] = await m.query(
      `SELECT coalesce(sum(s.minutes_served), 0)::int AS "totalMinutes", count(*)::int AS "activityCount"
       FROM activity_signup s JOIN activity a ON a.id = s.activity_id
       WHERE s.resident_id = $1 AND s.dependent_id IS NULL AND s.minutes_served > 0 AND a.status = 'COMPLETED'`,
      [residentId],
    );
    return row;
  }

  /** Newest first, after the keyset (start, activity id); `limit` rows. */
  async records(m: EntityManager, residentId: string, after: [Date, string] | null, limit: number): Promise<ServiceRecordRow[]> {
    return m.query(
      `SELECT ${RECORD_COLUMNS} FROM activity_signup s JOIN activity a ON a.id = s.activity_id
       WHERE s.resident_id = $1 AND s.dependent_id IS NULL AND s.minutes_served > 0 AND a.status = 'COMPLETED'
         AND ($2::timestamptz IS NULL OR (a.starts_at, a.id) < ($2::timestamptz, $3::uuid))
       ORDER BY a.starts_at DESC, a.id DESC LIMIT $4`,
      [residentId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  /** Every record, oldest first (what a certificate states), at most `limit`. */
  async allRecords(m: EntityManager, residentId: string, limit: number): Promise<ServiceRecordRow[]> {
    return m.query(
      `SELECT ${RECORD_COLUMNS} FROM activity_signup s JOIN activity a ON a.id = s.activity_id
       WHERE s.resident_id = $1 AND s.dependent_id IS NULL AND s.minutes_served > 0 AND a.status = 'COMPLETED'
       ORDER BY a.starts_at, a.id LIMIT $2`,
      [residentId, limit],
    );
  }
}
