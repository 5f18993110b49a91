import { courseInput } from '../api/authorization-matrix';
import { createActivity, grantPoints, MINUTE, ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { dbFingerprint } from '../support/db-fingerprint';
import { errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

const HOUSEHOLD = `id branchId headResidentId members { residentId name isHead balance } dependents { id name birthYear }`;
const CREATE = `mutation($i: CreateHouseholdInput!) { createHousehold(input: $i) { ${HOUSEHOLD} } }`;
const ADD_MEMBER = `mutation($i: HouseholdMemberInput!) { addHouseholdMember(input: $i) { ${HOUSEHOLD} } }`;
const REMOVE_MEMBER = `mutation($i: RemoveHouseholdMemberInput!) { removeHouseholdMember(input: $i) { ${HOUSEHOLD} } }`;
const ADD_DEPENDENT = `mutation($i: AddHouseholdDependentInput!) { addHouseholdDependent(input: $i) { ${HOUSEHOLD} } }`;
const REMOVE_DEPENDENT = `mutation($d: ID!) { removeHouseholdDependent(dependentId: $d) { ${HOUSEHOLD} } }`;
const MINE = `{ myHousehold { ${HOUSEHOLD} } }`;
const PASSBOOK = `query($r: ID!) { householdMemberPassbook(residentId: $r, first: 3) { edges { node { month closing entries(first: 10) { edges { node { amount memo } } } } } } }`;
const SIGNUP = `id residentId dependentId dependentName actedBy status attendance rewardEntryId`;
const FAMILY_SIGN_UP = `mutation($i: FamilySignupInput!) { signUpForFamily(input: $i) { ${SIGNUP} } }`;
const FAMILY_CANCEL = `mutation($i: FamilySignupInput!) { cancelSignupForFamily(input: $i) { ${SIGNUP} } }`;
const CHECK_IN_DEPENDENT = `mutation($i: DependentCheckInInput!) { checkInDependent(input: $i) { ${SIGNUP} } }`;
const MARK_DEPENDENTS = `mutation($i: MarkDependentAttendanceInput!) { markDependentAttendance(input: $i) { dependentId attendance } }`;
const ENROLMENT = `id residentId dependentId dependentName actedBy status chargeEntryId refundEntryId`;
const ENROL_DEPENDENT = `mutation($i: DependentCourseInput!) { enrolDependentInCourse(input: $i) { ${ENROLMENT} } }`;
const CANCEL_DEPENDENT = `mutation($i: DependentCourseInput!) { cancelDependentEnrolment(input: $i) { ${ENROLMENT} } }`;

/**
 * Households (户) through the API: managers group residents and add dependents; members
 * see each other's balances and passbooks and act for each other and for the dependents;
 * nobody acts outside their household, and a removed member is refused at once.
 */
describe('households', () => {
  let t: TestApp;
  let w: World;
  let householdId: string;
  let dependentId: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 5 });
    const b0 = w.township.branches[0];
    await grantPoints(t, w.township.id, b0.residents.map((r) => r.accountId), 20);
  });
  afterEach(() => setNow(t, null));
  afterAll(() => t.close());

  const res = (r: number) => ({ ...w.township.branches[0].residents[r], token: w.residentTokens[0][r] });
  const manager = () => w.managerTokens[0];
  const balanceOf = async (residentId: string) =>
    Number((await t.db.dataSource.query(`SELECT b.balance FROM account a JOIN account_balance b ON b.account_id = a.id WHERE a.resident_id = $1`, [residentId]))[0].balance);
  const audit = (action: string) =>
    t.db.dataSource.query(`SELECT actor_id AS "actorId", subject, details FROM audit_log WHERE action = $1 ORDER BY id`, [action]);
  /** Refused with `code`, and the database is exactly as before. */
  const refusedUnchanged = async (code: string, request: () => Promise<GqlResponse>) => {
    const before = await dbFingerprint(t.db.dataSource);
    const answer = await request();
    expect({ code: errorCode(answer), data: Object.values(answer.data ?? {}).filter((v) => v !== null) }).toEqual({ code, data: [] });
    expect(answer.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
  };

  it('a manager groups residents of the branch into a household with a head, and adds a dependent; all audited', async () => {
    // Residents 0 (head) and 1 form a household; 2 stays outside; 3 and 4 form another.
    const created = ok(await t.gql(CREATE, { i: { branchId: w.township.branches[0].id, headResidentId: res(0).id, memberResidentIds: [res(1).id] } }, manager()));
    householdId = created.createHousehold.id;
    expect(created.createHousehold).toMatchObject({ headResidentId: res(0).id, dependents: [] });
    expect(created.createHousehold.members.map((m: any) => [m.residentId, m.isHead, m.balance])).toEqual([
      [res(0).id, true, 20],
      [res(1).id, false, 20],
    ]);
    const withChild = ok(await t.gql(ADD_DEPENDENT, { i: { householdId, name: '小明', birthYear: 2018 } }, manager())).addHouseholdDependent;
    expect(withChild.dependents).toEqual([{ id: expect.any(String), name: '小明', birthYear: 2018 }]);
    dependentId = withChild.dependents[0].id;
    ok(await t.gql(CREATE, { i: { branchId: w.township.branches[0].id, headResidentId: res(3).id, memberResidentIds: [res(4).id] } }, manager()));

    expect((await audit('household.create')).map((a: any) => a.actorId)).toHaveLength(2);
    expect(await audit('household.dependent.add')).toEqual([
      { actorId: expect.any(String), subject: householdId, details: { dependentId, name: '小明', birthYear: 2018 } },
    ]);
  });

  it('refuses what a manager may not do, and changes nothing', async () => {
    const otherBranchResident = w.township.branches[1].residents[0].id;
    // A resident of another branch; one already in a household; a resident managing; a future birth year.
    await refusedUnchanged('FORBIDDEN', () => t.gql(ADD_MEMBER, { i: { householdId, residentId: otherBranchResident } }, manager()));
    await refusedUnchanged('ALREADY_IN_HOUSEHOLD', () => t.gql(ADD_MEMBER, { i: { householdId, residentId: res(3).id } }, manager()));
    await refusedUnchanged('FORBIDDEN', () => t.gql(ADD_MEMBER, { i: { householdId, residentId: res(2).id } }, res(0).token));
    await refusedUnchanged('FORBIDDEN', () => t.gql(ADD_MEMBER, { i: { householdId, residentId: res(2).id } }, w.managerTokens[1]));
    await refusedUnchanged('BAD_USER_INPUT', () => t.gql(ADD_DEPENDENT, { i: { householdId, name: '小红', birthYear: 2999 } }, manager()));
    await refusedUnchanged('BAD_USER_INPUT', () => t.gql(ADD_DEPENDENT, { i: { householdId, name: '', birthYear: 2010 } }, manager()));
    // The head goes only with a new head from the members.
    await refusedUnchanged('HOUSEHOLD_HEAD_REQUIRED', () => t.gql(REMOVE_MEMBER, { i: { householdId, residentId: res(0).id } }, manager()));
    await refusedUnchanged('HOUSEHOLD_HEAD_REQUIRED', () => t.gql(REMOVE_MEMBER, { i: { householdId, residentId: res(0).id, newHeadResidentId: res(3).id } }, manager()));
  });

  it("members see each other's balances and passbooks; nobody else does", async () => {
    const mine = ok(await t.gql(MINE, {}, res(1).token)).myHousehold;
    expect(mine.id).toBe(householdId);
    expect(mine.members.map((m: any) => m.balance)).toEqual([20, 20]);
    expect(mine.dependents.map((d: any) => d.name)).toEqual(['小明']);
    expect(ok(await t.gql(MINE, {}, res(2).token)).myHousehold).toBeNull();

    const passbook = ok(await t.gql(PASSBOOK, { r: res(0).id }, res(1).token)).householdMemberPassbook;
    expect(passbook.edges[0].node.closing).toBe(20);
    expect(passbook.edges[0].node.entries.edges.map((e: any) => e.node)).toEqual([{ amount: 20, memo: '测试发放' }]);
    // Someone outside the household, a member of another household, another branch's resident.
    for (const token of [res(2).token, res(3).token, w.residentTokens[1][0]]) {
      expect(errorCode(await t.gql(PASSBOOK, { r: res(0).id }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`query($id: ID!) { household(id: $id) { id } }`, { id: householdId }, token))).toBe('FORBIDDEN');
    }
    expect(ok(await t.gql(`query($id: ID!) { household(id: $id) { id } }`, { id: householdId }, manager())).household.id).toBe(householdId);
    const listed = ok(await t.gql(`query($b: ID!) { branchHouseholds(branchId: $b) { edges { node { id members { residentId } } } } }`, { b: w.township.branches[0].id }, manager()));
    expect(listed.branchHouseholds.edges).toHaveLength(2);
  });

  it('a member signs another member up and cancels it for them: the place is theirs, who acted is recorded', async () => {
    const activityId = await createActivity(t, manager(), w.township.branches[0].id, { capacity: 5 });
    const signed = ok(await t.gql(FAMILY_SIGN_UP, { i: { activityId, residentId: res(1).id } }, res(0).token)).signUpForFamily;
    expect(signed).toMatchObject({ residentId: res(1).id, dependentId: null, actedBy: res(0).personId, status: 'CONFIRMED' });
    // The member sees it as their own sign-up.
    const page = ok(await t.gql(`query($t: ID!) { activities(townshipId: $t) { edges { node { id mySignup { status actedBy } } } } }`, { t: w.township.id }, res(1).token));
    expect(page.activities.edges.find((e: any) => e.node.id === activityId).node.mySignup).toEqual({ status: 'CONFIRMED', actedBy: res(0).personId });
    const twice = await t.gql(FAMILY_SIGN_UP, { i: { activityId, residentId: res(1).id } }, res(0).token);
    // Refused by activity_sign_ups (the live sign-up seen), answered in the household's words.
    expect([errorCode(twice), twice.errors?.[0]?.message]).toEqual(['ALREADY_SIGNED_UP', '该家人已报名该活动']);
    const cancelled = ok(await t.gql(FAMILY_CANCEL, { i: { activityId, residentId: res(1).id } }, res(0).token)).cancelSignupForFamily;
    expect(cancelled).toMatchObject({ residentId: res(1).id, status: 'CANCELLED' });
    expect((await audit('household.act.signup')).at(-1)).toEqual({
      actorId: res(0).personId,
      subject: activityId,
      details: { signupId: signed.id, forResidentId: res(1).id, forDependentId: null, registeredBy: res(1).id },
    });
    expect((await audit('household.act.cancelSignup')).at(-1)).toMatchObject({ actorId: res(0).personId, details: { forResidentId: res(1).id } });
  });

  it("a dependent takes one seat of their own; their attendance pays the member who registered them, recorded as such", async () => {
    const activityId = await createActivity(t, manager(), w.township.branches[0].id, { capacity: 2 });
    // The registering member signs up too: two seats, the activity is full.
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, res(0).token));
    const forChild = ok(await t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(0).token)).signUpForFamily;
    expect(forChild).toMatchObject({ residentId: res(0).id, dependentId, dependentName: '小明', actedBy: res(0).personId, status: 'CONFIRMED' });
    // One dependent, one seat: the other member cannot sign the child up again.
    expect(errorCode(await t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(1).token))).toBe('ALREADY_SIGNED_UP');
    // Full: the next one waits.
    expect(ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, res(2).token)).signUpForActivity.status).toBe('WAITLISTED');
    const listed = ok(await t.gql(`query($a: ID!) { activitySignups(activityId: $a) { edges { node { residentId dependentName status } } } }`, { a: activityId }, manager()));
    expect(listed.activitySignups.edges.map((e: any) => e.node)).toEqual([
      { residentId: res(0).id, dependentName: null, status: 'CONFIRMED' },
      { residentId: res(0).id, dependentName: '小明', status: 'CONFIRMED' },
      { residentId: res(2).id, dependentName: null, status: 'WAITLISTED' },
    ]);

    // During the activity: the other member checks the child in with the code; a wrong code counts.
    const { startsAt } = ok(await t.gql(`query($a: ID!) { activity(id: $a) { startsAt } }`, { a: activityId }, manager())).activity;
    setNow(t, new Date(new Date(startsAt).getTime() + MINUTE));
    const { code } = ok(await t.gql(`query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`, { a: activityId }, manager())).activityCheckinCode;
    expect(errorCode(await t.gql(CHECK_IN_DEPENDENT, { i: { activityId, dependentId, code: code === '000000' ? '111111' : '000000' } }, res(1).token))).toBe('CHECKIN_CODE_INVALID');
    await refusedUnchanged('FORBIDDEN', () => t.gql(CHECK_IN_DEPENDENT, { i: { activityId, dependentId, code } }, res(3).token));
    const checked = ok(await t.gql(CHECK_IN_DEPENDENT, { i: { activityId, dependentId, code } }, res(1).token)).checkInDependent;
    expect(checked).toMatchObject({ residentId: res(0).id, dependentId, attendance: 'PRESENT' });
    expect((await audit('household.act.checkIn')).at(-1)).toMatchObject({ actorId: res(1).personId, details: { forDependentId: dependentId } });
    // The manager may mark the child as well (idempotent here).
    expect(ok(await t.gql(MARK_DEPENDENTS, { i: { activityId, dependentIds: [dependentId], attendance: 'PRESENT' } }, manager())).markDependentAttendance).toEqual([
      { dependentId, attendance: 'PRESENT' },
    ]);
    await refusedUnchanged('NOT_SIGNED_UP', () =>
      t.gql(MARK_DEPENDENTS, { i: { activityId, dependentIds: [dependentId, res(2).id], attendance: 'PRESENT' } }, manager()),
    );
    ok(await t.gql(`mutation($a: ID!, $r: [ID!]!) { markAttendance(input: { activityId: $a, residentIds: $r, attendance: PRESENT }) { residentId } }`, { a: activityId, r: [res(0).id] }, manager()));

    const before = await balanceOf(res(0).id);
    const completed = ok(await t.gql(`mutation($a: ID!) { completeActivity(id: $a) { attendeesRewarded pointsMinted } }`, { a: activityId }, manager())).completeActivity;
    expect(completed).toEqual({ attendeesRewarded: 2, pointsMinted: 4 });
    // Both the member's own attendance and the child's pay the member.
    expect(await balanceOf(res(0).id)).toBe(before + 4);
    const lines = await t.db.dataSource.query(
      `SELECT e.memo, p.amount FROM activity_signup s JOIN journal_entry e ON e.id = s.reward_entry_id
       JOIN posting p ON p.entry_id = e.id AND p.amount > 0 JOIN account a ON a.id = p.account_id
       WHERE s.activity_id = $1 AND a.resident_id = $2 ORDER BY s.arrival`,
      [activityId, res(0).id],
    );
    expect(lines).toEqual([
      { memo: '平安有我消防安全宣传', amount: '2' },
      { memo: '平安有我消防安全宣传（家属小明参加）', amount: '2' },
    ]);
  });

  it("a member enrols the child in a course with their own points; another member cancels it and the payer is refunded", async () => {
    const courseId = ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: { ...courseInput(w.township.branches[0].id), pricePoints: 3 } }, manager())).createCourse.id;
    const payer = await balanceOf(res(1).id);
    const other = await balanceOf(res(0).id);
    const enrolled = ok(await t.gql(ENROL_DEPENDENT, { i: { courseId, dependentId } }, res(1).token)).enrolDependentInCourse;
    expect(enrolled).toMatchObject({ residentId: res(1).id, dependentId, dependentName: '小明', actedBy: res(1).personId, status: 'ENROLLED' });
    expect(await balanceOf(res(1).id)).toBe(payer - 3);
    const [charge] = await t.db.dataSource.query(`SELECT memo, created_by AS "createdBy" FROM journal_entry WHERE id = $1`, [enrolled.chargeEntryId]);
    expect(charge).toEqual({ memo: '小记者团非遗体验课（为家属小明报名）', createdBy: res(1).personId });
    expect(errorCode(await t.gql(ENROL_DEPENDENT, { i: { courseId, dependentId } }, res(0).token))).toBe('ALREADY_ENROLLED');
    // The payer's own seat is separate from the child's.
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: courseId }, res(1).token));
    expect(ok(await t.gql(`query($c: ID!) { course(id: $c) { enrolledCount } }`, { c: courseId }, res(1).token)).course.enrolledCount).toBe(2);

    await refusedUnchanged('FORBIDDEN', () => t.gql(CANCEL_DEPENDENT, { i: { courseId, dependentId } }, res(3).token));
    const cancelled = ok(await t.gql(CANCEL_DEPENDENT, { i: { courseId, dependentId } }, res(0).token)).cancelDependentEnrolment;
    expect(cancelled).toMatchObject({ residentId: res(1).id, dependentId, status: 'CANCELLED', refundEntryId: expect.any(String) });
    // Refunded by reversal to whoever paid, not to whoever cancelled.
    expect(await balanceOf(res(1).id)).toBe(payer - 3);
    expect(await balanceOf(res(0).id)).toBe(other);
    const [refund] = await t.db.dataSource.query(`SELECT kind, reverses_entry_id::text AS reverses FROM journal_entry WHERE id = $1`, [cancelled.refundEntryId]);
    expect(refund).toEqual({ kind: 'REVERSAL', reverses: enrolled.chargeEntryId });
    expect((await audit('household.act.enrol')).at(-1)).toMatchObject({ actorId: res(1).personId, details: { forDependentId: dependentId, paidByResidentId: res(1).id } });
    expect((await audit('household.act.cancelEnrolment')).at(-1)).toMatchObject({ actorId: res(0).personId, details: { paidByResidentId: res(1).id } });
    // The self-service cancellation still refunds the member's own seat (+3 back).
    ok(await t.gql(`mutation($c: ID!) { cancelEnrolment(courseId: $c) { status } }`, { c: courseId }, res(1).token));
    expect(await balanceOf(res(1).id)).toBe(payer);
  });

  it('nobody acts outside their household: refused with FORBIDDEN, nothing changes', async () => {
    const activityId = await createActivity(t, manager(), w.township.branches[0].id);
    const courseId = ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: courseInput(w.township.branches[0].id) }, manager())).createCourse.id;
    ok(await t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(0).token));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, res(1).token));
    // Resident 3 heads another household; 2 is in none; the other branch's resident; the manager is no resident.
    for (const token of [res(3).token, res(2).token, w.residentTokens[1][0], manager()]) {
      await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_SIGN_UP, { i: { activityId, residentId: res(0).id } }, token));
      await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, token));
      await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_CANCEL, { i: { activityId, dependentId } }, token));
      await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_CANCEL, { i: { activityId, residentId: res(1).id } }, token));
      await refusedUnchanged('FORBIDDEN', () => t.gql(ENROL_DEPENDENT, { i: { courseId, dependentId } }, token));
      await refusedUnchanged('FORBIDDEN', () => t.gql(PASSBOOK, { r: res(1).id }, token));
    }
    // Neither both nor none of residentId and dependentId.
    await refusedUnchanged('BAD_USER_INPUT', () => t.gql(FAMILY_SIGN_UP, { i: { activityId, residentId: res(1).id, dependentId } }, res(0).token));
    await refusedUnchanged('BAD_USER_INPUT', () => t.gql(FAMILY_SIGN_UP, { i: { activityId } }, res(0).token));
  });

  it('two members signing the same child up at once: one seat, the rest ALREADY_SIGNED_UP, the count exact', async () => {
    const activityId = await createActivity(t, manager(), w.township.branches[0].id, { capacity: 3 });
    const answers = await Promise.all(
      [0, 1, 0, 1, 0, 1].map((r) => t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(r).token)),
    );
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    expect(answers.filter((a) => a.errors).map(errorCode)).toEqual(Array(5).fill('ALREADY_SIGNED_UP'));
    const [state] = await t.db.dataSource.query(
      `SELECT a.confirmed_count AS counter, (SELECT count(*)::int FROM activity_signup s WHERE s.activity_id = a.id AND s.status = 'CONFIRMED') AS confirmed
       FROM activity a WHERE a.id = $1`,
      [activityId],
    );
    expect(state).toEqual({ counter: 1, confirmed: 1 });
  });

  it('a removed member loses access at once (even with a cached principal); a removed dependent can no longer be acted for', async () => {
    const activityId = await createActivity(t, manager(), w.township.branches[0].id);
    // Resident 1 has been answered (the principal cache holds them) right before removal.
    expect(ok(await t.gql(MINE, {}, res(1).token)).myHousehold.id).toBe(householdId);
    const after = ok(await t.gql(REMOVE_MEMBER, { i: { householdId, residentId: res(1).id } }, manager())).removeHouseholdMember;
    expect(after.members.map((m: any) => m.residentId)).toEqual([res(0).id]);
    expect((await audit('household.member.remove')).at(-1)).toMatchObject({ subject: householdId, details: { residentId: res(1).id } });

    expect(ok(await t.gql(MINE, {}, res(1).token)).myHousehold).toBeNull();
    await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(1).token));
    await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_SIGN_UP, { i: { activityId, residentId: res(0).id } }, res(1).token));
    await refusedUnchanged('FORBIDDEN', () => t.gql(PASSBOOK, { r: res(0).id }, res(1).token));
    await refusedUnchanged('FORBIDDEN', () => t.gql(`query($id: ID!) { household(id: $id) { id } }`, { id: householdId }, res(1).token));
    // And the head no longer reaches them.
    await refusedUnchanged('FORBIDDEN', () => t.gql(PASSBOOK, { r: res(1).id }, res(0).token));

    // The head may go once another member takes over.
    ok(await t.gql(ADD_MEMBER, { i: { householdId, residentId: res(2).id } }, manager()));
    const newHead = ok(await t.gql(REMOVE_MEMBER, { i: { householdId, residentId: res(0).id, newHeadResidentId: res(2).id } }, manager())).removeHouseholdMember;
    expect(newHead).toMatchObject({ headResidentId: res(2).id, members: [{ residentId: res(2).id, isHead: true }] });
    // The former head's past sign-up for the child stays theirs; the new member acts for the child now.
    ok(await t.gql(FAMILY_SIGN_UP, { i: { activityId, dependentId } }, res(2).token));
    ok(await t.gql(REMOVE_DEPENDENT, { d: dependentId }, manager()));
    await refusedUnchanged('FORBIDDEN', () => t.gql(FAMILY_CANCEL, { i: { activityId, dependentId } }, res(2).token));
    expect((await audit('household.dependent.remove')).at(-1)).toMatchObject({ details: { dependentId, name: '小明' } });
  });
});
