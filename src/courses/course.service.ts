import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain.error';
import { atCurrentPrice, PriceChanged } from '../common/price-changed';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { assertSchedule } from '../common/time/schedule';
import { monthRange } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { HouseholdService } from '../households/household.service';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import { NotificationKind } from '../notifications/notification.kinds';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { Course, CourseEnrolment, CourseStatus } from './course.entity';
import { CourseFields, CourseRepository, EnrolmentOwner, EnrolmentsOf } from './course.repository';
import { CancelCourseInput, CourseFilterArgs, CreateCourseInput, DependentCourseInput, UpdateCourseInput } from './dto/course.inputs';

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
    private readonly repository: CourseRepository,
    private readonly ledger: LedgerService,
    private readonly organisation: OrganisationService,
    private readonly people: OrganisationRepository,
    private readonly audit: AuditService,
    private readonly households: HouseholdService,
    private readonly clock: Clock,
    private readonly outbox: NotificationOutbox,
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
      await this.outbox.emit(m, {
        townshipId: course.townshipId,
        to: { residents: enrolments.map((e) => e.residentId) },
        key: `course-cancelled:${input.id}`,
        facts: { kind: NotificationKind.COURSE_CANCELLED, courseId: input.id, title: course.title, reason: input.reason },
      });
      return this.repository.find(m, input.id);
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

  /**
   * The seat is taken last, just before COMMIT: its UPDATE locks the course row until the
   * transaction ends, and every enrolment in the course queues on that lock, so nothing
   * else (the charge, the enrolment row, the notice) runs while it is held. No seat rolls
   * the charge back with it. The charge uses the price read first; the seat is taken only
   * at that price, and a price changed in between runs the whole enrolment again.
   */
  private async takeSeat(actor: Principal, courseId: string, dependentId: string | null): Promise<CourseEnrolment> {
    return atCurrentPrice(() => this.takeSeatAtReadPrice(actor, courseId, dependentId));
  }

  private async takeSeatAtReadPrice(actor: Principal, courseId: string, dependentId: string | null): Promise<CourseEnrolment> {
    const resident = requireResident(actor);
    const now = this.clock.now();
    const enrolmentId = randomUUID();
    return this.tx.run(async (m) => {
      const owner: EnrolmentOwner = dependentId ? { dependentId } : { residentId: resident.id };
      // The course and whether the owner holds a seat, in one read; the latter counts only
      // once the household check below has passed (insertEnrolment remains the guard).
      const { course, enrolled } = await this.repository.findWithEnrolment(m, courseId, owner);
      requireResident(actor, course);
      this.assertCanEnrol(course, now);
      // Full as last read: refused before charging anything (a storm on a full course costs one read each).
      if (course.enrolledCount >= course.capacity) throw new DomainError('COURSE_FULL');
      const dependent = dependentId ? (await this.households.link(m, actor, { dependentId })).dependent! : null;
      const taken = () => new DomainError('ALREADY_ENROLLED', dependent ? '该家属已报名该课程' : undefined);
      if (enrolled) throw taken();
      const { resident: account, branch: redemption } = await this.ledger.residentAndBranchAccounts(
        m,
        resident.id,
        course.branchId,
        AccountKind.BRANCH_REDEMPTION,
      );
      // The charge: INSUFFICIENT_POINTS from the database ends it here, before any seat.
      const charge = await this.ledger.post(m, {
        townshipId: course.townshipId,
        kind: EntryKind.SPEND,
        idempotencyKey: `enrolment:${enrolmentId}`,
        reference: { type: 'COURSE', id: courseId },
        memo: dependent ? `${course.title}（为家属${dependent.name}报名）` : course.title,
        lines: [
          { accountId: account.id, amount: -course.pricePoints },
          { accountId: redemption.id, amount: course.pricePoints },
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
        pricePoints: course.pricePoints,
        chargeEntryId: charge.id,
        dependentId: dependent?.id ?? null,
        actedBy: dependent ? actor.personId : null,
      });
      // A concurrent request for the same person won: roll back this charge.
      if (!inserted) throw taken();
      if (dependent) {
        await this.audit.record(m, {
          townshipId: course.townshipId,
          actorId: actor.personId,
          action: 'household.act.enrol',
          subject: courseId,
          details: { enrolmentId, forDependentId: dependent.id, paidByResidentId: resident.id, chargeEntryId: charge.id, points: course.pricePoints },
        });
      }
      await this.outbox.emit(m, {
        townshipId: course.townshipId,
        to: { residents: [resident.id] },
        key: `spent:${enrolmentId}`,
        facts: { kind: NotificationKind.POINTS_SPENT, courseId, title: course.title, points: course.pricePoints },
      });
      // The seat, last (see above). Once the course is full this matches nothing and locks nothing.
      if (!(await this.repository.takeSeat(m, courseId, now, course.pricePoints))) {
        const current = await this.repository.find(m, courseId);
        this.assertCanEnrol(current, now);
        if (current.enrolledCount >= current.capacity) throw new DomainError('COURSE_FULL');
        throw new PriceChanged();
      }
      // The names are known: the payer is the caller, the dependent was just read.
      return { ...inserted, residentName: actor.name, dependentName: dependent?.name ?? null };
    });
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
      const course = await this.repository.find(m, courseId);
      requireResident(actor, course);
      if (dependentId) await this.households.link(m, actor, { dependentId });
      if (course.status === CourseStatus.CANCELLED) throw new DomainError('COURSE_CANCELLED', '该课程已取消，积分已退还');
      if (course.cancelDeadline.getTime() <= this.clock.now().getTime()) throw new DomainError('CANCEL_DEADLINE_PASSED');
      const enrolment = await this.repository.lockEnrolmentOf(m, courseId, dependentId ? { dependentId } : { residentId: resident.id });
      if (!enrolment) throw new DomainError('NOT_ENROLLED', dependentId ? '该家属没有该课程的有效报名' : undefined);
      const refund = await this.ledger.ensureReversed(m, {
        townshipId: course.townshipId,
        entryId: enrolment.chargeEntryId,
        reason: dependentId ? REFUND_ON_FAMILY_CANCEL : REFUND_ON_CANCEL,
        createdBy: actor.personId,
      });
      const row = dependentId
        ? await this.repository.markEnrolmentCancelled(m, enrolment.id, refund.id, `家人代为取消（${actor.name}）`)
        : await this.repository.markEnrolmentCancelled(m, enrolment.id, refund.id);
      if (dependentId) {
        await this.audit.record(m, {
          townshipId: course.townshipId,
          actorId: actor.personId,
          action: 'household.act.cancelEnrolment',
          subject: courseId,
          details: { enrolmentId: row.id, forDependentId: dependentId, paidByResidentId: row.residentId, refundEntryId: refund.id },
        });
      }
      // The refund goes to whoever paid (a household member paying for a dependent included).
      await this.outbox.emit(m, {
        townshipId: course.townshipId,
        to: { residents: [row.residentId] },
        key: `refunded:${refund.id}`,
        facts: { kind: NotificationKind.POINTS_REFUNDED, courseId, title: course.title, points: row.pricePoints },
      });
      // Last, so the course row's lock is held only until COMMIT (see takeSeat).
      await this.repository.releaseSeat(m, courseId);
      return row;
    });
    // One's own: the name is the caller's. For a dependent the payer may be another member.
    return dependentId ? this.named(cancelled) : { ...cancelled, residentName: actor.name, dependentName: null };
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
      this.withNames(m, await this.repository.latestEnrolments(m, courseIds, resident.id)),
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
      const enrolments: EnrolmentWithCourse[] = await this.withNames(m, await this.repository.enrolmentPage(m, of, after, limit));
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

