import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { Browser, Page } from 'playwright-core';
import { Clock } from '../../src/common/time/clock';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind } from '../../src/ledger/ledger.types';
import { Principal } from '../../src/auth/principal';
import { WebBindingService } from '../../src/auth/web-binding.service';
import { BranchKind } from '../../src/organisation/branch.entity';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { runVerifyProof } from '../support/verify-proof-cli';
import { FakeWechat, startFakeWechat, webLoginOk } from '../support/fake-wechat';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { startWebTestApp, WebTestApp } from './support/web-test-app';
import { logSink } from '../support/log-sink';
import { waitFor } from '../support/wait-for';

const HOUR = 3600_000;

/**
 * The app in a real Chromium (Debian's, through playwright-core), phone-sized and inside
 * "WeChat" (its user agent), against the real API in production mode as the app database
 * role, signing in by WeChat web authorisation against the fake WeChat server.
 * Screenshots of each screen go to test-artifacts/web/.
 */
describe('the web app in Chromium', () => {
  const logs = logSink();
  let wechat: FakeWechat;
  let t: WebTestApp;
  let browser: Browser;
  const phones: Phone[] = [];
  let codes = 0;
  const people = {
    admin: { name: '张书记', mobile: nextMobile(), openid: `web-admin-${randomUUID()}` },
    manager: { name: '王书记', mobile: nextMobile(), openid: `web-manager-${randomUUID()}` },
    resident: { name: '李秀英', mobile: nextMobile(), openid: `web-li-${randomUUID()}` },
    poor: { name: '赵大爷', mobile: nextMobile(), openid: `web-zhao-${randomUUID()}` },
    scanner: { name: '陈阿姨', mobile: nextMobile(), openid: `web-chen-${randomUUID()}` },
  };
  let townshipId: string;
  let branchA: string;
  const thisMonth = monthOf(new Date());
  const lastMonth = addMonths(thisMonth, -1);
  let activityId: string;
  let activityStarts: Date;
  /** The admin's phone, once signed in. */
  let adminPage: Page;

  /** A phone whose WeChat sign-in comes back as `openid` (WeChat's authorize page answered by the test). */
  async function phoneOf(openid: string, size?: { width?: number; height?: number; wechat?: boolean }): Promise<Phone> {
    const phone = await openPhone(browser, size);
    phones.push(phone);
    await phone.context.route('https://open.weixin.qq.com/**', (route) => {
      const url = new URL(route.request().url());
      const code = `web-code-${++codes}`;
      wechat.webCodes.set(code, webLoginOk(openid));
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      return route.fulfill({ status: 302, headers: { location: back.toString() } });
    });
    return phone;
  }

  const go = (page: Page, path: string) => page.goto(t.baseUrl + path);
  /** Moves the service's clock and the page's to `at` (deadlines and check-in windows). */
  const setNow = async (at: Date, ...pages: Page[]) => {
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
    for (const page of pages) await page.clock.setFixedTime(at);
  };
  const balanceOn = async (page: Page) => Number(await page.getByTestId('balance').first().textContent());

  beforeAll(async () => {
    browser = await launchChromium();
    wechat = await startFakeWechat();
    t = await startWebTestApp(wechat, logs);
    const organisation = t.app.get(OrganisationService);
    ({ townshipId } = await organisation.bootstrap({ townshipCode: `web${Date.now()}`, townshipName: '潞城镇', adminName: people.admin.name, adminMobile: people.admin.mobile }));
    const ds = t.db.dataSource;
    const [{ id: adminId }] = await ds.query(`SELECT id FROM person WHERE mobile = $1`, [people.admin.mobile]);
    const principal: Principal = { personId: adminId, name: people.admin.name, mobile: people.admin.mobile, adminOf: [townshipId], managerOf: [], resident: null };
    branchA = (await organisation.createBranch(principal, { townshipId, name: '武兴庄村', kind: BranchKind.VILLAGE } as any)).id;
    const branchB = (await organisation.createBranch(principal, { townshipId, name: '杨坨村', kind: BranchKind.VILLAGE } as any)).id;
    await organisation.appointBranchManager(principal, { branchId: branchA, name: people.manager.name, mobile: people.manager.mobile } as any);
    for (const p of [people.resident, people.poor, people.scanner]) await organisation.registerResident(principal, { branchId: branchA, name: p.name, mobile: p.mobile } as any);
    // Staff and the resident without points have used the app before; 李秀英 binds on her first visit below.
    for (const p of [people.admin, people.manager, people.poor, people.scanner]) await ds.query(`UPDATE person SET wechat_web_openid = $2 WHERE mobile = $1`, [p.mobile, p.openid]);
    // The theme list of 武兴庄村 for the month of the activity below is published (the monthly job's work, tested in test/themes).
    activityStarts = new Date(Date.now() + 2 * HOUR);
    const activityMonth = monthOf(activityStarts);
    const [{ id: themeId }] = await ds.query(
      `INSERT INTO theme (township_id, month, title, description, suggested_points) VALUES ($1, $2, '平安有我 消防安全宣传', '入户宣传、隐患排查', 2) RETURNING id`,
      [townshipId, `${activityMonth}-01`],
    );
    await ds.query(`INSERT INTO theme_publication (township_id, branch_id, month) VALUES ($1, $2, $3)`, [townshipId, branchA, `${activityMonth}-01`]);
    await ds.query(`INSERT INTO theme_publication_item (township_id, branch_id, month, theme_id, position) VALUES ($1, $2, $3, $4, 1)`, [townshipId, branchA, `${activityMonth}-01`, themeId]);
    // Last month's books, for the settlement: 武兴庄村 minted 6 and took 2 for a course; 杨坨村 minted 4.
    // Back-dated, so booked by the owner role (the app role books at the database's clock only).
    const ledger = new LedgerService();
    const tx = new TransactionRunner(await t.db.asOwner());
    const [resident] = await ds.query(`SELECT r.id FROM resident r JOIN person p ON p.id = r.person_id WHERE p.mobile = $1`, [people.resident.mobile]);
    const bookedAt = new Date(monthRange(lastMonth).start.getTime() + 5 * 24 * HOUR);
    await tx.run(async (m) => {
      const residentAccount = (await ledger.residentAccount(m, resident.id)).id;
      const account = (branch: string, kind: AccountKind.BRANCH_ISSUANCE | AccountKind.BRANCH_REDEMPTION) => ledger.branchAccount(m, branch, kind).then((a) => a.id);
      const book = async (kind: EntryKind.MINT | EntryKind.SPEND, lines: { accountId: string; amount: number }[], memo: string) =>
        ledger.post(m, { townshipId, kind, idempotencyKey: randomUUID(), memo, lines, bookedAt });
      await book(EntryKind.MINT, [{ accountId: residentAccount, amount: 6 }, { accountId: await account(branchA, AccountKind.BRANCH_ISSUANCE), amount: -6 }], '上月活动');
      await book(EntryKind.SPEND, [{ accountId: residentAccount, amount: -2 }, { accountId: await account(branchA, AccountKind.BRANCH_REDEMPTION), amount: 2 }], '上月课程');
      await book(EntryKind.MINT, [{ accountId: residentAccount, amount: 4 }, { accountId: await account(branchB, AccountKind.BRANCH_ISSUANCE), amount: -4 }], '杨坨村活动');
      await book(EntryKind.SPEND, [{ accountId: residentAccount, amount: -8 }, { accountId: await account(branchA, AccountKind.BRANCH_REDEMPTION), amount: 8 }], '上月课程');
    });
  }, 120_000);

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
    // The token is sent as a header only: no request URL ever carries it.
    for (const phone of phones) for (const url of phone.urls) expect(url).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await wechat?.close();
  });

  it('residents sign up (the third one waits), the manager shows the code, one types it and one scans it, the manager marks attendance and completes: +2 in the passbook', async () => {
    const manager = await phoneOf(people.manager.openid);
    const m = manager.page;
    await go(m, '/');
    await m.waitForURL('**/m/month');
    await m.getByText('武兴庄村').first().waitFor();
    await screenshot(m, 'manager-month');

    // A new activity under this month's published theme, starting in two hours.
    await go(m, '/m/activities/new');
    const local = (d: Date) => new Date(d.getTime() + 8 * HOUR).toISOString().slice(0, 16);
    await m.locator('input[name="startsAt"]').fill(local(activityStarts));
    await m.locator('input[name="endsAt"]').fill(local(new Date(activityStarts.getTime() + 2 * HOUR)));
    await m.locator('input[name="signupDeadline"]').fill(local(new Date(activityStarts.getTime() - HOUR)));
    // The theme from the published list of the month the activity starts in; its title becomes the activity's.
    await m.getByRole('textbox', { name: '活动主题' }).click();
    await m.locator('.van-picker-column__item', { hasText: '平安有我 消防安全宣传' }).waitFor();
    await m.locator('.van-picker__confirm').click();
    await m.locator('input[name="place"]').fill('村委会广场');
    await m.locator('input[name="title"]').fill('平安有我 消防安全宣传');
    await m.locator('.van-stepper__input').first().fill('2'); // two places: the third resident waits
    await screenshot(m, 'manager-activity-form');
    await m.getByTestId('publish').click();
    await m.waitForURL(/\/m\/activities\/[0-9a-f-]{36}$/);
    activityId = m.url().split('/').pop()!;
    await m.getByText('已发布').first().waitFor();

    // 李秀英's first visit inside WeChat: not bound yet, so the binding form.
    const resident = await phoneOf(people.resident.openid);
    const r = resident.page;
    await go(r, '/');
    await r.waitForURL('**/bind');
    await screenshot(r, 'resident-bind');
    // The branch hands her a binding code.
    await go(m, '/m/residents');
    await m.locator('.van-cell', { hasText: people.resident.name }).getByRole('button', { name: '绑定码' }).click();
    const dialog = (await m.locator('.binding-code-dialog').textContent())!;
    const bindingCode = /\d{6}/.exec(dialog)![0];
    await screenshot(m, 'manager-residents');
    await m.locator('.van-dialog__confirm').click();
    await r.locator('input[name="mobile"]').fill(people.resident.mobile);
    await r.locator('input[name="bindingCode"]').fill(bindingCode);
    await r.getByRole('button', { name: '绑定并登录' }).click();
    await r.waitForURL('**/r/home');
    const card = r.getByTestId('bank-card');
    await card.waitFor();
    expect(await balanceOn(r)).toBe(0); // last month: +6 −2 +4 −8
    await r.getByText('平安有我 消防安全宣传').first().waitFor();
    const activity = r.getByTestId('activity').filter({ hasText: '村委会广场' });
    await activity.getByText('剩余 2 个名额').waitFor();
    await activity.getByRole('button', { name: '报名' }).click();
    await r.getByText('报名成功').waitFor();
    await r.locator('.van-dialog__confirm').click();
    await activity.getByText('已报名').waitFor();
    await screenshot(r, 'resident-home');

    // 陈阿姨 takes the last place; 赵大爷 joins the waitlist.
    const scanner = await phoneOf(people.scanner.openid);
    const s = scanner.page;
    await go(s, '/r/home');
    await s.getByTestId('activity').filter({ hasText: '村委会广场' }).getByRole('button', { name: '报名' }).click();
    await s.getByText('报名成功').waitFor();
    await s.locator('.van-dialog__confirm').click();
    const waiting = await phoneOf(people.poor.openid);
    const w = waiting.page;
    await go(w, '/r/home');
    const full = w.getByTestId('activity').filter({ hasText: '村委会广场' });
    await full.getByText('名额已满，可候补').waitFor();
    await full.getByRole('button', { name: '候补报名' }).click();
    await w.getByText('您是候补第 1 位').waitFor();
    await w.locator('.van-dialog__confirm').click();
    await full.getByText('候补第 1 位').waitFor();
    await screenshot(w, 'resident-waitlisted');
    await go(m, `/m/activities/${activityId}`);
    await m.getByRole('tab', { name: '候补 1' }).click();
    await m.getByText(`第 1 位 · ${people.poor.name}`).waitFor();
    await screenshot(m, 'manager-signups-waitlist');

    // The activity has begun.
    const during = new Date(activityStarts.getTime() + 10 * 60_000);
    await setNow(during, m, r, s);
    await go(m, `/m/activities/${activityId}/checkin`);
    const code = (await m.getByTestId('checkin-code').textContent())!.trim();
    expect(code).toMatch(/^\d{6}$/);
    expect(await m.locator('canvas[data-qr]').getAttribute('data-qr')).toBe(`${t.baseUrl}/r/checkin?activity=${activityId}&code=${code}`);
    await screenshot(m, 'manager-checkin-code');

    // 陈阿姨 scans the QR code with WeChat: the link opens the app and checks her in.
    await s.goto(`${t.baseUrl}/r/checkin?activity=${activityId}&code=${code}`);
    await s.getByTestId('checkin-done').waitFor();
    await s.waitForURL('**/r/checkin'); // the spent code is off the address bar

    await go(r, '/r/checkin');
    await r.locator('.van-cell', { hasText: '平安有我' }).click();
    await r.locator('input[name="code"]').fill(code);
    await screenshot(r, 'resident-checkin');
    await r.getByTestId('checkin-submit').click();
    await r.getByTestId('checkin-done').waitFor();

    await go(m, `/m/activities/${activityId}`);
    await m.locator('.van-cell', { hasText: people.resident.name }).getByText('出勤').waitFor();
    // Attendance marking: the manager corrects 陈阿姨 to absent, then back to present.
    const chen = m.locator('.van-cell', { hasText: people.scanner.name });
    await chen.click();
    await m.getByRole('button', { name: '标记缺席' }).click();
    await chen.getByText('缺席').waitFor();
    await chen.click();
    await m.getByRole('button', { name: '标记出勤' }).click();
    await chen.getByText('出勤').waitFor();
    await m.getByTestId('complete').click();
    await m.locator('.van-dialog__confirm').click();
    await m.getByTestId('completion').getByText('共 2 人获得积分，合计 4 分').waitFor();
    await m.locator('.van-cell', { hasText: people.resident.name }).getByText('+2 已发放').waitFor();
    await screenshot(m, 'manager-activity-completed');

    await go(r, '/r/home');
    await card.waitFor();
    expect(await balanceOn(r)).toBe(2);
    await go(r, '/r/passbook');
    const line = r.getByTestId('passbook-line').filter({ hasText: '平安有我 消防安全宣传' });
    await line.getByText('+2').waitFor();
    await line.getByText('余额 2').waitFor();
    await r.getByTestId('passbook-month').first().getByText(/期初 0 · 收入 2 · 支出 0 · 期末/).waitFor();
    await screenshot(r, 'resident-passbook');
  }, 180_000);

  it('a resident enrols in a course and sees −2; one without points is told 积分不足 and nothing is charged', async () => {
    const m = phones[0].page;
    await go(m, '/m/courses/new');
    await m.locator('input[name="title"]').fill('小记者团非遗体验课');
    await m.locator('input[name="place"]').fill('镇文化中心');
    await m.getByRole('button', { name: '开放报名' }).click();
    await m.waitForURL(/\/m\/courses\/[0-9a-f-]{36}$/);

    const r = phones[1].page;
    await go(r, '/r/courses');
    const course = r.getByTestId('course').filter({ hasText: '小记者团非遗体验课' });
    await course.getByRole('button', { name: '报名' }).click();
    await r.getByText('报名后余额 0').waitFor();
    await screenshot(r, 'resident-course-confirm');
    await r.locator('.van-dialog__confirm').click();
    await course.getByText('已报名').waitFor();
    expect(await balanceOn(r)).toBe(0);
    await screenshot(r, 'resident-courses');
    await go(r, '/r/passbook');
    await r.getByTestId('passbook-line').filter({ hasText: '小记者团非遗体验课' }).getByText('−2').waitFor();

    const poor = await phoneOf(people.poor.openid, { width: 320, height: 640 }); // the narrowest phone
    const p = poor.page;
    await go(p, '/r/courses');
    const same = p.getByTestId('course').filter({ hasText: '小记者团非遗体验课' });
    await same.getByRole('button', { name: '报名' }).click();
    await p.locator('.van-dialog__confirm').click();
    await p.locator('.van-toast').getByText('积分不足').waitFor();
    await screenshot(p, 'resident-insufficient-points-320px');
    expect(await balanceOn(p)).toBe(0);
    const charged = await t.db.dataSource.query(
      `SELECT e.id FROM course_enrolment e JOIN resident r ON r.id = e.resident_id JOIN person pe ON pe.id = r.person_id WHERE pe.mobile = $1`,
      [people.poor.mobile],
    );
    expect(charged).toEqual([]);
    const postings = await t.db.dataSource.query(
      `SELECT p.id FROM posting p JOIN account a ON a.id = p.account_id JOIN resident r ON r.id = a.resident_id JOIN person pe ON pe.id = r.person_id WHERE pe.mobile = $1`,
      [people.poor.mobile],
    );
    expect(postings).toEqual([]);
  }, 120_000);

  it('an admin publishes next month\'s themes and settles last month: the chart and the CSV show the figures', async () => {
    const admin = await phoneOf(people.admin.openid);
    const a = admin.page;
    adminPage = a;
    await go(a, '/');
    await a.waitForURL('**/a/themes');
    // The activity starts in two hours: in a month's last two hours that is next month, whose list the
    // set-up already published, so the admin works on the month after.
    if (monthOf(activityStarts) !== thisMonth) {
      await a.getByRole('button', { name: '下月' }).click();
      const [year, month] = addMonths(thisMonth, 2).split('-').map(Number);
      await a.locator('.section-title strong').filter({ hasText: `${year}年${month}月` }).waitFor();
    }
    await a.locator('input[name="title"]').fill('文明交通 劝导');
    await a.getByRole('button', { name: '添加' }).click();
    await a.getByTestId('theme').filter({ hasText: '文明交通 劝导' }).waitFor();
    await a.getByTestId('publish-themes').click();
    await a.locator('.van-dialog__confirm').click();
    await a.getByText('已全部发布').waitFor({ timeout: 30_000 });
    expect(await a.getByTestId('branch-publication').filter({ hasText: '已发布' }).count()).toBe(2);
    await screenshot(a, 'admin-themes');

    await go(a, '/a/settlement');
    await a.getByTestId('start-settlement').click();
    await a.getByTestId('settlement-status').getByText('已完成').waitFor({ timeout: 60_000 });
    await a.getByTestId('reconciliation').getByText('账实相符').waitFor();
    await a.locator('.van-toast').waitFor({ state: 'hidden' });
    const chart = a.getByTestId('figures-chart');
    await chart.locator('canvas').waitFor();
    expect(JSON.parse((await chart.getAttribute('data-figures'))!).sort()).toEqual([
      ['杨坨村', 4, 0],
      ['武兴庄村', 6, 10],
    ].sort());
    const table = (await a.getByTestId('figures-table').textContent())!;
    expect(table).toContain('武兴庄村');
    // The month's seal, to post on the notice board, as the ledger stores it; each branch's statement one click away.
    const [{ seal }] = await t.db.dataSource.query(`SELECT encode(seal, 'hex') AS seal FROM ledger_seal WHERE township_id = $1 AND period = $2`, [townshipId, `${lastMonth}-01`]);
    expect(await a.getByTestId('settlement-seal').getByTestId('seal-value').first().getAttribute('data-seal')).toBe(seal);
    expect(await a.getByTestId('print-statement').first().getAttribute('href')).toMatch(new RegExp(`^/public/statements/[0-9a-f-]{36}/${lastMonth}$`));
    await screenshot(a, 'admin-settlement');
    const [download] = await Promise.all([a.waitForEvent('download'), a.getByTestId('download-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n').find((row) => row.includes('武兴庄村'))).toMatch(/武兴庄村.*,6,10,-4,/);
    expect(csv.split('\n').find((row) => row.includes('杨坨村'))).toMatch(/杨坨村.*,4,0,4,/);

    // The whole ledger checked now: every sealed month recomputed, no entry at fault.
    await a.getByTestId('check-ledger').click();
    const check = a.getByTestId('ledger-check');
    await check.getByTestId('reconciliation').getByText('账实相符').waitFor();
    await check.getByTestId('sealed-month').filter({ hasText: `${lastMonth.slice(0, 4)}年${Number(lastMonth.slice(5))}月` }).getByText('✔ 一致').waitFor();
    expect(await check.getByTestId('entry-problem').count()).toBe(0);
    await check.getByTestId('sealed-month').first().scrollIntoViewIfNeeded();
    await screenshot(a, 'admin-ledger-check');

    // The same screen on a desktop.
    const desk = await phoneOf(people.admin.openid, { width: 1280, height: 900 });
    await go(desk.page, '/a/settlement');
    await desk.page.getByTestId('figures-chart').locator('canvas').waitFor();
    await screenshot(desk.page, 'admin-settlement-desktop');
  }, 150_000);

  it("a resident checks a line of last month's sealed passbook (✓) and downloads its proof; the manager prints the branch's statement", async () => {
    const [{ seal }] = await t.db.dataSource.query(`SELECT encode(seal, 'hex') AS seal FROM ledger_seal WHERE township_id = $1 AND period = $2`, [townshipId, `${lastMonth}-01`]);
    const resident = phones[1];
    const r = resident.page;
    await resident.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await go(r, '/r/passbook');
    const sealed = r.locator(`[data-month="${lastMonth}"]`);
    await sealed.getByTestId('sealed').getByText('已封存').waitFor();
    // This month is still open: nothing to verify yet.
    expect(await r.locator(`[data-month="${thisMonth}"]`).getByTestId('verify-line').count()).toBe(0);
    expect(await sealed.getByTestId('seal-value').getAttribute('data-seal')).toBe(seal);
    // Opening, the four lines in booking order with the balance after each, closing.
    await sealed.getByText(/期初 0 · 收入 10 · 支出 10 · 期末/).waitFor();
    expect(await sealed.getByTestId('passbook-line').locator('.van-cell__value .muted').allTextContents()).toEqual(['余额 6', '余额 4', '余额 8', '余额 0']);
    await sealed.getByTestId('seal-value').getByRole('button', { name: '复制' }).click();
    expect(await r.evaluate('navigator.clipboard.readText()')).toBe(seal);
    await r.locator('.van-toast').getByText('已复制').waitFor();
    await r.locator('.van-toast').waitFor({ state: 'hidden' });
    await sealed.scrollIntoViewIfNeeded();
    await screenshot(r, 'resident-passbook-sealed');

    // 验证: the phone fetches the proof and climbs it to the seal with WebCrypto.
    await sealed.getByTestId('passbook-line').filter({ hasText: '杨坨村活动' }).getByTestId('verify-line').click();
    const proofSheet = r.getByTestId('entry-proof');
    await proofSheet.getByTestId('proof-verdict').getByText(/^✓/).waitFor();
    expect(await proofSheet.getByTestId('proof-verdict').textContent()).toContain('记账后没有被改动');
    expect(await proofSheet.getByTestId('seal-value').getAttribute('data-seal')).toBe(seal);
    await screenshot(r, 'resident-passbook-proof');
    const [download] = await Promise.all([r.waitForEvent('download'), proofSheet.getByTestId('download-proof').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^文明银行-记账证明-${lastMonth}-\\d+\\.json$`));
    const file = (await download.path())!;
    const proof = JSON.parse(readFileSync(file, 'utf8'));
    expect(proof).toMatchObject({ month: lastMonth, seal, valid: true });
    expect(JSON.parse(proof.canonicalEntry)[4]).toBe('杨坨村活动');
    // The file is what the CLI checks, offline, against the seal on the notice board.
    const cli = (publishedSeal: string) => runVerifyProof(file, publishedSeal);
    expect(await cli(seal)).toMatchObject({ code: 0, stdout: expect.stringContaining('ok: the entry is inside the published seal') });
    expect(await cli(seal.replace(/^./, (c: string) => (c === '0' ? '1' : '0')))).toMatchObject({ code: 1, stdout: expect.stringContaining('FAILED') });
    await r.locator('.van-popup__close-icon').click();

    // The manager's 打印公示 opens the branch's public statement of last month: the same seal, no CSP violation.
    const m = phones[0].page;
    // The first test left this phone's clock at the activity, which in a month's last hours is next month.
    await m.clock.setFixedTime(new Date());
    await go(m, '/m/month');
    const [statement] = await Promise.all([phones[0].context.waitForEvent('page'), m.getByTestId('print-statement').click()]);
    await statement.waitForLoadState();
    expect(statement.url()).toBe(`${t.baseUrl}/public/statements/${branchA}/${lastMonth}`);
    await statement.getByText('武兴庄村').first().waitFor();
    expect(await statement.textContent('body')).toContain(seal.replace(/(.{4})(?=.)/g, '$1 '));
    expect(await statement.evaluate('window.__cspViolations')).toEqual([]);
    await screenshot(statement, 'public-statement');
    await statement.close();
  }, 120_000);

  it('every other screen of each role renders in Chinese without an error', async () => {
    const screens: [Page, string, string, string][] = [
      [phones[0].page, '/m/activities', 'manager-activities', '新建活动'],
      [phones[0].page, '/m/courses', 'manager-courses', '小记者团非遗体验课'],
      [phones[0].page, '/m/courses/new', 'manager-course-form', '开放报名'],
      [phones[1].page, '/me', 'resident-me', '切换身份'],
      [phones[1].page, '/r/courses', 'resident-courses-after', '小记者团非遗体验课'],
    ];
    const admin = phones.find((p) => p.page.url().includes('/a/'))!.page;
    screens.push([admin, '/a/branches', 'admin-branches', '武兴庄村'], [admin, '/me', 'admin-me', '任务队列']);
    for (const [page, path, name, expected] of screens) {
      await go(page, path);
      await page.getByText(expected).first().waitFor();
      expect(await page.locator('[role="alert"]').count()).toBe(0);
      await screenshot(page, name);
    }

    // 账务: a resident's history, a correction with its reason, then its reversal.
    await go(admin, '/a/ledger');
    await admin.locator('.van-cell', { hasText: '村（社区）' }).click();
    await admin.locator('.van-picker-column__item', { hasText: '武兴庄村' }).click();
    await admin.locator('.van-picker__confirm').click();
    await admin.locator('.van-cell', { hasText: people.resident.name }).click();
    await admin.locator('textarea[name="reason"]').fill('补录纸质积分卡');
    await admin.getByRole('button', { name: '记账' }).click();
    const correction = admin.locator('.van-cell', { hasText: '补录纸质积分卡' });
    await correction.getByText('+1').waitFor();
    await correction.getByRole('button', { name: '冲正' }).click();
    await admin.locator('.van-popup textarea[name="reason"]').last().fill('录入错误');
    await admin.locator('.van-popup').getByRole('button', { name: '冲正' }).click();
    await correction.getByText('已冲正').waitFor();
    await screenshot(admin, 'admin-ledger');

    // The queue dashboard, opened from the app without a token in any URL.
    await go(admin, '/me');
    await admin.getByText('任务队列').click();
    await admin.waitForURL('**/admin/queues**');
    await admin.getByText('文明银行 任务队列').first().waitFor();
  }, 120_000);

  it('an expired sign-in or a lost connection offers a way back, never a blank page', async () => {
    const r = phones[1].page;
    await go(r, '/r/home');
    await r.getByTestId('bank-card').waitFor();
    await r.evaluate(`(() => {
      const stored = JSON.parse(sessionStorage.getItem('cb.session'));
      sessionStorage.setItem('cb.session', JSON.stringify({ ...stored, token: 'expired.token.value' }));
    })()`);
    await r.reload();
    await r.getByText('登录已过期').waitFor();
    await screenshot(r, 'expired-sign-in');
    await r.getByRole('button', { name: '重新登录' }).click();
    // Inside WeChat, signing in again is one silent redirect, back where she was.
    await r.waitForURL('**/r/home');
    await r.getByTestId('bank-card').waitFor();

    await phones[1].context.setOffline(true);
    await r.locator('.van-tabbar-item', { hasText: '课程' }).click();
    await r.getByText('网络连接失败，请检查网络后重试').waitFor();
    await screenshot(r, 'offline');
    await phones[1].context.setOffline(false);
    await r.getByRole('button', { name: '重试' }).click();
    await r.getByTestId('course').first().waitFor();
  }, 90_000);

  it('a resident of two townships binds the second with its code from 我的, then picks the township when signing in', async () => {
    const sun = { name: '孙桂芝', mobile: nextMobile(), openid: `web-sun-${randomUUID()}` };
    const organisation = t.app.get(OrganisationService);
    const ds = t.db.dataSource;
    const principalOf = async (mobile: string, township: string): Promise<Principal> => {
      const [{ id, name }] = await ds.query(`SELECT id, name FROM person WHERE mobile = $1 AND township_id = $2`, [mobile, township]);
      return { personId: id, name, mobile, adminOf: [township], managerOf: [], resident: null };
    };
    // A resident of 潞城镇 who has used the app; 永乐店镇 registers her too, as its own record.
    await organisation.registerResident(await principalOf(people.admin.mobile, townshipId), { branchId: branchA, name: sun.name, mobile: sun.mobile } as any);
    await ds.query(`UPDATE person SET wechat_web_openid = $2 WHERE mobile = $1`, [sun.mobile, sun.openid]);
    const otherAdmin = nextMobile();
    const { townshipId: other } = await organisation.bootstrap({ townshipCode: `yld${Date.now()}`, townshipName: '永乐店镇', adminName: '刘书记', adminMobile: otherAdmin });
    const otherPrincipal = await principalOf(otherAdmin, other);
    const otherBranch = (await organisation.createBranch(otherPrincipal, { townshipId: other, name: '柴厂屯村', kind: BranchKind.VILLAGE } as any)).id;
    const otherResident = await organisation.registerResident(otherPrincipal, { branchId: otherBranch, name: sun.name, mobile: sun.mobile } as any);
    const { code } = await t.app.get(WebBindingService).issue(otherPrincipal, otherResident.id);

    const phone = await phoneOf(sun.openid);
    const p = phone.page;
    await go(p, '/');
    await p.getByTestId('bank-card').getByText('武兴庄村').waitFor();
    await go(p, '/me');
    await p.getByTestId('bind-another-township').click();
    // A silent WeChat round trip for a fresh proof of this WeChat user, then the form.
    await p.waitForURL('**/bind');
    await p.getByText('绑定其他镇的身份').waitFor();
    await p.locator('input[name="mobile"]').fill(sun.mobile);
    await p.locator('input[name="bindingCode"]').fill(code);
    await p.getByRole('button', { name: '绑定并登录' }).click();
    await p.waitForURL('**/r/home');
    await p.getByTestId('bank-card').getByText('柴厂屯村').waitFor();

    // Signing in again now asks which township.
    await go(p, '/me');
    await p.getByRole('button', { name: '退出登录' }).click();
    const choices = p.getByTestId('township-choice');
    await choices.first().waitFor();
    expect((await choices.allTextContents()).map((c) => c.trim()).sort()).toEqual(['永乐店镇', '潞城镇'].sort());
    await screenshot(p, 'login-choose-township');
    await choices.filter({ hasText: '潞城镇' }).click();
    await p.waitForURL('**/r/home');
    await p.getByTestId('bank-card').getByText('武兴庄村').waitFor();
  }, 90_000);

  it('after a superuser rewrites a sealed entry, the passbook shows ✗, the ledger check names the entry, and a settlement fails with LEDGER_SEAL_BROKEN', async () => {
    // Behind the ledger's back, triggers off: what only the seal can catch.
    const superuser = new Client({ connectionString: t.db.superuserUrl });
    await superuser.connect();
    try {
      await superuser.query(`BEGIN; SET LOCAL session_replication_role = replica;
        UPDATE journal_entry SET memo = '杨坨村活动（补）' WHERE township_id = '${townshipId}' AND memo = '杨坨村活动'; COMMIT`);
    } finally {
      await superuser.end();
    }
    const [{ id: changed }] = await t.db.dataSource.query(`SELECT id::text FROM journal_entry WHERE township_id = $1 AND memo = '杨坨村活动（补）'`, [townshipId]);

    const r = phones[1].page;
    await go(r, '/r/passbook');
    await r.locator(`[data-month="${lastMonth}"]`).getByTestId('passbook-line').filter({ hasText: '杨坨村活动（补）' }).getByTestId('verify-line').click();
    await r.getByTestId('proof-verdict').getByText(/^✗/).waitFor();
    expect(await r.getByTestId('proof-verdict').textContent()).toContain('默克尔根');
    await screenshot(r, 'resident-passbook-proof-broken');
    await r.locator('.van-popup__close-icon').click();

    const a = adminPage;
    await go(a, '/a/settlement');
    await a.getByTestId('check-ledger').click();
    const check = a.getByTestId('ledger-check');
    await check.getByTestId('reconciliation').getByText('账实不符').waitFor();
    await check.getByTestId('entry-problem').filter({ hasText: `第 ${changed} 笔` }).first().waitFor();
    await check.getByTestId('sealed-month').getByText('✘ 不一致').waitFor();
    await check.getByTestId('entry-problem').first().scrollIntoViewIfNeeded();
    await screenshot(a, 'admin-ledger-check-broken');

    // The next settlement refuses to seal on top of a broken seal, and says why.
    await a.getByRole('button', { name: '上月' }).click();
    await a.getByTestId('start-settlement').click();
    await a.getByTestId('settlement-status').getByText('失败').waitFor({ timeout: 60_000 });
    const failure = (await a.getByTestId('settlement-error').textContent())!;
    expect(failure).toContain('LEDGER_SEAL_BROKEN');
    expect(failure).toContain(`第 ${changed} 笔`);
    // ... and operators get it as an error line (kept here, not printed in the test output).
    await waitFor('the error line', async () => logs.errors().length > 0);
    expect(logs.errors()).toEqual([expect.stringMatching(/failed: LEDGER_SEAL_BROKEN/)]);
    await a.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(a, 'admin-settlement-seal-broken');
  }, 120_000);
});
