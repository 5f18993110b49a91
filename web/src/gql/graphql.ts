/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format. */
  DateTime: { input: string; output: string; }
};

export type AccountKind =
  | 'BRANCH_ISSUANCE'
  | 'BRANCH_REDEMPTION'
  | 'RESIDENT'
  | 'TOWNSHIP_ADJUSTMENT'
  | 'TOWNSHIP_EXPIRY';

export type AccountMismatch = {
  __typename?: 'AccountMismatch';
  accountId: Scalars['ID']['output'];
  computed: Scalars['Int']['output'];
  kind: AccountKind;
  stored: Scalars['Int']['output'];
};

/** 志愿活动 */
export type Activity = {
  __typename?: 'Activity';
  branchId: Scalars['ID']['output'];
  /** Why the branch cancelled it. */
  cancelReason?: Maybe<Scalars['String']['output']>;
  cancelledAt?: Maybe<Scalars['DateTime']['output']>;
  capacity: Scalars['Int']['output'];
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Confirmed places taken. */
  confirmedCount: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  description: Scalars['String']['output'];
  endsAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** The caller's sign-up, if any. */
  mySignup?: Maybe<ActivitySignup>;
  place: Scalars['String']['output'];
  /** Confirmed places still free. */
  remainingPlaces: Scalars['Int']['output'];
  /** Points each attendee receives when the activity is completed. */
  rewardPoints: Scalars['Int']['output'];
  serviceTeamId?: Maybe<Scalars['ID']['output']>;
  signupDeadline: Scalars['DateTime']['output'];
  startsAt: Scalars['DateTime']['output'];
  status: ActivityStatus;
  /** A theme of the month's published list. */
  themeId?: Maybe<Scalars['ID']['output']>;
  title: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
  waitlistCount: Scalars['Int']['output'];
};

export type ActivityCompletion = {
  __typename?: 'ActivityCompletion';
  activity: Activity;
  /** All attendees rewarded for this activity so far. */
  attendeesRewarded: Scalars['Int']['output'];
  /** Attendees rewarded by this request (0 when it had already been done). */
  newlyRewarded: Scalars['Int']['output'];
  /** Points minted for this activity so far. */
  pointsMinted: Scalars['Int']['output'];
};

export type ActivityConnection = {
  __typename?: 'ActivityConnection';
  edges: Array<ActivityEdge>;
  pageInfo: PageInfo;
};

export type ActivityEdge = {
  __typename?: 'ActivityEdge';
  cursor: Scalars['String']['output'];
  node: Activity;
};

/** 活动报名 */
export type ActivitySignup = {
  __typename?: 'ActivitySignup';
  activity: Activity;
  activityId: Scalars['ID']['output'];
  /** Null until checked in or marked. */
  attendance?: Maybe<Attendance>;
  /** Why it was cancelled (the activity cancellation reason, for ACTIVITY_CANCELLED). */
  cancelReason?: Maybe<Scalars['String']['output']>;
  cancelledAt?: Maybe<Scalars['DateTime']['output']>;
  checkedInAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** When a cancellation moved this sign-up from the waitlist to a place. */
  promotedAt?: Maybe<Scalars['DateTime']['output']>;
  residentId: Scalars['ID']['output'];
  /** The resident's name (shown to the activity's managers). */
  residentName?: Maybe<Scalars['String']['output']>;
  /** The ledger entry that paid the reward, once minted. */
  rewardEntryId?: Maybe<Scalars['ID']['output']>;
  signedUpAt: Scalars['DateTime']['output'];
  status: SignupStatus;
  /** Place in the waitlist, 1 = next to be promoted; null unless WAITLISTED. */
  waitlistPosition?: Maybe<Scalars['Int']['output']>;
};

export type ActivitySignupConnection = {
  __typename?: 'ActivitySignupConnection';
  edges: Array<ActivitySignupEdge>;
  pageInfo: PageInfo;
};

export type ActivitySignupEdge = {
  __typename?: 'ActivitySignupEdge';
  cursor: Scalars['String']['output'];
  node: ActivitySignup;
};

export type ActivityStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'DRAFT'
  | 'PUBLISHED';

export type AddThemeInput = {
  /** Set for a branch-only theme (the branch's managers); omit for a township theme (admins). */
  branchId?: InputMaybe<Scalars['ID']['input']>;
  /** Up to 1000 characters. */
  description?: Scalars['String']['input'];
  /** The month, YYYY-MM (Asia/Shanghai); the current month or a later one. */
  month: Scalars['String']['input'];
  /** Points an activity under this theme usually rewards, 0-100. */
  suggestedPoints: Scalars['Int']['input'];
  /** 1-50 characters, e.g. 平安有我 消防安全宣传. */
  title: Scalars['String']['input'];
  /** The township (head bank) the theme belongs to. */
  townshipId: Scalars['ID']['input'];
};

