import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { selectColumns } from '../database/select-columns';
import { ExpiryMode, PointsExpiryRun, TownshipPolicy } from './township-policy.entity';

const POLICY_COLUMNS = selectColumns(TownshipPolicy, 'p');
const RUN_COLUMNS = `to_char(r.cutoff_date, 'YYYY-MM-DD') AS "cutoffDate", r.status, r.residents, r.points::int AS points,
  r.started_at AS "startedAt", r.finished_at AS "finishedAt"`;

export const DEFAULT_POLICY = (townshipId: string): TownshipPolicy => ({
  townshipId,
  minAttendancePercent: 0,
  expiryMode: ExpiryMode.NONE,
  expiryMonth: null,
  expiryDay: null,
  expiryNoticeDays: 30,
  expirySetAt: null,
  updatedAt: null,
});

export interface PolicyChange {
  minAttendancePercent: number;
  expiryMode: ExpiryMode;
  expiryMonth: number | null;
  expiryDay: number | null;
  expiryNoticeDays: number;
  /** The expiry rule changed: its notice period starts again now. */
  expiryChanged: boolean;
}

/** The `township_policy` and `points_expiry_run` tables. */
@Injectable()
export class TownshipPolicyRepository {
  /** The township's policy, or the defaults when it never set one. */
  async get(m: EntityManager, townshipId: string): Promise<TownshipPolicy> {
    const [row] = await m.query(`SELECT ${POLICY_COLUMNS} FROM township_policy p WHERE p.township_id = $1`, [townshipId]);
    return row ?? DEFAULT_POLICY(townshipId);
  }

  async save(m: EntityManager, townshipId: string, change: PolicyChange, by: string): Promise<TownshipPolicy> {
    const [row] = await m.query(
      `INSERT INTO township_policy AS p (township_id, min_attendance_percent, expiry_mode, expiry_month, expiry_day, expiry_notice_days,
                                         expiry_set_at, updated_at, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'YEARLY' THEN now() END, now(), $8)
       ON CONFLICT (township_id) DO UPDATE SET
         min_attendance_percent = EXCLUDED.min_attendance_percent, expiry_mode = EXCLUDED.expiry_mode,
         expiry_month = EXCLUDED.expiry_month, expiry_day = EXCLUDED.expiry_day, expiry_notice_days = EXCLUDED.expiry_notice_days,
         expiry_set_at = CASE WHEN EXCLUDED.expiry_mode <> 'YEARLY' THEN NULL WHEN $7 OR p.expiry_set_at IS NULL THEN now() ELSE p.expiry_set_at END,
         updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING ${POLICY_COLUMNS}`,
      [townshipId, change.minAttendancePercent, change.expiryMode, change.expiryMonth, change.expiryDay, change.expiryNoticeDays, change.expiryChanged, by],
    );
    return row;
  }

  /** Every township with a yearly reset. */
  async yearly(m: EntityManager): Promise<TownshipPolicy[]> {
    return m.query(`SELECT ${POLICY_COLUMNS} FROM township_policy p WHERE p.expiry_mode = 'YEARLY' ORDER BY p.township_id`);
  }

  // ---- expiry runs ------------------------------------------------------------------

  /** Starts the run of a cut-off (or finds it) and locks it: concurrent runs of one cut-off take turns. */
  async lockRun(m: EntityManager, townshipId: string, cutoffDate: string, cutoffAt: Date): Promise<PointsExpiryRun> {
    await m.query(
      `INSERT INTO points_expiry_run (township_id, cutoff_date, cutoff_at) VALUES ($1, $2::date, $3) ON CONFLICT DO NOTHING`,
      [townshipId, cutoffDate, cutoffAt],
    );
    const [row] = await m.query(`SELECT ${RUN_COLUMNS} FROM points_expiry_run r WHERE r.township_id = $1 AND r.cutoff_date = $2::date FOR UPDATE`, [
      townshipId,
      cutoffDate,
    ]);
    return row;
  }

  async finishRun(m: EntityManager, townshipId: string, cutoffDate: string, residents: number, points: number): Promise<PointsExpiryRun> {
    const [[row]] = await m.query(
      `UPDATE points_expiry_run r SET status = 'DONE', residents = $3, points = $4, finished_at = now()
       WHERE r.township_id = $1 AND r.cutoff_date = $2::date RETURNING ${RUN_COLUMNS}`,
      [townshipId, cutoffDate, residents, points],
    );
    return row;
  }

  async run(m: EntityManager, townshipId: string, cutoffDate: string): Promise<PointsExpiryRun | undefined> {
    const [row] = await m.query(`SELECT ${RUN_COLUMNS} FROM points_expiry_run r WHERE r.township_id = $1 AND r.cutoff_date = $2::date`, [
      townshipId,
      cutoffDate,
    ]);
    return row;
  }

  /** The township's latest runs, newest first. */
  async recentRuns(m: EntityManager, townshipId: string, limit = 5): Promise<PointsExpiryRun[]> {
    return m.query(`SELECT ${RUN_COLUMNS} FROM points_expiry_run r WHERE r.township_id = $1 ORDER BY r.cutoff_date DESC LIMIT $2`, [townshipId, limit]);
  }
}
