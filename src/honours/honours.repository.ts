import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DEFAULT_STARS_PER_BRANCH, MonthEarning, RankedStar, StarBasis, StarRung } from './honours.rules';

export interface StoredStar {
  rank: number;
  residentId: string;
  points: number;
  firstEarnedAt: Date;
}

/** Every statement on the honours tables (honour_setting, star_level, honour_month, honour_earning, monthly_star). */
@Injectable()
export class HonoursRepository {
  async starsPerBranch(m: EntityManager, townshipId: string): Promise<number> {
    const [row] = await m.query(`SELECT stars_per_branch AS n FROM honour_setting WHERE township_id = $1`, [townshipId]);
    return row?.n ?? DEFAULT_STARS_PER_BRANCH;
  }

  async saveStarsPerBranch(m: EntityManager, townshipId: string, count: number, actorId: string): Promise<void> {
    await m.query(
      `INSERT INTO honour_setting (township_id, stars_per_branch, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (township_id) DO UPDATE SET stars_per_branch = EXCLUDED.stars_per_branch, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [townshipId, count, actorId],
    );
  }

  /** What the township's star levels count (POINTS until its admin chooses). */
  async starBasis(m: EntityManager, townshipId: string): Promise<StarBasis> {
    return (await this.setting(m, townshipId)).starBasis;
  }

  /** Both settings in one read, with their defaults for a township that has set neither. */
  async setting(m: EntityManager, townshipId: string): Promise<{ starsPerBranch: number; starBasis: StarBasis }> {
    const [row] = await m.query(`SELECT stars_per_branch AS n, star_basis AS basis FROM honour_setting WHERE township_id = $1`, [townshipId]);
    return { starsPerBranch: row?.n ?? DEFAULT_STARS_PER_BRANCH, starBasis: row?.basis ?? StarBasis.POINTS };
  }

  /** Sets the basis; returns the one it replaces (locking the row, so two admins switching at once are audited in order). */
  async saveStarBasis(m: EntityManager, townshipId: string, basis: StarBasis, actorId: string): Promise<StarBasis> {
    await m.query(`INSERT INTO honour_setting (township_id, updated_by) VALUES ($1, $2) ON CONFLICT (township_id) DO NOTHING`, [townshipId, actorId]);
    const [{ before }] = await m.query(`SELECT star_basis AS before FROM honour_setting WHERE township_id = $1 FOR UPDATE`, [townshipId]);
    await m.query(`UPDATE honour_setting SET star_basis = $2, updated_by = $3, updated_at = now() WHERE township_id = $1`, [townshipId, basis, actorId]);
    return before;
  }

  /** The township's own ladder for the basis, lowest first; empty when it has set none. */
  async ladder(m: EntityManager, townshipId: string, basis: StarBasis): Promise<StarRung[]> {
    const rows: { name: string; threshold: string }[] = await m.query(
      `SELECT name, threshold FROM star_level WHERE township_id = $1 AND basis = $2 ORDER BY level`,
      [townshipId, basis],
    );
    return rows.map((r) => ({ name: r.name, threshold: Number(r.threshold) }));
  }

  /** Replaces the ladder (the deferred ladder trigger checks the result at commit). */
  async replaceLadder(m: EntityManager, townshipId: string, basis: StarBasis, ladder: StarRung[], actorId: string): Promise<void> {
    await m.query(`DELETE FROM star_level WHERE township_id = $1 AND basis = $2`, [townshipId, basis]);
    await m.query(
      `INSERT INTO star_level (township_id, basis, level, name, threshold, updated_by)
       SELECT $1, $2, l.level, l.name, l.threshold, $5 FROM unnest($3::text[], $4::int8[]) WITH ORDINALITY AS l(name, threshold, level)`,
      [townshipId, basis, ladder.map((r) => r.name), ladder.map((r) => r.threshold), actorId],
    );
  }

  /**
   * Claims the month for recording: true for the one transaction that inserted its row.
   * A concurrent claimer waits on the primary key until the first commits, then gets false.
   */
  async claimMonth(m: EntityManager, townshipId: string, period: string, starsPerBranch: number): Promise<boolean> {
    const rows = await m.query(
      `INSERT INTO honour_month (township_id, month, stars_per_branch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [townshipId, period, starsPerBranch],
    );
    return rows.length > 0;
  }

  async insertEarnings(m: EntityManager, townshipId: string, period: string, earnings: MonthEarning[]): Promise<void> {
    if (!earnings.length) return;
    await m.query(
      `INSERT INTO honour_earning (township_id, month, resident_id, branch_id, points, first_earned_at)
       SELECT $1, $2, e.resident_id, e.branch_id, e.points, e.first_earned_at
       FROM unnest($3::uuid[], $4::uuid[], $5::int8[], $6::timestamptz[]) AS e(resident_id, branch_id, points, first_earned_at)`,
      [
        townshipId,
        period,
        earnings.map((e) => e.residentId),
        earnings.map((e) => e.branchId),
        earnings.map((e) => e.points),
        earnings.map((e) => e.firstEarnedAt),
      ],
    );
  }

  async insertStars(m: EntityManager, townshipId: string, period: string, stars: RankedStar[]): Promise<void> {
    if (!stars.length) return;
    await m.query(
      `INSERT INTO monthly_star (township_id, month, branch_id, rank, resident_id, points, first_earned_at)
       SELECT $1, $2, s.branch_id, s.rank, s.resident_id, s.points, s.first_earned_at
       FROM unnest($3::uuid[], $4::int2[], $5::uuid[], $6::int8[], $7::timestamptz[]) AS s(branch_id, rank, resident_id, points, first_earned_at)`,
      [
        townshipId,
        period,
        stars.map((s) => s.branchId),
        stars.map((s) => s.rank),
        stars.map((s) => s.residentId),
        stars.map((s) => s.points),
        stars.map((s) => s.firstEarnedAt),
      ],
    );
  }

  /** The recorded month, if it is. */
  async month(m: EntityManager, townshipId: string, period: string): Promise<{ starsPerBranch: number; recordedAt: Date } | undefined> {
    const [row] = await m.query(
      `SELECT stars_per_branch AS "starsPerBranch", recorded_at AS "recordedAt" FROM honour_month WHERE township_id = $1 AND month = $2`,
      [townshipId, period],
    );
    return row;
  }

  /** A branch's stars of a recorded month, by rank. */
  async stars(m: EntityManager, townshipId: string, period: string, branchId: string): Promise<StoredStar[]> {
    const rows: { rank: number; residentId: string; points: string; firstEarnedAt: Date }[] = await m.query(
      `SELECT rank, resident_id AS "residentId", points, first_earned_at AS "firstEarnedAt"
       FROM monthly_star WHERE township_id = $1 AND month = $2 AND branch_id = $3 ORDER BY rank`,
      [townshipId, period, branchId],
    );
    return rows.map((r) => ({ ...r, points: Number(r.points) }));
  }

  /** The months of the township whose earnings are recorded (period dates). */
  async recordedPeriods(m: EntityManager, townshipId: string): Promise<string[]> {
    const rows: { period: string }[] = await m.query(
      `SELECT to_char(month, 'YYYY-MM-DD') AS period FROM honour_month WHERE township_id = $1 ORDER BY month`,
      [townshipId],
    );
    return rows.map((r) => r.period);
  }

  /** Each resident's recorded earnings over these recorded months (an index-only scan per resident). */
  async recordedEarned(m: EntityManager, residentIds: string[], periods: string[]): Promise<Map<string, number>> {
    if (!residentIds.length || !periods.length) return new Map();
    const rows: { residentId: string; points: string }[] = await m.query(
      `SELECT resident_id AS "residentId", sum(points)::int8 AS points FROM honour_earning
       WHERE resident_id = ANY($1::uuid[]) AND month = ANY($2::date[]) GROUP BY resident_id`,
      [residentIds, periods],
    );
    return new Map(rows.map((r) => [r.residentId, Number(r.points)]));
  }
}
