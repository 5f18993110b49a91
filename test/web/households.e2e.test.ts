import { Browser, Page } from 'playwright-core';
import { Clock } from '../../src/common/time/clock';
import { courseInput } from '../api/authorization-matrix';
import { createActivity, grantPoints, ok, tokenFor } from '../support/activity-fixture';
import { seedTownship, SeededTownship } from '../support/factories';
import { grantManager, mobileOf } from '../support/roles';
import { startTestApp, TestApp } from '../support/test-app';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { WEB_DIST } from './support/web-test-app';

/**
 * Households (户) in Chromium: the manager makes a household (a head, a member, a child
 * without a phone); the head sees the family's balances and a member's passbook, signs
 * the child up for an activity and enrols the child in a course paid with her own points.
 * Screenshots go to test-artifacts/web/.
 */
describe('households in the web app', () => {
  let t: TestApp;
  let browser: Browser;
  let town: SeededTownship;
  const phones: Phone[] = [];
  const names = ['李秀英', '王建国', '孙大妈'];

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 3 });
    for (const [i, r] of town.branches[0].residents.entries()) await t.db.dataSource.query(`UPDATE person SET name = $2 WHERE id = $1`, [r.personId, names[i]]);
    await grantPoints(t, town.id, [town.branches[0].residents[0].accountId], 10);
    await grantPoints(t, town.id, [town.branches[0].residents[1].accountId], 6);
  }, 60_000);
  afterEach(async () => {
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(mobile: string): Promise<Page> {
    const phone = await openPhone(browser, { wechat: false });
    phones.push(phone);
    await phone.page.goto(`${t.url.replace(/\/graphql$/, '')}/login`);
    await phone.page.locator('input[name="mobile"]').fill(mobile);
    await phone.page.getByTestId('dev-login').click();
    await phone.page.waitForURL(/\/(m|r)\//);
    return phone.page;
  }
  const base = () => t.url.replace(/\/graphql$/, '');

  it('the manager creates a household with a head, a member and a child', async () => {
    const m = await signIn(await grantManager(t.db.dataSource, town.id, town.branches[0].id));
    await m.goto(`${base()}/m/residents`);
    await m.getByTestId('households-link').click();
    await m.waitForURL('**/m/households');
    await m.getByText('本村（社区）还没有编户').waitFor();

    await m.getByTestId('create-household').click();
    await m.getByTestId('candidate').filter({ hasText: names[0] }).click();
    const household = m.getByTestId('household');
    await household.getByText('户主').waitFor();
    await household.getByTestId('add-member').click();
    await m.getByTestId('candidate').filter({ hasText: names[1] }).click();
    await household.getByText(names[1]).waitFor();
    await household.getByTestId('add-dependent').click();
    await m.getByTestId('dependent-name').locator('input').fill('小明');
    await m.getByTestId('dependent-year').locator('input').fill('2017');
    await m.getByTestId('save-dependent').click();
    await household.getByTestId('dependent').getByText('小明').waitFor();
    await m.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(m, 'manager-households');

    const [row] = await t.db.dataSource.query(`SELECT count(*)::int AS members FROM household_member`);
    expect(row.members).toBe(2);
    const dependents = await t.db.dataSource.query(`SELECT name, birth_year AS "birthYear" FROM household_dependent`);
    expect(dependents).toEqual([{ name: '小明', birthYear: 2017 }]);
  }, 90_000);

  it('the head sees the family, a member\'s passbook, signs the child up and enrols the child with her own points', async () => {
    const managerToken = tokenFor(t, (await t.db.dataSource.query(`SELECT person_id AS id FROM role_assignment WHERE branch_id = $1`, [town.branches[0].id]))[0].id);
    await createActivity(t, managerToken, town.branches[0].id, { title: '文明交通劝导', place: '村口路口', capacity: 5 });
    ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: { ...courseInput(town.branches[0].id), pricePoints: 2 } }, managerToken));

    const r = await signIn(await mobileOf(t.db.dataSource, town.branches[0].residents[0].personId));
    await r.waitForURL('**/r/home');
    await r.getByTestId('family-link').getByText('2 位成员 · 1 位家属').waitFor();
    await r.getByTestId('family-link').click();
    await r.waitForURL('**/r/family');
    await r.getByTestId('family-member').filter({ hasText: names[1] }).getByText('6').waitFor();
    await r.getByTestId('family-dependent').getByText('小明').waitFor();
    await screenshot(r, 'resident-family');
    await r.getByTestId('family-member').filter({ hasText: names[1] }).click();
    const passbook = r.getByTestId('member-passbook');
    await passbook.getByText('测试发放').waitFor();
    await passbook.getByText('+6').waitFor();
    await screenshot(r, 'resident-family-passbook');

    // 为家人报名: the child takes a place of their own.
    await r.goto(`${base()}/r/home`);
    const activity = r.getByTestId('activity').filter({ hasText: '村口路口' });
    await activity.getByTestId('act-for').click();
    await r.locator('.van-action-sheet__item', { hasText: '小明' }).waitFor();
    await screenshot(r, 'resident-act-for-picker');
    await r.locator('.van-action-sheet__item', { hasText: '小明' }).click();
    await r.getByText('已为小明报名').waitFor();
    await r.locator('.van-dialog__confirm').click();
    await activity.getByText('剩余 4 个名额').waitFor();
    const [signup] = await t.db.dataSource.query(
      `SELECT s.status, d.name, s.acted_by = p.id AS "actedByHead" FROM activity_signup s JOIN household_dependent d ON d.id = s.dependent_id
       JOIN resident r ON r.id = s.resident_id JOIN person p ON p.id = r.person_id`,
    );
    expect(signup).toEqual({ status: 'CONFIRMED', name: '小明', actedByHead: true });

    // 为家属报名 a course, paid from her own 10 points.
    await r.goto(`${base()}/r/courses`);
    await r.getByTestId('balance').getByText('10').waitFor();
    await r.getByTestId('course').first().getByTestId('act-for-course').click();
    await r.locator('.van-action-sheet__item', { hasText: '小明' }).click();
    await r.getByText('从您的存折支付').waitFor();
    await screenshot(r, 'resident-enrol-dependent');
    await r.locator('.van-dialog__confirm').click();
    await r.getByText('已为小明报名，已扣 2 积分').waitFor();
    await r.getByTestId('balance').getByText('8').waitFor();
    const [enrolment] = await t.db.dataSource.query(`SELECT e.status, e.price_points AS price FROM course_enrolment e WHERE e.dependent_id IS NOT NULL`);
    expect(enrolment).toEqual({ status: 'ENROLLED', price: 2 });

    // At the activity: she types the manager's code for the child.
    const [{ id: activityId, startsAt }] = await t.db.dataSource.query(`SELECT id, starts_at AS "startsAt" FROM activity`);
    const at = new Date(startsAt.getTime() + 5 * 60_000);
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
    try {
      await r.clock.setFixedTime(at);
      const { code } = ok(await t.gql(`query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`, { a: activityId }, managerToken)).activityCheckinCode;
      await r.goto(`${base()}/r/checkin`);
      await r.locator('.van-cell', { hasText: '为家属小明签到' }).click();
      await r.locator('input[name="code"]').fill(code);
      await screenshot(r, 'resident-checkin-dependent');
      await r.getByTestId('checkin-submit').click();
      await r.getByTestId('checkin-done').getByText('已为小明签到').waitFor();
    } finally {
      jest.restoreAllMocks();
    }
    const [present] = await t.db.dataSource.query(`SELECT attendance FROM activity_signup WHERE dependent_id IS NOT NULL`);
    expect(present).toEqual({ attendance: 'PRESENT' });
  }, 90_000);

  it('the manager moves the head out, naming a new head: she no longer sees the family', async () => {
    const m = await signIn(await mobileOf(t.db.dataSource, (await t.db.dataSource.query(`SELECT person_id AS id FROM role_assignment WHERE branch_id = $1`, [town.branches[0].id]))[0].id));
    // The activity's sign-ups show the child as the head's dependent.
    const [{ id: activityId }] = await t.db.dataSource.query(`SELECT activity_id AS id FROM activity_signup WHERE dependent_id IS NOT NULL`);
    await m.goto(`${base()}/m/activities/${activityId}`);
    await m.getByText(`小明（${names[0]}家属）`).waitFor();
    await screenshot(m, 'manager-activity-dependent');

    await m.goto(`${base()}/m/households`);
    const head = m.getByTestId('household').locator('.van-cell', { hasText: names[0] });
    await head.getByRole('button', { name: '移出' }).click();
    await m.locator('.van-action-sheet__item', { hasText: names[1] }).click();
    await m.locator('.van-dialog__confirm').click();
    await m.getByTestId('household').locator('.van-cell', { hasText: names[1] }).getByText('户主').waitFor();
    await screenshot(m, 'manager-households-new-head');
    expect(await m.getByTestId('household').getByText(names[0]).count()).toBe(0);

    const r = await signIn(await mobileOf(t.db.dataSource, town.branches[0].residents[0].personId));
    await r.goto(`${base()}/r/family`);
    await r.getByText('您还没有编入家庭（户）').waitFor();
  }, 90_000);
});
