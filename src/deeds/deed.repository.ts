import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DeedKind, DeedReportStatus } from './dto/deed.models';

/** The notice window when a township has not set one. */
export const DEFAULT_NOTICE_DAYS = 3;

/** A report row as stored, with its kind's name; names are attached from the organisation. */
export interface DeedReportRow {
  id: string;
  townshipId: string;
  branchId: string;
  residentId: string;
  subjectPersonId: string;
  reportedBy: string;
  kindId: string;
  kindName: string;
  title: string;
  description: string;
  occurredAt: Date;
  points: number;
  photoId: string;
  status: DeedReportStatus;
  round: number;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  noticeStartsAt: Date | null;
  noticeEndsAt: Date | null;
  recheckReason: string | null;
  entryId: string | null;
  mintedAt: Date | null;
  createdAt: Date;
}

const SELECT_REPORT = `
  SELECT r.id, r.township_id AS "townshipId", r.branch_id AS "branchId", r.resident_id AS "residentId",
         r.subject_person_id AS "subjectPersonId", r.reported_by AS "reportedBy", r.kind_id AS "kindId", k.name AS "kindName",
         r.title, r.description, r.occurred_at AS "occurredAt", r.points, r.photo_id AS "photoId", r.status, r.round,
         r.decided_by AS "decidedBy", r.decided_at AS "decidedAt", r.decision_reason AS "decisionReason",
         r.notice_starts_at AS "noticeStartsAt", r.notice_ends_at AS "noticeEndsAt",
         (SELECT c.reason FROM deed_recheck c WHERE c.report_id = r.id ORDER BY c.created_at DESC LIMIT 1) AS "recheckReason",
         r.entry_id::text AS "entryId", r.minted_at AS "mintedAt", r.created_at AS "createdAt"
  FROM deed_report r JOIN deed_kind k ON k.id = r.kind_id`;

const SELECT_KIND = `SELECT id, township_id AS "townshipId", name, points, active FROM deed_kind`;

/** Every statement on the deeds tables (deed_setting, deed_kind, deed_scorer, deed_photo, deed_report, deed_recheck). */
@Injectable()
export class DeedRepository {
  // ---- the township's table ---------------------------------------------------

  async noticeDays(m: EntityManager, townshipId: string): Promise<number> {
    const [row] = await m.query(`SELECT notice_days AS days FROM deed_setting WHERE township_id = $1`, [townshipId]);
    return row?.days ?? DEFAULT_NOTICE_DAYS;
  }

  async setNoticeDays(m: EntityManager, townshipId: string, days: number, by: string): Promise<void> {
    await m.query(
      `INSERT INTO deed_setting (township_id, notice_days, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (township_id) DO UPDATE SET notice_days = EXCLUDED.notice_days, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [townshipId, days, by],
    );
  }

  async kinds(m: EntityManager, townshipId: string): Promise<DeedKind[]> {
    return m.query(`${SELECT_KIND} WHERE township_id = $1 ORDER BY active DESC, name, id`, [townshipId]);
  }

  async kind(m: EntityManager, townshipId: string, kindId: string): Promise<DeedKind | undefined> {
    const [kind] = await m.query(`${SELECT_KIND} WHERE township_id = $1 AND id = $2`, [townshipId, kindId]);
    return kind;
  }

  /** A new kind; undefined when the township already has one of that name. */
  async addKind(m: EntityManager, townshipId: string, name: string, points: number, active: boolean): Promise<DeedKind | undefined> {
    const [kind] = await m.query(
      `INSERT INTO deed_kind (township_id, name, points, active) VALUES ($1, $2, $3, $4)
       ON CONFLICT (township_id, name) DO NOTHING RETURNING id, township_id AS "townshipId", name, points, active`,
      [townshipId, name, points, active],
    );
    return kind;
  }

  /** Changes a kind; undefined when it is not the township's. A name taken by another kind is a unique violation. */
  async updateKind(m: EntityManager, townshipId: string, kindId: string, name: string, points: number, active: boolean): Promise<DeedKind | undefined> {
    const [rows] = await m.query(
      `UPDATE deed_kind SET name = $3, points = $4, active = $5 WHERE township_id = $1 AND id = $2
       RETURNING id, township_id AS "townshipId", name, points, active`,
      [townshipId, kindId, name, points, active],
    );
    return rows[0];
  }

  async nameTaken(m: EntityManager, townshipId: string, name: string, exceptId: string): Promise<boolean> {
    return (await m.query(`SELECT 1 FROM deed_kind WHERE township_id = $1 AND name = $2 AND id <> $3`, [townshipId, name, exceptId])).length > 0;
  }

  // ---- scoring groups -----------------------------------------------------------

  async scorers(m: EntityManager, branchId: string): Promise<{ residentId: string; personId: string; appointedAt: Date }[]> {
    return m.query(
      `SELECT resident_id AS "residentId", person_id AS "personId", appointed_at AS "appointedAt"
       FROM deed_scorer WHERE branch_id = $1 ORDER BY appointed_at, person_id`,
      [branchId],
    );
  }

  async isScorer(m: EntityManager, branchId: string, personId: string): Promise<boolean> {
    return (await m.query(`SELECT 1 FROM deed_scorer WHERE branch_id = $1 AND person_id = $2`, [branchId, personId])).length > 0;
  }

  /** True when the resident was not yet a member. */
  async addScorer(m: EntityManager, s: { townshipId: string; branchId: string; residentId: string; personId: string; by: string }): Promise<boolean> {
    const rows = await m.query(
      `INSERT INTO deed_scorer (township_id, branch_id, resident_id, person_id, appointed_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [s.townshipId, s.branchId, s.residentId, s.personId, s.by],
    );
    return rows.length > 0;
  }

  async removeScorer(m: EntityManager, branchId: string, residentId: string): Promise<boolean> {
    const [, affected] = await m.query(`DELETE FROM deed_scorer WHERE branch_id = $1 AND resident_id = $2`, [branchId, residentId]);
    return affected > 0;
  }

  // ---- photos -------------------------------------------------------------------

  async addPhoto(m: EntityManager, p: { townshipId: string; uploadedBy: string; contentType: string; data: Buffer }): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO deed_photo (township_id, uploaded_by, content_type, size, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [p.townshipId, p.uploadedBy, p.contentType, p.data.length, p.data],
    );
    return row.id;
  }

