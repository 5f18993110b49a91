import { monthOf } from '../../src/common/time/shanghai-month';
import { PreparingClient } from '../../src/database/prepared-statements';
import { createActivity, grantPoints, MINUTE, ok, publishedTheme, seedWorld, setNow, World } from '../support/activity-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { courseInput } from './authorization-matrix';

/**
 * SQL statements the API sends to PostgreSQL per operation of `bench:load`'s mix (with a
 * 20-row page and the per-row fields residents' pages ask for), counted in the app's own
 * pg clients; BEGIN and COMMIT count. A change that adds a round trip, or a query per row,
 * fails here: lower a number when you remove statements, never raise one to pass.
 */
const RECORDED = {
  'read: me { balance }': 1,
  // The page finds the resident's account itself (was 2: the account, then the page).
  'read: history page': 1,
  'read: activity list (20 rows)': 5,
  'read: course list (20 rows)': 4,
  'read: theme list': 1,
  // One call of activity_sign_ups committing by itself (was BEGIN, the shared lock and read,
  // the sign-up, COMMIT and a second read for the name: 5).
  'write: sign up': 1,
  // BEGIN, one call of activity_cancel_signup (the checks, the exclusive lock, the
  // cancellation, the freed place filled), COMMIT; the name is the caller's own (was 11).
  'write: cancel sign-up': 3,
  'write: check in': 6,
  // The notice to the resident (POINTS_SPENT, POINTS_REFUNDED) in the same transaction costs
  // two (its recipients, then the event and its inbox row in one statement; no expansion job
  // after); the answer's name is the caller's own, not read again. The course is read with
  // whether the caller holds a seat, and both accounts of the charge in one statement (were
  // 11); the refund's entry is read under its reversal lock (was 11).
  'write: enrol': 9,
  'write: cancel enrolment': 10,
  // Acting for a household dependent (户): BEGIN, the household check (one statement, rows
  // locked FOR SHARE), the same call of activity_sign_ups as one's own, the audit record,
  // COMMIT; the names are known (the caller's, the dependent's from the household check).
  // Was 8: the shared lock and read, the sign-up statement, and two reads of names after.
  'write: sign up a dependent': 5,
  // The other member cancels it: BEGIN, the household check, one call of
  // activity_cancel_signup, the audit record, the registering member's name, COMMIT (was 14:
  // the activity read, the live sign-up seen, the exclusive lock, the activity read again,
  // the cancellation, the freed place and the waitlist in three statements, two reads of
  // names after COMMIT).
  'write: cancel for a dependent': 6,
  // For another member of the household: the same, with the member's name read (was 7, 13).
  'write: sign up a member': 6,
  'write: cancel for a member': 6,
  // The notice (POINTS_SPENT to the member who paid) as for enrol; the names are known (was 13:
  // the same two reads saved as for enrol).
  'write: enrol a dependent': 11,
};

const ACTIVITY_PAGE = `query($t: ID!, $b: ID, $n: Int) { activities(townshipId: $t, branchId: $b, first: $n) {
  edges { node { id title branchName startsAt remainingPlaces rewardPoints waitlistCount mySignup { status waitlistPosition residentName } } } } }`;
const COURSE_PAGE = `query($t: ID!, $n: Int) { courses(townshipId: $t, first: $n) {
  edges { node { id title branchName remainingSeats myEnrolment { status residentName } } } } }`;

/** How many statements the app's connections run while `work` runs (nothing else talks to the database then). */
async function statementsOf<T>(work: () => Promise<T>): Promise<{ count: number; result: T }> {
  const query = jest.spyOn(PreparingClient.prototype, 'query');
  try {
    const result = await work();
    return { count: query.mock.calls.length, result };
  } finally {
    query.mockRestore();
  }
}

