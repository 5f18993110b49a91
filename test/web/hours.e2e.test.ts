import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Browser, Page } from 'playwright-core';
import { Clock } from '../../src/common/time/clock';
import { cutoffInstant, shanghaiDate } from '../../src/policy/expiry-schedule';
import { createActivity, MINUTE, ok, seedWorld, World } from '../support/activity-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { WEB_DIST } from './support/web-test-app';

const run = promisify(execFile);
const DAY = 86_400_000;

/**
 * Service hours, the certificate and the expiry policy in a real Chromium (development
 * login): a resident checks out with the code, sees their hours, asks for the certificate
 * and downloads its PDF; the admin sets a yearly reset; the resident sees the notice.
 */
describe('hours, certificates and the expiry policy in the web app', () => {
  let t: TestApp;
  let browser: Browser;
  let w: World;
  let base: string;
  const phones: Phone[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    base = t.url.replace(/\/graphql$/, '');
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 2 });
  });
  afterAll(async () => {
    for (const phone of phones) await phone.context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function signIn(personId: string, path: string): Promise<Page> {
    const phone = await openPhone(browser, { wechat: false });
    phones.push(phone);
    const [{ mobile }] = await t.db.dataSource.query(`SELECT mobile FROM person WHERE id = $1`, [personId]);
    await phone.page.goto(`${base}${path}`);
    await phone.page.waitForURL('**/login');
    await phone.page.locator('input[name="mobile"]').fill(mobile);
    await phone.page.getByTestId('dev-login').click();
    await phone.page.waitForURL(`**${path}`);
    return phone.page;
  }

  it('a resident checks out, sees their hours, asks for the certificate and downloads it; the admin sets a yearly reset and residents are told', async () => {
    const resident = w.township.branches[0].residents[0];
    await t.db.dataSource.query(`UPDATE person SET name = '李秀英' WHERE id = $1`, [resident.personId]);
    const manager = w.managerTokens[0];
    const activityId = await createActivity(t, manager, w.township.branches[0].id, { title: '敬老院义务劳动', rewardPoints: 2 });
    for (const token of w.residentTokens[0]) ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, token));
    const startsAt = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE);
    await t.db.dataSource.query(`UPDATE activity SET starts_at = $2, ends_at = $3, signup_deadline = $2 WHERE id = $1`, [
      activityId,
      startsAt,
      new Date(startsAt.getTime() + 150 * MINUTE),
    ]);
    const code = ok(await t.gql(`query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`, { a: activityId }, manager)).activityCheckinCode.code;
    ok(await t.gql(`mutation($i: CheckInInput!) { checkIn(input: $i) { attendance } }`, { i: { activityId, code } }, w.residentTokens[0][0]));

    // Checking out on the phone, with the code shown at the activity.
    const page = await signIn(resident.personId, '/r/checkin');
    await page.locator('.van-cell', { hasText: '敬老院义务劳动' }).first().click();
    await page.locator('.code-field input').fill(code);
    await page.getByTestId('checkout-submit').click();
    await page.getByText('签退成功').waitFor();
    await screenshot(page, 'resident-checkout');
    // A second resident without a phone: the manager marks them present, then records them leaving.
    const other = w.township.branches[0].residents[1];
    await t.db.dataSource.query(`UPDATE person SET name = '赵大爷' WHERE id = $1`, [other.personId]);
    ok(await t.gql(`mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { attendance } }`, { i: { activityId, residentIds: [other.id], attendance: 'PRESENT' } }, manager));
    const [{ personId: managerPerson }] = await t.db.dataSource.query(
      `SELECT person_id AS "personId" FROM role_assignment WHERE role = 'BRANCH_MANAGER' AND branch_id = $1`,
      [w.township.branches[0].id],
    );
    const mgr = await signIn(managerPerson, `/m/activities/${activityId}`);
    await mgr.locator('.van-cell', { hasText: '赵大爷' }).click();
    await mgr.getByTestId('record-checkout').click();
    await mgr.locator('.van-cell', { hasText: '赵大爷' }).getByText('签退').waitFor();
    await mgr.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(mgr, 'manager-record-checkout');

    // As it happened: in at 0:15, out at 2:15 (two hours); then the manager completes it.
    await t.db.dataSource.query(`UPDATE activity_signup SET checked_in_at = $2, checked_out_at = $3 WHERE activity_id = $1 AND resident_id = $4`, [
      activityId,
      new Date(startsAt.getTime() + 15 * MINUTE),
      new Date(startsAt.getTime() + 135 * MINUTE),
      resident.id,
    ]);
    ok(await t.gql(`mutation($a: ID!) { completeActivity(id: $a) { pointsMinted } }`, { a: activityId }, manager));

    // My hours, and the certificate.
    await page.goto(`${base}/r/hours`);
    await page.getByTestId('hours-total').getByText('2 小时').waitFor();
    expect(await page.getByTestId('hours-record').first().textContent()).toContain('敬老院义务劳动');
    await page.getByTestId('certificate-request').click();
    await page.getByTestId('certificate').first().waitFor();
    const number = (await page.getByTestId('certificate').first().locator('.van-cell__title span').first().textContent())!.trim();
    expect(number).toMatch(/^ZYFW-\d{8}-[0-9A-Z]{8}$/);
    await page.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(page, 'resident-hours-certificate');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('certificate-download').first().click()]);
    expect(download.suggestedFilename()).toBe(`志愿服务记录证明-${number}.pdf`);
    const dir = mkdtempSync(join(tmpdir(), 'cb-web-certificate-'));
    try {
      const pdf = join(dir, 'downloaded.pdf');
      await download.saveAs(pdf);
      const text = (await run('pdftotext', [pdf, '-'])).stdout.replace(/\s+/g, '');
      for (const expected of ['志愿服务记录证明', '李秀英', '敬老院义务劳动', number, '累计服务时长2小时']) expect(text).toContain(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The verification page, opened by anyone.
    const verify = await openPhone(browser, { wechat: false });
    phones.push(verify);
    await verify.page.goto(`${base}/public/certificates/${number}`);
    await verify.page.getByText('✓ 有效').waitFor();
    expect(await verify.page.content()).toContain('李*英');
    await screenshot(verify.page, 'public-certificate-verification');

    // The admin sets a yearly reset 20 days ahead, told 10 days before.
    const cutoffDate = shanghaiDate(new Date(Date.now() + 20 * DAY));
    const [, month, day] = cutoffDate.split('-').map(Number);
    const [{ id: adminId }] = await t.db.dataSource.query(
      `SELECT p.id FROM person p JOIN role_assignment r ON r.person_id = p.id WHERE r.role = 'TOWNSHIP_ADMIN' AND r.township_id = $1`,
      [w.township.id],
    );
    const admin = await signIn(adminId, '/a/policy');
    await admin.getByTestId('policy-yearly').click();
    const stepper = async (test: string, value: number) => {
      const input = admin.getByTestId(test).locator('input');
      await input.fill(String(value));
      await input.blur();
    };
    await stepper('policy-month', month);
    await stepper('policy-day', day);
    await stepper('policy-notice', 10);
    await admin.getByTestId('policy-save').click();
    await admin.getByTestId('policy-next').getByText(cutoffDate).waitFor();
    await admin.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(admin, 'admin-expiry-policy');

    // Before the notice period nothing shows; within it, the resident's home says when and how much.
    await page.goto(`${base}/r/home`);
    await page.getByTestId('bank-card').waitFor();
    expect(await page.getByTestId('expiry-notice').count()).toBe(0);
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(cutoffInstant(cutoffDate).getTime() - 5 * DAY + 3600_000));
    try {
      await page.reload();
      const notice = page.getByTestId('expiry-notice');
      await notice.waitFor();
      expect(await notice.textContent()).toContain(`2 积分将于 ${cutoffDate} 零时到期（还剩 4 天）`);
      await screenshot(page, 'resident-expiry-notice');
    } finally {
      jest.restoreAllMocks();
    }
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
  }, 120_000);
});