  async photosUploadedSince(m: EntityManager, personId: string, hours: number): Promise<number> {
    const [{ n }] = await m.query(
      `SELECT count(*)::int AS n FROM deed_photo WHERE uploaded_by = $1 AND created_at > now() - make_interval(hours => $2)`,
      [personId, hours],
    );
    return n;
  }

  /** Locks a photo of this uploader that no report uses yet; false otherwise. */
  async claimPhoto(m: EntityManager, photoId: string, townshipId: string, uploadedBy: string): Promise<boolean> {
    const rows = await m.query(
      `SELECT 1 FROM deed_photo p WHERE p.id = $1 AND p.township_id = $2 AND p.uploaded_by = $3
         AND NOT EXISTS (SELECT 1 FROM deed_report r WHERE r.photo_id = p.id)
       FOR UPDATE`,
      [photoId, townshipId, uploadedBy],
    );
    return rows.length > 0;
  }

  async photo(m: EntityManager, photoId: string): Promise<{ id: string; uploadedBy: string; contentType: string; data: Buffer; reportId: string | null } | undefined> {
    const [row] = await m.query(
      `SELECT p.id, p.uploaded_by AS "uploadedBy", p.content_type AS "contentType", p.data,
              (SELECT r.id FROM deed_report r WHERE r.photo_id = p.id) AS "reportId"
       FROM deed_photo p WHERE p.id = $1`,
      [photoId],
    );
    return row;
  }

  /** Photos no report took within a day of their upload: deleted by the sweep. */
  async deleteUnusedPhotos(m: EntityManager): Promise<number> {
    const [, affected] = await m.query(
      `DELETE FROM deed_photo p WHERE p.created_at < now() - interval '1 day'
         AND NOT EXISTS (SELECT 1 FROM deed_report r WHERE r.photo_id = p.id)`,
    );
    return affected;
  }

  // ---- reports ------------------------------------------------------------------

