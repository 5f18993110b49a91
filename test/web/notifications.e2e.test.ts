import { Browser } from 'playwright-core';
import { monthOf } from '../../src/common/time/shanghai-month';
import { createActivity, ok, seedWorld, World } from '../support/activity-fixture';
import { mobileOf } from '../support/roles';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { launchChromium, openPhone, screenshot } from './support/browser';
import { WEB_DIST } from './support/web-test-app';

/**
 * A resident's inbox in the web app: the unread badge in the shell, the list with unread
 * marks, opening one marks it read, 全部已读, and turning a kind off in the settings.
 */
describe('the web app: notifications', () => {
  let t: TestApp;
  let browser: Browser;
  let w: World;

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, NOTIFY_QUIET_HOURS: '' });
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 2 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the unread count, the inbox, marks read and turns a kind off', async () => {
    const townshipId = w.township.id;
    const branchId = w.township.branches[0].id;
    const [resident, other] = w.township.branches[0].residents;
    // Three things happen to her: the month's themes, a promotion from the waitlist, and a reminder-worthy activity.
    const month = monthOf(new Date());
    await t.db.dataSource.query(`INSERT INTO theme (township_id, branch_id, month, title, suggested_points) VALUES ($1, NULL, $2, '平安有我', 2)`, [
      townshipId,
      `${month}-01`,
    ]);
    ok(await t.gql(`mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: townshipId, m: month }, w.adminToken));
    const activity = await createActivity(t, w.managerTokens[0], branchId, { capacity: 1, title: '文明交通劝导' });
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, w.residentTokens[0][1]));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, w.residentTokens[0][0]));
    ok(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activity }, w.residentTokens[0][1]));
    await waitFor('two notifications', async () => {
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM notification WHERE person_id = $1`, [resident.personId]);
      return n === 2;
    });
    void other;

    const phone = await openPhone(browser, { wechat: false });
    const page = phone.page;
    const base = t.url.replace(/\/graphql$/, '');
    await page.goto(`${base}/login`);
    await page.locator('input[name="mobile"]').fill(await mobileOf(t.db.dataSource, resident.personId));
    await page.getByTestId('dev-login').click();
    await page.waitForURL('**/r/home');
    // The badge in the navigation bar.
    await page.locator('[data-test="unread-badge"] .van-badge', { hasText: '2' }).waitFor();
    await screenshot(page, 'resident-unread-badge');

    await page.getByTestId('inbox-link').click();
    await page.waitForURL('**/inbox');
    await page.getByTestId('notification').first().waitFor();
    expect(await page.getByTestId('notification').count()).toBe(2);
    expect(await page.locator('[data-test="notification"][data-read="false"]').count()).toBe(2);
    // Newest first: the promotion, then the themes.
    expect(await page.getByTestId('notification').first().innerText()).toContain('候补成功');
    expect(await page.getByTestId('notification').nth(1).innerText()).toContain('主题已发布');
    await page.getByTestId('unread-count').getByText('2 条未读').waitFor();
    await screenshot(page, 'resident-inbox');

    // Opening the themes notice marks it read and goes to the home screen.
    await page.getByTestId('notification').nth(1).click();
    await page.waitForURL('**/r/home');
    await page.locator('[data-test="unread-badge"] .van-badge', { hasText: '1' }).waitFor();
    await page.goto(`${base}/inbox`);
    await page.locator('[data-test="notification"][data-read="true"]').first().waitFor();
    expect(await page.locator('[data-test="notification"][data-read="false"]').count()).toBe(1);
    await page.getByTestId('mark-all-read').click();
    await page.getByTestId('unread-count').getByText('没有未读消息').waitFor();
    expect(await page.locator('[data-test="notification"][data-read="false"]').count()).toBe(0);
    expect(await page.locator('[data-test="unread-badge"] .van-badge').count()).toBe(0);
    const [{ unread }] = await t.db.dataSource.query(`SELECT count(*)::int AS unread FROM notification WHERE person_id = $1 AND read_at IS NULL`, [
      resident.personId,
    ]);
    expect(unread).toBe(0);

    // Settings: turn 积分支出 off.
    await page.getByTestId('notification-settings').click();
    await page.waitForURL('**/inbox/settings');
    await page.getByTestId('toggle-POINTS_SPENT').waitFor();
    await page.getByTestId('toggle-POINTS_SPENT').click();
    await waitFor('the preference saved', async () => {
      const [row] = await t.db.dataSource.query(`SELECT muted_kinds AS muted FROM notification_setting WHERE person_id = $1`, [resident.personId]);
      return row?.muted?.includes('POINTS_SPENT');
    });
    // The switch follows the saved settings the mutation answers with (which arrive after the commit).
    await page.locator('[data-test="toggle-POINTS_SPENT"][aria-checked="false"]').waitFor();
    await screenshot(page, 'resident-notification-settings');
    expect(await phone.problems()).toEqual([]);
    await phone.context.close();
  }, 120_000);
});
