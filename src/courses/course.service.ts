import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { assertSchedule } from '../common/time/schedule';
import { monthRange } from '../common/time/shanghai-month';
import { selectColumns } from '../database/select-columns';
import { TransactionRunner } from '../database/transaction.runner';
import { HouseholdService } from '../households/household.service';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import { Course, CourseEnrolment, CourseStatus } from './course.entity';
import { CancelCourseInput, CourseFilterArgs, CreateCourseInput, DependentCourseInput, UpdateCourseInput } from './dto/course.inputs';

const COURSE_COLUMNS = selectColumns(Course, 'c');
const ENROLMENT_COLUMNS = selectColumns(CourseEnrolment, 'e');

export type EnrolmentWithCourse = CourseEnrolment & { course?: Course };

const REFUND_ON_CANCEL = '本人取消课程报名，退还积分';
const REFUND_ON_FAMILY_CANCEL = '家人代为取消家属的课程报名，退还积分';

/**
 * Experience courses paid for with points. Enrolment takes a seat (a conditional
 * UPDATE of `enrolled_count`, like activity places) and charges the price (a SPEND
 * under the key `enrolment:<enrolmentId>`) in one transaction: either both happen or
 * neither. Refunds are reversals of that charge, never new entries.
 */
@Injectable()
export class CourseService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly organisation: OrganisationService,
    private readonly people: OrganisationRepository,
    private readonly audit: AuditService,
    private readonly households: HouseholdService,
    private readonly clock: Clock,
  ) {}

  // ---- managing ---------------------------------------------------------------

  async create(actor: Principal, input: CreateCourseInput): Promise<Course> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    assertSchedule(
      {
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        deadlines: [
          { at: input.enrolDeadline, field: 'enrolDeadline', label: '报名截止时间', changed: true },
          { at: input.cancelDeadline, field: 'cancelDeadline', label: '取消截止时间', changed: true },
        ],
      },
      this.clock.now(),
    );
    return this.tx.run(async (m) => {
      const [row] = await m.query(
        `INSERT INTO course (township_id, branch_id, title, description, place, starts_at, ends_at, enrol_deadline,
                             cancel_deadline, capacity, price_points, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
        [
          scope.townshipId,
          input.branchId,
          input.title,
          input.description ?? '',
          input.place,
          input.startsAt,
          input.endsAt,
          input.enrolDeadline,
          input.cancelDeadline,
          input.capacity,
          input.pricePoints,
          actor.personId,
        ],
      );
      return this.courseRow(m, row.id);
    });
  }

  async update(actor: Principal, input: UpdateCourseInput): Promise<Course> {
    return this.tx.run(async (m) => {
      const current = await this.courseRow(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, current);
      const now = this.clock.now();
      if (current.status !== CourseStatus.OPEN || current.startsAt.getTime() <= now.getTime()) throw new DomainError('COURSE_NOT_EDITABLE');
      const next = {
        title: input.title ?? current.title,
        description: input.description ?? current.description,
        place: input.place ?? current.place,
        startsAt: input.startsAt ?? current.startsAt,
        endsAt: input.endsAt ?? current.endsAt,
        enrolDeadline: input.enrolDeadline ?? current.enrolDeadline,
        cancelDeadline: input.cancelDeadline ?? current.cancelDeadline,
        capacity: input.capacity ?? current.capacity,
        pricePoints: input.pricePoints ?? current.pricePoints,
      };
      assertSchedule(
        {
          startsAt: next.startsAt,
          endsAt: next.endsAt,
          deadlines: [
            { at: next.enrolDeadline, field: 'enrolDeadline', label: '报名截止时间', changed: input.enrolDeadline !== undefined },
            { at: next.cancelDeadline, field: 'cancelDeadline', label: '取消截止时间', changed: input.cancelDeadline !== undefined },
          ],
        },
        now,
      );
      if (next.capacity < current.enrolledCount) {
        throw new DomainError('CAPACITY_BELOW_TAKEN', `名额不能少于已报名人数（${current.enrolledCount}人）`);
      }
      await m.query(
        `UPDATE course SET title = $2, description = $3, place = $4, starts_at = $5, ends_at = $6, enrol_deadline = $7,
                cancel_deadline = $8, capacity = $9, price_points = $10, updated_at = now()
         WHERE id = $1`,
        [input.id, next.title, next.description, next.place, next.startsAt, next.endsAt, next.enrolDeadline, next.cancelDeadline,
          next.capacity, next.pricePoints],
      );
      return this.courseRow(m, input.id);
    });
  }

  /** Cancels the course and refunds every enrolment (reversal of each charge). Idempotent. */
  async cancel(actor: Principal, input: CancelCourseInput): Promise<Course> {
    return this.tx.run(async (m) => {
      const course = await this.courseRow(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, course);
      if (course.status === CourseStatus.CANCELLED) return course;
      if (course.endsAt.getTime() <= this.clock.now().getTime()) throw new DomainError('COURSE_NOT_EDITABLE', '课程已结束，不能取消');
      const enrolments: { id: string; chargeEntryId: string }[] = await m.query(
        `SELECT id, charge_entry_id::text AS "chargeEntryId" FROM course_enrolment
         WHERE course_id = $1 AND status = 'ENROLLED' ORDER BY enrolled_at FOR UPDATE`,
        [input.id],
      );
      const refunds: string[] = [];
      for (const e of enrolments) {
        const refund = await this.ledger.ensureReversed(m, {
          townshipId: course.townshipId,
          entryId: e.chargeEntryId,
          reason: `课程取消，退还积分：${input.reason}`,
          createdBy: actor.personId,
        });
        refunds.push(refund.id);
      }
      await m.query(
        `UPDATE course_enrolment e SET status = 'COURSE_CANCELLED', refund_entry_id = v.refund, cancelled_at = now(), cancel_reason = $3
         FROM unnest($1::uuid[], $2::int8[]) AS v(id, refund) WHERE e.id = v.id`,
        [enrolments.map((e) => e.id), refunds, input.reason],
      );
      await m.query(
        `UPDATE course SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now(), enrolled_count = 0, updated_at = now()
         WHERE id = $1`,
        [input.id, input.reason],
      );
      await this.audit.record(m, {
        townshipId: course.townshipId,
        actorId: actor.personId,
        action: 'course.cancel',
        subject: input.id,
        details: { reason: input.reason, refunded: enrolments.length },
      });
      return this.courseRow(m, input.id);
    });
  }

  // ---- enrolling ----------------------------------------------------------------

  /** Takes a seat and charges the price, atomically: no seat, no charge; no points, no seat. */
  enrol(actor: Principal, courseId: string): Promise<CourseEnrolment> {
    return this.takeSeat(actor, courseId, null);
  }

  /**
   * Enrols a dependent (家属) of the caller's household, paid with the caller's own points:
   * the seat is the dependent's, the charge the caller's (`resident_id`), and the row, the
   * ledger line and the audit log say who acted for whom.
   */
  enrolDependent(actor: Principal, input: DependentCourseInput): Promise<CourseEnrolment> {
    return this.takeSeat(actor, input.courseId, input.dependentId);
  }

  private async takeSeat(actor: Principal, courseId: string, dependentId: string | null): Promise<CourseEnrolment> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const enrolmentId = randomUUID();
    const enrolment = await this.tx.run(async (m) => {
      const course = await this.courseRow(m, courseId);
      requireResident(actor, course);
      this.assertCanEnrol(course, now);
      const dependent = dependentId ? (await this.households.link(m, actor, { dependentId })).dependent! : null;
      const existing = await m.query(
        dependent
          ? `SELECT 1 FROM course_enrolment WHERE course_id = $1 AND dependent_id = $2 AND status = 'ENROLLED'`
          : `SELECT 1 FROM course_enrolment WHERE course_id = $1 AND resident_id = $2 AND dependent_id IS NULL AND status = 'ENROLLED'`,
        [courseId, dependent ? dependent.id : resident.id],
      );
      if (existing.length) throw new DomainError('ALREADY_ENROLLED', dependent ? '该家属已报名该课程' : undefined);
      // The seat. Once the course is full this matches nothing and locks nothing.
      const [[seat]] = await m.query(
        `UPDATE course SET enrolled_count = enrolled_count + 1
         WHERE id = $1 AND status = 'OPEN' AND enrol_deadline > $2 AND enrolled_count < capacity
         RETURNING title, price_points AS "pricePoints"`,
        [courseId, now],
      );
      if (!seat) {
        this.assertCanEnrol(await this.courseRow(m, courseId), now);
        throw new DomainError('COURSE_FULL');
      }
      const account = await this.ledger.residentAccount(m, resident.id);
      const redemption = await this.ledger.branchAccount(m, course.branchId, AccountKind.BRANCH_REDEMPTION);
      // The charge: INSUFFICIENT_POINTS from the database rolls the seat back with it.
      const charge = await this.ledger.post(m, {
        townshipId: course.townshipId,
        kind: EntryKind.SPEND,
        idempotencyKey: `enrolment:${enrolmentId}`,
        reference: { type: 'COURSE', id: courseId },
        memo: dependent ? `${seat.title}（为家属${dependent.name}报名）` : seat.title,
        lines: [
          { accountId: account.id, amount: -seat.pricePoints },
          { accountId: redemption.id, amount: seat.pricePoints },
        ],
        createdBy: actor.personId,
        bookedAt: this.clock.bookingTime(),
      });
      const [inserted]: CourseEnrolment[] = await m.query(
        `INSERT INTO course_enrolment AS e (id, township_id, branch_id, course_id, resident_id, status, price_points, charge_entry_id, dependent_id, acted_by)
         VALUES ($1, $2, $3, $4, $5, 'ENROLLED', $6, $7, $8, $9)
         ON CONFLICT ${dependent ? `(course_id, dependent_id) WHERE status = 'ENROLLED' AND dependent_id IS NOT NULL` : `(course_id, resident_id) WHERE status = 'ENROLLED' AND dependent_id IS NULL`}
         DO NOTHING RETURNING ${ENROLMENT_COLUMNS}`,
        [enrolmentId, course.townshipId, course.branchId, courseId, resident.id, seat.pricePoints, charge.id, dependent?.id ?? null, dependent ? actor.personId : null],
      );
      // A concurrent request of the same resident won: roll back this seat and charge.
      if (!inserted) throw new DomainError('ALREADY_ENROLLED', dependent ? '该家属已报名该课程' : undefined);
      if (dependent) {
        await this.audit.record(m, {
          townshipId: course.townshipId,
          actorId: actor.personId,
          action: 'household.act.enrol',
          subject: courseId,
          details: { enrolmentId, forDependentId: dependent.id, paidByResidentId: resident.id, chargeEntryId: charge.id, points: seat.pricePoints },
        });
      }
      return inserted;
    });
    return this.named(enrolment);
  }

  /** The resident cancels before the cancel deadline and gets the charge reversed. */
  cancelEnrolment(actor: Principal, courseId: string): Promise<CourseEnrolment> {
    return this.cancelSeat(actor, courseId, null);
  }

  /** A household member cancels a dependent's enrolment; the charge is reversed to whoever paid it. */
  cancelDependentEnrolment(actor: Principal, input: DependentCourseInput): Promise<CourseEnrolment> {
    return this.cancelSeat(actor, input.courseId, input.dependentId);
  }

  private async cancelSeat(actor: Principal, courseId: string, dependentId: string | null): Promise<CourseEnrolment> {
    const resident = requireResident(actor);
    const cancelled = await this.tx.run(async (m) => {
      const course = await this.courseRow(m, courseId);
      requireResident(actor, course);
      if (dependentId) await this.households.link(m, actor, { dependentId });
      if (course.status === CourseStatus.CANCELLED) throw new DomainError('COURSE_CANCELLED', '该课程已取消，积分已退还');
      if (course.cancelDeadline.getTime() <= this.clock.now().getTime()) throw new DomainError('CANCEL_DEADLINE_PASSED');
      const [enrolment] = await m.query(
        `SELECT id, charge_entry_id::text AS "chargeEntryId" FROM course_enrolment
         WHERE course_id = $1 AND ${dependentId ? 'dependent_id = $2' : 'resident_id = $2 AND dependent_id IS NULL'} AND status = 'ENROLLED' FOR UPDATE`,
        [courseId, dependentId ?? resident.id],
      );
      if (!enrolment) throw new DomainError('NOT_ENROLLED', dependentId ? '该家属没有该课程的有效报名' : undefined);
      const refund = await this.ledger.ensureReversed(m, {
        townshipId: course.townshipId,
        entryId: enrolment.chargeEntryId,
        reason: dependentId ? REFUND_ON_FAMILY_CANCEL : REFUND_ON_CANCEL,
        createdBy: actor.personId,
      });
      // UPDATE … RETURNING comes back from TypeORM as [rows, rowCount].
      const [[row]]: [CourseEnrolment[]] = await m.query(
        `UPDATE course_enrolment e SET status = 'CANCELLED', refund_entry_id = $2, cancelled_at = now(), cancel_reason = $3
         WHERE e.id = $1 RETURNING ${ENROLMENT_COLUMNS}`,
        [enrolment.id, refund.id, dependentId ? `家人代为取消（${actor.name}）` : '本人取消'],
      );
      await m.query(`UPDATE course SET enrolled_count = enrolled_count - 1 WHERE id = $1`, [courseId]);
      if (dependentId) {
        await this.audit.record(m, {
          townshipId: course.townshipId,
          actorId: actor.personId,
          action: 'household.act.cancelEnrolment',
          subject: courseId,
          details: { enrolmentId: row.id, forDependentId: dependentId, paidByResidentId: row.residentId, refundEntryId: refund.id },
        });
      }
      return row;
    });
    return this.named(cancelled);
  }

  // ---- reading --------------------------------------------------------------------

  async course(actor: Principal, id: string): Promise<Course> {
    const course = await this.tx.read((m) => this.courseRow(m, id));
    requireCapability(actor, Capability.READ, course);
    return course;
  }

  async courses(actor: Principal, filter: CourseFilterArgs, page: PageArgs): Promise<Page<Course>> {
    requireCapability(actor, Capability.READ, { townshipId: filter.townshipId });
    const range = filter.month ? monthRange(filter.month) : undefined;
    return keysetPage(page, byTimeThenId<Course>((c) => c.startsAt), (after, limit) => this.tx.read((m) =>
      m.query(
        `SELECT ${COURSE_COLUMNS} FROM course c
         WHERE c.township_id = $1
           AND ($2::uuid IS NULL OR c.branch_id = $2)
           AND ($3::text IS NULL OR c.status = $3)
           AND ($4::timestamptz IS NULL OR (c.starts_at >= $4 AND c.starts_at < $5))
           AND ($6::timestamptz IS NULL OR c.ends_at > $6)
           AND ($7::timestamptz IS NULL OR (c.starts_at, c.id) > ($7::timestamptz, $8::uuid))
         ORDER BY c.starts_at, c.id LIMIT $9`,
        [
          filter.townshipId,
          filter.branchId ?? null,
          filter.status ?? null,
          range?.start ?? null,
          range?.end ?? null,
          filter.includePast ? null : this.clock.now(),
          after ? new Date(after[0]) : null,
          after?.[1] ?? null,
          limit,
        ],
      ),
    ));
  }

  /** The caller's enrolments, most recent first, with their courses. */
  async myEnrolments(actor: Principal, page: PageArgs): Promise<Page<EnrolmentWithCourse>> {
    const resident = requireResident(actor);
    return this.enrolmentPage('e.resident_id = $1', resident.id, page, true);
  }

  /** A course's enrolments (its branch's managers). */
  async enrolments(actor: Principal, courseId: string, page: PageArgs): Promise<Page<EnrolmentWithCourse>> {
    const course = await this.tx.read((m) => this.courseRow(m, courseId));
    requireCapability(actor, Capability.MANAGE, course);
    return this.enrolmentPage('e.course_id = $1', courseId, page, false);
  }

  /** The caller's latest enrolment in each of these courses, null where none (or not a resident): one statement for a page. */
  async myEnrolmentsFor(actor: Principal, courseIds: readonly string[]): Promise<(CourseEnrolment | null)[]> {
    const resident = actor?.resident;
    if (!resident) return courseIds.map(() => null);
    const rows = await this.tx.read(async (m) =>
      this.withNames<CourseEnrolment>(
        m,
        await m.query(
          `SELECT DISTINCT ON (e.course_id) ${ENROLMENT_COLUMNS} FROM course_enrolment e
           WHERE e.course_id = ANY($1::uuid[]) AND e.resident_id = $2 AND e.dependent_id IS NULL ORDER BY e.course_id, e.enrolled_at DESC`,
          [courseIds, resident.id],
        ),
      ),
    );
    const byCourse = new Map(rows.map((e) => [e.courseId, e]));
    return courseIds.map((id) => byCourse.get(id) ?? null);
  }

  async courseForEnrolment(enrolment: EnrolmentWithCourse): Promise<Course> {
    return enrolment.course ?? this.tx.read((m) => this.courseRow(m, enrolment.courseId));
  }

  // ---- helpers ----------------------------------------------------------------------

  private async enrolmentPage(where: string, id: string, page: PageArgs, withCourses: boolean): Promise<Page<EnrolmentWithCourse>> {
    return keysetPage(page, byTimeThenId<EnrolmentWithCourse>((e) => e.enrolledAt), (after, limit) => this.tx.read(async (m) => {
      const enrolments: EnrolmentWithCourse[] = await this.withNames(
        m,
        await m.query(
          `SELECT ${ENROLMENT_COLUMNS} FROM course_enrolment e
           WHERE ${where} AND ($2::timestamptz IS NULL OR (e.enrolled_at, e.id) < ($2::timestamptz, $3::uuid))
           ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $4`,
          [id, after ? new Date(after[0]) : null, after?.[1] ?? null, limit],
        ),
      );
      if (withCourses && enrolments.length) {
        const courses: Course[] = await m.query(`SELECT ${COURSE_COLUMNS} FROM course c WHERE c.id = ANY($1::uuid[])`, [
          [...new Set(enrolments.map((e) => e.courseId))],
        ]);
        const byId = new Map(courses.map((c) => [c.id, c]));
        for (const e of enrolments) e.course = byId.get(e.courseId);
      }
      return enrolments;
    }));
  }

  private async courseRow(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<Course> {
    const [row] = await m.query(`SELECT ${COURSE_COLUMNS} FROM course c WHERE c.id = $1 ${lock}`, [id]);
    if (!row) throw notFound('该课程');
    return row;
  }

  /** The enrolment a command wrote, with the resident's name: read after commit, so no lock waits on it. */
  private async named(enrolment: CourseEnrolment): Promise<CourseEnrolment> {
    const [row] = await this.tx.read((m) => this.withNames(m, [enrolment]));
    return row;
  }

  /** Residents' names, and dependents' (one more statement only when a row is for a dependent). */
  private async withNames<T extends CourseEnrolment>(m: EntityManager, rows: T[]): Promise<T[]> {
    await this.people.attachResidentNames(m, rows);
    const dependentIds = [...new Set(rows.flatMap((r) => (r.dependentId ? [r.dependentId] : [])))];
    const names = dependentIds.length ? await this.households.dependentNames(m, dependentIds) : new Map<string, string>();
    for (const row of rows) row.dependentName = row.dependentId ? (names.get(row.dependentId) ?? null) : null;
    return rows;
  }

  private assertCanEnrol(course: Course, now: Date): void {
    if (course.status === CourseStatus.CANCELLED) throw new DomainError('COURSE_CANCELLED');
    if (course.enrolDeadline.getTime() <= now.getTime()) throw new DomainError('ENROL_CLOSED');
  }
}