  async insertReport(
    m: EntityManager,
    r: {
      townshipId: string;
      branchId: string;
      residentId: string;
      subjectPersonId: string;
      reportedBy: string;
      kindId: string;
      title: string;
      description: string;
      occurredAt: Date;
      points: number;
      photoId: string;
    },
  ): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO deed_report (township_id, branch_id, resident_id, subject_person_id, reported_by, kind_id, title, description,
                                occurred_at, points, photo_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [r.townshipId, r.branchId, r.residentId, r.subjectPersonId, r.reportedBy, r.kindId, r.title, r.description, r.occurredAt, r.points, r.photoId],
    );
    return row.id;
  }

  async report(m: EntityManager, reportId: string, lock?: 'FOR UPDATE'): Promise<DeedReportRow | undefined> {
    const [row] = await m.query(`${SELECT_REPORT} WHERE r.id = $1 ${lock ? 'FOR UPDATE OF r' : ''}`, [reportId]);
    return row;
  }

  /** Reports newest first, about or by a person (a resident's own), or of a branch (optionally of some statuses). */
  async reports(
    m: EntityManager,
    where: { residentId: string; personId: string } | { branchId: string; statuses: DeedReportStatus[] | null },
    after: string[] | undefined,
    limit: number,
  ): Promise<DeedReportRow[]> {
    const params: unknown[] = [after?.[0] ?? null, after?.[1] ?? null, limit];
    let filter: string;
    if ('branchId' in where) {
      params.push(where.branchId, where.statuses);
      filter = `r.branch_id = $4 AND ($5::text[] IS NULL OR r.status = ANY($5::text[]))`;
    } else {
      params.push(where.residentId, where.personId);
      filter = `(r.resident_id = $4 OR r.reported_by = $5)`;
    }
    return m.query(
      `${SELECT_REPORT} WHERE ${filter} AND ($1::timestamptz IS NULL OR (r.created_at, r.id) < ($1::timestamptz, $2::uuid))
       ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
      params,
    );
  }

  /** The branch's notice: reports on it or back with the group on a recheck, the soonest closing first. */
  async notice(m: EntityManager, branchId: string): Promise<DeedReportRow[]> {
    return m.query(`${SELECT_REPORT} WHERE r.branch_id = $1 AND r.status IN ('ON_NOTICE', 'RECHECK') ORDER BY r.notice_ends_at, r.id LIMIT 200`, [
      branchId,
    ]);
  }

  /** Puts a report on the notice for `days`, as a new round; returns the round and when it closes. */
  async approve(m: EntityManager, reportId: string, by: string, reason: string, days: number): Promise<{ round: number; noticeEndsAt: Date }> {
    const [[row]] = await m.query(
      `UPDATE deed_report SET status = 'ON_NOTICE', round = round + 1, decided_by = $2, decided_at = now(), decision_reason = $3,
              notice_starts_at = now(), notice_ends_at = now() + make_interval(days => $4)
       WHERE id = $1 RETURNING round, notice_ends_at AS "noticeEndsAt"`,
      [reportId, by, reason, days],
    );
    return row;
  }

  async reject(m: EntityManager, reportId: string, by: string, reason: string): Promise<void> {
    await m.query(`UPDATE deed_report SET status = 'REJECTED', decided_by = $2, decided_at = now(), decision_reason = $3 WHERE id = $1`, [
      reportId,
      by,
      reason,
    ]);
  }

  async resolveRecheck(m: EntityManager, reportId: string, outcome: 'APPROVED' | 'REJECTED'): Promise<void> {
    await m.query(`UPDATE deed_recheck SET resolved_at = now(), outcome = $2 WHERE report_id = $1 AND resolved_at IS NULL`, [reportId, outcome]);
  }

  /** True while the report's notice window is open by the database's clock. */
  async noticeOpen(m: EntityManager, reportId: string): Promise<boolean> {
    const [row] = await m.query(`SELECT now() < notice_ends_at AS open FROM deed_report WHERE id = $1`, [reportId]);
    return row?.open === true;
  }

  async openRecheck(m: EntityManager, r: { townshipId: string; reportId: string; round: number; requestedBy: string; reason: string }): Promise<void> {
    await m.query(`INSERT INTO deed_recheck (township_id, report_id, round, requested_by, reason) VALUES ($1, $2, $3, $4, $5)`, [
      r.townshipId,
      r.reportId,
      r.round,
      r.requestedBy,
      r.reason,
    ]);
    await m.query(`UPDATE deed_report SET status = 'RECHECK' WHERE id = $1`, [r.reportId]);
  }

  async markMinted(m: EntityManager, reportId: string, entryId: string): Promise<void> {
    await m.query(`UPDATE deed_report SET status = 'MINTED', entry_id = $2, minted_at = now() WHERE id = $1`, [reportId, entryId]);
  }

  /** Reports whose notice has closed and are still waiting for their mint (the sweep's work). */
  async closedNotices(m: EntityManager, limit: number): Promise<{ id: string; round: number }[]> {
    return m.query(`SELECT id, round FROM deed_report WHERE status = 'ON_NOTICE' AND notice_ends_at <= now() ORDER BY notice_ends_at LIMIT $1`, [limit]);
  }
}
