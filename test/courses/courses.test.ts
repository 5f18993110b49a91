import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { grantPoints, HOUR, MINUTE, ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { errorCode, startTestApp, TestApp } from '../support/test-app';

const ENROL = `mutation($c: ID!) { enrolInCourse(courseId: $c) { id status pricePoints chargeEntryId refundEntryId } }`;
const CANCEL_ENROLMENT = `mutation($c: ID!) { cancelEnrolment(courseId: $c) { id status chargeEntryId refundEntryId } }`;

describe('courses', () => {
  let t: TestApp;
  let w: World;
  let other: World;
  const ledger = new LedgerService();
  let tx: TransactionRunner;

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 130 });
    other = await seedWorld(t, { branches: 1, residentsPerBranch: 1 });
    tx = new TransactionRunner(t.db.dataSource);
  });
  afterEach(() => setNow(t, null));
  afterAll(() => t.close());

  const residents = () => w.township.branches.flatMap((b, bi) => b.residents.map((r, ri) => ({ ...r, token: w.residentTokens[bi][ri] })));
  const balanceOf = async (accountId: string) => (await tx.run((m) => ledger.account(m, accountId))).balance;

  async function createCourse(token: string, branchId: string, overrides: Record<string, unknown> = {}): Promise<string> {
    const now = Date.now();
    const input = {
      branchId,
      title: '小记者团非遗体验课',
      place: '村文化活动室',
      startsAt: new Date(now + 48 * HOUR).toISOString(),
      endsAt: new Date(now + 50 * HOUR).toISOString(),
      enrolDeadline: new Date(now + 24 * HOUR).toISOString(),
      cancelDeadline: new Date(now + 36 * HOUR).toISOString(),
      capacity: 20,
      pricePoints: 2,
      ...overrides,
    };
    return ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: input }, token)).createCourse.id;
  }

  it('200 residents with 2 points each, 20 seats at 2 points: exactly 20 charged and seated, 180 refused with nothing charged', async () => {
    // The first 200 residents; the other tests use the rest, who start with no points.
    const all = residents().slice(0, 200);
    expect(all).toHaveLength(200);
    await grantPoints(t, w.township.id, all.map((r) => r.accountId), 2);
    const courseId = await createCourse(w.managerTokens[0], w.township.branches[0].id, { capacity: 20, pricePoints: 2 });

    const results = await Promise.all(all.map((r) => t.gql(ENROL, { c: courseId }, r.token)));
    const enrolled = results.filter((r) => !r.errors);
    expect(enrolled).toHaveLength(20);
    expect(results.filter((r) => r.errors).map(errorCode)).toEqual(Array(180).fill('COURSE_FULL'));

    const balances = await Promise.all(all.map((r) => balanceOf(r.accountId)));
    expect(balances.filter((b) => b === 0)).toHaveLength(20);
    expect(balances.filter((b) => b === 2)).toHaveLength(180);
    expect(await balanceOf(w.township.branches[0].redemptionAccountId)).toBe(40);
    const [course] = await t.db.dataSource.query(`SELECT enrolled_count FROM course WHERE id = $1`, [courseId]);
    expect(course.enrolled_count).toBe(20);
    const [{ spends }] = await t.db.dataSource.query(`SELECT count(*)::int AS spends FROM journal_entry WHERE kind = 'SPEND' AND reference_id = $1`, [courseId]);
    expect(spends).toBe(20);
    const manager = ok(await t.gql(`query($c: ID!) { courseEnrolments(courseId: $c, first: 100) { edges { node { status residentName } } } }`, { c: courseId }, w.managerTokens[0]));
    expect(manager.courseEnrolments.edges).toHaveLength(20);

    const report = await tx.run((m) => ledger.reconcile(m, w.township.id));
    expect(report).toMatchObject({ ok: true, mismatchedAccounts: [], unbalancedEntries: [], storedTotal: 0 });
  });

  it('not enough points: INSUFFICIENT_POINTS and no seat; double enrolment refused', async () => {
    const courseId = await createCourse(w.managerTokens[1], w.township.branches[1].id, { capacity: 2, pricePoints: 5 });
    const [poor, rich] = residents().slice(200, 202);
    await grantPoints(t, w.township.id, [poor.accountId], 4);
    await grantPoints(t, w.township.id, [rich.accountId], 10);
    const poorBefore = await balanceOf(poor.accountId);
    expect(errorCode(await t.gql(ENROL, { c: courseId }, poor.token))).toBe('INSUFFICIENT_POINTS');
    expect(await balanceOf(poor.accountId)).toBe(poorBefore);
    const c = ok(await t.gql(`query($c: ID!) { course(id: $c) { enrolledCount remainingSeats myEnrolment { id } } }`, { c: courseId }, poor.token)).course;
    expect(c).toEqual({ enrolledCount: 0, remainingSeats: 2, myEnrolment: null });

    const richBefore = await balanceOf(rich.accountId);
    ok(await t.gql(ENROL, { c: courseId }, rich.token));
    expect(errorCode(await t.gql(ENROL, { c: courseId }, rich.token))).toBe('ALREADY_ENROLLED');
    expect(await balanceOf(rich.accountId)).toBe(richBefore - 5);
  });

  it('cancelling before the deadline reverses the charge; after it is refused; enrolling again charges again', async () => {
    const courseId = await createCourse(w.managerTokens[0], w.township.branches[0].id, { pricePoints: 3, title: '剪纸非遗体验课' });
    const r = residents()[210];
    await grantPoints(t, w.township.id, [r.accountId], 10);
    const before = await balanceOf(r.accountId);
    const first = ok(await t.gql(ENROL, { c: courseId }, r.token)).enrolInCourse;
    expect(first).toMatchObject({ status: 'ENROLLED', pricePoints: 3, refundEntryId: null });
    expect(await balanceOf(r.accountId)).toBe(before - 3);

    const cancelled = ok(await t.gql(CANCEL_ENROLMENT, { c: courseId }, r.token)).cancelEnrolment;
    expect(cancelled.status).toBe('CANCELLED');
    expect(await balanceOf(r.accountId)).toBe(before);
    const [refund] = await t.db.dataSource.query(`SELECT kind, reverses_entry_id::text AS reverses, memo FROM journal_entry WHERE id = $1`, [cancelled.refundEntryId]);
    expect(refund).toEqual({ kind: 'REVERSAL', reverses: first.chargeEntryId, memo: '本人取消课程报名，退还积分' });
    expect(errorCode(await t.gql(CANCEL_ENROLMENT, { c: courseId }, r.token))).toBe('NOT_ENROLLED');

    const history = ok(await t.gql(`{ me { history(first: 2) { edges { node { kind amount memo reference { type id } reversesEntryId } } } } }`, {}, r.token)).me.history.edges;
    expect(history.map((e: any) => e.node)).toEqual([
      { kind: 'REVERSAL', amount: 3, memo: '本人取消课程报名，退还积分', reference: { type: 'COURSE', id: courseId }, reversesEntryId: first.chargeEntryId },
      { kind: 'SPEND', amount: -3, memo: '剪纸非遗体验课', reference: { type: 'COURSE', id: courseId }, reversesEntryId: null },
    ]);

    const second = ok(await t.gql(ENROL, { c: courseId }, r.token)).enrolInCourse;
    expect(second.id).not.toBe(first.id);
    expect(second.chargeEntryId).not.toBe(first.chargeEntryId);
    expect(await balanceOf(r.accountId)).toBe(before - 3);

    setNow(t, new Date(Date.now() + 36 * HOUR + MINUTE));
    expect(errorCode(await t.gql(CANCEL_ENROLMENT, { c: courseId }, r.token))).toBe('CANCEL_DEADLINE_PASSED');
    expect(await balanceOf(r.accountId)).toBe(before - 3);
    setNow(t, new Date(Date.now() + 24 * HOUR + MINUTE));
    expect(errorCode(await t.gql(ENROL, { c: courseId }, residents()[211].token))).toBe('ENROL_CLOSED');
  });

  it('a branch cancelling a course refunds every enrolment', async () => {
    const courseId = await createCourse(w.managerTokens[0], w.township.branches[0].id, { capacity: 5, pricePoints: 2 });
    const enrolling = residents().slice(220, 225);
    await grantPoints(t, w.township.id, enrolling.map((r) => r.accountId), 2);
    for (const r of enrolling) ok(await t.gql(ENROL, { c: courseId }, r.token));
    const redemptionBefore = await balanceOf(w.township.branches[0].redemptionAccountId);

    const cancelled = ok(await t.gql(`mutation($c: ID!) { cancelCourse(input: { id: $c, reason: "授课老师临时有事" }) { status cancelReason enrolledCount } }`, { c: courseId }, w.managerTokens[0]));
    expect(cancelled.cancelCourse).toEqual({ status: 'CANCELLED', cancelReason: '授课老师临时有事', enrolledCount: 0 });
    expect(await Promise.all(enrolling.map((r) => balanceOf(r.accountId)))).toEqual([2, 2, 2, 2, 2]);
    expect(await balanceOf(w.township.branches[0].redemptionAccountId)).toBe(redemptionBefore - 10);
    const mine = ok(await t.gql(`{ myEnrolments(first: 5) { edges { node { status cancelReason refundEntryId course { id status } } } } }`, {}, enrolling[0].token));
    expect(mine.myEnrolments.edges[0].node).toMatchObject({ status: 'COURSE_CANCELLED', cancelReason: '授课老师临时有事', course: { id: courseId, status: 'CANCELLED' } });
    expect(mine.myEnrolments.edges[0].node.refundEntryId).not.toBeNull();
    // Cancelling again refunds nothing more.
    ok(await t.gql(`mutation($c: ID!) { cancelCourse(input: { id: $c, reason: "再次取消" }) { status } }`, { c: courseId }, w.managerTokens[0]));
    const [{ reversals }] = await t.db.dataSource.query(`SELECT count(*)::int AS reversals FROM journal_entry WHERE kind = 'REVERSAL' AND reference_id = $1`, [courseId]);
    expect(reversals).toBe(5);
    expect(errorCode(await t.gql(ENROL, { c: courseId }, residents()[230].token))).toBe('COURSE_CANCELLED');
    expect((await tx.run((m) => ledger.reconcile(m, w.township.id))).ok).toBe(true);
  });

  describe("an admin's reverseEntry of an entry that belongs to a business record", () => {
    const REVERSE = `mutation($e: ID!, $r: String!) { reverseEntry(input: { entryId: $e, reason: $r }) { id created } }`;
    const CANCEL_COURSE = `mutation($c: ID!) { cancelCourse(input: { id: $c, reason: "课程取消" }) { status enrolledCount } }`;
    const state = async (courseId: string, enrolmentId: string) => {
      const [row] = await t.db.dataSource.query(
        `SELECT e.status, e.refund_entry_id::text AS refund, c.enrolled_count AS seats,
                (SELECT count(*)::int FROM journal_entry j WHERE j.reverses_entry_id = e.charge_entry_id) AS reversals
         FROM course_enrolment e JOIN course c ON c.id = e.course_id WHERE e.id = $1 AND c.id = $2`,
        [enrolmentId, courseId],
      );
      return row;
    };

    it('refuses a course charge, pointing to the enrolment flows, and changes nothing', async () => {
      const courseId = await createCourse(w.managerTokens[0], w.township.branches[0].id, { capacity: 3, pricePoints: 2 });
      const r = residents()[240];
      await grantPoints(t, w.township.id, [r.accountId], 2);
      const enrolment = ok(await t.gql(ENROL, { c: courseId }, r.token)).enrolInCourse;
      const refused = await t.gql(REVERSE, { e: enrolment.chargeEntryId, r: '误扣' }, w.adminToken);
      expect(errorCode(refused)).toBe('ENTRY_BELONGS_TO_RECORD');
      expect(refused.errors![0].message).toMatch(/cancelEnrolment/);
      expect(await state(courseId, enrolment.id)).toEqual({ status: 'ENROLLED', refund: null, seats: 1, reversals: 0 });
      expect(await balanceOf(r.accountId)).toBe(0);
      // The flows still refund it, once.
      const cancelled = ok(await t.gql(CANCEL_ENROLMENT, { c: courseId }, r.token)).cancelEnrolment;
      expect(cancelled.status).toBe('CANCELLED');
      expect(await state(courseId, enrolment.id)).toEqual({ status: 'CANCELLED', refund: cancelled.refundEntryId, seats: 0, reversals: 1 });
      expect(await balanceOf(r.accountId)).toBe(2);
      // The refund itself is a reversal: not reversible either.
      expect(errorCode(await t.gql(REVERSE, { e: cancelled.refundEntryId, r: '误退' }, w.adminToken))).toBe('NOT_REVERSIBLE');
    });

    it('refuses an attendance reward, pointing to an adjustment', async () => {
      const reward = await tx.run((m) =>
        ledger.post(m, {
          townshipId: w.township.id,
          idempotencyKey: `attendance:${residents()[241].id}`,
          kind: 'MINT' as never,
          memo: '平安有我消防安全宣传',
          lines: [
            { accountId: w.township.branches[0].issuanceAccountId, amount: -2 },
            { accountId: residents()[241].accountId, amount: 2 },
          ],
          reference: { type: 'ACTIVITY', id: residents()[241].id },
        }),
      );
      const refused = await t.gql(REVERSE, { e: reward.id, r: '未到场' }, w.adminToken);
      expect(errorCode(refused)).toBe('ENTRY_BELONGS_TO_RECORD');
      expect(refused.errors![0].message).toMatch(/postAdjustment/);
      expect(await balanceOf(residents()[241].accountId)).toBe(2);
    });

    it('a charge reversed outside the flow before this rule still lets cancelEnrolment and cancelCourse finish, refunding once', async () => {
      const courseId = await createCourse(w.managerTokens[0], w.township.branches[0].id, { capacity: 3, pricePoints: 2 });
      const [a, b, c] = residents().slice(242, 245);
      await grantPoints(t, w.township.id, [a.accountId, b.accountId, c.accountId], 2);
      const enrolments = [];
      for (const r of [a, b, c]) enrolments.push(ok(await t.gql(ENROL, { c: courseId }, r.token)).enrolInCourse);
      // What an admin could do before: reverse the charges of a and b directly.
      for (const e of enrolments.slice(0, 2)) {
        await tx.run((m) => ledger.reverse(m, { townshipId: w.township.id, entryId: e.chargeEntryId, reason: '管理员冲正' }));
      }
      const cancelled = ok(await t.gql(CANCEL_ENROLMENT, { c: courseId }, a.token)).cancelEnrolment;
      expect(cancelled.status).toBe('CANCELLED');
      expect(await state(courseId, enrolments[0].id)).toMatchObject({ status: 'CANCELLED', reversals: 1, seats: 2 });
      expect(await balanceOf(a.accountId)).toBe(2);
      expect(ok(await t.gql(CANCEL_COURSE, { c: courseId }, w.managerTokens[0])).cancelCourse).toEqual({ status: 'CANCELLED', enrolledCount: 0 });
      for (const e of enrolments.slice(1)) expect(await state(courseId, e.id)).toMatchObject({ status: 'COURSE_CANCELLED', reversals: 1 });
      expect(await Promise.all([a, b, c].map((r) => balanceOf(r.accountId)))).toEqual([2, 2, 2]);
      expect((await tx.run((m) => ledger.reconcile(m, w.township.id))).ok).toBe(true);
    });
  });

  it('a price changed while residents enrol: each pays the price their seat was taken at, and the counts agree', async () => {
    // The seat is taken last, at the price read first; a price changed in between runs the enrolment again.
    const branchId = w.township.branches[1].id;
    const courseId = await createCourse(w.managerTokens[1], branchId, { capacity: 100, pricePoints: 2 });
    const enrolling = residents().slice(246, 260);
    await grantPoints(t, w.township.id, enrolling.map((r) => r.accountId), 10);
    const reprice = (pricePoints: number) =>
      t.gql(`mutation($i: UpdateCourseInput!) { updateCourse(input: $i) { pricePoints } }`, { i: { id: courseId, pricePoints } }, w.managerTokens[1]);
    const results = await Promise.all([
      ...enrolling.slice(0, 7).map((r) => t.gql(ENROL, { c: courseId }, r.token)),
      reprice(3),
      ...enrolling.slice(7).map((r) => t.gql(ENROL, { c: courseId }, r.token)),
      reprice(4),
    ]);
    const enrolments = [...results.slice(0, 7), ...results.slice(8, 15)].map((r) => ok(r).enrolInCourse);
    expect(enrolments).toHaveLength(14);
    for (const [i, e] of enrolments.entries()) {
      expect([2, 3, 4]).toContain(e.pricePoints);
      expect(await balanceOf(enrolling[i].accountId)).toBe(10 - e.pricePoints);
      const [{ amount }] = await t.db.dataSource.query(
        `SELECT -p.amount AS amount FROM posting p WHERE p.entry_id = $1 AND p.account_id = $2`,
        [e.chargeEntryId, enrolling[i].accountId],
      );
      expect(Number(amount)).toBe(e.pricePoints);
    }
    const [course] = await t.db.dataSource.query(`SELECT enrolled_count FROM course WHERE id = $1`, [courseId]);
    expect(course.enrolled_count).toBe(14);
  });

  it('validates, edits before the start, and keeps managers to their own branch', async () => {
    const branchId = w.township.branches[0].id;
    const courseId = await createCourse(w.managerTokens[0], branchId, { capacity: 3 });
    const r = residents()[240];
    await grantPoints(t, w.township.id, [r.accountId], 2);
    ok(await t.gql(ENROL, { c: courseId }, r.token));
    const update = (input: object, token = w.managerTokens[0]) =>
      t.gql(`mutation($i: UpdateCourseInput!) { updateCourse(input: $i) { capacity pricePoints title } }`, { i: { id: courseId, ...input } }, token);
    expect(ok(await update({ capacity: 5, title: '非遗体验课（加场）' })).updateCourse).toEqual({ capacity: 5, pricePoints: 2, title: '非遗体验课（加场）' });
    expect(errorCode(await update({ pricePoints: 0 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await update({ cancelDeadline: new Date(Date.now() + 49 * HOUR).toISOString() }))).toBe('BAD_USER_INPUT');

    const residentToken = residents()[241].token;
    for (const token of [residentToken, w.managerTokens[1]]) {
      expect(errorCode(await update({ title: 'x' }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`mutation($c: ID!) { cancelCourse(input: { id: $c, reason: "x" }) { id } }`, { c: courseId }, token))).toBe('FORBIDDEN');
      expect(errorCode(await t.gql(`query($c: ID!) { courseEnrolments(courseId: $c) { edges { cursor } } }`, { c: courseId }, token))).toBe('FORBIDDEN');
      const now = Date.now();
      const input = { branchId, title: 't', place: 'p', startsAt: new Date(now + 2 * HOUR).toISOString(), endsAt: new Date(now + 3 * HOUR).toISOString(), enrolDeadline: new Date(now + HOUR).toISOString(), cancelDeadline: new Date(now + HOUR).toISOString(), capacity: 1, pricePoints: 1 };
      expect(errorCode(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: input }, token))).toBe('FORBIDDEN');
    }
    expect(errorCode(await t.gql(ENROL, { c: courseId }, other.residentTokens[0][0]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(ENROL, { c: courseId }, w.managerTokens[0]))).toBe('FORBIDDEN');

    const listed = ok(await t.gql(`query($t: ID!, $b: ID!) { courses(townshipId: $t, branchId: $b, first: 50) { edges { node { id remainingSeats branchName } } } }`, { t: w.township.id, b: branchId }, residentToken));
    const [{ name: branchName }] = await t.db.dataSource.query(`SELECT name FROM branch WHERE id = $1`, [branchId]);
    expect(listed.courses.edges.map((e: any) => e.node)).toContainEqual({ id: courseId, remainingSeats: 4, branchName });

    setNow(t, new Date(Date.now() + 48 * HOUR + MINUTE));
    expect(errorCode(await update({ title: '开课后改名' }))).toBe('COURSE_NOT_EDITABLE');
  });
});
