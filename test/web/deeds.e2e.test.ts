import { Browser, Page } from 'playwright-core';
import { DEEDS_QUEUE, mintDeedJobId } from '../../src/deeds/deed.jobs';
import { JobQueues } from '../../src/jobs/job-queues';
import { tinyPng } from '../support/deed-fixture';
import { seedTownship } from '../support/factories';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { WEB_DIST } from './support/web-test-app';

/**
 * Good deeds in the app (issue 16), in Chromium with the development login: the admin sets
 * the table, the manager appoints the scoring group, a resident reports with a photo, a
 * member approves, a neighbour asks for a recheck on the notice, another member approves
 * again, and the points arrive when the window closes. Screenshots in test-artifacts/web/.
 */
describe('good deeds in the web app', () => {
  let t: TestApp;
  let browser: Browser;
  const phones: Phone[] = [];
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    base = t.url.replace(/\/graphql$/, '');
  });
  afterEach(async () => {
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(mobile: string, path: string): Promise<Page> {
    const phone = await openPhone(browser, { wechat: false });
    phones.push(phone);
    const page = phone.page;
    await page.goto(`${base}/login`);
    await page.locator('input[name="mobile"]').fill(mobile);
    await page.getByTestId('dev-login').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    await page.goto(`${base}${path}`);
    return page;
  }

  it('report → review → notice → recheck → review again → minted, on phones', async () => {
    const ds = t.db.dataSource;
    const town = await seedTownship(ds, { branches: 1, residentsPerBranch: 4 });
    const branch = town.branches[0];
    const names = ['李秀英', '王建国', '赵大爷', '陈阿姨'];
    for (const [i, r] of branch.residents.entries()) await ds.query(`UPDATE person SET name = $2 WHERE id = $1`, [r.personId, names[i]]);
    await ds.query(`UPDATE branch SET name = '武兴庄村' WHERE id = $1`, [branch.id]);
    const [li, wang, zhao, chen] = await Promise.all(branch.residents.map((r) => mobileOf(ds, r.personId)));

    // The admin sets the table.
    const admin = await signIn(await grantAdmin(ds, town.id), '/a/deeds');
    for (const [name, points] of [['扶老助残', 5], ['拾金不昧', 3], ['见义勇为', 10]] as const) {
      await admin.locator('input[name="name"]').fill(name);
      for (let p = 2; p < points; p++) await admin.locator('.van-stepper__plus').last().click();
      for (let p = 2; p > points; p--) await admin.locator('.van-stepper__minus').last().click();
      await admin.getByTestId('save-kind').click();
      await admin.getByTestId('deed-kind-row').filter({ hasText: name }).waitFor();
    }
    await admin.getByTestId('deed-kind-row').filter({ hasText: '最多 10 分' }).waitFor();
    await admin.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(admin, 'admin-deed-table');

    // The manager appoints 王建国 and 陈阿姨 to the scoring group.
    const manager = await signIn(await grantManager(ds, town.id, branch.id), '/m/deeds');
    await manager.getByRole('tab', { name: '评议小组' }).click();
    for (const name of ['王建国', '陈阿姨']) {
      await manager.getByTestId('scorer-search').locator('input').fill(name);
      await manager.getByTestId('scorer-search').locator('input').press('Enter');
      await manager.getByTestId('scorer-candidate').filter({ hasText: name }).getByRole('button', { name: '任命' }).click();
      await manager.getByTestId('scorer').filter({ hasText: name }).waitFor();
    }
    await manager.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(manager, 'manager-scoring-group');

    // 李秀英 reports, first with a file that only pretends to be a photo.
    const resident = await signIn(li, '/r/deeds');
    await resident.getByTestId('new-deed').click();
    await resident.waitForURL('**/r/deeds/new');
    const fileInput = resident.locator('input[type="file"]');
    await fileInput.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>') });
    await resident.getByText('只能上传JPEG、PNG或WebP格式的照片').waitFor();
    await screenshot(resident, 'resident-deed-photo-refused');
    await resident.locator('.van-uploader__preview-delete').click();
    await fileInput.setInputFiles({ name: 'snow.png', mimeType: 'image/png', buffer: tinyPng(160, 120) });
    await resident.locator('.van-uploader__preview').waitFor();
    await waitFor('the upload', async () => ((await resident.locator('.van-uploader__mask').count()) === 0 ? true : undefined));
    await resident.getByTestId('deed-kind').filter({ hasText: '扶老助残' }).click();
    await resident.locator('input[name="title"]').fill('帮独居老人清扫门前积雪');
    await resident.locator('textarea[name="description"]').fill('清晨大雪，帮隔壁独居的孙奶奶扫雪并送她去卫生室。');
    for (let i = 0; i < 3; i++) await resident.locator('.van-stepper__plus').click();
    await resident.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(resident, 'resident-deed-form');
    await resident.getByTestId('submit-deed').click();
    await resident.waitForURL('**/r/deeds');
    await resident.getByTestId('deed-report').filter({ hasText: '待评议' }).waitFor();
    await waitFor('the photo', async () => ((await resident.locator('[data-test="deed-photo"] img').count()) > 0 ? true : undefined));
    await screenshot(resident, 'resident-deed-reported');
    const [{ id: reportId, points }] = await ds.query(`SELECT id, points FROM deed_report WHERE branch_id = $1`, [branch.id]);
    expect(points).toBe(4);

    // 王建国 of the scoring group approves it.
    const scorer = await signIn(wang, '/r/deeds');
    await scorer.getByRole('tab', { name: '评议' }).click();
    const card = scorer.getByTestId('deed-report').filter({ hasText: '帮独居老人清扫门前积雪' });
    await card.waitFor();
    await waitFor('the photo', async () => ((await card.locator('[data-test="deed-photo"] img').count()) > 0 ? true : undefined));
    await screenshot(scorer, 'scorer-deed-review');
    await card.getByTestId('approve').click();
    await scorer.locator('textarea[name="reason"]').fill('经走访核实，情况属实');
    await scorer.getByRole('button', { name: '通过', exact: true }).click();
    await scorer.getByText('没有待评议的申报').waitFor();

    // 赵大爷 reads the notice (the name masked) and asks for a recheck.
    const neighbour = await signIn(zhao, '/r/deeds');
    await neighbour.getByRole('tab', { name: '本村公示' }).click();
    const item = neighbour.getByTestId('notice-item').filter({ hasText: '李*英' });
    await item.waitFor();
    expect(await neighbour.getByText('李秀英').count()).toBe(0);
    await screenshot(neighbour, 'resident-deed-notice');
    await item.getByTestId('ask-recheck').click();
    await neighbour.locator('textarea[name="reason"]').fill('那天我也在，扫雪的是她儿子');
    await neighbour.getByRole('button', { name: '提交复核申请' }).click();
    await item.getByText('复核中').waitFor();
    await screenshot(neighbour, 'resident-deed-recheck');

    // 陈阿姨 looks again and approves; a new window starts.
    const second = await signIn(chen, '/r/deeds');
    await second.getByRole('tab', { name: '评议' }).click();
    const again = second.getByTestId('deed-report').filter({ hasText: '复核理由：那天我也在' });
    await again.waitFor();
    await screenshot(second, 'scorer-deed-recheck-review');
    await again.getByTestId('approve').click();
    await second.locator('textarea[name="reason"]').fill('复核：儿子与她一同扫雪，维持原评议');
    await second.getByRole('button', { name: '通过', exact: true }).click();
    await second.getByText('没有待评议的申报').waitFor();

    // The window closes with no recheck open: the job mints, and she sees it.
    await ds.query(`UPDATE deed_report SET notice_starts_at = now() - interval '3 days', notice_ends_at = now() - interval '1 second' WHERE id = $1`, [reportId]);
    const queue = t.app.get(JobQueues).queue(DEEDS_QUEUE);
    await (await queue.getJob(mintDeedJobId(reportId, 2)))!.promote();
    await waitFor('the mint', async () => ((await queue.getJobState(mintDeedJobId(reportId, 2))) === 'completed' ? true : undefined));
    await resident.reload();
    await resident.getByTestId('deed-report').filter({ hasText: '积分已到账' }).waitFor();
    await screenshot(resident, 'resident-deed-minted');
    await resident.goto(`${base}/r/passbook`);
    await resident.getByText('好人好事：帮独居老人清扫门前积雪').first().waitFor();
    const [{ balance }] = await ds.query(`SELECT sum(balance)::int AS balance FROM account_balance WHERE account_id = $1`, [branch.residents[0].accountId]);
    expect(balance).toBe(4);
  }, 180_000);
});
