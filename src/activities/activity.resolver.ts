import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { requestLoader } from '../common/graphql/request-loader';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { ActivityService } from './activity.service';
import { AttendanceService } from './attendance.service';
import { ServiceHoursService } from './service-hours.service';
import { ServiceHours, ServiceRecordConnection } from './dto/service-hours.models';
import { SignupService, SignupWithActivity } from './signup.service';
import { Activity, ActivitySignup, ActivityStatus } from './activity.entity';
import {
  ActivityFilterArgs,
  CancelActivityInput,
  CheckInInput,
  CreateActivityInput,
  DependentCheckInInput,
  FamilySignupInput,
  MarkAttendanceInput,
  MarkDependentAttendanceInput,
  RecordCheckOutInput,
  SignupStatusArgs,
  UpdateActivityInput,
} from './dto/activity.inputs';
import { ActivityCompletion, ActivityConnection, ActivitySignupConnection, CheckinCode } from './dto/activity.models';

@Resolver(() => Activity)
export class ActivityResolver {
  constructor(
    private readonly activityService: ActivityService,
    private readonly signupService: SignupService,
    private readonly attendanceService: AttendanceService,
    private readonly organisation: OrganisationRepository,
    private readonly serviceHours: ServiceHoursService,
  ) {}

  @Query(() => ActivityConnection, { description: "A township's activities, soonest first (filter by branch, theme, month, status)." })
  activities(@CurrentPrincipal() actor: Principal, @Args() filter: ActivityFilterArgs, @Args() page: PageArgs) {
    return this.activityService.list(actor, filter, page);
  }

  @Query(() => Activity)
  activity(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.activityService.activity(actor, id);
  }

  @Query(() => ActivitySignupConnection, { description: "The caller's own sign-ups, most recent first (residents)." })
  mySignups(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.signupService.mySignups(actor, page);
  }

  @Query(() => ActivitySignupConnection, { description: "An activity's sign-ups in arrival order (the branch's managers)." })
  activitySignups(
    @CurrentPrincipal() actor: Principal,
    @Args('activityId', { type: () => ID }, uuidArg) activityId: string,
    @Args() { status }: SignupStatusArgs,
    @Args() page: PageArgs,
  ) {
    return this.signupService.ofActivity(actor, activityId, status, page);
  }

  @Query(() => CheckinCode, { description: 'The rotating check-in code to show attendees (managers, while check-in is open).' })
  activityCheckinCode(@CurrentPrincipal() actor: Principal, @Args('activityId', { type: () => ID }, uuidArg) activityId: string) {
    return this.attendanceService.currentCheckinCode(actor, activityId);
  }

  @Mutation(() => Activity, { description: 'A new activity, as a draft (managers of the branch).' })
  createActivity(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateActivityInput) {
    return this.activityService.create(actor, input);
  }

  @Mutation(() => Activity, { description: 'Edits an activity before it starts.' })
  updateActivity(@CurrentPrincipal() actor: Principal, @Args('input') input: UpdateActivityInput) {
    return this.activityService.update(actor, input);
  }

  @Mutation(() => Activity)
  publishActivity(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.activityService.publish(actor, id);
  }

  @Mutation(() => Activity, { description: 'Cancels the activity and all its sign-ups, with a reason residents see.' })
  cancelActivity(@CurrentPrincipal() actor: Principal, @Args('input') input: CancelActivityInput) {
    return this.activityService.cancel(actor, input);
  }

  @Mutation(() => ActivitySignup, { description: 'Signs the caller up: a confirmed place if one is free, else the waitlist.' })
  signUpForActivity(@CurrentPrincipal() actor: Principal, @Args('activityId', { type: () => ID }, uuidArg) activityId: string) {
    return this.signupService.signUp(actor, activityId);
  }

  @Mutation(() => ActivitySignup, { description: "Cancels the caller's sign-up before the start; a freed place goes to the first waitlisted." })
  cancelSignup(@CurrentPrincipal() actor: Principal, @Args('activityId', { type: () => ID }, uuidArg) activityId: string) {
    return this.signupService.cancelSignup(actor, activityId);
  }

  @Mutation(() => ActivitySignup, { description: 'Checks the caller in with the code shown at the activity.' })
  checkIn(@CurrentPrincipal() actor: Principal, @Args('input') input: CheckInInput) {
    return this.attendanceService.checkIn(actor, input);
  }

