import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain.error';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { assertSchedule } from '../common/time/schedule';
import { monthRange } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import { Course, CourseEnrolment, CourseStatus } from './course.entity';
import { CourseFields, CourseRepository, EnrolmentsOf } from './course.repository';
import { CancelCourseInput, CourseFilterArgs, CreateCourseInput, UpdateCourseInput } from './dto/course.inputs';

export type EnrolmentWithCourse = CourseEnrolment & { course?: Course };

const REFUND_ON_CANCEL = '本人取消课程报名，退还积分';

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
    private readonly repository: CourseRepository,
    private readonly ledger: LedgerService,
    private readonly organisation: OrganisationService,
    private readonly people: OrganisationRepository,
    private readonly audit: AuditService,
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
      const id = await this.repository.insert(
        m,
        { townshipId: scope.townshipId, branchId: input.branchId },
        {
          title: input.title,
          description: input.description ?? '',
          place: input.place,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          enrolDeadline: input.enrolDeadline,
          cancelDeadline: input.cancelDeadline,
          capacity: input.capacity,
          pricePoints: input.pricePoints,
        },
        actor.personId,
      );
      return this.repository.find(m, id);
    });
  }

  async update(actor: Principal, input: UpdateCourseInput): Promise<Course> {
    return this.tx.run(async (m) => {
      const current = await this.repository.find(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, current);
      const now = this.clock.now();
      if (current.status !== CourseStatus.OPEN || current.startsAt.getTime() <= now.getTime()) throw new DomainError('COURSE_NOT_EDITABLE');
      const next: CourseFields = {
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
      await this.repository.update(m, input.id, next);
      return this.repository.find(m, input.id);
    });
  }

  /** Cancels the course and refunds every enrolment (reversal of each charge). Idempotent. */
  async cancel(actor: Principal, input: CancelCourseInput): Promise<Course> {
    return this.tx.run(async (m) => {
      const course = await this.repository.find(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, course);
      if (course.status === CourseStatus.CANCELLED) return course;
      if (course.endsAt.getTime() <= this.clock.now().getTime()) throw new DomainError('COURSE_NOT_EDITABLE', '课程已结束，不能取消');
      const enrolments = await this.repository.lockEnrolled(m, input.id);
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
      await this.repository.markCourseCancelled(m, enrolments.map((e) => e.id), refunds, input.reason);
      await this.repository.markCancelled(m, input.id, input.reason);
      await this.audit.record(m, {
        townshipId: course.townshipId,
        actorId: actor.personId,
        action: 'course.cancel',
        subject: input.id,
        details: { reason: input.reason, refunded: enrolments.length },
      });
      return this.repository.find(m, input.id);
    });
  }

  // ---- enrolling ----------------------------------------------------------------

  /** Takes a seat and charges the price, atomically: no seat, no charge; no points, no seat. */
  async enrol(actor: Principal, courseId: string): Promise<CourseEnrolment> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const enrolmentId = randomUUID();
    const enrolment = await this.tx.run(async (m) => {
      const course = await this.repository.find(m, courseId);
      requireResident(actor, course);
      this.assertCanEnrol(course, now);
      if (await this.repository.isEnrolled(m, courseId, resident.id)) throw new DomainError('ALREADY_ENROLLED');
      // The seat. Once the course is full this matches nothing and locks nothing.
      const seat = await this.repository.takeSeat(m, courseId, now);
      if (!seat) {
        this.assertCanEnrol(await this.repository.find(m, courseId), now);
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
        memo: seat.title,
        lines: [
          { accountId: account.id, amount: -seat.pricePoints },
          { accountId: redemption.id, amount: seat.pricePoints },
        ],
        createdBy: actor.personId,
        bookedAt: this.clock.bookingTime(),
      });
      const inserted = await this.repository.insertEnrolment(m, {
        id: enrolmentId,
        townshipId: course.townshipId,
        branchId: course.branchId,
        courseId,
        residentId: resident.id,
        pricePoints: seat.pricePoints,
        chargeEntryId: charge.id,
      });
      // A concurrent request of the same resident won: roll back this seat and charge.
      if (!inserted) throw new DomainError('ALREADY_ENROLLED');
      return inserted;
    });
    return this.named(enrolment);
  }

  /** The resident cancels before the cancel deadline and gets the charge reversed. */
  async cancelEnrolment(actor: Principal, courseId: string): Promise<CourseEnrolment> {
    const resident = requireResident(actor);
    const cancelled = await this.tx.run(async (m) => {
      const course = await this.repository.find(m, courseId);
      requireResident(actor, course);
      if (course.status === CourseStatus.CANCELLED) throw new DomainError('COURSE_CANCELLED', '该课程已取消，积分已退还');
      if (course.cancelDeadline.getTime() <= this.clock.now().getTime()) throw new DomainError('CANCEL_DEADLINE_PASSED');
      const enrolment = await this.repository.lockEnrolmentOf(m, courseId, resident.id);
      if (!enrolment) throw new DomainError('NOT_ENROLLED');
      const refund = await this.ledger.ensureReversed(m, {
        townshipId: course.townshipId,
        entryId: enrolment.chargeEntryId,
        reason: REFUND_ON_CANCEL,
        createdBy: actor.personId,
      });
      const row = await this.repository.markEnrolmentCancelled(m, enrolment.id, refund.id);
      await this.repository.releaseSeat(m, courseId);
      return row;
    });
    return this.named(cancelled);
  }

  // ---- reading --------------------------------------------------------------------

  async course(actor: Principal, id: string): Promise<Course> {
    const course = await this.tx.read((m) => this.repository.find(m, id));
    requireCapability(actor, Capability.READ, course);
    return course;
  }

  async courses(actor: Principal, filter: CourseFilterArgs, page: PageArgs): Promise<Page<Course>> {
    requireCapability(actor, Capability.READ, { townshipId: filter.townshipId });
    const range = filter.month ? monthRange(filter.month) : undefined;
    return keysetPage(page, byTimeThenId<Course>((c) => c.startsAt), (after, limit) =>
      this.tx.read((m) =>
        this.repository.list(m, {
          townshipId: filter.townshipId,
          branchId: filter.branchId ?? null,
          status: filter.status ?? null,
          startsFrom: range?.start ?? null,
          startsBefore: range?.end ?? null,
          endsAfter: filter.includePast ? null : this.clock.now(),
          after,
          limit,
        }),
      ),
    );
  }

  /** The caller's enrolments, most recent first, with their courses. */
  async myEnrolments(actor: Principal, page: PageArgs): Promise<Page<EnrolmentWithCourse>> {
    const resident = requireResident(actor);
    return this.enrolmentPage({ residentId: resident.id }, page, true);
  }

  /** A course's enrolments (its branch's managers). */
  async enrolments(actor: Principal, courseId: string, page: PageArgs): Promise<Page<EnrolmentWithCourse>> {
    const course = await this.tx.read((m) => this.repository.find(m, courseId));
    requireCapability(actor, Capability.MANAGE, course);
    return this.enrolmentPage({ courseId }, page, false);
  }

  /** The caller's latest enrolment in each of these courses, null where none (or not a resident): one statement for a page. */
  async myEnrolmentsFor(actor: Principal, courseIds: readonly string[]): Promise<(CourseEnrolment | null)[]> {
    const resident = actor?.resident;
    if (!resident) return courseIds.map(() => null);
    const rows = await this.tx.read(async (m) =>
      this.people.attachResidentNames(m, await this.repository.latestEnrolments(m, courseIds, resident.id)),
    );
    const byCourse = new Map(rows.map((e) => [e.courseId, e]));
    return courseIds.map((id) => byCourse.get(id) ?? null);
  }

  async courseForEnrolment(enrolment: EnrolmentWithCourse): Promise<Course> {
    return enrolment.course ?? this.tx.read((m) => this.repository.find(m, enrolment.courseId));
  }

  // ---- helpers ----------------------------------------------------------------------

  private async enrolmentPage(of: EnrolmentsOf, page: PageArgs, withCourses: boolean): Promise<Page<EnrolmentWithCourse>> {
    return keysetPage(page, byTimeThenId<EnrolmentWithCourse>((e) => e.enrolledAt), (after, limit) => this.tx.read(async (m) => {
      const enrolments: EnrolmentWithCourse[] = await this.people.attachResidentNames(m, await this.repository.enrolmentPage(m, of, after, limit));
      if (withCourses && enrolments.length) {
        const courses = await this.repository.byIds(m, [...new Set(enrolments.map((e) => e.courseId))]);
        const byId = new Map(courses.map((c) => [c.id, c]));
        for (const e of enrolments) e.course = byId.get(e.courseId);
      }
      return enrolments;
    }));
  }

  /** The enrolment a command wrote, with the resident's name: read after commit, so no lock waits on it. */
  private async named(enrolment: CourseEnrolment): Promise<CourseEnrolment> {
    const [row] = await this.tx.read((m) => this.people.attachResidentNames(m, [enrolment]));
    return row;
  }

  private assertCanEnrol(course: Course, now: Date): void {
    if (course.status === CourseStatus.CANCELLED) throw new DomainError('COURSE_CANCELLED');
    if (course.enrolDeadline.getTime() <= now.getTime()) throw new DomainError('ENROL_CLOSED');
  }
}
