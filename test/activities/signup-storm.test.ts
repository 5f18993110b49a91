import { errorCode, startTestApp, TestApp } from '../support/test-app';
import { createActivity, ok, seedWorld, SIGNUP_FIELDS, World } from '../support/activity-fixture';

const SIGN_UP = `mutation($a: ID!) { signUpForActivity(activityId: $a) { ${SIGNUP_FIELDS} } }`;
const WAITLIST = `query($a: ID!, $after: String) { activitySignups(activityId: $a, status: WAITLISTED, first: 100, after: $after) {
  edges { node { residentId waitlistPosition } } pageInfo { hasNextPage endCursor } } }`;

/** The waitlist as the branch manager sees it, in order. */
async function waitlist(t: TestApp, token: string, activityId: string) {
  const all: { residentId: string; waitlistPosition: number }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = ok(await t.gql(WAITLIST, { a: activityId, after }, token)).activitySignups;
    all.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) return all;
    after = page.pageInfo.endCursor;
  }
}

describe('sign-up storm over HTTP', () => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 250 });
  });
  afterAll(() => t.close());

  it('500 concurrent sign-ups for 30 places: 30 confirmed, 470 waitlisted in order; 10 cancellations promote the first 10', async () => {
    const manager = w.managerTokens[0];
    const activityId = await createActivity(t, manager, w.township.branches[0].id, { capacity: 30 });
    const residents = w.township.branches.flatMap((b, bi) => b.residents.map((r, ri) => ({ ...r, token: w.residentTokens[bi][ri] })));
    expect(residents).toHaveLength(500);

    const results = await Promise.all(residents.map((r) => t.gql(SIGN_UP, { a: activityId }, r.token)));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const statuses = results.map((r) => r.data.signUpForActivity.status);
    expect(statuses.filter((s) => s === 'CONFIRMED')).toHaveLength(30);
    expect(statuses.filter((s) => s === 'WAITLISTED')).toHaveLength(470);

    const activity = ok(await t.gql(`query($a: ID!) { activity(id: $a) { confirmedCount remainingPlaces waitlistCount } }`, { a: activityId }, manager));
    expect(activity.activity).toEqual({ confirmedCount: 30, remainingPlaces: 0, waitlistCount: 470 });

    // The waitlist is a gap-free sequence in arrival order, and every confirmed sign-up arrived before every waitlisted one.
    const before = await waitlist(t, manager, activityId);
    expect(before.map((s) => s.waitlistPosition)).toEqual(Array.from({ length: 470 }, (_, i) => i + 1));
    const [order] = await t.db.dataSource.query(
      `SELECT max(arrival) FILTER (WHERE status = 'CONFIRMED') < min(arrival) FILTER (WHERE status = 'WAITLISTED') AS ordered
       FROM activity_signup WHERE activity_id = $1`,
      [activityId],
    );
    expect(order.ordered).toBe(true);

    // A resident sees their own position.
    const fifth = residents.find((r) => r.id === before[4].residentId)!;
    const mine = ok(await t.gql(`query($a: ID!) { activity(id: $a) { mySignup { status waitlistPosition } } }`, { a: activityId }, fifth.token));
    expect(mine.activity.mySignup).toEqual({ status: 'WAITLISTED', waitlistPosition: 5 });

    // Signing up again is refused and changes nothing.
    const again = await t.gql(SIGN_UP, { a: activityId }, fifth.token);
    expect(errorCode(again)).toBe('ALREADY_SIGNED_UP');

    // Ten confirmed residents cancel at once: exactly the first ten waitlisted move up.
    const confirmed = results.filter((r) => r.data.signUpForActivity.status === 'CONFIRMED').map((r) => r.data.signUpForActivity.residentId);
    const cancelling = residents.filter((r) => confirmed.slice(0, 10).includes(r.id));
    const cancels = await Promise.all(
      cancelling.map((r) => t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, r.token)),
    );
    expect(cancels.map((c) => c.errors ?? c.data.cancelSignup.status)).toEqual(Array(10).fill('CANCELLED'));

    const promoted: { resident_id: string }[] = await t.db.dataSource.query(
      `SELECT resident_id FROM activity_signup WHERE activity_id = $1 AND promoted_at IS NOT NULL AND status = 'CONFIRMED'`,
      [activityId],
    );
    expect(promoted.map((p) => p.resident_id).sort()).toEqual(before.slice(0, 10).map((s) => s.residentId).sort());
    const after = await waitlist(t, manager, activityId);
    expect(after.map((s) => s.residentId)).toEqual(before.slice(10).map((s) => s.residentId));
    expect(after.map((s) => s.waitlistPosition)).toEqual(Array.from({ length: 460 }, (_, i) => i + 1));
    const [{ confirmed_count }] = await t.db.dataSource.query(`SELECT confirmed_count FROM activity WHERE id = $1`, [activityId]);
    const [{ n }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS n FROM activity_signup WHERE activity_id = $1 AND status = 'CONFIRMED'`,
      [activityId],
    );
    expect([confirmed_count, n]).toEqual([30, 30]);
  });

  it('cancellations racing a storm of sign-ups never leave a free place beside a waitlist', async () => {
    const activityId = await createActivity(t, w.managerTokens[0], w.township.branches[0].id, { capacity: 20 });
    const tokens = w.residentTokens.flat();
    const early = tokens.slice(0, 40);
    for (const token of early) ok(await t.gql(SIGN_UP, { a: activityId }, token)); // 20 confirmed, 20 waitlisted
    const cancelling = early.slice(0, 30); // 20 confirmed and 10 waitlisted leave…
    const late = tokens.slice(40, 240); // …while 200 more sign up
    const results = await Promise.all([
      ...cancelling.map((token) => t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, token)),
      ...late.map((token) => t.gql(SIGN_UP, { a: activityId }, token)),
    ]);
    expect(results.filter((r) => r.errors)).toEqual([]);
    const [state] = await t.db.dataSource.query(
      `SELECT a.capacity, a.confirmed_count AS counter,
              count(*) FILTER (WHERE s.status = 'CONFIRMED')::int AS confirmed,
              count(*) FILTER (WHERE s.status = 'WAITLISTED')::int AS waitlisted
       FROM activity a JOIN activity_signup s ON s.activity_id = a.id WHERE a.id = $1 GROUP BY a.id`,
      [activityId],
    );
    expect(state).toEqual({ capacity: 20, counter: 20, confirmed: 20, waitlisted: 190 });
  });

  it('a sign-up racing the activity\'s cancellation never leaves a live sign-up on the cancelled activity', async () => {
    const manager = w.managerTokens[0];
    const CANCEL = `mutation($a: ID!) { cancelActivity(input: { id: $a, reason: "下雨取消" }) { status } }`;
    const liveSignups = async (activityId: string) =>
      (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM activity_signup WHERE activity_id = $1 AND status IN ('CONFIRMED', 'WAITLISTED')`, [activityId]))[0].n;
    const waitingOnAdvisory = async () =>
      (await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE NOT l.granted AND l.locktype = 'advisory' AND d.datname = current_database()`,
      ))[0].n as number;
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((r) => setTimeout(r, 20));
    };

    // Exactly interleaved: the cancellation is queued on the activity's lock, then a sign-up
    // behind it; when the lock is let go the cancellation commits first. The sign-up, already
    // sent, must read the activity after its lock (CANCELLED), not as it was when it arrived.
    const activityId = await createActivity(t, manager, w.township.branches[0].id, { capacity: 5 });
    const holder = t.db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    let cancelling: Promise<any> | undefined;
    let signingUp: Promise<any> | undefined;
    try {
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended('activity:' || $1::uuid, 0))`, [activityId]);
      cancelling = t.gql(CANCEL, { a: activityId }, manager);
      await until(async () => (await waitingOnAdvisory()) === 1);
      signingUp = t.gql(SIGN_UP, { a: activityId }, w.residentTokens[1][10]);
      await until(async () => (await waitingOnAdvisory()) === 2);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const [cancelled, signed] = await Promise.all([cancelling, signingUp]);
    expect(ok(cancelled).cancelActivity.status).toBe('CANCELLED');
    expect(errorCode(signed)).toBe('ACTIVITY_CANCELLED');
    expect(await liveSignups(activityId)).toBe(0);

    // And as a storm: 150 sign-ups with the cancellation sent among them. Each sign-up either
    // committed before it (and was cancelled with the activity) or was refused.
    const stormed = await createActivity(t, manager, w.township.branches[0].id, { capacity: 20 });
    const tokens = w.residentTokens.flat().slice(100, 250);
    const requests = tokens.map((token, i) => (i === 50 ? t.gql(CANCEL, { a: stormed }, manager) : t.gql(SIGN_UP, { a: stormed }, token)));
    const results = await Promise.all(requests);
    expect(ok(results[50]).cancelActivity.status).toBe('CANCELLED');
    const signups = results.filter((_, i) => i !== 50);
    const refused = signups.filter((r) => r.errors);
    expect(refused.map(errorCode)).toEqual(Array(refused.length).fill('ACTIVITY_CANCELLED'));
    const [{ n: cancelledWithIt }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS n FROM activity_signup WHERE activity_id = $1 AND status = 'ACTIVITY_CANCELLED'`,
      [stormed],
    );
    expect(cancelledWithIt).toBe(signups.length - refused.length);
    expect(await liveSignups(stormed)).toBe(0);
  });

  it('a household member and a dependent signed up and cancelled for them during storms of own sign-ups: the counts stay exact', async () => {
    const manager = w.managerTokens[0];
    const branch = w.township.branches[1];
    const [head, member] = branch.residents.slice(240, 242);
    const headToken = w.residentTokens[1][240];
    const { createHousehold } = ok(
      await t.gql(`mutation($i: CreateHouseholdInput!) { createHousehold(input: $i) { id } }`, { i: { branchId: branch.id, headResidentId: head.id, memberResidentIds: [member.id] } }, w.managerTokens[1]),
    );
    const { addHouseholdDependent } = ok(
      await t.gql(`mutation($i: AddHouseholdDependentInput!) { addHouseholdDependent(input: $i) { dependents { id } } }`, { i: { householdId: createHousehold.id, name: '小红', birthYear: 2017 } }, w.managerTokens[1]),
    );
    const dependentId = addHouseholdDependent.dependents[0].id;
    const FAMILY = (op: 'signUpForFamily' | 'cancelSignupForFamily') =>
      `mutation($i: FamilySignupInput!) { ${op}(input: $i) { residentId dependentId dependentName residentName actedBy status waitlistPosition } }`;
    const forMember = { residentId: member.id };
    const forChild = { dependentId };
    const state = async (activityId: string) =>
      (
        await t.db.dataSource.query(
          `SELECT a.confirmed_count AS counter,
                  count(*) FILTER (WHERE s.status = 'CONFIRMED')::int AS confirmed,
                  count(*) FILTER (WHERE s.status = 'WAITLISTED')::int AS waitlisted,
                  count(*) FILTER (WHERE s.status = 'CANCELLED')::int AS cancelled
           FROM activity a JOIN activity_signup s ON s.activity_id = a.id WHERE a.id = $1 GROUP BY a.id`,
          [activityId],
        )
      )[0];

    // 150 own sign-ups for 20 places with the two act-for sign-ups sent among them.
    const activityId = await createActivity(t, manager, w.township.branches[0].id, { capacity: 20 });
    const tokens = w.residentTokens[0].slice(0, 150);
    const requests = tokens.map((token) => () => t.gql(SIGN_UP, { a: activityId }, token));
    requests.splice(40, 0, () => t.gql(FAMILY('signUpForFamily'), { i: { activityId, ...forMember } }, headToken));
    requests.splice(100, 0, () => t.gql(FAMILY('signUpForFamily'), { i: { activityId, ...forChild } }, headToken));
    const results = await Promise.all(requests.map((send) => send()));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const [memberSignup, childSignup] = [results[40].data.signUpForFamily, results[100].data.signUpForFamily];
    expect(memberSignup).toMatchObject({ residentId: member.id, dependentId: null, residentName: '居民1-241', dependentName: null, actedBy: head.personId });
    expect(childSignup).toMatchObject({ residentId: head.id, dependentId, residentName: '居民1-240', dependentName: '小红', actedBy: head.personId });
    expect(await state(activityId)).toEqual({ counter: 20, confirmed: 20, waitlisted: 132, cancelled: 0 });
    const before = await waitlist(t, manager, activityId);
    expect(before.map((s) => s.waitlistPosition)).toEqual(Array.from({ length: 132 }, (_, i) => i + 1));
    for (const signup of [memberSignup, childSignup]) {
      if (signup.status === 'WAITLISTED') expect(signup.waitlistPosition).toBeGreaterThanOrEqual(1);
      else expect(signup).toMatchObject({ status: 'CONFIRMED', waitlistPosition: null });
    }

    // The other member cancels the child's sign-up and the head the member's, while 10
    // confirmed residents cancel their own and 100 more sign up.
    const confirmed = results.filter((r) => r.data.signUpForActivity?.status === 'CONFIRMED').map((r) => r.data.signUpForActivity.residentId);
    const leaving = tokens.filter((_, i) => confirmed.includes(w.township.branches[0].residents[i].id)).slice(0, 10);
    const second = await Promise.all([
      t.gql(FAMILY('cancelSignupForFamily'), { i: { activityId, ...forChild } }, w.residentTokens[1][241]),
      ...w.residentTokens[0].slice(150, 200).map((token) => t.gql(SIGN_UP, { a: activityId }, token)),
      t.gql(FAMILY('cancelSignupForFamily'), { i: { activityId, ...forMember } }, headToken),
      ...leaving.map((token) => t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, token)),
      ...w.residentTokens[0].slice(200, 250).map((token) => t.gql(SIGN_UP, { a: activityId }, token)),
    ]);
    expect(second.filter((r) => r.errors)).toEqual([]);
    expect(second[0].data.cancelSignupForFamily).toMatchObject({ status: 'CANCELLED', residentId: head.id, residentName: '居民1-240', dependentName: '小红' });
    expect(second[51].data.cancelSignupForFamily).toMatchObject({ status: 'CANCELLED', residentId: member.id, residentName: '居民1-241' });
    // 252 sign-ups, 12 cancelled: 20 places taken, no place free beside the waitlist.
    expect(await state(activityId)).toEqual({ counter: 20, confirmed: 20, waitlisted: 220, cancelled: 12 });
    const after = await waitlist(t, manager, activityId);
    expect(after.map((s) => s.waitlistPosition)).toEqual(Array.from({ length: 220 }, (_, i) => i + 1));
    const [order] = await t.db.dataSource.query(
      `SELECT max(arrival) FILTER (WHERE status = 'CONFIRMED' AND promoted_at IS NULL) < min(arrival) FILTER (WHERE status = 'WAITLISTED') AS ordered,
              max(arrival) FILTER (WHERE promoted_at IS NOT NULL) < min(arrival) FILTER (WHERE status = 'WAITLISTED') AS promoted_first
       FROM activity_signup WHERE activity_id = $1`,
      [activityId],
    );
    expect(order).toEqual({ ordered: true, promoted_first: true });
  });

  it('concurrent duplicate sign-ups of one resident take one place', async () => {
    const activityId = await createActivity(t, w.managerTokens[0], w.township.branches[0].id, { capacity: 5 });
    const token = w.residentTokens[1][0];
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(SIGN_UP, { a: activityId }, token)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors).map(errorCode)).toEqual(Array(7).fill('ALREADY_SIGNED_UP'));
    const [{ confirmed_count }] = await t.db.dataSource.query(`SELECT confirmed_count FROM activity WHERE id = $1`, [activityId]);
    expect(confirmed_count).toBe(1);
  });
});
