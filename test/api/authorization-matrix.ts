import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { createActivity, HOUR, MINUTE, publishedTheme, setNow } from '../support/activity-fixture';
import { deedInput, photoId } from '../support/deed-fixture';
import { nextMobile } from '../support/factories';
import { waitFor } from '../support/wait-for';
import { devLogin, GqlResponse, TestApp } from '../support/test-app';

/**
 * THE AUTHORIZATION MATRIX (issue 6): who may run which operation, against things of
 * branch A1 of township A. Read by test/api/authorization.test.ts, which fails when an
 * operation of the schema has no row here; the bad-input fuzz test reuses the fixtures
 * and the valid requests below.
 *
 *   OK  succeeds                     UN  UNAUTHENTICATED
 *   NO  FORBIDDEN or NOT_FOUND, and nothing changes
 *   any other value: exactly that error code (a one-value row: for everyone).
 *
 * Actors: anonymous; residents of A1 and A2; managers of A1 and A2 (the A2 manager is
 * also a resident of A1); the admin of A; a resident, a manager and the admin of
 * township B.
 *
 * The product rules the table spells out: residents read their township's branches,
 * activities, courses and published themes, and act only for themselves (sign up,
 * check in, enrol, cancel their own); a manager runs their own branch; an admin runs
 * their township; nobody reaches into another township.
 */
export const ACTORS = ['anon', 'resA1', 'resA2', 'mgrA1', 'mgrA2', 'admA', 'resB1', 'mgrB1', 'admB'] as const;
export type Actor = (typeof ACTORS)[number];

export const TABLE: Record<string, string> = {
  //                        anon resA1 resA2 mgrA1 mgrA2 admA resB1 mgrB1 admB
  // ---- foundation: people, branches, the ledger
  me:                      'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  township:                'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branches:                'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branch:                  'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  serviceTeams:            'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branchStaff:             'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branchResidents:         'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  branchAccounts:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  residentHistory:         'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  townshipAccounts:        'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  reconciliation:          'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  createServiceTeam:       'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  registerResident:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  createBranch:            'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  appointBranchManager:    'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  revokeBranchManager:     'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  appointTownshipAdmin:    'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  revokeTownshipAdmin:     'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  postAdjustment:          'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  reverseEntry:            'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  devLogin:                'OK   OK    OK    OK    OK    OK   OK    OK    OK',
  loginWithWechat:         'WECHAT_UNAVAILABLE',
  bindWechat:              'BINDING_EXPIRED',
  chooseTownship:          'BINDING_EXPIRED',
  loginOptions:            'OK',
  loginWithWechatWeb:      'WECHAT_UNAVAILABLE',
  bindWechatWeb:           'BINDING_EXPIRED',
  loginWithTicket:         'LOGIN_TICKET_INVALID',
  issueBindingCode:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  // ---- activities: the township reads, the branch manages, residents act for themselves
  activities:              'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  activity:                'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  activitySignups:         'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  activityCheckinCode:     'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  mySignups:               'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  createActivity:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  updateActivity:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  publishActivity:         'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  cancelActivity:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  markAttendance:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  completeActivity:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  signUpForActivity:       'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  cancelSignup:            'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  checkIn:                 'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  // ---- courses: the same shape
  courses:                 'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  course:                  'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  courseEnrolments:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  myEnrolments:            'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  createCourse:            'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  updateCourse:            'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  cancelCourse:            'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  enrolInCourse:           'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  cancelEnrolment:         'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  // ---- themes: the township sets them, a branch adds its own, everyone reads the published list
  publishedThemes:         'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  monthThemes:             'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  addTheme:                'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  removeTheme:             'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  themePublicationStatus:  'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  publishThemes:           'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  // ---- settlement: the township's admins; a branch's figures also its managers; a resident their own statement
  settlement:              'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  startSettlement:         'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  branchFigures:           'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  branchFiguresCsv:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  monthlyStatement:        'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  // ---- sealed months: an entry's proof for the resident it paid, their branch's managers and the admins
  entryProof:              'UN   OK    NO    OK    NO    OK   NO    NO    NO',
  // ---- honours: the township reads the stars (names masked but for the branch) and the ladder; a resident their own level; the admins set
  monthlyStars:            'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  myStarLevel:             'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  honourSettings:          'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  setStarLevels:           'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  setStarBasis:            'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  setStarsPerBranch:       'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  // ---- households (户): resA1 heads household A1 (with famA1 and the dependent depA1); mgrA2,
  // a resident of A1, is in another household; a branch's managers and the admins manage them
  myHousehold:             'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  household:               'UN   OK    NO    OK    NO    OK   NO    NO    NO',
  branchHouseholds:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  householdMemberPassbook: 'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  createHousehold:         'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  addHouseholdMember:      'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  removeHouseholdMember:   'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  addHouseholdDependent:   'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  removeHouseholdDependent:'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  signUpForFamily:         'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  cancelSignupForFamily:   'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  checkInDependent:        'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  markDependentAttendance: 'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  enrolDependentInCourse:  'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  cancelDependentEnrolment:'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  // ---- good deeds (issue 16): the admin sets the table, the manager the scoring group (mgrA2, who lives in A1);
  //      residents report for themselves, managers for their branch; the group reviews; the branch's residents see the notice and ask for rechecks
  deedSettings:            'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  saveDeedKind:            'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  setDeedNoticeDays:       'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  scoringGroup:            'UN   OK    NO    OK    OK    OK   NO    NO    NO',
  appointScorer:           'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  removeScorer:            'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  reportDeed:              'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  reviewDeedReport:        'UN   NO    NO    NO    OK    NO   NO    NO    NO',
  requestDeedRecheck:      'UN   OK    NO    NO    OK    NO   NO    NO    NO',
  myDeedReports:           'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  branchDeedReports:       'UN   NO    NO    OK    OK    OK   NO    NO    NO',
  deedReport:              'UN   OK    NO    OK    OK    OK   NO    NO    NO',
  deedNotice:              'UN   OK    NO    OK    OK    OK   NO    NO    NO',
  // ---- service hours (issue 16): residents check out and read their own hours; managers record check-outs
  checkOut:                'UN   OK    OK    NO    OK    NO   NO    NO    NO',
  recordCheckOut:          'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  myServiceHours:          'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  myServiceRecords:        'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  // ---- certificates: a resident with hours asks for one; it is read by its resident, their branch's managers, the admins
  requestServiceCertificate: 'UN  OK    NO_SERVICE_HOURS NO NO_SERVICE_HOURS NO NO_SERVICE_HOURS NO NO',
  myServiceCertificates:   'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  serviceCertificate:      'UN   OK    NO    OK    NO    OK   NO    NO    NO',
  // ---- township policy: the township reads it, its admins set it; residents get their own expiry notice
  townshipPolicy:          'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  updateTownshipPolicy:    'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  myPointsExpiry:          'UN   OK    OK    NO    OK    NO   OK    NO    NO',
  // ---- notifications: everyone has their own inbox and settings, and reaches nobody else's
  notifications:             'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  notificationSettings:      'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  markNotificationRead:      'UN   OK    NO    NO    NO    NO   NO    NO    NO',
  markAllNotificationsRead:  'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  setNotificationPreference: 'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  acceptWechatTemplates:     'UN   OK    OK    OK    OK    OK   OK    OK    OK',
};

export function expectedOutcome(operation: string, actor: Actor): string {
  const row = TABLE[operation].split(/\s+/);
  return row.length === 1 ? row[0] : row[ACTORS.indexOf(actor)];
}

/** The first actor the table lets run an operation (the one whose request is "valid"). */
export function allowedActor(operation: string): Actor {
  const actor = ACTORS.find((a) => expectedOutcome(operation, a) === 'OK');
  if (!actor) throw new Error(`nobody may run ${operation}`);
  return actor;
}

/** The things the operations aim at, all in branch A1 of township A unless named otherwise. */
export interface World {
  townshipA: string;
  townshipB: string;
  branchA1: string;
  branchA2: string;
  managerA1: string;
  /** The resident id of each actor who is a resident. */
  residentOf: Partial<Record<Actor, string>>;
  residentA1: { id: string; personId: string; accountId: string; mobile: string };
  /** Revoked by the one actor allowed to (admin A). */
  victimManagerA1: string;
  victimAdminA: string;
  /** An adjustment to resident A1, reversed by the one actor allowed to. */
  entryToReverse: string;
  /** SEALED_POINTS minted by branch A1 to resident A1 last month, sealed by its settlement. */
  sealedEntryA1: string;
  /** Months, Asia/Shanghai: settled (A and B), current (A1's list published), next (drafts), later (published on request). */
  lastMonth: string;
  thisMonth: string;
  nextMonth: string;
  laterMonth: string;
  /** A theme on A1's published list of this month. */
  publishedThemeA1: string;
  /** Published, upcoming. */
  activityA1: string;
  activityDraft: string;
  /** Nobody signed up yet. */
  activityToJoin: string;
  /** resA1, resA2 and mgrA2 (a resident of A1) hold a place each. */
  activityToLeave: string;
  activityToCancel: string;
  /** resA1, resA2 and mgrA2 hold places; running at `attendanceAt`. */
  activityRunning: string;
  /** resA1 marked present; started by `attendanceAt`. */
  activityToComplete: string;
  /** When attendance operations run (the service's clock is moved there). */
  attendanceAt: Date;
  courseA1: string;
  /** resA1, resA2 and mgrA2 are enrolled. */
  courseToLeave: string;
  /** resA1 is enrolled (and is refunded when it is cancelled). */
  courseToCancel: string;
  /** Households (户): resA1 heads householdA1 with famA1 (a resident of A1 without a token) and the dependent depA1. */
  householdA1: string;
  famA1: string;
  dependentA1: string;
  /** mgrA2 (a resident of A1) and another resident of A1. */
  householdOther: string;
  /** A deed kind of township A (5 points). */
  deedKindA: string;
  /** A resident of A1 who is no actor: appointed to and removed from the scoring group. */
  extraResidentA1: string;
  /** Reported by resA1 for themselves, pending. */
  deedReportA1: string;
}