export type AdjustmentInput = {
  /** The account to correct (a resident or branch account). */
  accountId: Scalars['ID']['input'];
  /** Points to add (positive) or take away (negative); at most 10000 either way. */
  amount: Scalars['Int']['input'];
  /** Client-chosen key: retrying with the same key and content books nothing new. */
  idempotencyKey: Scalars['String']['input'];
  /** Why: recorded with the entry and in the audit log, 1-500 characters. */
  reason: Scalars['String']['input'];
};

export type AppointBranchManagerInput = {
  branchId: Scalars['ID']['input'];
  /** Mainland China mobile number, 11 digits. */
  mobile: Scalars['String']['input'];
  /** 姓名, 1-30 characters. */
  name: Scalars['String']['input'];
};

export type AppointTownshipAdminInput = {
  /** Mainland China mobile number, 11 digits. */
  mobile: Scalars['String']['input'];
  /** 姓名, 1-30 characters. */
  name: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};

export type Attendance =
  | 'ABSENT'
  | 'PRESENT';

/** 村/社区（分行） */
export type Branch = {
  __typename?: 'Branch';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  kind: BranchKind;
  name: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
};

export type BranchConnection = {
  __typename?: 'BranchConnection';
  edges: Array<BranchEdge>;
  pageInfo: PageInfo;
};

export type BranchEdge = {
  __typename?: 'BranchEdge';
  cursor: Scalars['String']['output'];
  node: Branch;
};

/** A branch's figures for a settled month, from the ledger. */
export type BranchFigures = {
  __typename?: 'BranchFigures';
  /** Distinct activities that minted points in the month. */
  activitiesHeld: Scalars['Int']['output'];
  branchId: Scalars['ID']['output'];
  branchName: Scalars['String']['output'];
  distinctCourseTakers: Scalars['Int']['output'];
  distinctVolunteers: Scalars['Int']['output'];
  month: Scalars['String']['output'];
  /** pointsMinted - pointsSpent. */
  net: Scalars['Int']['output'];
  /** Points minted by the branch in the month, net of mint reversals booked in it. */
  pointsMinted: Scalars['Int']['output'];
  /** Points spent on the branch's courses in the month, net of refunds booked in it. */
  pointsSpent: Scalars['Int']['output'];
  /** Top 10 residents by points earned from the branch in the month. */
  topVolunteers: Array<TopVolunteer>;
};

/** 行政村 or 城市社区 */
export type BranchKind =
  | 'COMMUNITY'
  | 'VILLAGE';

export type CancelActivityInput = {
  id: Scalars['ID']['input'];
  /** Shown to every resident who had signed up, 1-200 characters. */
  reason: Scalars['String']['input'];
};

export type CancelCourseInput = {
  id: Scalars['ID']['input'];
  /** Shown to enrolled residents (who are all refunded), 1-200 characters. */
  reason: Scalars['String']['input'];
};

export type CheckInInput = {
  activityId: Scalars['ID']['input'];
  /** The 6-digit code the manager shows (or the QR code carries). */
  code: Scalars['String']['input'];
};

/** The check-in code to show residents now (as digits or as a QR code of the same value). */
export type CheckinCode = {
  __typename?: 'CheckinCode';
  activityId: Scalars['ID']['output'];
  /** 6 digits. */
  code: Scalars['String']['output'];
  /** This code is refused after this instant. */
  expiresAt: Scalars['DateTime']['output'];
  /** A new code appears at this instant; show it then. */
  refreshAt: Scalars['DateTime']['output'];
};