describe('statements per operation', () => {
  let t: TestApp;
  let w: World;
  let resident: string;
  let branchId: string;
  let townshipId: string;
  const counted: Record<string, number> = {};

  beforeAll(async () => {
    // No workers in this process: their jobs (the notification sweep, deliveries) run statements
    // of their own at any moment; this test counts what a request costs.
    t = await startTestApp({ WORKERS_IN_PROCESS: 'false' });
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 2 });
    townshipId = w.township.id;
    branchId = w.township.branches[0].id;
    resident = w.residentTokens[0][0];
    const manager = w.managerTokens[0];
    for (let i = 0; i < 21; i++) await createActivity(t, manager, branchId, { capacity: 1 });
    for (let i = 0; i < 21; i++) ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: courseInput(branchId) }, manager));
    await grantPoints(t, townshipId, [w.township.branches[0].residents[0].accountId], 50);
    await publishedTheme(t, townshipId, branchId, new Date());
    // Principals are cached after a caller's first request; the bench measures that steady state.
    for (const token of [resident, w.residentTokens[0][1], manager]) ok(await t.gql(`{ me { name } }`, {}, token));
  });
  afterAll(async () => {
    console.log(`statements per operation:\n${Object.entries(counted).map(([op, n]) => `  ${op.padEnd(32)} ${n}`).join('\n')}`);
    await t.close();
  });
  afterEach(() => setNow(t, null));

  const expectAtMostRecorded = (operation: keyof typeof RECORDED, count: number) => {
    counted[operation] = count;
    expect(count).toBeLessThanOrEqual(RECORDED[operation]);
  };

  it('reads: me, a history page, the theme list', async () => {
    const me = await statementsOf(() => t.gql(`{ me { balance } }`, {}, resident));
    expect(ok(me.result).me.balance).toBe(50);
    expectAtMostRecorded('read: me { balance }', me.count);

    const history = await statementsOf(() =>
      t.gql(`{ me { history(first: 10) { edges { node { amount kind memo bookedAt balanceAfter } } pageInfo { hasNextPage endCursor } } } }`, {}, resident),
    );
    expect(ok(history.result).me.history.edges.map((e: any) => e.node.amount)).toEqual([50]);
    expectAtMostRecorded('read: history page', history.count);

    const themes = await statementsOf(() =>
      t.gql(`query($b: ID!, $m: String!) { publishedThemes(branchId: $b, month: $m) { themes { id title } } }`, { b: branchId, m: monthOf(new Date()) }, resident),
    );
    expect(ok(themes.result).publishedThemes.themes).toHaveLength(1);
    expectAtMostRecorded('read: theme list', themes.count);
  });

  it('a 20-row activity page costs what a 3-row page does, with branchName, waitlistCount and mySignup on every row', async () => {
    const { activities } = ok(await t.gql(ACTIVITY_PAGE, { t: townshipId, b: branchId, n: 20 }, resident));
    // Rows that differ: one full with one waitlisted, one the caller is signed up for.
    const [full, mine] = activities.edges.map((e: any) => e.node.id);
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: full }, w.residentTokens[0][1]));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: full }, resident));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: mine }, w.residentTokens[0][1]));

    const twenty = await statementsOf(() => t.gql(ACTIVITY_PAGE, { t: townshipId, b: branchId, n: 20 }, resident));
    const nodes = ok(twenty.result).activities.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(20);
    expect(nodes[0]).toMatchObject({ id: full, waitlistCount: 1, mySignup: { status: 'WAITLISTED', waitlistPosition: 1, residentName: expect.any(String) } });
    expect(nodes[1]).toMatchObject({ id: mine, waitlistCount: 0, mySignup: null });
    expect(nodes.slice(2).every((n: any) => n.waitlistCount === 0 && n.mySignup === null)).toBe(true);
    expectAtMostRecorded('read: activity list (20 rows)', twenty.count);

    const three = await statementsOf(() => t.gql(ACTIVITY_PAGE, { t: townshipId, b: branchId, n: 3 }, resident));
    expect(ok(three.result).activities.edges).toHaveLength(3);
    expect(twenty.count).toBe(three.count);
  });

  it('a 20-row course page costs what a 3-row page does, with branchName and myEnrolment on every row', async () => {
    const { courses } = ok(await t.gql(COURSE_PAGE, { t: townshipId, n: 20 }, resident));
    const enrolled = courses.edges[0].node.id;
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: enrolled }, resident));

    const twenty = await statementsOf(() => t.gql(COURSE_PAGE, { t: townshipId, n: 20 }, resident));
    const nodes = ok(twenty.result).courses.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(20);
    expect(nodes[0]).toMatchObject({ id: enrolled, myEnrolment: { status: 'ENROLLED', residentName: expect.any(String) } });
    expect(nodes.slice(1).every((n: any) => n.myEnrolment === null)).toBe(true);
    expectAtMostRecorded('read: course list (20 rows)', twenty.count);

    const three = await statementsOf(() => t.gql(COURSE_PAGE, { t: townshipId, n: 3 }, resident));
    expect(ok(three.result).courses.edges).toHaveLength(3);
    expect(twenty.count).toBe(three.count);
  });

  it('writes: sign up and cancel, check in, enrol and cancel the enrolment', async () => {
    const { activities } = ok(await t.gql(ACTIVITY_PAGE, { t: townshipId, b: branchId, n: 20 }, resident));
    const activityId = activities.edges[5].node.id;
    const signUp = await statementsOf(() => t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status waitlistPosition } }`, { a: activityId }, resident));
    expect(ok(signUp.result).signUpForActivity).toEqual({ status: 'CONFIRMED', waitlistPosition: null });
    expectAtMostRecorded('write: sign up', signUp.count);
    const cancel = await statementsOf(() => t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, resident));
    expect(ok(cancel.result).cancelSignup.status).toBe('CANCELLED');
    expectAtMostRecorded('write: cancel sign-up', cancel.count);

    // Check-in: signed up, then during the activity with the code the manager shows.
    const running = activities.edges[6].node;
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: running.id }, resident));
    setNow(t, new Date(new Date(running.startsAt).getTime() + MINUTE));
    const { code } = ok(await t.gql(`query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`, { a: running.id }, w.managerTokens[0])).activityCheckinCode;
    const checkIn = await statementsOf(() => t.gql(`mutation($i: CheckInInput!) { checkIn(input: $i) { attendance } }`, { i: { activityId: running.id, code } }, resident));
    expect(ok(checkIn.result).checkIn.attendance).toBe('PRESENT');
    expectAtMostRecorded('write: check in', checkIn.count);
    setNow(t, null);

    const { courses } = ok(await t.gql(COURSE_PAGE, { t: townshipId, n: 20 }, resident));
    const courseId = courses.edges[10].node.id;
    const enrol = await statementsOf(() => t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: courseId }, resident));
    expect(ok(enrol.result).enrolInCourse.status).toBe('ENROLLED');
    expectAtMostRecorded('write: enrol', enrol.count);
    const unenrol = await statementsOf(() => t.gql(`mutation($c: ID!) { cancelEnrolment(courseId: $c) { status } }`, { c: courseId }, resident));
    expect(ok(unenrol.result).cancelEnrolment.status).toBe('CANCELLED');
    expectAtMostRecorded('write: cancel enrolment', unenrol.count);
  });

  it('writes for a household dependent cost the household check and the audit record more', async () => {
    const [head, member] = w.township.branches[0].residents;
    const household = ok(
      await t.gql(`mutation($i: CreateHouseholdInput!) { createHousehold(input: $i) { id } }`, { i: { branchId, headResidentId: head.id, memberResidentIds: [member.id] } }, w.managerTokens[0]),
    ).createHousehold;
    const { dependents } = ok(
      await t.gql(`mutation($i: AddHouseholdDependentInput!) { addHouseholdDependent(input: $i) { dependents { id } } }`, { i: { householdId: household.id, name: '小明', birthYear: 2018 } }, w.managerTokens[0]),
    ).addHouseholdDependent;
    const { activities } = ok(await t.gql(ACTIVITY_PAGE, { t: townshipId, b: branchId, n: 20 }, resident));
    const forChild = await statementsOf(() =>
      t.gql(`mutation($i: FamilySignupInput!) { signUpForFamily(input: $i) { status dependentName } }`, { i: { activityId: activities.edges[8].node.id, dependentId: dependents[0].id } }, resident),
    );
    expect(ok(forChild.result).signUpForFamily).toEqual({ status: 'CONFIRMED', dependentName: '小明' });
    expectAtMostRecorded('write: sign up a dependent', forChild.count);
    // The other member cancels it (the answer names the member who registered the child).
    const cancelChild = await statementsOf(() =>
      t.gql(`mutation($i: FamilySignupInput!) { cancelSignupForFamily(input: $i) { status residentName dependentName } }`, { i: { activityId: activities.edges[8].node.id, dependentId: dependents[0].id } }, w.residentTokens[0][1]),
    );
    expect(ok(cancelChild.result).cancelSignupForFamily).toEqual({ status: 'CANCELLED', residentName: '居民0-0', dependentName: '小明' });
    expectAtMostRecorded('write: cancel for a dependent', cancelChild.count);
    const forMember = await statementsOf(() =>
      t.gql(`mutation($i: FamilySignupInput!) { signUpForFamily(input: $i) { status residentName } }`, { i: { activityId: activities.edges[9].node.id, residentId: member.id } }, resident),
    );
    expect(ok(forMember.result).signUpForFamily).toEqual({ status: 'CONFIRMED', residentName: '居民0-1' });
    expectAtMostRecorded('write: sign up a member', forMember.count);
    const cancelMember = await statementsOf(() =>
      t.gql(`mutation($i: FamilySignupInput!) { cancelSignupForFamily(input: $i) { status residentName } }`, { i: { activityId: activities.edges[9].node.id, residentId: member.id } }, resident),
    );
    expect(ok(cancelMember.result).cancelSignupForFamily).toEqual({ status: 'CANCELLED', residentName: '居民0-1' });
    expectAtMostRecorded('write: cancel for a member', cancelMember.count);
    const { courses } = ok(await t.gql(COURSE_PAGE, { t: townshipId, n: 20 }, resident));
    const enrolChild = await statementsOf(() =>
      t.gql(`mutation($i: DependentCourseInput!) { enrolDependentInCourse(input: $i) { status dependentName } }`, { i: { courseId: courses.edges[12].node.id, dependentId: dependents[0].id } }, resident),
    );
    expect(ok(enrolChild.result).enrolDependentInCourse).toEqual({ status: 'ENROLLED', dependentName: '小明' });
    expectAtMostRecorded('write: enrol a dependent', enrolChild.count);
  });
});
