import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { notFound } from '../common/errors/domain.error';
import { isUuid } from '../common/ids';
import { selectColumns } from '../database/select-columns';
import { Activity } from './activity.entity';

const ACTIVITY_COLUMNS = selectColumns(Activity, 'a');

export type ActivityLock = '' | 'FOR UPDATE' | 'FOR SHARE';

/** What an activity changes to when edited (create takes the same plus its scope). */
export interface ActivityFields {
  serviceTeamId: string | null;
  themeId: string | null;
  title: string;
  description: string;
  place: string;
  startsAt: Date;
  endsAt: Date;
  signupDeadline: Date;
  capacity: number;
  rewardPoints: number;
}

export interface ActivityListQuery {
  townshipId: string;
  branchId: string | null;
  themeId: string | null;
  status: string | null;
  startsFrom: Date | null;
  startsBefore: Date | null;
  endsAfter: Date | null;
  /** Drafts are listed for admins, and for managers of `managedBranchIds`. */
  admin: boolean;
  managedBranchIds: string[];
  after: [Date, string] | null;
  limit: number;
}

/** The `activity` table. Sign-ups are in SignupRepository. */
@Injectable()
export class ActivityRepository {
  async insert(m: EntityManager, scope: { townshipId: string; branchId: string }, fields: ActivityFields, secret: Buffer, createdBy: string): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO activity (township_id, branch_id, service_team_id, theme_id, title, description, place, starts_at, ends_at,
                             signup_deadline, capacity, reward_points, checkin_secret, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [
        scope.townshipId,
        scope.branchId,
        fields.serviceTeamId,
        fields.themeId,
        fields.title,
        fields.description,
        fields.place,
        fields.startsAt,
        fields.endsAt,
        fields.signupDeadline,
        fields.capacity,
        fields.rewardPoints,
        secret,
        createdBy,
      ],
    );
    return row.id;
  }

  async update(m: EntityManager, id: string, next: ActivityFields): Promise<void> {
    await m.query(
      `UPDATE activity SET service_team_id = $2, theme_id = $3, title = $4, description = $5, place = $6, starts_at = $7,
              ends_at = $8, signup_deadline = $9, capacity = $10, reward_points = $11, updated_at = now()
       WHERE id = $1`,
      [id, next.serviceTeamId, next.themeId, next.title, next.description, next.place, next.startsAt, next.endsAt,
        next.signupDeadline, next.capacity, next.rewardPoints],
    );
  }

  async markPublished(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE activity SET status = 'PUBLISHED', updated_at = now() WHERE id = $1`, [id]);
  }

  async markCancelled(m: EntityManager, id: string, reason: string): Promise<void> {
    await m.query(`UPDATE activity SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now(), updated_at = now() WHERE id = $1`, [
      id,
      reason,
    ]);
  }

  async markCompleted(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE activity SET status = 'COMPLETED', completed_at = now(), updated_at = now() WHERE id = $1`, [id]);
  }

  /** The activity, or NOT_FOUND. */
  async get(m: EntityManager, id: string, lock: ActivityLock = ''): Promise<Activity> {
    const [row] = await m.query(`SELECT ${ACTIVITY_COLUMNS} FROM activity a WHERE a.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该活动');
    return row;
  }

  /** The activity with its check-in secret (never part of Activity), or NOT_FOUND. */
  async getWithSecret(m: EntityManager, id: string, lock: '' | 'FOR SHARE'): Promise<{ activity: Activity; secret: Buffer }> {
    const [row] = await m.query(`SELECT ${ACTIVITY_COLUMNS}, a.checkin_secret AS secret FROM activity a WHERE a.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该活动');
    const { secret, ...activity } = row;
    return { activity: activity as Activity, secret: secret as Buffer };
  }

  /** The branch's first activity of this title (the demo seed's "already there?"). */
  async findByTitle(m: EntityManager, branchId: string, title: string): Promise<{ id: string; status: string } | undefined> {
    const [row] = await m.query(`SELECT id, status FROM activity WHERE branch_id = $1 AND title = $2 ORDER BY created_at LIMIT 1`, [branchId, title]);
    return row;
  }

  /** Title and Asia/Shanghai start day (YYYY-MM-DD) of the activities with these ids (as text; ids that are none are absent). */
  async days(m: EntityManager, ids: string[]): Promise<Map<string, { title: string; date: string }>> {
    const uuids = ids.filter(isUuid);
    if (!uuids.length) return new Map();
    const rows: { id: string; title: string; date: string }[] = await m.query(
      `SELECT id::text AS id, title, to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS date FROM activity WHERE id = ANY($1::uuid[])`,
      [uuids],
    );
    return new Map(rows.map((r) => [r.id, { title: r.title, date: r.date }]));
  }

  async byIds(m: EntityManager, ids: string[]): Promise<Activity[]> {
    return m.query(`SELECT ${ACTIVITY_COLUMNS} FROM activity a WHERE a.id = ANY($1::uuid[])`, [ids]);
  }

  async list(m: EntityManager, q: ActivityListQuery): Promise<Activity[]> {
    return m.query(
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
        q.townshipId,
        q.branchId,
        q.themeId,
        q.status,
        q.startsFrom,
        q.startsBefore,
        q.endsAfter,
        q.admin,
        q.managedBranchIds,
        q.after?.[0] ?? null,
        q.after?.[1] ?? null,
        q.limit,
      ],
    );
  }

  /** The activity's advisory lock, exclusively: waits for sign-ups in flight (see SignupService). */
  async lockExclusive(m: EntityManager, id: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('activity:' || $1::uuid, 0))`, [id]);
  }
}