/** 体验课程 */
export type Course = {
  __typename?: 'Course';
  branchId: Scalars['ID']['output'];
  /** Residents may cancel (and are refunded) until this instant. */
  cancelDeadline: Scalars['DateTime']['output'];
  cancelReason?: Maybe<Scalars['String']['output']>;
  cancelledAt?: Maybe<Scalars['DateTime']['output']>;
  capacity: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  description: Scalars['String']['output'];
  endsAt: Scalars['DateTime']['output'];
  /** Enrolment closes at this instant. */
  enrolDeadline: Scalars['DateTime']['output'];
  enrolledCount: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
  /** The caller's latest enrolment, if any. */
  myEnrolment?: Maybe<CourseEnrolment>;
  place: Scalars['String']['output'];
  /** Points charged on enrolment. */
  pricePoints: Scalars['Int']['output'];
  /** Seats still free. */
  remainingSeats: Scalars['Int']['output'];
  startsAt: Scalars['DateTime']['output'];
  status: CourseStatus;
  title: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type CourseConnection = {
  __typename?: 'CourseConnection';
  edges: Array<CourseEdge>;
  pageInfo: PageInfo;
};

export type CourseEdge = {
  __typename?: 'CourseEdge';
  cursor: Scalars['String']['output'];
  node: Course;
};

/** 课程报名 */
export type CourseEnrolment = {
  __typename?: 'CourseEnrolment';
  cancelReason?: Maybe<Scalars['String']['output']>;
  cancelledAt?: Maybe<Scalars['DateTime']['output']>;
  chargeEntryId: Scalars['ID']['output'];
  course: Course;
  courseId: Scalars['ID']['output'];
  enrolledAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** Points charged. */
  pricePoints: Scalars['Int']['output'];
  refundEntryId?: Maybe<Scalars['ID']['output']>;
  residentId: Scalars['ID']['output'];
  /** The resident's name (shown to the course's managers). */
  residentName?: Maybe<Scalars['String']['output']>;
  status: EnrolmentStatus;
};

export type CourseEnrolmentConnection = {
  __typename?: 'CourseEnrolmentConnection';
  edges: Array<CourseEnrolmentEdge>;
  pageInfo: PageInfo;
};

export type CourseEnrolmentEdge = {
  __typename?: 'CourseEnrolmentEdge';
  cursor: Scalars['String']['output'];
  node: CourseEnrolment;
};

export type CourseStatus =
  | 'CANCELLED'
  | 'OPEN';

export type CreateActivityInput = {
  branchId: Scalars['ID']['input'];
  /** Confirmed places, 1-10000; later sign-ups join the waitlist. */
  capacity: Scalars['Int']['input'];
  /** Up to 2000 characters. */
  description?: Scalars['String']['input'];
  endsAt: Scalars['DateTime']['input'];
  /** 活动地点, 1-100 characters. */
  place: Scalars['String']['input'];
  /** Points per attendee, 1-100. */
  rewardPoints: Scalars['Int']['input'];
  /** A service team (服务队) of the same branch. */
  serviceTeamId?: InputMaybe<Scalars['ID']['input']>;
  /** Sign-ups close at this instant; at the latest the start. */
  signupDeadline: Scalars['DateTime']['input'];
  startsAt: Scalars['DateTime']['input'];
  /** A theme from the month's published list. */
  themeId?: InputMaybe<Scalars['ID']['input']>;
  /** e.g. 平安有我消防安全宣传, 1-100 characters. */
  title: Scalars['String']['input'];
};

export type CreateBranchInput = {
  kind?: BranchKind;
  /** 村/社区名称, 1-50 characters. */
  name: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};

export type CreateCourseInput = {
  branchId: Scalars['ID']['input'];
  /** Residents may cancel and be refunded until this instant; at the latest the start. */
  cancelDeadline: Scalars['DateTime']['input'];
  /** Seats, 1-1000. */
  capacity: Scalars['Int']['input'];
  /** Up to 2000 characters. */
  description?: Scalars['String']['input'];
  endsAt: Scalars['DateTime']['input'];
  /** Enrolment closes at this instant; at the latest the start. */
  enrolDeadline: Scalars['DateTime']['input'];
  /** 1-100 characters. */
  place: Scalars['String']['input'];
  /** Points charged per seat, 1-1000. */
  pricePoints: Scalars['Int']['input'];
  startsAt: Scalars['DateTime']['input'];
  /** e.g. 小记者团非遗体验课, 1-100 characters. */
  title: Scalars['String']['input'];
};

export type CreateServiceTeamInput = {
  branchId: Scalars['ID']['input'];
  /** e.g. 治安巡逻队, 1-50 characters. */
  name: Scalars['String']['input'];
};

export type EnrolmentStatus =
  | 'CANCELLED'
  | 'COURSE_CANCELLED'
  | 'ENROLLED';

export type EntryKind =
  | 'ADJUSTMENT'
  | 'MINT'
  | 'REVERSAL'
  | 'SPEND';

/** What an entry was for, e.g. type ATTENDANCE with the attendance id. */
export type EntryReferenceModel = {
  __typename?: 'EntryReferenceModel';
  id: Scalars['ID']['output'];
  type: Scalars['String']['output'];
};

export type LedgerAccount = {
  __typename?: 'LedgerAccount';
  /** Issuance accounts are negative by the amount the branch has issued. */
  balance: Scalars['Int']['output'];
  branchId?: Maybe<Scalars['ID']['output']>;
  id: Scalars['ID']['output'];
  kind: AccountKind;
  residentId?: Maybe<Scalars['ID']['output']>;
};

/** One line of an account's history: a posting and the entry it belongs to. */
export type LedgerLine = {
  __typename?: 'LedgerLine';
  /** Positive: points received; negative: points spent or taken back. */
  amount: Scalars['Int']['output'];
  /** The account's balance right after this line (resident accounts). */
  balanceAfter?: Maybe<Scalars['Int']['output']>;
  bookedAt: Scalars['DateTime']['output'];
  entryId: Scalars['ID']['output'];
  /** The posting id. */
  id: Scalars['ID']['output'];
  kind: EntryKind;
  /** e.g. the activity or course title, or the reason of a correction. */
  memo: Scalars['String']['output'];
  /** Accounting month, YYYY-MM (Asia/Shanghai). */
  period: Scalars['String']['output'];
  reference?: Maybe<EntryReferenceModel>;
  /** Set when this entry was later reversed. */
  reversedByEntryId?: Maybe<Scalars['ID']['output']>;
  /** For a REVERSAL: the entry it undoes. */
  reversesEntryId?: Maybe<Scalars['ID']['output']>;
};

export type LedgerLineConnection = {
  __typename?: 'LedgerLineConnection';
  edges: Array<LedgerLineEdge>;
  pageInfo: PageInfo;
};

export type LedgerLineEdge = {
  __typename?: 'LedgerLineEdge';
  cursor: Scalars['String']['output'];
  node: LedgerLine;
};

export type LoginResult = {
  __typename?: 'LoginResult';
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken?: Maybe<Scalars['String']['output']>;
  /** Short-lived (10 min); proves which WeChat user is binding. */
  bindingToken?: Maybe<Scalars['String']['output']>;
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  status: LoginStatus;
};

export type LoginStatus =
  | 'BINDING_REQUIRED'
  | 'LOGGED_IN';

export type MarkAttendanceInput = {
  activityId: Scalars['ID']['input'];
  attendance: Attendance;
  /** Residents with a confirmed sign-up, 1-500 at a time. */
  residentIds: Array<Scalars['ID']['input']>;
};

/** The signed-in person. */
export type Me = {
  __typename?: 'Me';
  /** Current points balance; null if not a resident. */
  balance?: Maybe<Scalars['Int']['output']>;
  /** Points history, newest first; null if not a resident. */
  history?: Maybe<LedgerLineConnection>;
  mobile: Scalars['String']['output'];
  name: Scalars['String']['output'];
  personId: Scalars['ID']['output'];
  /** Null for staff who are not registered residents. */
  resident?: Maybe<ResidentMembership>;
  roles: Array<RoleGrant>;
};


/** The signed-in person. */
export type MeHistoryArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

/** A resident's statement for a settled month. */
export type MonthlyStatement = {
  __typename?: 'MonthlyStatement';
  closing: Scalars['Int']['output'];
  /** Points received in the month (activities, corrections), net of their reversals. */
  earned: Scalars['Int']['output'];
  month: Scalars['String']['output'];
  opening: Scalars['Int']['output'];
  /** Points spent in the month, net of refunds. */
  spent: Scalars['Int']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Adds a theme to a month that is not yet published: a township theme (admins) or a branch-only theme (its managers). */
  addTheme: Theme;
  appointBranchManager: Staff;
  appointTownshipAdmin: Staff;
  /** First login: bind this WeChat user to the person registered with its verified phone number. */
  bindWechat: LoginResult;
  /** Cancels the activity and all its sign-ups, with a reason residents see. */
  cancelActivity: Activity;
  /** Cancels the course and refunds every enrolment. */
  cancelCourse: Course;
  /** Cancels the caller's enrolment before the cancel deadline; the charge is reversed. */
  cancelEnrolment: CourseEnrolment;
  /** Cancels the caller's sign-up before the start; a freed place goes to the first waitlisted. */
  cancelSignup: ActivitySignup;
  /** Checks the caller in with the code shown at the activity. */
  checkIn: ActivitySignup;
  /** Closes attendance and mints the reward to every attendee, exactly once. */
  completeActivity: ActivityCompletion;
  /** A new activity, as a draft (managers of the branch). */
  createActivity: Activity;
  createBranch: Branch;
  /** A new course, open for enrolment (managers of the branch). */
  createCourse: Course;
  createServiceTeam: ServiceTeam;
  /** Development login by mobile number; only when DEV_LOGIN_ENABLED and never in production. */
  devLogin: LoginResult;
  /** Takes a seat and pays the price in points, atomically. */
  enrolInCourse: CourseEnrolment;
  /** 微信登录: exchange a `wx.login()` code for an access token. */
  loginWithWechat: LoginResult;
  /** Marks confirmed residents present or absent (managers); all or nothing. */
  markAttendance: Array<ActivitySignup>;
  /** A correcting entry against the township adjustment account, with a written reason (admins). */
  postAdjustment: PostedEntryModel;
  publishActivity: Activity;
  /** Publishes every branch's list for the month now (admins), as the monthly job would; returns the status before publication. */
  publishThemes: ThemePublicationStatus;
  /** Register a resident of a branch (or return them if already registered there). */
  registerResident: ResidentSummary;
  /** Removes a theme before its list is published. */
  removeTheme: Scalars['Boolean']['output'];
  /** Books the exact opposite of an entry; an entry can be reversed once (admins). */
  reverseEntry: PostedEntryModel;
  /** true if the person was a manager of the branch (scopeId) and no longer is. */
  revokeBranchManager: Scalars['Boolean']['output'];
  /** true if the person was an admin of the township (scopeId) and no longer is. */
  revokeTownshipAdmin: Scalars['Boolean']['output'];
  /** Signs the caller up: a confirmed place if one is free, else the waitlist. */
  signUpForActivity: ActivitySignup;
  /** Closes an ended month and settles it in the background (admins). Starting a settled month again returns it unchanged. */
  startSettlement: Settlement;
  /** Edits an activity before it starts. */
  updateActivity: Activity;
  /** Edits a course before it starts. */
  updateCourse: Course;
};


export type MutationAddThemeArgs = {
  input: AddThemeInput;
};


export type MutationAppointBranchManagerArgs = {
  input: AppointBranchManagerInput;
};


export type MutationAppointTownshipAdminArgs = {
  input: AppointTownshipAdminInput;
};


export type MutationBindWechatArgs = {
  bindingToken: Scalars['String']['input'];
  phoneCode: Scalars['String']['input'];
};


export type MutationCancelActivityArgs = {
  input: CancelActivityInput;
};


export type MutationCancelCourseArgs = {
  input: CancelCourseInput;
};


export type MutationCancelEnrolmentArgs = {
  courseId: Scalars['ID']['input'];
};


export type MutationCancelSignupArgs = {
  activityId: Scalars['ID']['input'];
};


export type MutationCheckInArgs = {
  input: CheckInInput;
};


export type MutationCompleteActivityArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreateActivityArgs = {
  input: CreateActivityInput;
};


export type MutationCreateBranchArgs = {
  input: CreateBranchInput;
};


export type MutationCreateCourseArgs = {
  input: CreateCourseInput;
};


export type MutationCreateServiceTeamArgs = {
  input: CreateServiceTeamInput;
};


export type MutationDevLoginArgs = {
  mobile: Scalars['String']['input'];
};


export type MutationEnrolInCourseArgs = {
  courseId: Scalars['ID']['input'];
};


export type MutationLoginWithWechatArgs = {
  code: Scalars['String']['input'];
};


export type MutationMarkAttendanceArgs = {
  input: MarkAttendanceInput;
};


export type MutationPostAdjustmentArgs = {
  input: AdjustmentInput;
};


export type MutationPublishActivityArgs = {
  id: Scalars['ID']['input'];
};


export type MutationPublishThemesArgs = {
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type MutationRegisterResidentArgs = {
  input: RegisterResidentInput;
};


export type MutationRemoveThemeArgs = {
  id: Scalars['ID']['input'];
};


export type MutationReverseEntryArgs = {
  input: ReverseEntryInput;
};


export type MutationRevokeBranchManagerArgs = {
  input: RevokeRoleInput;
};


export type MutationRevokeTownshipAdminArgs = {
  input: RevokeRoleInput;
};


export type MutationSignUpForActivityArgs = {
  activityId: Scalars['ID']['input'];
};


export type MutationStartSettlementArgs = {
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type MutationUpdateActivityArgs = {
  input: UpdateActivityInput;
};


export type MutationUpdateCourseArgs = {
  input: UpdateCourseInput;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PostedEntryModel = {
  __typename?: 'PostedEntryModel';
  bookedAt: Scalars['DateTime']['output'];
  /** false when this exact request had already been booked (idempotent replay). */
  created: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  /** Accounting month, YYYY-MM. */
  period: Scalars['String']['output'];
};

/** A branch's published theme list for a month. */
export type PublishedThemeList = {
  __typename?: 'PublishedThemeList';
  branchId: Scalars['ID']['output'];
  month: Scalars['String']['output'];
  publishedAt: Scalars['DateTime']['output'];
  /** The township's themes, then the branch's own. */
  themes: Array<Theme>;
};

export type Query = {
  __typename?: 'Query';
  /** A township's activities, soonest first (filter by branch, theme, month, status). */
  activities: ActivityConnection;
  activity: Activity;
  /** The rotating check-in code to show attendees (managers, while check-in is open). */
  activityCheckinCode: CheckinCode;
  /** An activity's sign-ups in arrival order (the branch's managers). */
  activitySignups: ActivitySignupConnection;
  branch: Branch;
  /** A branch's issuance and redemption accounts. */
  branchAccounts: Array<LedgerAccount>;
  /** A branch's figures for a settled month (its managers, admins). */
  branchFigures?: Maybe<BranchFigures>;
  /** Branch figures of a settled month as CSV: all branches (admins) or one (its managers). */
  branchFiguresCsv: Scalars['String']['output'];
  /** A branch's residents with their balances (managers of the branch, township admins). */
  branchResidents: ResidentSummaryConnection;
  /** Managers of a branch. */
  branchStaff: Array<Staff>;
  /** The branches (villages, communities) of a township, by name. */
  branches: BranchConnection;
  course: Course;
  /** A course's enrolments (the branch's managers). */
  courseEnrolments: CourseEnrolmentConnection;
  /** A township's courses, soonest first. */
  courses: CourseConnection;
  me: Me;
  /** A month's draft themes: the township's, plus a branch's own when branchId is given (admins, that branch's managers). */
  monthThemes: Array<Theme>;
  /** The signed-in resident's statement for a settled month. */
  monthlyStatement: MonthlyStatement;
  /** The caller's course enrolments, most recent first (residents). */
  myEnrolments: CourseEnrolmentConnection;
  /** The caller's own sign-ups, most recent first (residents). */
  mySignups: ActivitySignupConnection;
  /** A branch's published theme list for a month; null until published. */
  publishedThemes?: Maybe<PublishedThemeList>;
  /** Checks every stored balance against its postings (admins). */
  reconciliation: ReconciliationReportModel;
  /** A resident's points history (their branch's managers, township admins). */
  residentHistory: LedgerLineConnection;
  serviceTeams: Array<ServiceTeam>;
  /** A month's settlement: progress, figures, trial balance, reconciliation (admins). */
  settlement?: Maybe<Settlement>;
  /** How many branch lists of a month are published (admins). */
  themePublicationStatus: ThemePublicationStatus;
  township: Township;
  /** Every non-resident account of a township (admins). */
  townshipAccounts: Array<LedgerAccount>;
};


export type QueryActivitiesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  branchId?: InputMaybe<Scalars['ID']['input']>;
  first?: Scalars['Int']['input'];
  includePast?: Scalars['Boolean']['input'];
  month?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<ActivityStatus>;
  themeId?: InputMaybe<Scalars['ID']['input']>;
  townshipId: Scalars['ID']['input'];
};


export type QueryActivityArgs = {
  id: Scalars['ID']['input'];
};


export type QueryActivityCheckinCodeArgs = {
  activityId: Scalars['ID']['input'];
};


export type QueryActivitySignupsArgs = {
  activityId: Scalars['ID']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  status?: InputMaybe<SignupStatus>;
};


export type QueryBranchArgs = {
  id: Scalars['ID']['input'];
};


export type QueryBranchAccountsArgs = {
  branchId: Scalars['ID']['input'];
};


export type QueryBranchFiguresArgs = {
  branchId: Scalars['ID']['input'];
  month: Scalars['String']['input'];
};


export type QueryBranchFiguresCsvArgs = {
  branchId?: InputMaybe<Scalars['ID']['input']>;
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type QueryBranchResidentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  branchId: Scalars['ID']['input'];
  first?: Scalars['Int']['input'];
  search?: InputMaybe<ResidentSearchInput>;
};


export type QueryBranchStaffArgs = {
  branchId: Scalars['ID']['input'];
};


export type QueryBranchesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  townshipId: Scalars['ID']['input'];
};


export type QueryCourseArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCourseEnrolmentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  courseId: Scalars['ID']['input'];
  first?: Scalars['Int']['input'];
};


export type QueryCoursesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  branchId?: InputMaybe<Scalars['ID']['input']>;
  first?: Scalars['Int']['input'];
  includePast?: Scalars['Boolean']['input'];
  month?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<CourseStatus>;
  townshipId: Scalars['ID']['input'];
};


