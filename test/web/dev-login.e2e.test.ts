import { Browser } from 'playwright-core';
import { startTestApp, TestApp } from '../support/test-app';
import { seedTownship } from '../support/factories';
import { mobileOf } from '../support/roles';
import { launchChromium, openPhone, screenshot } from './support/browser';
import { WEB_DIST } from './support/web-test-app';

/**
 * Development (DEV_LOGIN_ENABLED, outside WeChat): the sign-in page offers the
 * development login by mobile; a person with several roles switches between them.
 */
describe('the web app with the development login', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in by mobile, tells an unknown number what to do, and switches a manager who is also a resident', async () => {
    const town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 1 });
    const [{ mobile }] = await t.db.dataSource.query(`SELECT mobile FROM person WHERE id = $1`, [town.branches[0].residents[0].personId]);
    // The resident also manages the branch.
    const [{ id: personId }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    await t.db.dataSource.query(`INSERT INTO role_assignment (person_id, role, township_id, branch_id) VALUES ($1, 'BRANCH_MANAGER', $2, $3)`, [
      personId,
      town.id,
      town.branches[0].id,
    ]);

    const phone = await openPhone(browser, { wechat: false });
    const page = phone.page;
    const base = t.url.replace(/\/graphql$/, '');
    await page.goto(`${base}/r/passbook`);
    await page.waitForURL('**/login');
    await page.getByText('开发登录（仅测试环境）').waitFor();
    await page.locator('input[name="mobile"]').fill('13900000000');
    await page.getByTestId('dev-login').click();
    await page.getByText('该手机号尚未登记为居民').waitFor();
    await screenshot(page, 'dev-login');

    await page.locator('input[name="mobile"]').fill(mobile);
    await page.getByTestId('dev-login').click();
    // Back where she was going, as a resident (the screen asked for it).
    await page.waitForURL('**/r/passbook');
    await page.getByTestId('bank-card').waitFor();
    await page.goto(`${base}/me`);
    await page.locator('.van-cell', { hasText: '分行行长' }).click();
    await page.waitForURL('**/m/month');
    await page.getByText('第1村').first().waitFor();
    expect(await phone.problems()).toEqual([]);
    await phone.context.close();
  }, 90_000);

  it('asks which township when the number is registered in two, and signs in to the one picked', async () => {
    const ds = t.db.dataSource;
    const first = await seedTownship(ds, { branches: 1, residentsPerBranch: 1 });
    const second = await seedTownship(ds, { branches: 1, residentsPerBranch: 0 });
    const mobile = await mobileOf(ds, first.branches[0].residents[0].personId);
    // In the second township the same number is its admin: that township's own record.
    await ds.query(
      `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($2, '乙镇管理员', $1) RETURNING id)
       INSERT INTO role_assignment (person_id, role, township_id) SELECT id, 'TOWNSHIP_ADMIN', $2 FROM p`,
      [mobile, second.id],
    );
    const names: { id: string; name: string }[] = await ds.query(`SELECT id, name FROM township WHERE id = ANY($1::uuid[])`, [[first.id, second.id]]);
    const nameOf = (id: string) => names.find((n) => n.id === id)!.name;

    const phone = await openPhone(browser, { wechat: false });
    const page = phone.page;
    await page.goto(`${t.url.replace(/\/graphql$/, '')}/login`);
    await page.locator('input[name="mobile"]').fill(mobile);
    await page.getByTestId('dev-login').click();
    const choices = page.getByTestId('township-choice');
    await choices.first().waitFor();
    expect((await choices.allTextContents()).map((c) => c.trim()).sort()).toEqual(names.map((n) => n.name).sort());
    await choices.filter({ hasText: nameOf(second.id) }).click();
    // The second township's admin, not the first township's resident.
    await page.waitForURL('**/a/themes');
    await page.goto(`${t.url.replace(/\/graphql$/, '')}/me`);
    await page.getByText('乙镇管理员').waitFor();
    expect(await phone.problems()).toEqual([]);
    await phone.context.close();
  }, 90_000);
});
