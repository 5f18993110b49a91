import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { notFound } from '../common/errors/domain.error';
import { isUuid } from '../common/ids';
import { selectColumns } from '../database/select-columns';
import { Course, CourseEnrolment } from './course.entity';

const COURSE_COLUMNS = selectColumns(Course, 'c');
const ENROLMENT_COLUMNS = selectColumns(CourseEnrolment, 'e');

/** Whose enrolment: a resident's own (`residentId`), or a household dependent's (`dependentId`; its resident is the member who paid). */
export type EnrolmentOwner = { residentId: string; dependentId?: undefined } | { dependentId: string; residentId?: undefined };

function ownerIs(owner: EnrolmentOwner, n: number): string {
  return owner.dependentId ? `dependent_id = $${n}` : `resident_id = $${n} AND dependent_id IS NULL`;
}
const ownerId = (owner: EnrolmentOwner): string => owner.dependentId ?? owner.residentId!;

/** What a course changes to when edited (create takes the same plus its scope). */
export interface CourseFields {
  title: string;
  description: string;
  place: string;
  startsAt: Date;
  endsAt: Date;
  enrolDeadline: Date;
  cancelDeadline: Date;
  capacity: number;
  pricePoints: number;
}

export interface CourseListQuery {
  townshipId: string;
  branchId: string | null;
  status: string | null;
  startsFrom: Date | null;
  startsBefore: Date | null;
  endsAfter: Date | null;
  after: string[] | undefined;
  limit: number;
}

/** Whose enrolments a page lists: one resident's, or one course's. */
export type EnrolmentsOf = { residentId: string } | { courseId: string };