export interface Ctx {
  t: TestApp;
  tokens: Partial<Record<Actor, string>>;
  as(actor: Actor, query: string, variables?: Record<string, unknown>): Promise<GqlResponse>;
}

export interface Operation {
  /** Every argument is a variable of the same name, so a request is fully described by its variables. */
  query: string;
  /** One actor's request; may create a thing of the actor's own first (a theme to remove). */
  variables: (w: World, actor: Actor, ctx: Ctx) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Where the service's clock stands for this operation (attendance needs a running activity). */
  at?: (w: World) => Date;
  /** What a successful answer must show (beyond "no errors"). */
  check?: (data: any, w: World, actor: Actor, ctx: Ctx) => void | Promise<void>;
}

const fresh = () => randomUUID().slice(0, 8);
const ACTIVITY = `id status title townshipId branchId`;
const COURSE = `id status title townshipId branchId`;

export const OPERATIONS: Record<string, Operation> = {
  // ---- foundation
  me: { query: `{ me { personId } }`, variables: () => ({}) },
  township: {
    query: `query($id: ID!) { township(id: $id) { id } }`,
    variables: (w) => ({ id: w.townshipA }),
    check: (d, w) => expect(d.township.id).toBe(w.townshipA),
  },
  branches: {
    query: `query($townshipId: ID!) { branches(townshipId: $townshipId, first: 100) { edges { node { id townshipId } } } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => {
      const ids = d.branches.edges.map((e: any) => e.node.id);
      expect(ids).toEqual(expect.arrayContaining([w.branchA1, w.branchA2]));
      for (const e of d.branches.edges) expect(e.node.townshipId).toBe(w.townshipA);
    },
  },
  branch: { query: `query($id: ID!) { branch(id: $id) { id } }`, variables: (w) => ({ id: w.branchA1 }), check: (d, w) => expect(d.branch.id).toBe(w.branchA1) },
  serviceTeams: { query: `query($branchId: ID!) { serviceTeams(branchId: $branchId) { branchId } }`, variables: (w) => ({ branchId: w.branchA1 }) },
  branchStaff: {
    query: `query($branchId: ID!) { branchStaff(branchId: $branchId) { personId } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => expect(d.branchStaff.map((s: any) => s.personId)).toContain(w.managerA1),
  },
  branchResidents: {
    query: `query($branchId: ID!) { branchResidents(branchId: $branchId, first: 100) { edges { node { id branchId } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      expect(d.branchResidents.edges.map((e: any) => e.node.id)).toContain(w.residentA1.id);
      for (const e of d.branchResidents.edges) expect(e.node.branchId).toBe(w.branchA1);
    },
  },
  branchAccounts: {
    query: `query($branchId: ID!) { branchAccounts(branchId: $branchId) { kind branchId } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) =>
      expect(d.branchAccounts).toEqual([
        { kind: 'BRANCH_ISSUANCE', branchId: w.branchA1 },
        { kind: 'BRANCH_REDEMPTION', branchId: w.branchA1 },
      ]),
  },
  residentHistory: {
    query: `query($residentId: ID!) { residentHistory(residentId: $residentId) { edges { node { amount } } } }`,
    variables: (w) => ({ residentId: w.residentA1.id }),
    check: (d) => expect(d.residentHistory.edges.length).toBeGreaterThan(0),
  },
  townshipAccounts: {
    query: `query($townshipId: ID!) { townshipAccounts(townshipId: $townshipId) { kind branchId } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => {
      for (const a of d.townshipAccounts) expect(a.branchId === null || typeof a.branchId === 'string').toBe(true);
      // Two township accounts and two per branch: no account of township B.
      const branchIds = new Set(d.townshipAccounts.filter((a: any) => a.branchId).map((a: any) => a.branchId));
      expect(branchIds).toContain(w.branchA1);
      expect(d.townshipAccounts.length).toBe(2 + 2 * branchIds.size);
    },
  },
  reconciliation: {
    query: `query($townshipId: ID!) { reconciliation(townshipId: $townshipId) { ok townshipId } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => expect(d.reconciliation).toEqual({ ok: true, townshipId: w.townshipA }),
  },
  createServiceTeam: {
    query: `mutation($input: CreateServiceTeamInput!) { createServiceTeam(input: $input) { branchId } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, name: `服务队${fresh()}` } }),
    check: (d, w) => expect(d.createServiceTeam.branchId).toBe(w.branchA1),
  },
  registerResident: {
    query: `mutation($input: RegisterResidentInput!) { registerResident(input: $input) { branchId } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, name: '新居民', mobile: nextMobile() } }),
    check: (d, w) => expect(d.registerResident.branchId).toBe(w.branchA1),
  },
  createBranch: {
    query: `mutation($input: CreateBranchInput!) { createBranch(input: $input) { townshipId } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, name: `新村${fresh()}` } }),
    check: (d, w) => expect(d.createBranch.townshipId).toBe(w.townshipA),
  },
  appointBranchManager: {
    query: `mutation($input: AppointBranchManagerInput!) { appointBranchManager(input: $input) { role personId } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, name: '新行长', mobile: nextMobile() } }),
    check: (d) => expect(d.appointBranchManager.role).toBe('BRANCH_MANAGER'),
  },
  revokeBranchManager: {
    query: `mutation($input: RevokeRoleInput!) { revokeBranchManager(input: $input) }`,
    variables: (w) => ({ input: { scopeId: w.branchA1, personId: w.victimManagerA1 } }),
    check: (d) => expect(d.revokeBranchManager).toBe(true),
  },
  appointTownshipAdmin: {
    query: `mutation($input: AppointTownshipAdminInput!) { appointTownshipAdmin(input: $input) { role personId } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, name: '新行长', mobile: nextMobile() } }),
    check: (d) => expect(d.appointTownshipAdmin.role).toBe('TOWNSHIP_ADMIN'),
  },
  revokeTownshipAdmin: {
    query: `mutation($input: RevokeRoleInput!) { revokeTownshipAdmin(input: $input) }`,
    variables: (w) => ({ input: { scopeId: w.townshipA, personId: w.victimAdminA } }),
    check: (d) => expect(d.revokeTownshipAdmin).toBe(true),
  },
  postAdjustment: {
    query: `mutation($input: AdjustmentInput!) { postAdjustment(input: $input) { created } }`,
    variables: (w) => ({ input: { accountId: w.residentA1.accountId, amount: 1, reason: '补录', idempotencyKey: `authz-${fresh()}` } }),
    check: (d) => expect(d.postAdjustment.created).toBe(true),
  },
  reverseEntry: {
    query: `mutation($input: ReverseEntryInput!) { reverseEntry(input: $input) { created } }`,
    variables: (w) => ({ input: { entryId: w.entryToReverse, reason: '录入错误' } }),
    check: (d) => expect(d.reverseEntry.created).toBe(true),
  },
  devLogin: {
    query: `mutation($mobile: String!) { devLogin(mobile: $mobile) { status } }`,
    variables: (w) => ({ mobile: w.residentA1.mobile }),
    check: (d) => expect(d.devLogin.status).toBe('LOGGED_IN'),
  },
  loginWithWechat: { query: `mutation($code: String!) { loginWithWechat(code: $code) { status } }`, variables: () => ({ code: 'wx-code' }) },
  bindWechat: {
    query: `mutation($bindingToken: String!, $phoneCode: String!) { bindWechat(bindingToken: $bindingToken, phoneCode: $phoneCode) { status } }`,
    variables: () => ({ bindingToken: 'forged', phoneCode: 'phone-code' }),
  },
  chooseTownship: {
    query: `mutation($bindingToken: String!, $townshipId: ID!) { chooseTownship(bindingToken: $bindingToken, townshipId: $townshipId) { status } }`,
    variables: (w) => ({ bindingToken: 'forged', townshipId: w.townshipA }),
  },
  loginOptions: {
    query: `{ loginOptions { devLogin wechatWebAppId } }`,
    variables: () => ({}),
    check: (d) => expect(d.loginOptions).toEqual({ devLogin: true, wechatWebAppId: null }),
  },
  loginWithWechatWeb: { query: `mutation($code: String!) { loginWithWechatWeb(code: $code) { status } }`, variables: () => ({ code: 'web-code' }) },
  loginWithTicket: { query: `mutation($ticket: String!) { loginWithTicket(ticket: $ticket) { status } }`, variables: () => ({ ticket: 'x'.repeat(43) }) },
  bindWechatWeb: {
    query: `mutation($bindingToken: String!, $mobile: String!, $bindingCode: String!) { bindWechatWeb(bindingToken: $bindingToken, mobile: $mobile, bindingCode: $bindingCode) { status } }`,
    variables: (w) => ({ bindingToken: 'forged', mobile: w.residentA1.mobile, bindingCode: '123456' }),
  },
  issueBindingCode: {
    query: `mutation($residentId: ID!) { issueBindingCode(residentId: $residentId) { code expiresAt } }`,
    variables: (w) => ({ residentId: w.residentA1.id }),
    check: (d) => expect(d.issueBindingCode.code).toMatch(/^\d{6}$/),
  },

  // ---- activities
  activities: {
    query: `query($townshipId: ID!) { activities(townshipId: $townshipId, first: 100) { edges { node { ${ACTIVITY} } } } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w, actor) => {
      const nodes = d.activities.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.id)).toContain(w.activityA1);
      for (const n of nodes) expect(n.townshipId).toBe(w.townshipA);
      // Drafts only for those who manage them.
      if (actor !== 'mgrA1' && actor !== 'admA') expect(nodes.filter((n: any) => n.status === 'DRAFT')).toEqual([]);
    },
  },
  activity: {
    query: `query($id: ID!) { activity(id: $id) { ${ACTIVITY} } }`,
    variables: (w) => ({ id: w.activityA1 }),
    check: (d, w) => expect(d.activity.id).toBe(w.activityA1),
  },
  activitySignups: {
    query: `query($activityId: ID!) { activitySignups(activityId: $activityId, first: 100) { edges { node { activityId residentId dependentId } } } }`,
    variables: (w) => ({ activityId: w.activityRunning }),
    check: (d, w) => {
      const nodes = d.activitySignups.edges.map((e: any) => e.node);
      expect(nodes.filter((n: any) => !n.dependentId).map((n: any) => n.residentId).sort()).toEqual([w.residentOf.resA1, w.residentOf.resA2, w.residentOf.mgrA2].sort());
      // resA1 signed up the household's dependent too.
      expect(nodes.filter((n: any) => n.dependentId)).toEqual([{ activityId: w.activityRunning, residentId: w.residentOf.resA1, dependentId: w.dependentA1 }]);
      for (const n of nodes) expect(n.activityId).toBe(w.activityRunning);
    },
  },
  activityCheckinCode: {
    query: `query($activityId: ID!) { activityCheckinCode(activityId: $activityId) { activityId code } }`,
    variables: (w) => ({ activityId: w.activityRunning }),
    at: (w) => w.attendanceAt,
    check: (d, w) => expect(d.activityCheckinCode).toEqual({ activityId: w.activityRunning, code: expect.stringMatching(/^\d{6}$/) }),
  },
  mySignups: {
    query: `{ mySignups(first: 100) { edges { node { residentId activityId } } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      const nodes = d.mySignups.edges.map((e: any) => e.node);
      for (const n of nodes) expect(n.residentId).toBe(w.residentOf[actor]);
      if (actor === 'resA1') expect(nodes.map((n: any) => n.activityId)).toContain(w.activityRunning);
    },
  },
  createActivity: {
    query: `mutation($input: CreateActivityInput!) { createActivity(input: $input) { ${ACTIVITY} } }`,
    variables: (w) => ({ input: activityInput(w.branchA1) }),
    check: (d, w) => expect(d.createActivity).toMatchObject({ branchId: w.branchA1, status: 'DRAFT' }),
  },
  updateActivity: {
    query: `mutation($input: UpdateActivityInput!) { updateActivity(input: $input) { ${ACTIVITY} } }`,
    variables: (w, actor) => ({ input: { id: w.activityA1, title: `改期通知 ${actor}` } }),
    check: (d, w, actor) => expect(d.updateActivity).toMatchObject({ id: w.activityA1, title: `改期通知 ${actor}` }),
  },
  publishActivity: {
    query: `mutation($id: ID!) { publishActivity(id: $id) { ${ACTIVITY} } }`,
    variables: (w) => ({ id: w.activityDraft }),
    check: (d, w) => expect(d.publishActivity).toMatchObject({ id: w.activityDraft, status: 'PUBLISHED' }),
  },
  cancelActivity: {
    query: `mutation($input: CancelActivityInput!) { cancelActivity(input: $input) { ${ACTIVITY} } }`,
    variables: (w) => ({ input: { id: w.activityToCancel, reason: '天气原因' } }),
    check: (d, w) => expect(d.cancelActivity).toMatchObject({ id: w.activityToCancel, status: 'CANCELLED' }),
  },
  markAttendance: {
    query: `mutation($input: MarkAttendanceInput!) { markAttendance(input: $input) { residentId attendance } }`,
    variables: (w) => ({ input: { activityId: w.activityRunning, residentIds: [w.residentOf.resA1], attendance: 'PRESENT' } }),
    at: (w) => w.attendanceAt,
    check: (d, w) => expect(d.markAttendance).toEqual([{ residentId: w.residentOf.resA1, attendance: 'PRESENT' }]),
  },
  completeActivity: {
    query: `mutation($id: ID!) { completeActivity(id: $id) { activity { id status } attendeesRewarded pointsMinted } }`,
    variables: (w) => ({ id: w.activityToComplete }),
    at: (w) => w.attendanceAt,
    check: (d, w) =>
      expect(d.completeActivity).toEqual({ activity: { id: w.activityToComplete, status: 'COMPLETED' }, attendeesRewarded: 1, pointsMinted: 2 }),
  },
  signUpForActivity: {
    query: `mutation($activityId: ID!) { signUpForActivity(activityId: $activityId) { residentId status } }`,
    variables: (w) => ({ activityId: w.activityToJoin }),
    check: (d, w, actor) => expect(d.signUpForActivity).toEqual({ residentId: w.residentOf[actor], status: 'CONFIRMED' }),
  },
  cancelSignup: {
    query: `mutation($activityId: ID!) { cancelSignup(activityId: $activityId) { residentId status } }`,
    variables: (w) => ({ activityId: w.activityToLeave }),
    check: (d, w, actor) => expect(d.cancelSignup).toEqual({ residentId: w.residentOf[actor], status: 'CANCELLED' }),
  },
  checkIn: {
    query: `mutation($input: CheckInInput!) { checkIn(input: $input) { residentId attendance } }`,
    at: (w) => w.attendanceAt,
    // The code the A1 manager shows right now.
    variables: async (w, _actor, ctx) => {
      const res = await ctx.as('mgrA1', OPERATIONS.activityCheckinCode.query, { activityId: w.activityRunning });
      return { input: { activityId: w.activityRunning, code: res.data.activityCheckinCode.code } };
    },
    check: (d, w, actor) => expect(d.checkIn).toEqual({ residentId: w.residentOf[actor], attendance: 'PRESENT' }),
  },

  // ---- courses
  courses: {
    query: `query($townshipId: ID!) { courses(townshipId: $townshipId, first: 100) { edges { node { ${COURSE} } } } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => {
      const nodes = d.courses.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.id)).toContain(w.courseA1);
      for (const n of nodes) expect(n.townshipId).toBe(w.townshipA);
    },
  },
  course: {
    query: `query($id: ID!) { course(id: $id) { ${COURSE} } }`,
    variables: (w) => ({ id: w.courseA1 }),
    check: (d, w) => expect(d.course.id).toBe(w.courseA1),
  },
  courseEnrolments: {
    query: `query($courseId: ID!) { courseEnrolments(courseId: $courseId, first: 100) { edges { node { courseId residentId } } } }`,
    variables: (w) => ({ courseId: w.courseToCancel }),
    check: (d, w) => expect(d.courseEnrolments.edges.map((e: any) => e.node)).toEqual([{ courseId: w.courseToCancel, residentId: w.residentOf.resA1 }]),
  },
  myEnrolments: {
    query: `{ myEnrolments(first: 100) { edges { node { residentId courseId } } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      const nodes = d.myEnrolments.edges.map((e: any) => e.node);
      for (const n of nodes) expect(n.residentId).toBe(w.residentOf[actor]);
      if (actor === 'resA1') expect(nodes.map((n: any) => n.courseId)).toContain(w.courseToCancel);
    },
  },
  createCourse: {
    query: `mutation($input: CreateCourseInput!) { createCourse(input: $input) { ${COURSE} } }`,
    variables: (w) => ({ input: courseInput(w.branchA1) }),
    check: (d, w) => expect(d.createCourse).toMatchObject({ branchId: w.branchA1, status: 'OPEN' }),
  },
  updateCourse: {
    query: `mutation($input: UpdateCourseInput!) { updateCourse(input: $input) { ${COURSE} } }`,
    variables: (w, actor) => ({ input: { id: w.courseA1, title: `非遗体验课 ${actor}` } }),
    check: (d, w, actor) => expect(d.updateCourse).toMatchObject({ id: w.courseA1, title: `非遗体验课 ${actor}` }),
  },
  cancelCourse: {
    query: `mutation($input: CancelCourseInput!) { cancelCourse(input: $input) { ${COURSE} } }`,
    variables: (w) => ({ input: { id: w.courseToCancel, reason: '老师临时有事' } }),
    check: (d, w) => expect(d.cancelCourse).toMatchObject({ id: w.courseToCancel, status: 'CANCELLED' }),
  },
  enrolInCourse: {
    query: `mutation($courseId: ID!) { enrolInCourse(courseId: $courseId) { residentId status pricePoints } }`,
    variables: (w) => ({ courseId: w.courseA1 }),
    check: (d, w, actor) => expect(d.enrolInCourse).toEqual({ residentId: w.residentOf[actor], status: 'ENROLLED', pricePoints: 1 }),
  },
  cancelEnrolment: {
    query: `mutation($courseId: ID!) { cancelEnrolment(courseId: $courseId) { residentId status refundEntryId } }`,
    variables: (w) => ({ courseId: w.courseToLeave }),
    check: (d, w, actor) =>
      expect(d.cancelEnrolment).toEqual({ residentId: w.residentOf[actor], status: 'CANCELLED', refundEntryId: expect.any(String) }),
  },

  // ---- themes
  publishedThemes: {
    query: `query($branchId: ID!, $month: String!) { publishedThemes(branchId: $branchId, month: $month) { branchId themes { id } } }`,
    variables: (w) => ({ branchId: w.branchA1, month: w.thisMonth }),
    check: (d, w) => expect(d.publishedThemes).toEqual({ branchId: w.branchA1, themes: [{ id: w.publishedThemeA1 }] }),
  },
  monthThemes: {
    query: `query($townshipId: ID!, $month: String!, $branchId: ID) { monthThemes(townshipId: $townshipId, month: $month, branchId: $branchId) { townshipId branchId } }`,
    variables: (w) => ({ townshipId: w.townshipA, month: w.nextMonth, branchId: w.branchA1 }),
    check: (d, w) => {
      for (const theme of d.monthThemes) expect(theme).toEqual({ townshipId: w.townshipA, branchId: theme.branchId === null ? null : w.branchA1 });
    },
  },
  addTheme: {
    query: `mutation($input: AddThemeInput!) { addTheme(input: $input) { townshipId branchId month } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, branchId: w.branchA1, month: w.nextMonth, title: `垃圾分类${fresh()}`, suggestedPoints: 2 } }),
    check: (d, w) => expect(d.addTheme).toEqual({ townshipId: w.townshipA, branchId: w.branchA1, month: w.nextMonth }),
  },
  removeTheme: {
    query: `mutation($id: ID!) { removeTheme(id: $id) }`,
    // A branch theme of A1 of its own for each actor: the first removal would leave nothing to remove.
    variables: async (w, actor, ctx) => {
      const [{ id }] = await ctx.t.db.dataSource.query(
        `INSERT INTO theme (township_id, branch_id, month, title, suggested_points) VALUES ($1, $2, $3, $4, 2) RETURNING id`,
        [w.townshipA, w.branchA1, `${w.nextMonth}-01`, `待删主题 ${actor} ${fresh()}`],
      );
      return { id };
    },
    check: (d) => expect(d.removeTheme).toBe(true),
  },
  themePublicationStatus: {
    query: `query($townshipId: ID!, $month: String!) { themePublicationStatus(townshipId: $townshipId, month: $month) { townshipId branchesPublished branchesTotal } }`,
    variables: (w) => ({ townshipId: w.townshipA, month: w.thisMonth }),
    check: (d, w) => expect(d.themePublicationStatus).toMatchObject({ townshipId: w.townshipA, branchesPublished: 1 }),
  },
  publishThemes: {
    query: `mutation($townshipId: ID!, $month: String!) { publishThemes(townshipId: $townshipId, month: $month) { townshipId branchesTotal } }`,
    variables: (w) => ({ townshipId: w.townshipA, month: w.laterMonth }),
    // The publication runs as a job: wait for it, so it cannot change the database under the next refusals.
    check: async (d, w, _actor, ctx) => {
      expect(d.publishThemes.townshipId).toBe(w.townshipA);
      await waitFor('the requested publication', async () => {
        const res = await ctx.as('admA', OPERATIONS.themePublicationStatus.query, { townshipId: w.townshipA, month: w.laterMonth });
        const s = res.data.themePublicationStatus;
        return s.branchesPublished === s.branchesTotal ? true : undefined;
      });
    },
  },

  // ---- settlement
  settlement: {
    query: `query($townshipId: ID!, $month: String!) { settlement(townshipId: $townshipId, month: $month) { townshipId status } }`,
    variables: (w) => ({ townshipId: w.townshipA, month: w.lastMonth }),
    check: (d, w) => expect(d.settlement).toEqual({ townshipId: w.townshipA, status: 'SUCCEEDED' }),
  },
  startSettlement: {
    query: `mutation($townshipId: ID!, $month: String!) { startSettlement(townshipId: $townshipId, month: $month) { townshipId status } }`,
    // Settled in the set-up: starting it again returns it unchanged.
    variables: (w) => ({ townshipId: w.townshipA, month: w.lastMonth }),
    check: (d, w) => expect(d.startSettlement).toEqual({ townshipId: w.townshipA, status: 'SUCCEEDED' }),
  },
  branchFigures: {
    query: `query($branchId: ID!, $month: String!) { branchFigures(branchId: $branchId, month: $month) { branchId month } }`,
    variables: (w) => ({ branchId: w.branchA1, month: w.lastMonth }),
    check: (d, w) => expect(d.branchFigures).toEqual({ branchId: w.branchA1, month: w.lastMonth }),
  },
  branchFiguresCsv: {
    query: `query($townshipId: ID!, $month: String!, $branchId: ID) { branchFiguresCsv(townshipId: $townshipId, month: $month, branchId: $branchId) }`,
    variables: (w) => ({ townshipId: w.townshipA, month: w.lastMonth, branchId: w.branchA1 }),
    check: (d) => {
      expect(d.branchFiguresCsv).toContain('甲一村');
      expect(d.branchFiguresCsv).not.toContain('甲二村');
    },
  },
  monthlyStatement: {
    query: `query($month: String!) { monthlyStatement(month: $month) { month opening closing } }`,
    variables: (w) => ({ month: w.lastMonth }),
    check: (d, w, actor) => expect(d.monthlyStatement).toEqual({ month: w.lastMonth, opening: 0, closing: actor === 'resA1' ? SEALED_POINTS : 0 }),
  },

  // ---- sealed months
  entryProof: {
    query: `query($entryId: ID!) { entryProof(entryId: $entryId) { entryId month valid leafCount } }`,
    variables: (w) => ({ entryId: w.sealedEntryA1 }),
    check: (d, w) => expect(d.entryProof).toEqual({ entryId: w.sealedEntryA1, month: w.lastMonth, valid: true, leafCount: 1 }),
  },

  // ---- honours
  monthlyStars: {
    query: `query($branchId: ID!, $month: String!) { monthlyStars(branchId: $branchId, month: $month) { branchId month namesMasked stars { rank name points isMe residentId } } }`,
    variables: (w) => ({ branchId: w.branchA1, month: w.lastMonth }),
    // Resident A1 is A1's star of last month: by name for A1's manager and the admin, masked (居*) for the others.
    check: (d, w, actor) => {
      const full = actor === 'mgrA1' || actor === 'admA';
      expect(d.monthlyStars).toEqual({
        branchId: w.branchA1,
        month: w.lastMonth,
        namesMasked: !full,
        stars: [{ rank: 1, name: full ? '居民' : '居*', points: SEALED_POINTS, isMe: actor === 'resA1', residentId: full ? w.residentOf.resA1 : null }],
      });
    },
  },
  myStarLevel: {
    query: `{ myStarLevel { basis lifetime level nextThreshold } }`,
    variables: () => ({}),
    // Lifetime points earned: resident A1's sealed mint (and the attendance reward if completeActivity ran first); adjustments are not earning.
    check: (d, w, actor) => {
      expect(d.myStarLevel).toMatchObject({ basis: 'POINTS', level: 0, nextThreshold: 20 });
      if (actor === 'resA1') expect(d.myStarLevel.lifetime).toBeGreaterThanOrEqual(SEALED_POINTS);
      else expect(d.myStarLevel.lifetime).toBe(0);
    },
  },
  honourSettings: {
    query: `query($townshipId: ID!) { honourSettings(townshipId: $townshipId) { townshipId starsPerBranch levels { level threshold } } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => expect(d.honourSettings).toMatchObject({ townshipId: w.townshipA, levels: expect.arrayContaining([expect.objectContaining({ level: 1 })]) }),
  },
  setStarLevels: {
    query: `mutation($input: SetStarLevelsInput!) { setStarLevels(input: $input) { townshipId isDefaultLadder levels { name threshold } } }`,
    // The default ladder, set explicitly: the other rows' checks (nextThreshold 20) still hold.
    variables: (w) => ({
      input: {
        townshipId: w.townshipA,
        levels: [20, 60, 150, 300, 600].map((threshold, i) => ({ name: `${'一二三四五'[i]}星`, threshold })),
      },
    }),
    check: (d, w) => expect(d.setStarLevels).toMatchObject({ townshipId: w.townshipA, isDefaultLadder: false, levels: expect.arrayContaining([{ name: '一星', threshold: 20 }]) }),
  },
  setStarBasis: {
    query: `mutation($input: SetStarBasisInput!) { setStarBasis(input: $input) { townshipId activeBasis basis } }`,
    // POINTS, as it was: the other rows' checks (a POINTS level, nextThreshold 20) still hold.
    variables: (w) => ({ input: { townshipId: w.townshipA, basis: 'POINTS' } }),
    check: (d, w) => expect(d.setStarBasis).toEqual({ townshipId: w.townshipA, activeBasis: 'POINTS', basis: 'POINTS' }),
  },
  setStarsPerBranch: {
    query: `mutation($input: SetStarsPerBranchInput!) { setStarsPerBranch(input: $input) { townshipId starsPerBranch } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, count: 10 } }),
    check: (d, w) => expect(d.setStarsPerBranch).toEqual({ townshipId: w.townshipA, starsPerBranch: 10 }),
  },
  // ---- good deeds
  deedSettings: {
    query: `query($townshipId: ID!) { deedSettings(townshipId: $townshipId) { townshipId noticeDays kinds { id } } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => expect(d.deedSettings.kinds.map((k: any) => k.id)).toContain(w.deedKindA),
  },
  saveDeedKind: {
    query: `mutation($input: SaveDeedKindInput!) { saveDeedKind(input: $input) { id townshipId name points active } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, name: `见义勇为${fresh()}`, points: 10 } }),
    check: (d, w) => expect(d.saveDeedKind).toMatchObject({ townshipId: w.townshipA, points: 10, active: true }),
  },
  setDeedNoticeDays: {
    query: `mutation($townshipId: ID!, $days: Int!) { setDeedNoticeDays(townshipId: $townshipId, days: $days) { noticeDays } }`,
    variables: (w) => ({ townshipId: w.townshipA, days: 3 }),
    check: (d) => expect(d.setDeedNoticeDays.noticeDays).toBe(3),
  },
  scoringGroup: {
    query: `query($branchId: ID!) { scoringGroup(branchId: $branchId) { residentId } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => expect(d.scoringGroup.map((s: any) => s.residentId)).toContain(w.residentOf.mgrA2),
  },
  appointScorer: {
    query: `mutation($branchId: ID!, $residentId: ID!) { appointScorer(branchId: $branchId, residentId: $residentId) { residentId } }`,
    variables: (w) => ({ branchId: w.branchA1, residentId: w.extraResidentA1 }),
    check: (d, w) => expect(d.appointScorer.map((s: any) => s.residentId)).toContain(w.extraResidentA1),
  },
  removeScorer: {
    query: `mutation($branchId: ID!, $residentId: ID!) { removeScorer(branchId: $branchId, residentId: $residentId) { residentId } }`,
    variables: (w) => ({ branchId: w.branchA1, residentId: w.extraResidentA1 }),
    check: (d, w) => expect(d.removeScorer.map((s: any) => s.residentId)).not.toContain(w.extraResidentA1),
  },
  reportDeed: {
    query: `mutation($input: ReportDeedInput!) { reportDeed(input: $input) { id status residentId branchId } }`,
    // Each request its own photo, uploaded by the actor (a photo serves one report).
    variables: async (w, actor, ctx) => {
      const photo = ctx.tokens[actor] ? await photoId(ctx.t, ctx.tokens[actor]!) : randomUUID();
      const forOther = actor === 'mgrA1' || actor === 'admA' || actor === 'mgrB1' || actor === 'admB';
      return { input: { ...deedInput(w.deedKindA, photo, 2), ...(forOther ? { residentId: w.residentA1.id } : {}) } };
    },
    check: (d, w, actor) => expect(d.reportDeed).toMatchObject({ status: 'PENDING', residentId: actor === 'mgrA1' || actor === 'admA' ? w.residentA1.id : w.residentOf[actor] }),
  },
  reviewDeedReport: {
    query: `mutation($input: ReviewDeedInput!) { reviewDeedReport(input: $input) { id status } }`,
    variables: async (w, _actor, ctx) => ({ input: { reportId: await newDeedReport(w, ctx), approve: true, reason: '情况属实' } }),
    check: (d) => expect(d.reviewDeedReport.status).toBe('ON_NOTICE'),
  },
  requestDeedRecheck: {
    query: `mutation($input: DeedRecheckInput!) { requestDeedRecheck(input: $input) { id status } }`,
    variables: async (w, _actor, ctx) => {
      // About a neighbour: resA1 may not ask for a recheck of a report about themselves (DEED_OWN_RECHECK).
      const reportId = await newDeedReport(w, ctx, await freshResidentA1(w, ctx));
      await ctx.as('mgrA2', OPERATIONS.reviewDeedReport.query, { input: { reportId, approve: true, reason: '情况属实' } });
      return { input: { reportId, reason: '当天没有看到' } };
    },
    check: (d) => expect(d.requestDeedRecheck.status).toBe('RECHECK'),
  },
  myDeedReports: {
    query: `{ myDeedReports(first: 100) { edges { node { id residentId reportedBy } } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      if (actor === 'resA1') expect(d.myDeedReports.edges.map((e: any) => e.node.id)).toContain(w.deedReportA1);
      if (actor === 'resB1') expect(d.myDeedReports.edges).toEqual([]);
    },
  },
  branchDeedReports: {
    query: `query($branchId: ID!) { branchDeedReports(branchId: $branchId, first: 100) { edges { node { id branchId } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      expect(d.branchDeedReports.edges.map((e: any) => e.node.id)).toContain(w.deedReportA1);
      for (const e of d.branchDeedReports.edges) expect(e.node.branchId).toBe(w.branchA1);
    },
  },
  deedReport: {
    query: `query($id: ID!) { deedReport(id: $id) { id status } }`,
    variables: (w) => ({ id: w.deedReportA1 }),
    check: (d, w) => expect(d.deedReport.id).toBe(w.deedReportA1),
  },
  deedNotice: {
    query: `query($branchId: ID!) { deedNotice(branchId: $branchId) { id branchId residentName } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      for (const item of d.deedNotice) {
        expect(item.branchId).toBe(w.branchA1);
        expect(item.residentName).toContain('*');
      }
    },
  },
};