export type QueryMonthThemesArgs = {
  branchId?: InputMaybe<Scalars['ID']['input']>;
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type QueryMonthlyStatementArgs = {
  month: Scalars['String']['input'];
};


export type QueryMyEnrolmentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};


export type QueryMySignupsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};


export type QueryPublishedThemesArgs = {
  branchId: Scalars['ID']['input'];
  month: Scalars['String']['input'];
};


export type QueryReconciliationArgs = {
  townshipId: Scalars['ID']['input'];
};


export type QueryResidentHistoryArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  residentId: Scalars['ID']['input'];
};


export type QueryServiceTeamsArgs = {
  branchId: Scalars['ID']['input'];
};


export type QuerySettlementArgs = {
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type QueryThemePublicationStatusArgs = {
  month: Scalars['String']['input'];
  townshipId: Scalars['ID']['input'];
};


export type QueryTownshipArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTownshipAccountsArgs = {
  townshipId: Scalars['ID']['input'];
};

/** Stored balances checked against postings, for every account of a township. */
export type ReconciliationReportModel = {
  __typename?: 'ReconciliationReportModel';
  accountsChecked: Scalars['Int']['output'];
  checkedAt: Scalars['DateTime']['output'];
  entriesChecked: Scalars['Int']['output'];
  mismatchedAccounts: Array<AccountMismatch>;
  ok: Scalars['Boolean']['output'];
  /** Sum of all postings: 0 when every entry balances. */
  postedTotal: Scalars['Int']['output'];
  postingsChecked: Scalars['Int']['output'];
  /** Sum of all stored balances: 0 when the township ledger balances. */
  storedTotal: Scalars['Int']['output'];
  townshipId: Scalars['ID']['output'];
  unbalancedEntries: Array<UnbalancedEntry>;
};

export type RegisterResidentInput = {
  branchId: Scalars['ID']['input'];
  /** Mainland China mobile number, 11 digits. */
  mobile: Scalars['String']['input'];
  /** 姓名, 1-30 characters. */
  name: Scalars['String']['input'];
};

/** Where a resident is registered. */
export type ResidentMembership = {
  __typename?: 'ResidentMembership';
  branchId: Scalars['ID']['output'];
  branchName: Scalars['String']['output'];
  residentId: Scalars['ID']['output'];
  townshipId: Scalars['ID']['output'];
  townshipName: Scalars['String']['output'];
};

export type ResidentSearchInput = {
  /** Part of a name, or the start of a mobile number. */
  text?: InputMaybe<Scalars['String']['input']>;
};

/** A person as a branch sees them: a registered resident with their balance. */
export type ResidentSummary = {
  __typename?: 'ResidentSummary';
  /** The resident's points account: what postAdjustment takes. */
  accountId: Scalars['ID']['output'];
  balance: Scalars['Int']['output'];
  branchId: Scalars['ID']['output'];
  id: Scalars['ID']['output'];
  mobile: Scalars['String']['output'];
  name: Scalars['String']['output'];
  personId: Scalars['ID']['output'];
  registeredAt: Scalars['DateTime']['output'];
};

export type ResidentSummaryConnection = {
  __typename?: 'ResidentSummaryConnection';
  edges: Array<ResidentSummaryEdge>;
  pageInfo: PageInfo;
};

export type ResidentSummaryEdge = {
  __typename?: 'ResidentSummaryEdge';
  cursor: Scalars['String']['output'];
  node: ResidentSummary;
};

export type ReverseEntryInput = {
  entryId: Scalars['ID']['input'];
  /** Why the entry is reversed, 1-500 characters. */
  reason: Scalars['String']['input'];
};

export type RevokeRoleInput = {
  personId: Scalars['ID']['input'];
  /** The township (for admins) or branch (for managers) the role is held in. */
  scopeId: Scalars['ID']['input'];
};

export type Role =
  | 'BRANCH_MANAGER'
  | 'TOWNSHIP_ADMIN';

export type RoleGrant = {
  __typename?: 'RoleGrant';
  branchId?: Maybe<Scalars['ID']['output']>;
  role: Role;
  townshipId: Scalars['ID']['output'];
};

/** 服务队 */
export type ServiceTeam = {
  __typename?: 'ServiceTeam';
  branchId: Scalars['ID']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
};

/** The settlement of a month: progress while it runs, results once it has. */
export type Settlement = {
  __typename?: 'Settlement';
  /** Figures of the branches done so far, by branch name. */
  branches: Array<BranchFigures>;
  branchesDone: Scalars['Int']['output'];
  branchesTotal: Scalars['Int']['output'];
  /** Why it failed, naming the accounts when the books do not balance. */
  error?: Maybe<Scalars['String']['output']>;
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  month: Scalars['String']['output'];
  reconciliation?: Maybe<ReconciliationReportModel>;
  /** Attempt number: a failed settlement started again runs again. */
  run: Scalars['Int']['output'];
  startedAt: Scalars['DateTime']['output'];
  status: SettlementStatus;
  townshipId: Scalars['ID']['output'];
  trialBalance?: Maybe<TrialBalance>;
};

export type SettlementStatus =
  | 'FAILED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type SignupStatus =
  | 'ACTIVITY_CANCELLED'
  | 'CANCELLED'
  | 'CONFIRMED'
  | 'WAITLISTED';

/** A person holding a role (manager or admin). */
export type Staff = {
  __typename?: 'Staff';
  mobile: Scalars['String']['output'];
  name: Scalars['String']['output'];
  personId: Scalars['ID']['output'];
  role: Role;
};

/** A civilization-practice theme of a month. */
export type Theme = {
  __typename?: 'Theme';
  /** Set for a branch-only theme. */
  branchId?: Maybe<Scalars['ID']['output']>;
  description: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** YYYY-MM */
  month: Scalars['String']['output'];
  suggestedPoints: Scalars['Int']['output'];
  title: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
};

/** How far the publication of a month has got in a township. */
export type ThemePublicationStatus = {
  __typename?: 'ThemePublicationStatus';
  branchesPublished: Scalars['Int']['output'];
  branchesTotal: Scalars['Int']['output'];
  month: Scalars['String']['output'];
  townshipId: Scalars['ID']['output'];
};

export type TopVolunteer = {
  __typename?: 'TopVolunteer';
  name: Scalars['String']['output'];
  /** Points earned from this branch in the month (net of reversals). */
  points: Scalars['Int']['output'];
  residentId: Scalars['ID']['output'];
};

/** 镇（总行） */
export type Township = {
  __typename?: 'Township';
  /** Short unique slug, e.g. `lucheng`. */
  code: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

/** Closing balances of every account of the township at month end, by kind; they sum to zero. */
export type TrialBalance = {
  __typename?: 'TrialBalance';
  lines: Array<TrialBalanceLine>;
  total: Scalars['Int']['output'];
};

export type TrialBalanceLine = {
  __typename?: 'TrialBalanceLine';
  accounts: Scalars['Int']['output'];
  /** Sum of the closing balances of these accounts. */
  closing: Scalars['Int']['output'];
  kind: AccountKind;
};

export type UnbalancedEntry = {
  __typename?: 'UnbalancedEntry';
  entryId: Scalars['ID']['output'];
  postings: Scalars['Int']['output'];
  total: Scalars['Int']['output'];
};

export type UpdateActivityInput = {
  /** Raising it promotes waitlisted residents; it cannot go below the confirmed count. */
  capacity?: InputMaybe<Scalars['Int']['input']>;
  description?: InputMaybe<Scalars['String']['input']>;
  endsAt?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
  place?: InputMaybe<Scalars['String']['input']>;
  rewardPoints?: InputMaybe<Scalars['Int']['input']>;
  serviceTeamId?: InputMaybe<Scalars['ID']['input']>;
  signupDeadline?: InputMaybe<Scalars['DateTime']['input']>;
  startsAt?: InputMaybe<Scalars['DateTime']['input']>;
  themeId?: InputMaybe<Scalars['ID']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateCourseInput = {
  cancelDeadline?: InputMaybe<Scalars['DateTime']['input']>;
  /** Cannot go below the seats taken. */
  capacity?: InputMaybe<Scalars['Int']['input']>;
  description?: InputMaybe<Scalars['String']['input']>;
  endsAt?: InputMaybe<Scalars['DateTime']['input']>;
  enrolDeadline?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
  place?: InputMaybe<Scalars['String']['input']>;
  pricePoints?: InputMaybe<Scalars['Int']['input']>;
  startsAt?: InputMaybe<Scalars['DateTime']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type ProbeQueryVariables = Exact<{ [key: string]: never; }>;


export type ProbeQuery = { __typename?: 'Query', me: { __typename?: 'Me', name: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ProbeDocument = new TypedDocumentString(`
    query Probe {
  me {
    name
  }
}
    `) as unknown as TypedDocumentString<ProbeQuery, ProbeQueryVariables>;