/** The `course` and `course_enrolment` tables. */
@Injectable()
export class CourseRepository {
  /** The course, optionally locked; NOT_FOUND if there is none. */
  async find(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<Course> {
    const [row] = await m.query(`SELECT ${COURSE_COLUMNS} FROM course c WHERE c.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该课程');
    return row;
  }

  async insert(m: EntityManager, scope: { townshipId: string; branchId: string }, fields: CourseFields, createdBy: string): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO course (township_id, branch_id, title, description, place, starts_at, ends_at, enrol_deadline,
                           cancel_deadline, capacity, price_points, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        scope.townshipId,
        scope.branchId,
        fields.title,
        fields.description,
        fields.place,
        fields.startsAt,
        fields.endsAt,
        fields.enrolDeadline,
        fields.cancelDeadline,
        fields.capacity,
        fields.pricePoints,
        createdBy,
      ],
    );
    return row.id;
  }

  async update(m: EntityManager, id: string, next: CourseFields): Promise<void> {
    await m.query(
      `UPDATE course SET title = $2, description = $3, place = $4, starts_at = $5, ends_at = $6, enrol_deadline = $7,
              cancel_deadline = $8, capacity = $9, price_points = $10, updated_at = now()
       WHERE id = $1`,
      [id, next.title, next.description, next.place, next.startsAt, next.endsAt, next.enrolDeadline, next.cancelDeadline,
        next.capacity, next.pricePoints],
    );
  }

  async markCancelled(m: EntityManager, id: string, reason: string): Promise<void> {
    await m.query(
      `UPDATE course SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now(), enrolled_count = 0, updated_at = now()
       WHERE id = $1`,
      [id, reason],
    );
  }

  /**
   * Takes a seat of an open course whose enrolment is still open at `now`, at the price the
   * caller charged: false when there is none (then it matches nothing and locks nothing).
   */
  async takeSeat(m: EntityManager, id: string, now: Date, pricePoints: number): Promise<boolean> {
    const [, taken] = await m.query(
      `UPDATE course SET enrolled_count = enrolled_count + 1
       WHERE id = $1 AND status = 'OPEN' AND enrol_deadline > $2 AND enrolled_count < capacity AND price_points = $3`,
      [id, now, pricePoints],
    );
    return taken === 1;
  }

  async releaseSeat(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE course SET enrolled_count = enrolled_count - 1 WHERE id = $1`, [id]);
  }

  /** A page of a township's courses by start, then id. */
  list(m: EntityManager, q: CourseListQuery): Promise<Course[]> {
    return m.query(
      `SELECT ${COURSE_COLUMNS} FROM course c
       WHERE c.township_id = $1
         AND ($2::uuid IS NULL OR c.branch_id = $2)
         AND ($3::text IS NULL OR c.status = $3)
         AND ($4::timestamptz IS NULL OR (c.starts_at >= $4 AND c.starts_at < $5))
         AND ($6::timestamptz IS NULL OR c.ends_at > $6)
         AND ($7::timestamptz IS NULL OR (c.starts_at, c.id) > ($7::timestamptz, $8::uuid))
       ORDER BY c.starts_at, c.id LIMIT $9`,
      [
        q.townshipId,
        q.branchId,
        q.status,
        q.startsFrom,
        q.startsBefore,
        q.endsAfter,
        q.after ? new Date(q.after[0]) : null,
        q.after?.[1] ?? null,
        q.limit,
      ],
    );
  }

  /** The id of a course of the branch with this title (the demo seed's "already there?"). */
  async idByTitle(m: EntityManager, branchId: string, title: string): Promise<string | undefined> {
    const [found] = await m.query(`SELECT id FROM course WHERE branch_id = $1 AND title = $2`, [branchId, title]);
    return found?.id;
  }

  /** Title and Asia/Shanghai start day (YYYY-MM-DD) of the courses with these ids (as text; ids that are none are absent). */
  async days(m: EntityManager, ids: string[]): Promise<Map<string, { title: string; date: string }>> {
    const uuids = ids.filter(isUuid);
    if (!uuids.length) return new Map();
    const rows: { id: string; title: string; date: string }[] = await m.query(
      `SELECT id::text AS id, title, to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS date FROM course WHERE id = ANY($1::uuid[])`,
      [uuids],
    );
    return new Map(rows.map((r) => [r.id, { title: r.title, date: r.date }]));
  }

  /** Courses by id, in no particular order. */
  byIds(m: EntityManager, ids: string[]): Promise<Course[]> {
    return m.query(`SELECT ${COURSE_COLUMNS} FROM course c WHERE c.id = ANY($1::uuid[])`, [ids]);
  }

  // ---- enrolments -----------------------------------------------------------------

  /** The course, and whether the owner holds an enrolment in it: one statement for the enrolment's first checks. */
  async findWithEnrolment(m: EntityManager, courseId: string, owner: EnrolmentOwner): Promise<{ course: Course; enrolled: boolean }> {
    const [row] = await m.query(
      `SELECT ${COURSE_COLUMNS}, EXISTS (SELECT 1 FROM course_enrolment e WHERE e.course_id = c.id AND ${ownerIs(owner, 2)} AND e.status = 'ENROLLED') AS enrolled
       FROM course c WHERE c.id = $1`,
      [courseId, ownerId(owner)],
    );
    if (!row) throw notFound('该课程');
    const { enrolled, ...course } = row;
    return { course, enrolled };
  }

  /**
   * The new enrolment; undefined if its owner already holds one (a concurrent request won).
   * For a dependent, `residentId` is the member who pays and `actedBy` the person acting.
   */
  async insertEnrolment(
    m: EntityManager,
    e: {
      id: string;
      townshipId: string;
      branchId: string;
      courseId: string;
      residentId: string;
      pricePoints: number;
      chargeEntryId: string;
      dependentId?: string | null;
      actedBy?: string | null;
    },
  ): Promise<CourseEnrolment | undefined> {
    const conflict = e.dependentId
      ? `(course_id, dependent_id) WHERE status = 'ENROLLED' AND dependent_id IS NOT NULL`
      : `(course_id, resident_id) WHERE status = 'ENROLLED' AND dependent_id IS NULL`;
    const [inserted]: CourseEnrolment[] = await m.query(
      `INSERT INTO course_enrolment AS e (id, township_id, branch_id, course_id, resident_id, status, price_points, charge_entry_id, dependent_id, acted_by)
       VALUES ($1, $2, $3, $4, $5, 'ENROLLED', $6, $7, $8, $9)
       ON CONFLICT ${conflict} DO NOTHING RETURNING ${ENROLMENT_COLUMNS}`,
      [e.id, e.townshipId, e.branchId, e.courseId, e.residentId, e.pricePoints, e.chargeEntryId, e.dependentId ?? null, e.actedBy ?? null],
    );
    return inserted;
  }

  /** The course's live enrolments with their charges, locked, in the order they were taken. */
  lockEnrolled(m: EntityManager, courseId: string): Promise<{ id: string; chargeEntryId: string; residentId: string }[]> {
    return m.query(
      `SELECT id, charge_entry_id::text AS "chargeEntryId", resident_id AS "residentId" FROM course_enrolment
       WHERE course_id = $1 AND status = 'ENROLLED' ORDER BY enrolled_at FOR UPDATE`,
      [courseId],
    );
  }

  /** The owner's live enrolment in the course with its charge, locked; undefined if none. */
  async lockEnrolmentOf(m: EntityManager, courseId: string, owner: EnrolmentOwner): Promise<{ id: string; chargeEntryId: string } | undefined> {
    const [enrolment] = await m.query(
      `SELECT id, charge_entry_id::text AS "chargeEntryId" FROM course_enrolment
       WHERE course_id = $1 AND ${ownerIs(owner, 2)} AND status = 'ENROLLED' FOR UPDATE`,
      [courseId, ownerId(owner)],
    );
    return enrolment;
  }

  /** Marks the enrolments refunded because the course was cancelled (`refunds[i]` reverses `ids[i]`'s charge). */
  async markCourseCancelled(m: EntityManager, ids: string[], refunds: string[], reason: string): Promise<void> {
    await m.query(
      `UPDATE course_enrolment e SET status = 'COURSE_CANCELLED', refund_entry_id = v.refund, cancelled_at = now(), cancel_reason = $3
       FROM unnest($1::uuid[], $2::int8[]) AS v(id, refund) WHERE e.id = v.id`,
      [ids, refunds, reason],
    );
  }

  /** Marks the enrolment cancelled (by the resident, or a household member for a dependent) and refunded by `refundEntryId`. */
  async markEnrolmentCancelled(m: EntityManager, id: string, refundEntryId: string, reason = '本人取消'): Promise<CourseEnrolment> {
    // UPDATE … RETURNING comes back from TypeORM as [rows, rowCount].
    const [[row]]: [CourseEnrolment[]] = await m.query(
      `UPDATE course_enrolment e SET status = 'CANCELLED', refund_entry_id = $2, cancelled_at = now(), cancel_reason = $3
       WHERE e.id = $1 RETURNING ${ENROLMENT_COLUMNS}`,
      [id, refundEntryId, reason],
    );
    return row;
  }

  /** The resident's latest own enrolment in each of these courses (courses with none are absent; not those for dependents). */
  latestEnrolments(m: EntityManager, courseIds: readonly string[], residentId: string): Promise<CourseEnrolment[]> {
    return m.query(
      `SELECT DISTINCT ON (e.course_id) ${ENROLMENT_COLUMNS} FROM course_enrolment e
       WHERE e.course_id = ANY($1::uuid[]) AND e.resident_id = $2 AND e.dependent_id IS NULL ORDER BY e.course_id, e.enrolled_at DESC`,
      [courseIds, residentId],
    );
  }

  /** A page of a resident's or a course's enrolments, most recent first. */
  enrolmentPage(m: EntityManager, of: EnrolmentsOf, after: string[] | undefined, limit: number): Promise<CourseEnrolment[]> {
    const [where, id] = 'residentId' in of ? ['e.resident_id = $1', of.residentId] : ['e.course_id = $1', of.courseId];
    return m.query(
      `SELECT ${ENROLMENT_COLUMNS} FROM course_enrolment e
       WHERE ${where} AND ($2::timestamptz IS NULL OR (e.enrolled_at, e.id) < ($2::timestamptz, $3::uuid))
       ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $4`,
      [id, after ? new Date(after[0]) : null, after?.[1] ?? null, limit],
    );
  }
}