/** A pending report of resident A1, made by the A1 manager (so mgrA2 of the scoring group may review it). */
async function newDeedReport(w: World, ctx: Ctx, residentId = w.residentA1.id): Promise<string> {
  const input = { ...deedInput(w.deedKindA, await photoId(ctx.t, ctx.tokens.mgrA1!), 2), residentId };
  const res = await ctx.as('mgrA1', OPERATIONS.reportDeed.query, { input });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.reportDeed.id;
}


/** A resident of A1 in no household, registered by the A1 manager for one request. */
async function freshResidentA1(w: World, ctx: Ctx): Promise<string> {
  const res = await ctx.as('mgrA1', `mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id } }`, {
    input: { branchId: w.branchA1, name: '新居民', mobile: nextMobile() },
  });
  return res.data.registerResident.id;
}

const HOUSEHOLD = `id branchId headResidentId members { residentId isHead } dependents { id name }`;
const FAMILY_SIGNUP = `residentId dependentId actedBy status attendance`;

Object.assign(OPERATIONS, {
  myHousehold: {
    query: `{ myHousehold { id members { residentId balance } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      const expected = actor === 'resA1' ? w.householdA1 : actor === 'mgrA2' ? w.householdOther : null;
      expect(d.myHousehold?.id ?? null).toBe(expected);
      if (d.myHousehold) expect(d.myHousehold.members.map((m: any) => m.residentId)).toContain(w.residentOf[actor]);
    },
  },
  household: {
    query: `query($id: ID!) { household(id: $id) { ${HOUSEHOLD} } }`,
    variables: (w) => ({ id: w.householdA1 }),
    check: (d, w) => {
      expect(d.household).toMatchObject({ id: w.householdA1, branchId: w.branchA1, headResidentId: w.residentOf.resA1 });
      expect(d.household.members.map((m: any) => m.residentId)).toEqual(expect.arrayContaining([w.residentOf.resA1, w.famA1]));
    },
  },
  branchHouseholds: {
    query: `query($branchId: ID!) { branchHouseholds(branchId: $branchId, first: 100) { edges { node { id branchId } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      const nodes = d.branchHouseholds.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.id)).toEqual(expect.arrayContaining([w.householdA1, w.householdOther]));
      for (const n of nodes) expect(n.branchId).toBe(w.branchA1);
    },
  },
  householdMemberPassbook: {
    query: `query($residentId: ID!) { householdMemberPassbook(residentId: $residentId) { edges { node { month closing } } } }`,
    variables: (w) => ({ residentId: w.famA1 }),
    check: (d, w) => expect(d.householdMemberPassbook.edges.map((e: any) => e.node)).toEqual([{ month: w.thisMonth, closing: 0 }]),
  },
  createHousehold: {
    query: `mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) { ${HOUSEHOLD} } }`,
    variables: async (w, _actor, ctx) => ({ input: { branchId: w.branchA1, headResidentId: await freshResidentA1(w, ctx) } }),
    check: (d, w) => expect(d.createHousehold).toMatchObject({ branchId: w.branchA1, members: [{ isHead: true }], dependents: [] }),
  },
  addHouseholdMember: {
    query: `mutation($input: HouseholdMemberInput!) { addHouseholdMember(input: $input) { ${HOUSEHOLD} } }`,
    variables: async (w, _actor, ctx) => ({ input: { householdId: w.householdA1, residentId: await freshResidentA1(w, ctx) } }),
    check: (d, w) => expect(d.addHouseholdMember.id).toBe(w.householdA1),
  },
  removeHouseholdMember: {
    query: `mutation($input: RemoveHouseholdMemberInput!) { removeHouseholdMember(input: $input) { ${HOUSEHOLD} } }`,
    // A member of its own for each actor to remove.
    variables: async (w, _actor, ctx) => {
      const residentId = await freshResidentA1(w, ctx);
      await ctx.as('mgrA1', OPERATIONS.addHouseholdMember.query, { input: { householdId: w.householdA1, residentId } });
      return { input: { householdId: w.householdA1, residentId } };
    },
    check: (d, w) => {
      expect(d.removeHouseholdMember).toMatchObject({ id: w.householdA1, headResidentId: w.residentOf.resA1 });
      expect(d.removeHouseholdMember.members.map((m: any) => m.residentId)).toContain(w.famA1);
    },
  },
  addHouseholdDependent: {
    query: `mutation($input: AddHouseholdDependentInput!) { addHouseholdDependent(input: $input) { ${HOUSEHOLD} } }`,
    variables: (w) => ({ input: { householdId: w.householdA1, name: `小宝${fresh()}`, birthYear: 2016 } }),
    check: (d, w) => expect(d.addHouseholdDependent.dependents.map((x: any) => x.id)).toContain(w.dependentA1),
  },
  removeHouseholdDependent: {
    query: `mutation($dependentId: ID!) { removeHouseholdDependent(dependentId: $dependentId) { ${HOUSEHOLD} } }`,
    variables: async (w, _actor, ctx) => {
      const name = `待移出${fresh()}`;
      const res = await ctx.as('mgrA1', OPERATIONS.addHouseholdDependent.query, { input: { householdId: w.householdA1, name, birthYear: 1940 } });
      return { dependentId: res.data.addHouseholdDependent.dependents.find((x: any) => x.name === name).id };
    },
    check: (d, w) => expect(d.removeHouseholdDependent.dependents.map((x: any) => x.id)).toContain(w.dependentA1),
  },
  signUpForFamily: {
    query: `mutation($input: FamilySignupInput!) { signUpForFamily(input: $input) { ${FAMILY_SIGNUP} } }`,
    variables: (w) => ({ input: { activityId: w.activityToJoin, dependentId: w.dependentA1 } }),
    check: (d, w) =>
      expect(d.signUpForFamily).toEqual({ residentId: w.residentOf.resA1, dependentId: w.dependentA1, actedBy: w.residentA1.personId, status: 'CONFIRMED', attendance: null }),
  },
  cancelSignupForFamily: {
    query: `mutation($input: FamilySignupInput!) { cancelSignupForFamily(input: $input) { ${FAMILY_SIGNUP} } }`,
    variables: (w) => ({ input: { activityId: w.activityToLeave, dependentId: w.dependentA1 } }),
    check: (d, w) => expect(d.cancelSignupForFamily).toMatchObject({ residentId: w.residentOf.resA1, dependentId: w.dependentA1, status: 'CANCELLED' }),
  },
  checkInDependent: {
    query: `mutation($input: DependentCheckInInput!) { checkInDependent(input: $input) { ${FAMILY_SIGNUP} } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, _actor, ctx) => {
      const res = await ctx.as('mgrA1', OPERATIONS.activityCheckinCode.query, { activityId: w.activityRunning });
      return { input: { activityId: w.activityRunning, dependentId: w.dependentA1, code: res.data.activityCheckinCode.code } };
    },
    check: (d, w) => expect(d.checkInDependent).toMatchObject({ residentId: w.residentOf.resA1, dependentId: w.dependentA1, attendance: 'PRESENT' }),
  },
  markDependentAttendance: {
    query: `mutation($input: MarkDependentAttendanceInput!) { markDependentAttendance(input: $input) { dependentId attendance } }`,
    at: (w) => w.attendanceAt,
    variables: (w) => ({ input: { activityId: w.activityRunning, dependentIds: [w.dependentA1], attendance: 'PRESENT' } }),
    check: (d, w) => expect(d.markDependentAttendance).toEqual([{ dependentId: w.dependentA1, attendance: 'PRESENT' }]),
  },
  enrolDependentInCourse: {
    query: `mutation($input: DependentCourseInput!) { enrolDependentInCourse(input: $input) { residentId dependentId actedBy status } }`,
    variables: (w) => ({ input: { courseId: w.courseA1, dependentId: w.dependentA1 } }),
    check: (d, w) =>
      expect(d.enrolDependentInCourse).toEqual({ residentId: w.residentOf.resA1, dependentId: w.dependentA1, actedBy: w.residentA1.personId, status: 'ENROLLED' }),
  },
  cancelDependentEnrolment: {
    query: `mutation($input: DependentCourseInput!) { cancelDependentEnrolment(input: $input) { residentId dependentId status refundEntryId } }`,
    variables: (w) => ({ input: { courseId: w.courseToLeave, dependentId: w.dependentA1 } }),
    check: (d, w) =>
      expect(d.cancelDependentEnrolment).toEqual({ residentId: w.residentOf.resA1, dependentId: w.dependentA1, status: 'CANCELLED', refundEntryId: expect.any(String) }),
  },
  // ---- notifications
  notifications: {
    query: `query($first: Int) { notifications(first: $first) { edges { node { id kind } } } }`,
    variables: async (w, actor, ctx) => {
      await notificationOfResidentA1(w, ctx);
      return { first: 50 };
    },
    check: async (d, w, actor, ctx) => {
      // resA1 sees theirs; nobody else sees it.
      const ids = d.notifications.edges.map((e: any) => e.node.id);
      expect(ids.includes(await notificationOfResidentA1(w, ctx))).toBe(actor === 'resA1');
    },
  },
  notificationSettings: {
    query: `{ notificationSettings { kinds { kind enabled } } }`,
    variables: () => ({}),
    check: (d) => expect(d.notificationSettings.kinds.length).toBeGreaterThanOrEqual(8),
  },
  markNotificationRead: {
    query: `mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`,
    variables: async (w, actor, ctx) => ({ id: await notificationOfResidentA1(w, ctx) }),
    check: (d) => expect(d.markNotificationRead.readAt).not.toBeNull(),
  },
  markAllNotificationsRead: { query: `mutation { markAllNotificationsRead }`, variables: () => ({}) },
  setNotificationPreference: {
    query: `mutation($kind: NotificationKind!, $enabled: Boolean!) { setNotificationPreference(kind: $kind, enabled: $enabled) { kinds { kind enabled } } }`,
    variables: () => ({ kind: 'THEMES_PUBLISHED', enabled: false }),
    check: (d) => expect(d.setNotificationPreference.kinds.find((k: any) => k.kind === 'THEMES_PUBLISHED').enabled).toBe(false),
  },
  acceptWechatTemplates: {
    query: `mutation($templateIds: [String!]!) { acceptWechatTemplates(templateIds: $templateIds) { kinds { kind wechatAccepted } } }`,
    // The test apps configure WECHAT_TEMPLATE_POINTS=tmpl-points.
    variables: () => ({ templateIds: ['tmpl-points'] }),
    check: (d) => expect(d.acceptWechatTemplates.kinds.find((k: any) => k.kind === 'POINTS_MINTED').wechatAccepted).toBe(true),
  },
} satisfies Record<string, Operation>);

// Issue 16: service hours, certificates and the township policy.
Object.assign(OPERATIONS, {
  // ---- service hours
  checkOut: {
    query: `mutation($input: CheckInInput!) { checkOut(input: $input) { residentId attendance checkedOutAt } }`,
    at: (w) => w.attendanceAt,
    // The actor checks in first (refused for whoever may not), then out with the same code.
    variables: async (w, actor, ctx) => {
      const res = await ctx.as('mgrA1', OPERATIONS.activityCheckinCode.query, { activityId: w.activityRunning });
      const input = { activityId: w.activityRunning, code: res.data.activityCheckinCode.code };
      await ctx.as(actor, OPERATIONS.checkIn.query, { input });
      return { input };
    },
    check: (d, w, actor) => expect(d.checkOut).toEqual({ residentId: w.residentOf[actor], attendance: 'PRESENT', checkedOutAt: expect.any(String) }),
  },
  recordCheckOut: {
    query: `mutation($input: RecordCheckOutInput!) { recordCheckOut(input: $input) { residentId checkedOutAt } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, _actor, ctx) => {
      await ctx.as('mgrA1', OPERATIONS.markAttendance.query, { input: { activityId: w.activityRunning, residentIds: [w.residentOf.resA1], attendance: 'PRESENT' } });
      return { input: { activityId: w.activityRunning, residentIds: [w.residentOf.resA1] } };
    },
    check: (d, w) => expect(d.recordCheckOut).toEqual([{ residentId: w.residentOf.resA1, checkedOutAt: expect.any(String) }]),
  },
  myServiceHours: {
    query: `{ myServiceHours { totalMinutes activityCount } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, actor, ctx) => {
      if (actor === 'resA1') await hoursForResA1(w, ctx);
      return {};
    },
    check: (d, _w, actor) => expect(d.myServiceHours).toEqual(actor === 'resA1' ? { totalMinutes: 120, activityCount: 1 } : { totalMinutes: 0, activityCount: 0 }),
  },
  myServiceRecords: {
    query: `{ myServiceRecords(first: 10) { edges { node { activityId minutesServed } } } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, actor, ctx) => {
      if (actor === 'resA1') await hoursForResA1(w, ctx);
      return {};
    },
    check: (d, w, actor) =>
      expect(d.myServiceRecords.edges.map((e: any) => e.node)).toEqual(actor === 'resA1' ? [{ activityId: w.activityToComplete, minutesServed: 120 }] : []),
  },

  // ---- certificates
  requestServiceCertificate: {
    query: `mutation { requestServiceCertificate { residentId totalMinutes } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, actor, ctx) => {
      if (actor === 'resA1') await hoursForResA1(w, ctx);
      return {};
    },
    check: (d, w) => expect(d.requestServiceCertificate).toEqual({ residentId: w.residentOf.resA1, totalMinutes: 120 }),
  },
  myServiceCertificates: {
    query: `{ myServiceCertificates(first: 10) { edges { node { residentId } } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      for (const e of d.myServiceCertificates.edges) expect(e.node.residentId).toBe(w.residentOf[actor]);
    },
  },
  serviceCertificate: {
    query: `query($number: String!) { serviceCertificate(number: $number) { number residentId } }`,
    at: (w) => w.attendanceAt,
    variables: async (w, _actor, ctx) => ({ number: await certificateOfResA1(w, ctx) }),
    check: (d, w) => expect(d.serviceCertificate.residentId).toBe(w.residentOf.resA1),
  },

  // ---- township policy
  townshipPolicy: {
    query: `query($townshipId: ID!) { townshipPolicy(townshipId: $townshipId) { townshipId expiryMode } }`,
    variables: (w) => ({ townshipId: w.townshipA }),
    check: (d, w) => expect(d.townshipPolicy).toEqual({ townshipId: w.townshipA, expiryMode: 'NONE' }),
  },
  updateTownshipPolicy: {
    query: `mutation($input: UpdateTownshipPolicyInput!) { updateTownshipPolicy(input: $input) { townshipId minAttendancePercent } }`,
    variables: (w) => ({ input: { townshipId: w.townshipA, minAttendancePercent: 0 } }),
    check: (d, w) => expect(d.updateTownshipPolicy).toEqual({ townshipId: w.townshipA, minAttendancePercent: 0 }),
  },
  myPointsExpiry: {
    query: `{ myPointsExpiry { cutoffDate points } }`,
    variables: () => ({}),
    // No reset in township A (nor B): nothing to tell.
    check: (d: any) => expect(d.myPointsExpiry).toBeNull(),
  },
} satisfies Record<string, Operation>);

/** Completes activityToComplete (resA1 was marked present: two hours served), if not yet: resA1 then has service hours. */
async function hoursForResA1(w: World, ctx: Ctx): Promise<void> {
  const res = await ctx.as('mgrA1', OPERATIONS.completeActivity.query, { id: w.activityToComplete });
  if (res.errors) throw new Error(`completing for hours: ${JSON.stringify(res.errors)}`);
}

/** A certificate of resA1's (issued for the asking actor's turn). */
async function certificateOfResA1(w: World, ctx: Ctx): Promise<string> {
  await hoursForResA1(w, ctx);
  const res = await ctx.as('resA1', `mutation { requestServiceCertificate { number } }`);
  if (res.errors) throw new Error(`certificate: ${JSON.stringify(res.errors)}`);
  return res.data.requestServiceCertificate.number;
}

/** A notification in resident A1's inbox (written directly: delivery is tested in test/notifications). */
async function notificationOfResidentA1(w: World, ctx: Ctx): Promise<string> {
  const ds = ctx.t.db.dataSource;
  const key = `authz:${w.residentA1.personId}`;
  await ds.query(
    `INSERT INTO notification_event (township_id, kind, event_key, audience, title, body, expanded_at)
     VALUES ($1, 'THEMES_PUBLISHED', $2, '{}', '测试', '测试', now()) ON CONFLICT DO NOTHING`,
    [w.townshipA, key],
  );
  const [{ id }] = await ds.query(
    `INSERT INTO notification (event_id, township_id, person_id, kind, wechat_status)
     SELECT e.id, e.township_id, $2, e.kind, 'NONE' FROM notification_event e WHERE e.township_id = $1 AND e.event_key = $3
     ON CONFLICT (event_id, person_id) DO UPDATE SET kind = excluded.kind RETURNING id::text AS id`,
    [w.townshipA, w.residentA1.personId, key],
  );
  return id;
}

/** Points of the one entry of last month (resident A1's). */
const SEALED_POINTS = 3;

export function activityInput(branchId: string, from = Date.now()) {
  return {
    branchId,
    title: '平安有我消防安全宣传',
    description: '',
    place: '村委会广场',
    startsAt: new Date(from + 2 * HOUR).toISOString(),
    endsAt: new Date(from + 4 * HOUR).toISOString(),
    signupDeadline: new Date(from + 1 * HOUR).toISOString(),
    capacity: 10,
    rewardPoints: 2,
  };
}

export function courseInput(branchId: string, from = Date.now()) {
  return {
    branchId,
    title: '小记者团非遗体验课',
    description: '',
    place: '村文化室',
    startsAt: new Date(from + 2 * HOUR).toISOString(),
    endsAt: new Date(from + 3 * HOUR).toISOString(),
    enrolDeadline: new Date(from + 1 * HOUR).toISOString(),
    cancelDeadline: new Date(from + 1 * HOUR).toISOString(),
    capacity: 10,
    pricePoints: 1,
  };
}

/**
 * Two townships with the nine actors, built through the API as the real roles would
 * (admins create branches and appoint managers, managers register residents and post
 * activities and courses), plus the things every row of the table aims at.
 */
export async function buildWorld(t: TestApp): Promise<{ world: World; ctx: Ctx }> {
  const tokens: Partial<Record<Actor, string>> = {};
  const ctx: Ctx = { t, tokens, as: (actor, query, variables = {}) => t.gql(query, variables, tokens[actor]) };
  const ok = async (actor: Actor, query: string, variables: Record<string, unknown> = {}) => {
    const res = await ctx.as(actor, query, variables);
    if (res.errors) throw new Error(`${actor}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const fresh8 = fresh();
  const organisation = t.app.get(OrganisationService);
  const mobiles = { admA: nextMobile(), admB: nextMobile() } as Record<string, string>;
  const { townshipId: townshipA } = await organisation.bootstrap({ townshipCode: `a-${fresh8}`, townshipName: '甲镇', adminName: '甲镇长', adminMobile: mobiles.admA });
  const { townshipId: townshipB } = await organisation.bootstrap({ townshipCode: `b-${fresh8}`, townshipName: '乙镇', adminName: '乙镇长', adminMobile: mobiles.admB });
  tokens.admA = await devLogin(t, mobiles.admA);
  tokens.admB = await devLogin(t, mobiles.admB);

  const branch = async (admin: Actor, townshipId: string, name: string) =>
    (await ok(admin, `mutation($input: CreateBranchInput!) { createBranch(input: $input) { id } }`, { input: { townshipId, name } })).createBranch.id as string;
  const appoint = async (admin: Actor, branchId: string, mobile: string) =>
    (await ok(admin, OPERATIONS.appointBranchManager.query, { input: { branchId, name: '行长', mobile } })).appointBranchManager.personId as string;
  const register = async (manager: Actor, branchId: string, mobile: string) =>
    (await ok(manager, `mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id personId } }`, { input: { branchId, name: '居民', mobile } }))
      .registerResident as { id: string; personId: string };

  const branchA1 = await branch('admA', townshipA, '甲一村');
  const branchA2 = await branch('admA', townshipA, '甲二村');
  const branchB1 = await branch('admB', townshipB, '乙一村');
  await branch('admB', townshipB, '乙二村');
  for (const [actor, admin, branchId] of [
    ['mgrA1', 'admA', branchA1],
    ['mgrA2', 'admA', branchA2],
    ['mgrB1', 'admB', branchB1],
  ] as const) {
    mobiles[actor] = nextMobile();
    await appoint(admin, branchId, mobiles[actor]);
    tokens[actor] = await devLogin(t, mobiles[actor]);
  }
  const residentOf: Partial<Record<Actor, string>> = {};
  const registered: Record<string, { id: string; personId: string }> = {};
  for (const [actor, manager, branchId] of [
    ['resA1', 'mgrA1', branchA1],
    ['resA2', 'mgrA2', branchA2],
    ['resB1', 'mgrB1', branchB1],
  ] as const) {
    mobiles[actor] = nextMobile();
    registered[actor] = await register(manager, branchId, mobiles[actor]);
    residentOf[actor] = registered[actor].id;
    tokens[actor] = await devLogin(t, mobiles[actor]);
  }
  // One person can be a resident and a manager: the A2 manager lives in A1.
  residentOf.mgrA2 = (await register('mgrA1', branchA1, mobiles.mgrA2)).id;

  // Households: resA1 heads one with famA1 and a child; mgrA2 (a resident of A1) is in another.
  const famA1 = (await register('mgrA1', branchA1, nextMobile())).id;
  const householdA1 = (await ok('mgrA1', OPERATIONS.createHousehold.query, { input: { branchId: branchA1, headResidentId: residentOf.resA1, memberResidentIds: [famA1] } }))
    .createHousehold.id as string;
  const dependentA1 = (await ok('mgrA1', OPERATIONS.addHouseholdDependent.query, { input: { householdId: householdA1, name: '小明', birthYear: 2017 } }))
    .addHouseholdDependent.dependents[0].id as string;
  const householdOther = (
    await ok('mgrA1', OPERATIONS.createHousehold.query, {
      input: { branchId: branchA1, headResidentId: residentOf.mgrA2, memberResidentIds: [(await register('mgrA1', branchA1, nextMobile())).id] },
    })
  ).createHousehold.id as string;

  const accountOf = async (residentId: string) =>
    (await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [residentId]))[0].id as string;
  const adjust = async (accountId: string, key: string, amount: number) =>
    (await ok('admA', OPERATIONS.postAdjustment.query, { input: { accountId, amount, reason: '期初', idempotencyKey: key } })).postAdjustment;
  const accountId = await accountOf(registered.resA1.id);
  await adjust(accountId, 'opening-balance-1', 50);
  const entryToReverse = (await ok('admA', `mutation($input: AdjustmentInput!) { postAdjustment(input: $input) { id } }`, {
    input: { accountId, amount: 5, reason: '期初', idempotencyKey: 'opening-balance-2' },
  })).postAdjustment.id;
  // Points for the other residents of A to spend on courses.
  await adjust(await accountOf(residentOf.resA2!), 'opening-balance-resA2', 10);
  await adjust(await accountOf(residentOf.mgrA2!), 'opening-balance-mgrA2', 10);
  const victimManagerA1 = await appoint('admA', branchA1, nextMobile());
  const victimAdminA = (await ok('admA', OPERATIONS.appointTownshipAdmin.query, { input: { townshipId: townshipA, name: '副镇长', mobile: nextMobile() } }))
    .appointTownshipAdmin.personId;
  const [{ id: managerA1 }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobiles.mgrA1]);

  // Months: last month settled in both townships (so statements and figures exist), with
  // one entry of resident A1 in it (so there is a sealed entry to prove).
  const now = new Date();
  const thisMonth = monthOf(now);
  const lastMonth = addMonths(thisMonth, -1);
  const [{ id: issuanceA1 }] = await t.db.dataSource.query(`SELECT id FROM account WHERE branch_id = $1 AND kind = 'BRANCH_ISSUANCE'`, [branchA1]);
  // Booked into last month: only the owner role may date an entry.
  const sealedEntryA1 = (
    await (await t.db.asOwner()).transaction((m) =>
      new LedgerService().post(m, {
        townshipId: townshipA,
        idempotencyKey: 'last-month-volunteering',
        kind: EntryKind.MINT,
        memo: '上月志愿服务',
        lines: [
          { accountId, amount: SEALED_POINTS },
          { accountId: issuanceA1, amount: -SEALED_POINTS },
        ],
        bookedAt: new Date(monthRange(lastMonth).start.getTime() + 86_400_000),
      }),
    )
  ).id;
  for (const [admin, townshipId] of [['admA', townshipA], ['admB', townshipB]] as const) {
    await ok(admin, OPERATIONS.startSettlement.query, { townshipId, month: lastMonth });
    await waitFor(`settlement of ${lastMonth}`, async () => {
      const s = (await ok(admin, OPERATIONS.settlement.query, { townshipId, month: lastMonth })).settlement;
      if (s.status === 'FAILED') throw new Error('settlement failed');
      return s.status === 'SUCCEEDED' ? true : undefined;
    });
  }
  const publishedThemeA1 = await publishedTheme(t, townshipA, branchA1, now);

  // Activities and courses, posted by the A1 manager.
  const mgr = tokens.mgrA1!;
  const activityA1 = await createActivity(t, mgr, branchA1);
  const activityDraft = await createActivity(t, mgr, branchA1, {}, false);
  const activityToJoin = await createActivity(t, mgr, branchA1);
  const activityToLeave = await createActivity(t, mgr, branchA1);
  const activityToCancel = await createActivity(t, mgr, branchA1);
  const activityRunning = await createActivity(t, mgr, branchA1);
  const activityToComplete = await createActivity(t, mgr, branchA1);
  const signUp = `mutation($activityId: ID!) { signUpForActivity(activityId: $activityId) { status } }`;
  for (const actor of ['resA1', 'resA2', 'mgrA2'] as const) {
    await ok(actor, signUp, { activityId: activityToLeave });
    await ok(actor, signUp, { activityId: activityRunning });
  }
  const familySignUp = `mutation($input: FamilySignupInput!) { signUpForFamily(input: $input) { status } }`;
  for (const activityId of [activityToLeave, activityRunning]) await ok('resA1', familySignUp, { input: { activityId, dependentId: dependentA1 } });
  await ok('resA1', signUp, { activityId: activityToComplete });
  await ok('resA1', signUp, { activityId: activityToCancel });
  const attendanceAt = new Date(now.getTime() + 2 * HOUR + 10 * MINUTE);
  setNow(t, attendanceAt);
  try {
    await ok('mgrA1', OPERATIONS.markAttendance.query, { input: { activityId: activityToComplete, residentIds: [residentOf.resA1], attendance: 'PRESENT' } });
  } finally {
    setNow(t, null);
  }

  const course = async () => (await ok('mgrA1', OPERATIONS.createCourse.query, { input: courseInput(branchA1) })).createCourse.id as string;
  const enrol = `mutation($courseId: ID!) { enrolInCourse(courseId: $courseId) { status } }`;
  const courseA1 = await course();
  const courseToLeave = await course();
  const courseToCancel = await course();
  for (const actor of ['resA1', 'resA2', 'mgrA2'] as const) await ok(actor, enrol, { courseId: courseToLeave });
  await ok('resA1', enrol, { courseId: courseToCancel });
  await ok('resA1', `mutation($input: DependentCourseInput!) { enrolDependentInCourse(input: $input) { status } }`, {
    input: { courseId: courseToLeave, dependentId: dependentA1 },
  });

  // Good deeds: a kind, the A1 scoring group (mgrA2, a resident of A1), a report of resA1's.
  const deedKindA = (await ok('admA', OPERATIONS.saveDeedKind.query, { input: { townshipId: townshipA, name: '扶老助残', points: 5 } })).saveDeedKind.id;
  await ok('mgrA1', OPERATIONS.appointScorer.query, { branchId: branchA1, residentId: residentOf.mgrA2 });
  const extraResidentA1 = (await register('mgrA1', branchA1, nextMobile())).id;
  const deedReportA1 = (await ok('resA1', OPERATIONS.reportDeed.query, { input: deedInput(deedKindA, await photoId(t, tokens.resA1!), 2) })).reportDeed.id;

  return {
    ctx,
    world: {
      townshipA,
      townshipB,
      branchA1,
      branchA2,
      managerA1,
      residentOf,
      residentA1: { ...registered.resA1, accountId, mobile: mobiles.resA1 },
      victimManagerA1,
      victimAdminA,
      entryToReverse,
      sealedEntryA1,
      lastMonth,
      thisMonth,
      nextMonth: addMonths(thisMonth, 1),
      laterMonth: addMonths(thisMonth, 2),
      publishedThemeA1,
      activityA1,
      activityDraft,
      activityToJoin,
      activityToLeave,
      activityToCancel,
      activityRunning,
      activityToComplete,
      attendanceAt,
      courseA1,
      courseToLeave,
      courseToCancel,
      householdA1,
      famA1,
      dependentA1,
      householdOther,
      deedKindA,
      extraResidentA1,
      deedReportA1,
    },
  };
}
