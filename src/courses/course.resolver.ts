import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { requestLoader } from '../common/graphql/request-loader';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { Course, CourseEnrolment, CourseStatus } from './course.entity';
import { CourseService, EnrolmentWithCourse } from './course.service';
import { CancelCourseInput, CourseFilterArgs, CreateCourseInput, DependentCourseInput, UpdateCourseInput } from './dto/course.inputs';
import { CourseConnection, CourseEnrolmentConnection } from './dto/course.models';

@Resolver(() => Course)
export class CourseResolver {
  constructor(
    private readonly service: CourseService,
    private readonly organisation: OrganisationRepository,
  ) {}

  @Query(() => CourseConnection, { description: "A township's courses, soonest first." })
  courses(@CurrentPrincipal() actor: Principal, @Args() filter: CourseFilterArgs, @Args() page: PageArgs) {
    return this.service.courses(actor, filter, page);
  }

  @Query(() => Course)
  course(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.service.course(actor, id);
  }

  @Query(() => CourseEnrolmentConnection, { description: "The caller's course enrolments, most recent first (residents)." })
  myEnrolments(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.service.myEnrolments(actor, page);
  }

  @Query(() => CourseEnrolmentConnection, { description: "A course's enrolments (the branch's managers)." })
  courseEnrolments(
    @CurrentPrincipal() actor: Principal,
    @Args('courseId', { type: () => ID }, uuidArg) courseId: string,
    @Args() page: PageArgs,
  ) {
    return this.service.enrolments(actor, courseId, page);
  }

  @Mutation(() => Course, { description: 'A new course, open for enrolment (managers of the branch).' })
  createCourse(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateCourseInput) {
    return this.service.create(actor, input);
  }

  @Mutation(() => Course, { description: 'Edits a course before it starts.' })
  updateCourse(@CurrentPrincipal() actor: Principal, @Args('input') input: UpdateCourseInput) {
    return this.service.update(actor, input);
  }

  @Mutation(() => Course, { description: 'Cancels the course and refunds every enrolment.' })
  cancelCourse(@CurrentPrincipal() actor: Principal, @Args('input') input: CancelCourseInput) {
    return this.service.cancel(actor, input);
  }

  @Mutation(() => CourseEnrolment, { description: 'Takes a seat and pays the price in points, atomically.' })
  enrolInCourse(@CurrentPrincipal() actor: Principal, @Args('courseId', { type: () => ID }, uuidArg) courseId: string) {
    return this.service.enrol(actor, courseId);
  }

  @Mutation(() => CourseEnrolment, { description: "Cancels the caller's enrolment before the cancel deadline; the charge is reversed." })
  cancelEnrolment(@CurrentPrincipal() actor: Principal, @Args('courseId', { type: () => ID }, uuidArg) courseId: string) {
    return this.service.cancelEnrolment(actor, courseId);
  }

  @Mutation(() => CourseEnrolment, {
    description: "Enrols a dependent (家属) of the caller's household, paid with the caller's own points: the seat and the charge together.",
  })
  enrolDependentInCourse(@CurrentPrincipal() actor: Principal, @Args('input') input: DependentCourseInput) {
    return this.service.enrolDependent(actor, input);
  }

  @Mutation(() => CourseEnrolment, { description: "Cancels a dependent's enrolment before the cancel deadline; the charge is reversed to whoever paid it." })
  cancelDependentEnrolment(@CurrentPrincipal() actor: Principal, @Args('input') input: DependentCourseInput) {
    return this.service.cancelDependentEnrolment(actor, input);
  }

  @ResolveField(() => String, { description: 'The branch (village or community) that runs it, so equal titles from different villages can be told apart.' })
  branchName(@Context() context: object, @Parent() course: Course): Promise<string> {
    return requestLoader(context, 'branchName', (ids: readonly string[]) => this.organisation.branchNames(ids)).load(course.branchId);
  }

  @ResolveField(() => Int, { description: 'Seats still free.' })
  remainingSeats(@Parent() course: Course): number {
    return course.status === CourseStatus.OPEN ? Math.max(0, course.capacity - course.enrolledCount) : 0;
  }

  @ResolveField(() => CourseEnrolment, { nullable: true, description: "The caller's latest enrolment, if any." })
  myEnrolment(@CurrentPrincipal() actor: Principal, @Context() context: object, @Parent() course: Course) {
    return requestLoader(context, 'myEnrolment', (ids: readonly string[]) => this.service.myEnrolmentsFor(actor, ids)).load(course.id);
  }
}

@Resolver(() => CourseEnrolment)
export class CourseEnrolmentResolver {
  constructor(private readonly service: CourseService) {}

  @ResolveField(() => Course)
  course(@Parent() enrolment: EnrolmentWithCourse): Promise<Course> {
    return this.service.courseForEnrolment(enrolment);
  }
}
