import { randomUUID } from 'node:crypto';
import { Browser, Page } from 'playwright-core';
import { Principal } from '../../src/auth/principal';
import { TokenService } from '../../src/auth/token.service';
import { addMonths, Month, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind } from '../../src/ledger/ledger.types';
import { BranchKind } from '../../src/organisation/branch.entity';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { SettlementService } from '../../src/settlement/settlement.service';
import { nextMobile } from '../support/factories';
import { FakeWechat, startFakeWechat, webLoginOk } from '../support/fake-wechat';
import { logSink } from '../support/log-sink';
import { waitFor } from '../support/wait-for';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { startWebTestApp, WebTestApp } from './support/web-test-app';

const HOUR = 3600_000;

/**
 * Honours in the app, in Chromium against the real API in production mode: last month is
 * settled with its 文明之星; the resident sees her star level with the progress to the
 * next and her village's stars with masked names (her own line marked), the manager the
 * same list with full names, and the admin sets the ladder (a descending one refused on the
 * phone before it is sent) and sees the stars of any village; last, the admin switches the
 * star levels to service hours and the resident's card counts her hours served.
 * Screenshots in test-artifacts/web/.
 */
describe('honours in the web app', () => {
  const logs = logSink();
  let wechat: FakeWechat;
  let t: WebTestApp;
  let browser: Browser;
  const phones: Phone[] = [];
  let codes = 0;
  const people = {
    admin: { name: '张书记', mobile: nextMobile(), openid: `hon-admin-${randomUUID()}` },
    manager: { name: '王书记', mobile: nextMobile(), openid: `hon-manager-${randomUUID()}` },
    li: { name: '李秀英', mobile: nextMobile(), openid: `hon-li-${randomUUID()}` },
    wang: { name: '王建国', mobile: nextMobile(), openid: `hon-wang-${randomUUID()}` },
    chen: { name: '陈阿姨', mobile: nextMobile(), openid: `hon-chen-${randomUUID()}` },
    zhao: { name: '赵大爷', mobile: nextMobile(), openid: `hon-zhao-${randomUUID()}` },
  };
  const lastMonth = addMonths(monthOf(new Date()), -1);

  async function phoneOf(openid: string): Promise<Phone> {
    const phone = await openPhone(browser);
    phones.push(phone);
    await phone.context.route('https://open.weixin.qq.com/**', (route) => {
      const url = new URL(route.request().url());
      const code = `hon-code-${++codes}`;
      wechat.webCodes.set(code, webLoginOk(openid));
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      return route.fulfill({ status: 302, headers: { location: back.toString() } });
    });
    return phone;
  }
  const go = (page: Page, path: string) => page.goto(t.baseUrl + path);
  /** The API as a signed-in person (what the screens under test do not cover: running an activity). */
  async function gql(mobile: string, query: string, variables: Record<string, unknown>) {
    const [{ id }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    const token = t.app.get(TokenService).issueAccessToken(id).token;
    const res = await fetch(`${t.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    wechat = await startFakeWechat();
    t = await startWebTestApp(wechat, logs);
    const organisation = t.app.get(OrganisationService);
    const { townshipId } = await organisation.bootstrap({ townshipCode: `hon${Date.now()}`, townshipName: '潞城镇', adminName: people.admin.name, adminMobile: people.admin.mobile });
    const ds = t.db.dataSource;
    const [{ id: adminId }] = await ds.query(`SELECT id FROM person WHERE mobile = $1`, [people.admin.mobile]);
    const admin: Principal = { personId: adminId, name: people.admin.name, mobile: people.admin.mobile, adminOf: [townshipId], managerOf: [], resident: null };
    const branchA = (await organisation.createBranch(admin, { townshipId, name: '武兴庄村', kind: BranchKind.VILLAGE } as any)).id;
    const branchB = (await organisation.createBranch(admin, { townshipId, name: '杨坨村', kind: BranchKind.VILLAGE } as any)).id;
    await organisation.appointBranchManager(admin, { branchId: branchA, name: people.manager.name, mobile: people.manager.mobile } as any);
    const residentOf: Record<string, string> = {};
    for (const key of ['li', 'wang', 'chen', 'zhao'] as const) {
      residentOf[key] = (await organisation.registerResident(admin, { branchId: branchA, name: people[key].name, mobile: people[key].mobile } as any)).id;
    }
    for (const p of Object.values(people)) await ds.query(`UPDATE person SET wechat_web_openid = $2 WHERE mobile = $1`, [p.mobile, p.openid]);

    // Last month: 王建国 and 李秀英 6 points each (王建国 first, so he ranks first), 陈阿姨 4 earned
    // at 杨坨村 (still 武兴庄村's star), 赵大爷 2; 李秀英 spends 5 (her level does not drop).
    const ledger = new LedgerService();
    const tx = new TransactionRunner(await t.db.asOwner());
    const day = (d: number, h = 10) => new Date(monthRange(lastMonth).start.getTime() + (d - 1) * 24 * HOUR + h * HOUR);
    await tx.run(async (m) => {
      const account = async (key: string) => (await ledger.residentAccount(m, residentOf[key])).id;
      const issuance = (branch: string) => ledger.branchAccount(m, branch, AccountKind.BRANCH_ISSUANCE).then((a) => a.id);
      const mint = async (key: string, branch: string, points: number, at: Date) =>
        ledger.post(m, {
          townshipId,
          kind: EntryKind.MINT,
          idempotencyKey: randomUUID(),
          memo: '志愿服务',
          lines: [{ accountId: await account(key), amount: points }, { accountId: await issuance(branch), amount: -points }],
          bookedAt: at,
        });
      await mint('wang', branchA, 6, day(3));
      await mint('li', branchA, 6, day(5));
      await mint('chen', branchB, 4, day(6));
      await mint('zhao', branchA, 2, day(7));
      const redemption = (await ledger.branchAccount(m, branchA, AccountKind.BRANCH_REDEMPTION)).id;
      await ledger.post(m, {
        townshipId,
        kind: EntryKind.SPEND,
        idempotencyKey: randomUUID(),
        memo: '体验课程',
        lines: [{ accountId: await account('li'), amount: -5 }, { accountId: redemption, amount: 5 }],
        bookedAt: day(8),
      });
    });
    const settlements = t.app.get(SettlementService);
    await settlements.start(admin, townshipId, Month.parse(lastMonth));
    await waitFor('last month settled', async () => ((await settlements.settlement(admin, townshipId, Month.parse(lastMonth)))?.status === 'SUCCEEDED' ? true : undefined));
  }, 120_000);

  afterEach(async () => {
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
    for (const phone of phones) for (const url of phone.urls) expect(url).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await wechat?.close();
  });

  it("the resident sees her star level, the progress to the next, and her village's 文明之星 with masked names", async () => {
    const { page: r } = await phoneOf(people.li.openid);
    await go(r, '/');
    await r.waitForURL('**/r/home');
    await r.getByTestId('honours-entry').getByText('累计 6 分').waitFor();
    await r.getByTestId('honours-entry').click();
    await r.waitForURL('**/r/honours');
    const card = r.getByTestId('star-level');
    await card.getByText('尚未评星').waitFor();
    expect((await card.textContent())!.replace(/\s+/g, '')).toContain('再获得14分升为「一星」（20分）');
    const stars = r.getByTestId('star');
    await stars.first().waitFor();
    expect((await stars.allTextContents()).map((s) => s.replace(/\s+/g, ''))).toEqual(['1王*国6分', '2李*英我6分', '3陈*姨4分', '4赵*爷2分']);
    expect(await r.locator('.mine').textContent()).toContain('李*英');
    await screenshot(r, 'resident-honours');
  });

  it('the manager sees the same list with full names and when each first earned', async () => {
    const { page: m } = await phoneOf(people.manager.openid);
    await go(m, '/');
    await m.waitForURL('**/m/month');
    await m.getByTestId('honours-entry').click();
    await m.waitForURL('**/m/honours');
    const stars = m.getByTestId('star');
    await stars.first().waitFor();
    expect(await m.locator('[data-test="star"] .name').allTextContents()).toEqual(['王建国', '李秀英', '陈阿姨', '赵大爷']);
    expect(await m.locator('[data-test="star"] .points').allTextContents()).toEqual(['6 分', '6 分', '4 分', '2 分']);
    expect(await stars.first().textContent()).toContain('首次获得积分');
    await screenshot(m, 'manager-honours');
  });

  it('the admin sets the ladder (a descending one is refused before sending) and the stars per village, and sees any village', async () => {
    const { page: a } = await phoneOf(people.admin.openid);
    await go(a, '/');
    await a.waitForURL('**/a/themes');
    await go(a, '/a/settlement');
    await a.getByTestId('honours-entry').click();
    await a.waitForURL(/\/a\/honours\?month=/);
    // The admin picks the village.
    await a.locator('.van-dropdown-menu__item').click();
    await a.locator('.van-dropdown-item__option', { hasText: '武兴庄村' }).click();
    await a.getByTestId('star').first().waitFor();
    expect((await a.getByTestId('star').first().textContent())!.replace(/\s+/g, '')).toContain('王建国');
    await screenshot(a, 'admin-honours');

    await a.getByTestId('honour-settings').click();
    await a.waitForURL('**/a/honours/settings');
    await a.getByTestId('level').first().waitFor();
    expect(await a.getByTestId('level').count()).toBe(5);
    // Down to three rungs: 铜星 5, 银星 10, 金星 30; first a second rung below the first.
    for (let i = 0; i < 2; i++) await a.getByTestId('level').last().getByRole('button', { name: '删除' }).click();
    for (const [i, name, threshold] of [[0, '铜星', '5'], [1, '银星', '3'], [2, '金星', '30']] as const) {
      await a.locator(`input[name="levels.${i}.name"]`).fill(name);
      await a.locator(`input[name="levels.${i}.threshold"]`).fill(threshold);
    }
    await a.getByText('第2级的门槛须高于第1级').waitFor();
    expect(await a.getByTestId('save-levels').isDisabled()).toBe(true);
    await screenshot(a, 'admin-honour-settings-refused');
    await a.locator('input[name="levels.1.threshold"]').fill('10');
    await a.getByTestId('save-levels').click();
    await a.getByText('星级已保存').waitFor();
    await a.locator('.van-stepper__input').fill('3');
    await a.getByTestId('save-stars-per-branch').click();
    await a.getByText('已保存', { exact: true }).waitFor();
    await screenshot(a, 'admin-honour-settings');

    // The resident's level follows the new ladder: 6 points is 铜星, 4 to 银星.
    const { page: r } = await phoneOf(people.li.openid);
    await go(r, '/r/honours');
    const card = r.getByTestId('star-level');
    await card.getByText('铜星').waitFor();
    expect((await card.textContent())!.replace(/\s+/g, '')).toContain('再获得4分升为「银星」（10分）');
    await screenshot(r, 'resident-star-level');
  });

  it('the admin switches the star levels to service hours, and the resident sees her hours served and what is left', async () => {
    // 李秀英 serves 12.5 hours at one activity (marked present by the manager, completed).
    const m = people.manager.mobile;
    const branchId = (await t.db.dataSource.query(`SELECT branch_id AS id FROM resident r JOIN person p ON p.id = r.person_id WHERE p.mobile = $1`, [people.li.mobile]))[0].id;
    const soon = Date.now() + 2 * HOUR;
    const input = {
      branchId,
      title: '护林防火巡查',
      place: '村委会广场',
      startsAt: new Date(soon).toISOString(),
      endsAt: new Date(soon + 2 * HOUR).toISOString(),
      signupDeadline: new Date(soon - HOUR).toISOString(),
      capacity: 10,
      rewardPoints: 1,
    };
    const activityId = (await gql(m, `mutation($i: CreateActivityInput!) { createActivity(input: $i) { id } }`, { i: input })).createActivity.id;
    await gql(m, `mutation($id: ID!) { publishActivity(id: $id) { status } }`, { id: activityId });
    await gql(people.li.mobile, `mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId });
    const startsAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 13 * HOUR);
    await t.db.dataSource.query(`UPDATE activity SET starts_at = $2, ends_at = $3, signup_deadline = $2 WHERE id = $1`, [
      activityId,
      startsAt,
      new Date(startsAt.getTime() + 12.5 * HOUR),
    ]);
    const [{ id: liResident }] = await t.db.dataSource.query(`SELECT r.id FROM resident r JOIN person p ON p.id = r.person_id WHERE p.mobile = $1`, [people.li.mobile]);
    await gql(m, `mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { attendance } }`, { i: { activityId, residentIds: [liResident], attendance: 'PRESENT' } });
    await gql(m, `mutation($a: ID!) { completeActivity(id: $a) { pointsMinted } }`, { a: activityId });

    // The admin picks 志愿服务时长: the default hours ladder shows, then a ladder of 10 and 20 hours.
    const { page: a } = await phoneOf(people.admin.openid);
    await go(a, '/');
    await a.waitForURL('**/a/themes');
    await go(a, '/a/honours/settings');
    await a.getByTestId('level').first().waitFor();
    await a.getByTestId('star-basis').getByText('志愿服务时长').click();
    await a.getByText('星级已改为按服务时长评定').waitFor();
    await a.getByText('星级门槛（累计服务小时）').waitFor();
    expect(await a.locator('input[name="levels.0.threshold"]').inputValue()).toBe('100');
    expect(await a.getByTestId('level').count()).toBe(5);
    for (let i = 0; i < 3; i++) await a.getByTestId('level').last().getByRole('button', { name: '删除' }).click();
    await a.locator('input[name="levels.0.threshold"]').fill('10');
    await a.locator('input[name="levels.1.threshold"]').fill('20');
    await a.getByTestId('save-levels').click();
    await a.getByText('星级已保存').waitFor();
    await a.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(a, 'admin-honour-settings-hours');
    const audit = await t.db.dataSource.query(`SELECT details FROM audit_log WHERE action = 'honours.set-star-basis'`);
    expect(audit.map((r: any) => r.details)).toEqual([{ from: 'POINTS', to: 'HOURS' }]);

    // The resident: 12.5 hours served, 一星, 7.5 hours to 二星; the home entry says the same level.
    const { page: r } = await phoneOf(people.li.openid);
    await go(r, '/r/home');
    await r.getByTestId('honours-entry').getByText('一星').waitFor();
    await go(r, '/r/honours');
    const card = r.getByTestId('star-level');
    await card.getByText('一星').waitFor();
    const text = (await card.textContent())!.replace(/\s+/g, '');
    expect(text).toContain('12.5已服务（小时）');
    expect(text).toContain('已服务12.5小时，距「二星」（20小时）还差7.5小时');
    expect(text).toContain('星级按累计志愿服务时长评定');
    await screenshot(r, 'resident-star-level-hours');
  });
});
