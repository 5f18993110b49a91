import { randomUUID } from 'node:crypto';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { ACTIVITY_FIELDS, createActivity, HOUR, MINUTE, ok, publishedTheme, seedWorld, setNow, SIGNUP_FIELDS, World } from '../support/activity-fixture';
import { errorCode, startTestApp, TestApp } from '../support/test-app';

const SIGN_UP = `mutation($a: ID!) { signUpForActivity(activityId: $a) { ${SIGNUP_FIELDS} } }`;
const CODE = `query($a: ID!) { activityCheckinCode(activityId: $a) { code refreshAt expiresAt } }`;
const CHECK_IN = `mutation($a: ID!, $c: String!) { checkIn(input: { activityId: $a, code: $c }) { ${SIGNUP_FIELDS} } }`;
const COMPLETE = `mutation($a: ID!) { completeActivity(id: $a) { newlyRewarded attendeesRewarded pointsMinted activity { status } } }`;
const MARK = `mutation($a: ID!, $r: [ID!]!, $at: Attendance!) { markAttendance(input: { activityId: $a, residentIds: $r, attendance: $at }) { residentId attendance } }`;

describe('activities', () => {
  let t: TestApp;
  let w: World;
  let other: World;
  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 6 });
    other = await seedWorld(t, { branches: 1, residentsPerBranch: 1 });
  });
  afterEach(() => setNow(t, null));
  afterAll(() => t.close());

  const branch = (i: number) => w.township.branches[i].id;
  const resident = (b: number, r: number) => ({ ...w.township.branches[b].residents[r], token: w.residentTokens[b][r] });

  it('validates input with coded errors and changes nothing', async () => {
    const before = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity`);
    const now = Date.now();
    const base = {
      branchId: branch(0),
      title: '文明交通引导',
      place: '路口',
      startsAt: new Date(now + 2 * HOUR).toISOString(),
      endsAt: new Date(now + 3 * HOUR).toISOString(),
      signupDeadline: new Date(now + HOUR).toISOString(),
      capacity: 10,
      rewardPoints: 2,
    };
    const create = (i: object) => t.gql(`mutation($i: CreateActivityInput!) { createActivity(input: $i) { id } }`, { i: { ...base, ...i } }, w.managerTokens[0]);
    for (const bad of [
      { capacity: 0 },
      { rewardPoints: 0 },
      { rewardPoints: 101 },
      { rewardPoints: 1.5 },
      { title: '' },
      { title: 'x'.repeat(101) },
      { endsAt: base.startsAt },
      { signupDeadline: new Date(now + 2.5 * HOUR).toISOString() },
      { startsAt: new Date(now - HOUR).toISOString() },
      { serviceTeamId: randomUUID() },
    ]) {
      const res = await create(bad);
      expect([JSON.stringify(bad), errorCode(res)]).toEqual([JSON.stringify(bad), 'BAD_USER_INPUT']);
      expect(res.errors![0].message).toMatch(/输入有误/);
    }
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity`)).toEqual(before);
  });

  it("takes a theme only from the branch's published list for the activity's month", async () => {
    const startsAt = new Date(Date.now() + 2 * HOUR);
    const listed = await publishedTheme(t, w.township.id, branch(0), startsAt, '文明交通');
    const create = (b: string, themeId: string) =>
      t.gql(`mutation($i: CreateActivityInput!) { createActivity(input: $i) { id themeId } }`, {
        i: { branchId: b, themeId, title: '文明交通劝导', place: '路口', startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + HOUR).toISOString(), signupDeadline: new Date(startsAt.getTime() - HOUR).toISOString(), capacity: 5, rewardPoints: 2 },
      }, w.managerTokens[b === branch(0) ? 0 : 1]);
    const before = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity`);
    expect(errorCode(await create(branch(0), randomUUID()))).toBe('THEME_NOT_PUBLISHED');
    expect(errorCode(await create(branch(1), listed))).toBe('THEME_NOT_PUBLISHED'); // on branch 0's list, not branch 1's
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity`)).toEqual(before);
    const created = ok(await create(branch(0), listed)).createActivity;
    expect(created.themeId).toBe(listed);
    // Moving it to a month whose list lacks the theme is refused too.
    const nextMonth = new Date(startsAt.getTime() + 40 * 24 * HOUR);
    const moved = await t.gql(`mutation($i: UpdateActivityInput!) { updateActivity(input: $i) { id } }`, {
      i: { id: created.id, startsAt: nextMonth.toISOString(), endsAt: new Date(nextMonth.getTime() + HOUR).toISOString() },
    }, w.managerTokens[0]);
    expect(errorCode(moved)).toBe('THEME_NOT_PUBLISHED');
  });

  it('keeps drafts to managers, lists by branch, theme and month, and pages', async () => {
    const themeId = await publishedTheme(t, w.township.id, branch(1), new Date(Date.now() + 2 * HOUR), '环保行动');
    const draft = await createActivity(t, w.managerTokens[0], branch(0), { title: '草稿活动' }, false);
    const themed = await createActivity(t, w.managerTokens[1], branch(1), { themeId, title: '环保行动' });
    const residentToken = resident(0, 0).token;
    expect(errorCode(await t.gql(`query($a: ID!) { activity(id: $a) { id } }`, { a: draft }, residentToken))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(SIGN_UP, { a: draft }, residentToken))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`query($a: ID!) { activity(id: $a) { id } }`, { a: draft }, w.managerTokens[1]))).toBe('NOT_FOUND');
    expect(ok(await t.gql(`query($a: ID!) { activity(id: $a) { status } }`, { a: draft }, w.managerTokens[0])).activity.status).toBe('DRAFT');

    const list = async (args: string, token: string) =>
      ok(await t.gql(`query($t: ID!) { activities(townshipId: $t ${args}) { edges { node { id } } } }`, { t: w.township.id }, token)).activities.edges.map(
        (e: any) => e.node.id,
      );
    expect(await list('', residentToken)).toContain(themed);
    expect(await list('', residentToken)).not.toContain(draft);
    expect(await list('', w.managerTokens[0])).toContain(draft);
    expect(await list(`, themeId: "${themeId}"`, residentToken)).toEqual([themed]);
    expect(await list(`, branchId: "${branch(1)}"`, residentToken)).toContain(themed);
    expect(await list(`, branchId: "${branch(0)}"`, residentToken)).not.toContain(themed);
    expect(await list(`, month: "2020-01"`, residentToken)).toEqual([]);
    expect(await list(`, status: CANCELLED`, residentToken)).not.toContain(themed);
    // Equal titles from different villages are told apart by the branch's name (joined, not a query per row).
    const named = ok(await t.gql(`query($t: ID!) { activities(townshipId: $t, first: 100) { edges { node { branchId branchName } } } }`, { t: w.township.id }, w.managerTokens[0])).activities.edges.map((e: any) => e.node);
    const branchNames = new Map((await t.db.dataSource.query(`SELECT id, name FROM branch`)).map((b: any) => [b.id, b.name]));
    expect(new Set(named.map((n: any) => n.branchId)).size).toBeGreaterThan(1);
    for (const node of named) expect(node.branchName).toBe(branchNames.get(node.branchId));

    const first = ok(await t.gql(`query($t: ID!) { activities(townshipId: $t, first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { t: w.township.id }, w.managerTokens[0])).activities;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(await t.gql(`query($t: ID!, $c: String) { activities(townshipId: $t, first: 1, after: $c) { edges { node { id } } } }`, { t: w.township.id, c: first.pageInfo.endCursor }, w.managerTokens[0])).activities;
    expect(second.edges[0].node.id).not.toBe(first.edges[0].node.id);
    expect(errorCode(await t.gql(`query($t: ID!) { activities(townshipId: $t, first: 101) { edges { cursor } } }`, { t: w.township.id }, residentToken))).toBe('BAD_USER_INPUT');
  });

  it('refuses sign-ups after the deadline, to cancelled activities and from another township; cancellation reaches residents', async () => {
    const activityId = await createActivity(t, w.managerTokens[0], branch(0), { capacity: 1 });
    // Residents of any branch of the township may sign up.
    const a = resident(1, 1);
    const b = resident(0, 1);
    expect(ok(await t.gql(SIGN_UP, { a: activityId }, a.token)).signUpForActivity.status).toBe('CONFIRMED');
    expect(ok(await t.gql(SIGN_UP, { a: activityId }, b.token)).signUpForActivity).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 1 });
    expect(errorCode(await t.gql(SIGN_UP, { a: activityId }, other.residentTokens[0][0]))).toBe('FORBIDDEN');

    setNow(t, new Date(Date.now() + 1 * HOUR + MINUTE));
    expect(errorCode(await t.gql(SIGN_UP, { a: activityId }, resident(0, 2).token))).toBe('SIGNUP_CLOSED');
    setNow(t, null);

    // A resident who cancels may sign up again, at the back of the queue.
    ok(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, a.token));
    expect(ok(await t.gql(`query($a: ID!) { activity(id: $a) { mySignup { status } } }`, { a: activityId }, b.token)).activity.mySignup.status).toBe('CONFIRMED');
    expect(ok(await t.gql(SIGN_UP, { a: activityId }, a.token)).signUpForActivity).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 1 });
    expect(errorCode(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, resident(0, 3).token))).toBe('NOT_SIGNED_UP');

    const cancelled = ok(
      await t.gql(`mutation($a: ID!) { cancelActivity(input: { id: $a, reason: "暴雨预警，活动取消" }) { status cancelReason remainingPlaces } }`, { a: activityId }, w.managerTokens[0]),
    );
    expect(cancelled.cancelActivity).toEqual({ status: 'CANCELLED', cancelReason: '暴雨预警，活动取消', remainingPlaces: 0 });
    expect(errorCode(await t.gql(SIGN_UP, { a: activityId }, resident(0, 4).token))).toBe('ACTIVITY_CANCELLED');
    for (const r of [a, b]) {
      const mine = ok(await t.gql(`{ mySignups(first: 5) { edges { node { status cancelReason activity { id status cancelReason } } } } }`, {}, r.token));
      const signup = mine.mySignups.edges.find((e: any) => e.node.activity.id === activityId).node;
      expect(signup).toEqual({ status: 'ACTIVITY_CANCELLED', cancelReason: '暴雨预警，活动取消', activity: { id: activityId, status: 'CANCELLED', cancelReason: '暴雨预警，活动取消' } });
    }
  });

  it('edits only before the start; raising the capacity promotes, lowering below the confirmed count is refused', async () => {
    const activityId = await createActivity(t, w.managerTokens[0], branch(0), { capacity: 1 });
    for (let r = 0; r < 3; r++) ok(await t.gql(SIGN_UP, { a: activityId }, resident(0, r).token));
    const update = (input: object) =>
      t.gql(`mutation($i: UpdateActivityInput!) { updateActivity(input: $i) { ${ACTIVITY_FIELDS} } }`, { i: { id: activityId, ...input } }, w.managerTokens[0]);
    const raised = ok(await update({ capacity: 2, title: '平安有我（第二场）' })).updateActivity;
    expect(raised).toMatchObject({ capacity: 2, confirmedCount: 2, waitlistCount: 1, title: '平安有我（第二场）' });
    expect(errorCode(await update({ capacity: 1 }))).toBe('CAPACITY_BELOW_TAKEN');
    expect(errorCode(await update({ rewardPoints: 1000 }))).toBe('BAD_USER_INPUT');
    setNow(t, new Date(Date.now() + 2 * HOUR + MINUTE));
    expect(errorCode(await update({ title: '改名' }))).toBe('ACTIVITY_NOT_EDITABLE');
    expect(errorCode(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, resident(0, 0).token))).toBe('SIGNUP_CANCEL_CLOSED');
  });

  it('check-in: only during the activity, current or previous code, only oneself, only confirmed residents', async () => {
    const start = Date.now() + 2 * HOUR;
    const activityId = await createActivity(t, w.managerTokens[0], branch(0), { capacity: 3 });
    for (let r = 0; r < 4; r++) ok(await t.gql(SIGN_UP, { a: activityId }, resident(0, r).token));
    const [a, b, c, waitlisted] = [0, 1, 2, 3].map((r) => resident(0, r));
    const manager = w.managerTokens[0];

    expect(errorCode(await t.gql(CODE, { a: activityId }, manager))).toBe('CHECKIN_NOT_OPEN');
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: '123456' }, a.token))).toBe('CHECKIN_NOT_OPEN');

    const t0 = new Date(start + 5 * MINUTE + 10_000);
    setNow(t, t0);
    const shown = ok(await t.gql(CODE, { a: activityId }, manager)).activityCheckinCode;
    expect(shown.code).toMatch(/^\d{6}$/);
    expect(new Date(shown.expiresAt).getTime() - new Date(shown.refreshAt).getTime()).toBe(60_000);
    // Residents and other branches' managers cannot see the code.
    expect(errorCode(await t.gql(CODE, { a: activityId }, a.token))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(CODE, { a: activityId }, w.managerTokens[1]))).toBe('FORBIDDEN');

    const wrong = shown.code === '000000' ? '000001' : '000000';
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: wrong }, a.token))).toBe('CHECKIN_CODE_INVALID');
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, waitlisted.token))).toBe('NOT_SIGNED_UP');
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, resident(1, 0).token))).toBe('NOT_SIGNED_UP');
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, other.residentTokens[0][0]))).toBe('FORBIDDEN');
    // There is no way to name another resident: the schema has no such argument.
    expect(errorCode(await t.gql(`mutation($a: ID!, $r: ID!) { checkIn(input: { activityId: $a, code: "123456", residentId: $r }) { id } }`, { a: activityId, r: b.id }, a.token))).toBe('GRAPHQL_VALIDATION_FAILED');

    const checkedIn = ok(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, a.token)).checkIn;
    expect(checkedIn).toMatchObject({ residentId: a.id, attendance: 'PRESENT' });
    // Checking in again is harmless; b was not checked in by a.
    expect(ok(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, a.token)).checkIn.attendance).toBe('PRESENT');
    expect(ok(await t.gql(`query($a: ID!) { activity(id: $a) { mySignup { attendance } } }`, { a: activityId }, b.token)).activity.mySignup.attendance).toBeNull();

    // One minute later the code is the previous one: still accepted.
    setNow(t, new Date(t0.getTime() + MINUTE));
    expect(ok(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, b.token)).checkIn.attendance).toBe('PRESENT');
    // Two minutes later it is refused (replay outside the window).
    setNow(t, new Date(t0.getTime() + 2 * MINUTE));
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: shown.code }, c.token))).toBe('CHECKIN_CODE_INVALID');

    // Guessing locks the resident out of self check-in after ten wrong codes.
    for (let i = 0; i < 9; i++) await t.gql(CHECK_IN, { a: activityId, c: wrong }, c.token);
    const fresh = ok(await t.gql(CODE, { a: activityId }, manager)).activityCheckinCode.code;
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: fresh }, c.token))).toBe('CHECKIN_LOCKED');

    // After the end and the grace period, check-in is closed.
    setNow(t, new Date(start + 2 * HOUR + 16 * MINUTE));
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: fresh }, c.token))).toBe('CHECKIN_NOT_OPEN');
    expect(errorCode(await t.gql(CODE, { a: activityId }, manager))).toBe('CHECKIN_NOT_OPEN');
  });

  it('check-in lock survives cancelling and signing up again, however often', async () => {
    // Check-in opens 15 minutes before the start and sign-up may stay open until it: the
    // window in which a resident could cancel and sign up again for ten more guesses.
    const start = Date.now() + 2 * HOUR;
    const activityId = await createActivity(t, w.managerTokens[0], branch(0), {
      startsAt: new Date(start).toISOString(),
      signupDeadline: new Date(start).toISOString(),
      capacity: 5,
    });
    const guesser = resident(0, 4);
    const cancel = `mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`;
    ok(await t.gql(SIGN_UP, { a: activityId }, guesser.token));
    setNow(t, new Date(start - 10 * MINUTE));
    const shown = ok(await t.gql(CODE, { a: activityId }, w.managerTokens[0])).activityCheckinCode.code;
    const wrong = shown === '000000' ? '000001' : '000000';
    for (let i = 0; i < 10; i++) expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: wrong }, guesser.token))).toBe('CHECKIN_CODE_INVALID');
    for (let round = 0; round < 3; round++) {
      expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: wrong }, guesser.token))).toBe('CHECKIN_LOCKED');
      ok(await t.gql(cancel, { a: activityId }, guesser.token));
      ok(await t.gql(SIGN_UP, { a: activityId }, guesser.token));
    }
    // Even the right code is refused now: the manager marks them instead.
    expect(errorCode(await t.gql(CHECK_IN, { a: activityId, c: shown }, guesser.token))).toBe('CHECKIN_LOCKED');
    const [{ failures }] = await t.db.dataSource.query(
      `SELECT checkin_failures AS failures FROM activity_signup WHERE activity_id = $1 AND resident_id = $2`,
      [activityId, guesser.id],
    );
    expect(failures).toBe(10);
  });

  it('bulk attendance and completion: mints once per attendee even when two managers complete at once', async () => {
    const start = Date.now() + 2 * HOUR;
    const activityId = await createActivity(t, w.managerTokens[1], branch(1), { capacity: 4, rewardPoints: 3, title: '文明交通引导志愿服务' });
    for (let r = 0; r < 6; r++) ok(await t.gql(SIGN_UP, { a: activityId }, resident(1, r).token));
    const [p1, p2, p3, absent, w1] = [0, 1, 2, 3, 4].map((r) => resident(1, r));
    const manager = w.managerTokens[1];

    expect(errorCode(await t.gql(MARK, { a: activityId, r: [p1.id], at: 'PRESENT' }, manager))).toBe('ATTENDANCE_NOT_OPEN');
    expect(errorCode(await t.gql(COMPLETE, { a: activityId }, manager))).toBe('ACTIVITY_NOT_STARTED');
    setNow(t, new Date(start + 30 * MINUTE));

    // Another branch's manager and residents cannot touch it.
    expect(errorCode(await t.gql(MARK, { a: activityId, r: [p1.id], at: 'PRESENT' }, w.managerTokens[0]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(COMPLETE, { a: activityId }, w.managerTokens[0]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(COMPLETE, { a: activityId }, p1.token))).toBe('FORBIDDEN');

    // All or nothing: a waitlisted resident in the batch refuses the whole batch.
    const refused = await t.gql(MARK, { a: activityId, r: [p1.id, w1.id], at: 'PRESENT' }, manager);
    expect(errorCode(refused)).toBe('NOT_SIGNED_UP');
    expect(refused.errors![0].extensions!.residentIds).toEqual([w1.id]);
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity_signup WHERE activity_id = $1 AND attendance IS NOT NULL`, [activityId]);
    expect(n).toBe(0);

    const marked = ok(await t.gql(MARK, { a: activityId, r: [p1.id, p2.id, p3.id], at: 'PRESENT' }, manager)).markAttendance;
    expect(marked.map((m: any) => m.attendance)).toEqual(['PRESENT', 'PRESENT', 'PRESENT']);
    ok(await t.gql(MARK, { a: activityId, r: [absent.id], at: 'ABSENT' }, manager));

    // Two managers (the branch's and the township admin) complete at the same moment.
    const [one, two] = await Promise.all([t.gql(COMPLETE, { a: activityId }, manager), t.gql(COMPLETE, { a: activityId }, w.adminToken)]);
    expect([one.errors, two.errors]).toEqual([undefined, undefined]);
    expect(one.data.completeActivity.newlyRewarded + two.data.completeActivity.newlyRewarded).toBe(3);
    expect(one.data.completeActivity).toMatchObject({ attendeesRewarded: 3, pointsMinted: 9, activity: { status: 'COMPLETED' } });
    const again = ok(await t.gql(COMPLETE, { a: activityId }, manager)).completeActivity;
    expect(again).toMatchObject({ newlyRewarded: 0, attendeesRewarded: 3, pointsMinted: 9 });

    const entries = await t.db.dataSource.query(
      `SELECT idempotency_key, memo, reference_type, reference_id FROM journal_entry WHERE kind = 'MINT' AND reference_id = $1 ORDER BY idempotency_key`,
      [activityId],
    );
    expect(entries).toHaveLength(3);
    expect(entries.every((e: any) => e.memo === '文明交通引导志愿服务' && e.reference_type === 'ACTIVITY' && /^attendance:/.test(e.idempotency_key))).toBe(true);

    const balance = async (token: string) => ok(await t.gql(`{ me { balance } }`, {}, token)).me.balance;
    expect(await Promise.all([p1, p2, p3, absent, w1].map((r) => balance(r.token)))).toEqual([3, 3, 3, 0, 0]);
    const history = ok(await t.gql(`{ me { history(first: 5) { edges { node { kind amount memo reference { type id } } } } } }`, {}, p1.token)).me.history.edges;
    expect(history[0].node).toEqual({ kind: 'MINT', amount: 3, memo: '文明交通引导志愿服务', reference: { type: 'ACTIVITY', id: activityId } });

    // Attendance is frozen once completed.
    expect(errorCode(await t.gql(MARK, { a: activityId, r: [absent.id], at: 'PRESENT' }, manager))).toBe('ACTIVITY_COMPLETED');
    expect(errorCode(await t.gql(`mutation($a: ID!) { cancelActivity(input: { id: $a, reason: "晚了" }) { id } }`, { a: activityId }, manager))).toBe('ACTIVITY_COMPLETED');

    const report = await new TransactionRunner(t.db.dataSource).run((m) => new LedgerService().reconcile(m, w.township.id));
    expect(report.ok).toBe(true);
  });

  it('a place freed while a sign-up is in flight goes to that sign-up, not to nobody', async () => {
    // Holds one sign-up in flight after it took the activity's shared lock, like a slow
    // commit, while a confirmed resident cancels. The cancellation must wait for it and
    // promote it. The sign-up is one statement committing by itself (activity_sign_ups), so
    // it is held inside that statement: the resident's earlier, cancelled sign-up row is
    // locked here, and its write waits for that row.
    const activityId = await createActivity(t, w.managerTokens[0], branch(0), { capacity: 1 });
    const confirmed = resident(1, 4);
    const inFlight = resident(1, 5);
    ok(await t.gql(SIGN_UP, { a: activityId }, inFlight.token));
    ok(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, inFlight.token));
    ok(await t.gql(SIGN_UP, { a: activityId }, confirmed.token));

    /** How many backends of this database wait for a lock of this kind. */
    const waitingFor = async (locktype: string) => {
      const [row] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database OR l.database IS NULL
         WHERE NOT l.granted AND l.locktype = $1 AND d.datname = current_database()`,
        [locktype],
      );
      return row.n as number;
    };
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((r) => setTimeout(r, 20));
    };
    const holder = t.db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    let signingUp: Promise<any> | undefined;
    let cancelling: Promise<any> | undefined;
    let first = '';
    try {
      await holder.query(`SELECT 1 FROM activity_signup WHERE activity_id = $1 AND resident_id = $2 FOR UPDATE`, [activityId, inFlight.id]);
      signingUp = t.gql(SIGN_UP, { a: activityId }, inFlight.token);
      await until(async () => (await waitingFor('transactionid')) > 0);
      cancelling = t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, confirmed.token);
      // Either the cancellation finishes on its own (it did not wait, so it could not see the
      // sign-up: wrong) or it is seen waiting on the activity's lock the sign-up holds shared.
      const waiting = until(async () => (await waitingFor('advisory')) > 0).then(() => 'waiting');
      first = await Promise.race([cancelling.then(() => 'finished'), waiting]);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const [signed, cancelled] = await Promise.all([signingUp, cancelling]);
    expect(first).toBe('waiting');
    expect(signed.data.signUpForActivity.status).toBe('WAITLISTED');
    expect(cancelled.data.cancelSignup.status).toBe('CANCELLED');
    const mine = ok(await t.gql(`query($a: ID!) { activity(id: $a) { confirmedCount mySignup { status waitlistPosition } } }`, { a: activityId }, inFlight.token));
    expect(mine.activity).toEqual({ confirmedCount: 1, mySignup: { status: 'CONFIRMED', waitlistPosition: null } });
  });

  it('residents cannot manage; managers cannot manage other branches', async () => {
    const activityId = await createActivity(t, w.managerTokens[0], branch(0));
    const residentToken = resident(0, 0).token;
    const foreign = w.managerTokens[1];
    const now = Date.now();
    const input = { branchId: branch(0), title: 't', place: 'p', startsAt: new Date(now + 2 * HOUR).toISOString(), endsAt: new Date(now + 3 * HOUR).toISOString(), signupDeadline: new Date(now + HOUR).toISOString(), capacity: 1, rewardPoints: 1 };
    for (const token of [residentToken, foreign]) {
      expect(errorCode(await t.gql(`mutation($i: CreateActivityInput!) { createActivity(input: $i) { id } }`, { i: input }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`mutation($a: ID!) { updateActivity(input: { id: $a, title: "x" }) { id } }`, { a: activityId }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`mutation($a: ID!) { publishActivity(id: $a) { id } }`, { a: activityId }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`mutation($a: ID!) { cancelActivity(input: { id: $a, reason: "x" }) { id } }`, { a: activityId }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`query($a: ID!) { activitySignups(activityId: $a) { edges { cursor } } }`, { a: activityId }, token))).toBe('FORBIDDEN');
    }
    // Staff who are not residents cannot sign up.
    expect(errorCode(await t.gql(SIGN_UP, { a: activityId }, w.managerTokens[0]))).toBe('FORBIDDEN');
    // Another township cannot even read it.
    expect(errorCode(await t.gql(`query($a: ID!) { activity(id: $a) { id } }`, { a: activityId }, other.managerTokens[0]))).toBe('FORBIDDEN');
    const still = await t.db.dataSource.query(`SELECT status, title FROM activity WHERE id = $1`, [activityId]);
    expect(still).toEqual([{ status: 'PUBLISHED', title: '平安有我消防安全宣传' }]);
  });
});
