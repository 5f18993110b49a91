import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Theme } from './dto/theme.models';

const SELECT_THEME = `
  SELECT t.id, t.township_id AS "townshipId", t.branch_id AS "branchId", to_char(t.month, 'YYYY-MM') AS month,
         t.title, t.description, t.suggested_points AS "suggestedPoints"
  FROM theme t`;

/** What a new theme is: the township's (branchId null) or a branch's own, for one month (`period` its first day). */
export interface NewTheme {
  townshipId: string;
  branchId: string | null;
  period: string;
  title: string;
  description: string;
  suggestedPoints: number;
  createdBy: string;
}

/** The `theme`, `theme_publication` and `theme_publication_item` tables. */
@Injectable()
export class ThemeRepository {
  /** Serialises the themes of (township, month) and their publications, until the transaction ends. */
  async lockMonth(m: EntityManager, townshipId: string, month: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('themes:' || $1 || ':' || $2, 0))`, [townshipId, month]);
  }

  async find(m: EntityManager, id: string): Promise<Theme | undefined> {
    const [theme] = await m.query(`${SELECT_THEME} WHERE t.id = $1`, [id]);
    return theme;
  }

  /** The id of the township's own theme of the month with this title. */
  async townshipThemeId(m: EntityManager, townshipId: string, period: string, title: string): Promise<string | undefined> {
    const [row] = await m.query(`SELECT id FROM theme WHERE township_id = $1 AND branch_id IS NULL AND month = $2 AND title = $3`, [
      townshipId,
      period,
      title,
    ]);
    return row?.id;
  }

  /** How many themes the township (branchId null) or the branch has set for the month. */
  async count(m: EntityManager, townshipId: string, branchId: string | null, period: string): Promise<number> {
    const [{ count }] = await m.query(
      `SELECT count(*)::int AS count FROM theme WHERE township_id = $1 AND month = $2 AND branch_id IS NOT DISTINCT FROM $3`,
      [townshipId, period, branchId],
    );
    return count;
  }

  /** The new theme's id; undefined if the month already has a theme of that title. */
  async insert(m: EntityManager, theme: NewTheme): Promise<string | undefined> {
    const [row] = await m.query(
      `INSERT INTO theme (township_id, branch_id, month, title, description, suggested_points, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [theme.townshipId, theme.branchId, theme.period, theme.title, theme.description, theme.suggestedPoints, theme.createdBy],
    );
    return row?.id;
  }

  async delete(m: EntityManager, id: string): Promise<void> {
    await m.query(`DELETE FROM theme WHERE id = $1`, [id]);
  }

  /** The township's themes of the month, then the branch's own when a branch is given, in list order. */
  monthThemes(m: EntityManager, townshipId: string, period: string, branchId: string | null): Promise<Theme[]> {
    return m.query(
      `${SELECT_THEME} WHERE t.township_id = $1 AND t.month = $2 AND (t.branch_id IS NULL OR t.branch_id = $3)
       ORDER BY t.branch_id NULLS FIRST, t.created_at, t.title`,
      [townshipId, period, branchId],
    );
  }

  /**
   * The branch's published list of the month in one statement: its township, when it was
   * published and its themes in published order; undefined while it is not published.
   */
  async publishedList(m: EntityManager, branchId: string, period: string): Promise<{ townshipId: string; publishedAt: Date; themes: Theme[] } | undefined> {
    const rows: (Theme & { listTownshipId: string; publishedAt: Date })[] = await m.query(
      `SELECT p.township_id AS "listTownshipId", p.published_at AS "publishedAt",
              t.id, t.township_id AS "townshipId", t.branch_id AS "branchId", to_char(t.month, 'YYYY-MM') AS month,
              t.title, t.description, t.suggested_points AS "suggestedPoints"
       FROM theme_publication p
       LEFT JOIN theme_publication_item i ON i.branch_id = p.branch_id AND i.month = p.month
       LEFT JOIN theme t ON t.id = i.theme_id
       WHERE p.branch_id = $1 AND p.month = $2 ORDER BY i.position`,
      [branchId, period],
    );
    if (!rows.length) return undefined;
    const themes = rows.filter((r) => r.id).map(({ listTownshipId: _t, publishedAt: _p, ...theme }) => theme as Theme);
    return { townshipId: rows[0].listTownshipId, publishedAt: rows[0].publishedAt, themes };
  }

  /** Is the theme in the branch's published list of the month? */
  async isPublished(m: EntityManager, item: { townshipId: string; branchId: string; period: string; themeId: string }): Promise<boolean> {
    const rows = await m.query(
      `SELECT 1 FROM theme_publication_item i JOIN theme_publication p ON p.branch_id = i.branch_id AND p.month = i.month
       WHERE p.township_id = $1 AND i.branch_id = $2 AND i.month = $3 AND i.theme_id = $4`,
      [item.townshipId, item.branchId, item.period, item.themeId],
    );
    return rows.length > 0;
  }

  /** The branches of the township whose list of the month is published, with when. */
  publications(m: EntityManager, townshipId: string, period: string): Promise<{ branchId: string; publishedAt: Date }[]> {
    return m.query(
      `SELECT branch_id AS "branchId", published_at AS "publishedAt" FROM theme_publication WHERE township_id = $1 AND month = $2`,
      [townshipId, period],
    );
  }

  /** How many lists of the month each township has published (townships with none are absent). */
  publishedCounts(m: EntityManager, period: string): Promise<{ townshipId: string; published: number }[]> {
    return m.query(
      `SELECT township_id AS "townshipId", count(*)::int AS published FROM theme_publication WHERE month = $1 GROUP BY township_id`,
      [period],
    );
  }

  /** Is any list of the month out: the branch's, or any branch's when branchId is null? */
  async anyPublished(m: EntityManager, townshipId: string, branchId: string | null, period: string): Promise<boolean> {
    const published = await m.query(
      `SELECT 1 FROM theme_publication WHERE township_id = $1 AND month = $2 AND ($3::uuid IS NULL OR branch_id = $3) LIMIT 1`,
      [townshipId, period, branchId],
    );
    return published.length > 0;
  }

  /**
   * Publishes the branch's list of the month (the township's themes, then the branch's
   * own) unless it already is; true when this call published it.
   */
  async publish(m: EntityManager, townshipId: string, branchId: string, period: string, publishedBy: string | null): Promise<boolean> {
    const inserted = await m.query(
      `INSERT INTO theme_publication (township_id, branch_id, month, published_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [townshipId, branchId, period, publishedBy],
    );
    if (inserted.length === 0) return false;
    await m.query(
      `INSERT INTO theme_publication_item (township_id, branch_id, month, theme_id, position)
       SELECT $1, $2, $3, t.id, row_number() OVER (ORDER BY t.branch_id NULLS FIRST, t.created_at, t.title)
       FROM theme t
       WHERE t.township_id = $1 AND t.month = $3 AND (t.branch_id IS NULL OR t.branch_id = $2)`,
      [townshipId, branchId, period],
    );
    return true;
  }
}