  @Mutation(() => ActivitySignup, { description: 'Checks the caller out with the code shown at the activity: their service time ends now.' })
  checkOut(@CurrentPrincipal() actor: Principal, @Args('input') input: CheckInInput) {
    return this.attendanceService.checkOut(actor, input);
  }

  @Mutation(() => [ActivitySignup], { description: 'Records that present residents left now (managers); all or nothing.' })
  recordCheckOut(@CurrentPrincipal() actor: Principal, @Args('input') input: RecordCheckOutInput) {
    return this.attendanceService.recordCheckOut(actor, input);
  }

  @Query(() => ServiceHours, { description: "The caller's service hours (志愿服务时长) at completed activities (residents)." })
  myServiceHours(@CurrentPrincipal() actor: Principal) {
    return this.serviceHours.myHours(actor);
  }

  @Query(() => ServiceRecordConnection, { description: "The caller's service records, one per completed activity, newest first (residents)." })
  myServiceRecords(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.serviceHours.myRecords(actor, page);
  }

  @Mutation(() => [ActivitySignup], { description: 'Marks confirmed residents present or absent (managers); all or nothing.' })
  markAttendance(@CurrentPrincipal() actor: Principal, @Args('input') input: MarkAttendanceInput) {
    return this.attendanceService.markAttendance(actor, input);
  }

  @Mutation(() => ActivitySignup, {
    description: "Signs up another member of the caller's household, or one of its dependents (家属), for them: a place if one is free, else the waitlist.",
  })
  signUpForFamily(@CurrentPrincipal() actor: Principal, @Args('input') input: FamilySignupInput) {
    return this.signupService.signUpForFamily(actor, input);
  }

  @Mutation(() => ActivitySignup, { description: "Cancels a household member's or dependent's sign-up for them before the start." })
  cancelSignupForFamily(@CurrentPrincipal() actor: Principal, @Args('input') input: FamilySignupInput) {
    return this.signupService.cancelSignupForFamily(actor, input);
  }

  @Mutation(() => ActivitySignup, { description: "Checks a dependent of the caller's household in with the code shown at the activity." })
  checkInDependent(@CurrentPrincipal() actor: Principal, @Args('input') input: DependentCheckInInput) {
    return this.attendanceService.checkInDependent(actor, input);
  }

  @Mutation(() => [ActivitySignup], { description: 'Marks dependents (家属) with a confirmed place present or absent (managers); all or nothing.' })
  markDependentAttendance(@CurrentPrincipal() actor: Principal, @Args('input') input: MarkDependentAttendanceInput) {
    return this.attendanceService.markDependentAttendance(actor, input);
  }

  @Mutation(() => ActivityCompletion, { description: 'Closes attendance and mints the reward to every attendee, exactly once.' })
  completeActivity(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.attendanceService.complete(actor, id);
  }

  @ResolveField(() => Int, { description: 'Confirmed places still free.' })
  remainingPlaces(@Parent() activity: Activity): number {
    return activity.status === ActivityStatus.PUBLISHED ? Math.max(0, activity.capacity - activity.confirmedCount) : 0;
  }

  @ResolveField(() => String, { description: 'The branch (village or community) that runs it, so equal titles from different villages can be told apart.' })
  branchName(@Context() context: object, @Parent() activity: Activity): Promise<string> {
    return requestLoader(context, 'branchName', (ids: readonly string[]) => this.organisation.branchNames(ids)).load(activity.branchId);
  }

  @ResolveField(() => Int)
  waitlistCount(@Context() context: object, @Parent() activity: Activity): Promise<number> {
    return requestLoader(context, 'waitlistCount', (ids: readonly string[]) => this.signupService.waitlistCounts(ids)).load(activity.id);
  }

  @ResolveField(() => ActivitySignup, { nullable: true, description: "The caller's sign-up, if any." })
  mySignup(@CurrentPrincipal() actor: Principal, @Context() context: object, @Parent() activity: Activity) {
    return requestLoader(context, 'mySignup', (ids: readonly string[]) => this.signupService.mySignupsFor(actor, ids)).load(activity.id);
  }
}

@Resolver(() => ActivitySignup)
export class ActivitySignupResolver {
  constructor(private readonly activityService: ActivityService) {}

  @ResolveField(() => Activity)
  activity(@Parent() signup: SignupWithActivity): Promise<Activity> {
    return this.activityService.activityForSignup(signup);
  }
}
