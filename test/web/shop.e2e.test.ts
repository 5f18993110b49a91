import { randomUUID } from 'node:crypto';
import { Browser, Page } from 'playwright-core';
import { Principal } from '../../src/auth/principal';
import { Clock } from '../../src/common/time/clock';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { BranchKind } from '../../src/organisation/branch.entity';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { FakeWechat, startFakeWechat, webLoginOk } from '../support/fake-wechat';
import { nextMobile } from '../support/factories';
import { logSink } from '../support/log-sink';
import { launchChromium, openPhone, Phone, screenshot } from './support/browser';
import { startWebTestApp, WebTestApp } from './support/web-test-app';

/**
 * The points shop (积分超市) in Chromium, phone-sized, inside "WeChat", against the API in
 * production mode: the manager sets the pickup days, puts rice on the shelf, records a
 * local firm's donation and appoints a shopkeeper; a resident redeems a bag (confirm
 * dialog) and shows her code as text and QR; the shopkeeper types one code and scans the
 * other, confirms each once; a resident without points cannot redeem. Screenshots in
 * test-artifacts/web/shop-*.png.
 */
describe('the points shop in the web app', () => {
  const logs = logSink();
  let wechat: FakeWechat;
  let t: WebTestApp;
  let browser: Browser;
  const phones: Phone[] = [];
  let codes = 0;
  const people = {
    manager: { name: '王书记', mobile: nextMobile(), openid: `shop-manager-${randomUUID()}` },
    resident: { name: '李秀英', mobile: nextMobile(), openid: `shop-li-${randomUUID()}` },
    poor: { name: '赵大爷', mobile: nextMobile(), openid: `shop-zhao-${randomUUID()}` },
    keeper: { name: '刘阿姨', mobile: nextMobile(), openid: `shop-liu-${randomUUID()}` },
  };

  async function phoneOf(openid: string): Promise<Phone> {
    const phone = await openPhone(browser);
    phones.push(phone);
    await phone.context.route('https://open.weixin.qq.com/**', (route) => {
      const url = new URL(route.request().url());
      const code = `shop-code-${++codes}`;
      wechat.webCodes.set(code, webLoginOk(openid));
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      return route.fulfill({ status: 302, headers: { location: back.toString() } });
    });
    return phone;
  }
  const go = (page: Page, path: string) => page.goto(t.baseUrl + path);
  /** Moves the service's clock (pickup hours, deadlines); the browser's stays real. */
  const setNow = (at: Date) => jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
  /** The coming `weekday` (1 = Monday … 7 = Sunday) after today, at HH:MM Asia/Shanghai. */
  const coming = (weekday: number, hhmm: string) => {
    const today = new Date(Date.now() + 8 * 3600_000);
    const ahead = ((weekday - (((today.getUTCDay() + 6) % 7) + 1) + 6) % 7) + 1;
    const day = new Date(today.getTime() + ahead * 86_400_000).toISOString().slice(0, 10);
    return new Date(`${day}T${hhmm}:00+08:00`);
  };
  const bind = (p: { mobile: string; openid: string }) => t.db.dataSource.query(`UPDATE person SET wechat_web_openid = $2 WHERE mobile = $1`, [p.mobile, p.openid]);

  beforeAll(async () => {
    browser = await launchChromium();
    wechat = await startFakeWechat();
    t = await startWebTestApp(wechat, logs);
    const organisation = t.app.get(OrganisationService);
    const adminMobile = nextMobile();
    const { townshipId, adminPersonId } = await organisation.bootstrap({ townshipCode: `shop${Date.now()}`, townshipName: '潞城镇', adminName: '张书记', adminMobile });
    const admin: Principal = { personId: adminPersonId, name: '张书记', mobile: adminMobile, adminOf: [townshipId], managerOf: [], resident: null };
    const branch = (await organisation.createBranch(admin, { townshipId, name: '武兴庄村', kind: BranchKind.VILLAGE } as any)).id;
    await organisation.appointBranchManager(admin, { branchId: branch, name: people.manager.name, mobile: people.manager.mobile } as any);
    const residents: { accountId: string }[] = [];
    for (const p of [people.resident, people.poor]) residents.push(await organisation.registerResident(admin, { branchId: branch, name: p.name, mobile: p.mobile } as any));
    for (const p of [people.manager, people.resident, people.poor]) await bind(p);
    // 李秀英 has 20 points, 赵大爷 1.
    const ledger = new LedgerService();
    const [{ id: adjustment }] = await t.db.dataSource.query(`SELECT id FROM account WHERE township_id = $1 AND kind = 'TOWNSHIP_ADJUSTMENT'`, [townshipId]);
    await new TransactionRunner(t.db.dataSource).run(async (m) => {
      for (const [r, points] of [[residents[0], 20], [residents[1], 1]] as const) {
        await ledger.post(m, {
          townshipId,
          kind: EntryKind.ADJUSTMENT,
          idempotencyKey: randomUUID(),
          memo: '期初积分',
          lines: [{ accountId: r.accountId, amount: points }, { accountId: adjustment, amount: -points }],
        });
      }
    });
  }, 120_000);

  afterEach(async () => {
    for (const phone of phones) expect(await phone.problems()).toEqual([]);
    for (const phone of phones) for (const url of phone.urls) expect(url).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await browser?.close();
    await t?.close();
    await wechat?.close();
  });

  it('the manager stocks the shop, a resident redeems and shows her code, the shopkeeper confirms it once', async () => {
    // ---- the manager: pickup days, rice on the shelf, a firm's donation, a shopkeeper
    const m = (await phoneOf(people.manager.openid)).page;
    await go(m, '/m/shop');
    await m.getByTestId('edit-shop').waitFor();
    await m.getByTestId('edit-shop').click();
    await m.locator('.van-checkbox', { hasText: '周六' }).click();
    await m.getByPlaceholder('09:00').fill('09:00');
    await m.getByPlaceholder('11:00').fill('11:30');
    await m.getByPlaceholder('如 村委会一楼积分超市').fill('村委会一楼积分超市');
    await screenshot(m, 'shop-manager-hours');
    await m.getByTestId('save-shop').click();
    await m.getByText('每周六 09:00–11:30 · 村委会一楼积分超市').waitFor();

    await m.getByTestId('new-item').click();
    await m.getByTestId('item-name').locator('input').fill('东北大米 5kg');
    await m.getByPlaceholder('袋、桶、瓶').fill('袋');
    await m.getByTestId('item-price').locator('input').fill('5');
    await m.getByTestId('save-item').click();
    await m.getByTestId('manager-item').filter({ hasText: '东北大米 5kg' }).getByText('库存 0袋').waitFor();

    await m.getByTestId('receive').click();
    await m.getByTestId('donor-name').locator('input').fill('潞城镇粮油公司');
    await m.getByTestId('receipt-quantity').locator('input').fill('10');
    await screenshot(m, 'shop-manager-donation');
    await m.getByTestId('save-receipt').click();
    await m.getByTestId('manager-item').getByText('库存 10袋').waitFor();
    await m.getByTestId('receipt').filter({ hasText: '单位捐赠：潞城镇粮油公司' }).waitFor();

    await m.getByTestId('add-keeper').click();
    await m.getByTestId('keeper-name').locator('input').fill(people.keeper.name);
    await m.getByTestId('keeper-mobile').locator('input').fill(people.keeper.mobile);
    await m.getByTestId('save-keeper').click();
    await m.getByText(`${people.keeper.name} ${people.keeper.mobile}`).waitFor();
    await m.locator('.van-toast').waitFor({ state: 'hidden' });
    await screenshot(m, 'shop-manager');

    // ---- the resident: the catalogue, the confirm dialog, the code
    const r = (await phoneOf(people.resident.openid)).page;
    await go(r, '/r/shop');
    await r.getByTestId('shop-item').filter({ hasText: '东北大米 5kg' }).getByText('库存 10袋').waitFor();
    await r.getByTestId('pickup-hours').getByText('每周六 09:00–11:30').waitFor();
    expect(Number(await r.getByTestId('balance').textContent())).toBe(20);
    await screenshot(r, 'shop-resident-catalogue');
    await r.getByTestId('shop-item').getByRole('button', { name: '兑换' }).click();
    await r.getByText('兑换后余额 15').waitFor();
    await screenshot(r, 'shop-redeem-confirm');
    await r.getByRole('button', { name: '兑换（5 积分）' }).click();
    const shown = (await r.getByTestId('redeem-code').textContent())!.trim();
    expect(shown).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    await screenshot(r, 'shop-redeemed');
    await r.getByRole('button', { name: '查看兑换码' }).click();
    await r.waitForURL('**/r/shop/codes');
    await r.getByTestId('code-text').getByText(shown).waitFor();
    // When the shop next hands goods out (its next Saturday morning).
    await r.getByTestId('next-pickup').getByText(/^下次领取：\d+月\d+日（周六）09:00–11:30 · 村委会一楼积分超市$/).waitFor();
    const qrLink = await r.getByTestId('open-code').locator('canvas').getAttribute('data-qr');
    expect(qrLink).toBe(`${t.baseUrl}/k/pickup?code=${shown}`);
    await screenshot(r, 'shop-my-codes');
    // A second bag, whose QR the shopkeeper will scan.
    await go(r, '/r/shop');
    await r.getByTestId('shop-item').getByRole('button', { name: '兑换' }).click();
    await r.getByRole('button', { name: '兑换（5 积分）' }).click();
    const second = (await r.getByTestId('redeem-code').textContent())!.trim();
    await r.getByRole('button', { name: '查看兑换码' }).click();
    await r.getByTestId('open-code').nth(1).waitFor();
    const secondLink = await r.getByTestId('open-code').filter({ hasText: second }).locator('canvas').getAttribute('data-qr');

    // ---- a resident without enough points cannot redeem
    await bind(people.keeper);
    const z = (await phoneOf(people.poor.openid)).page;
    await go(z, '/r/shop');
    const poorButton = z.getByTestId('shop-item').getByRole('button', { name: '积分不足' });
    await poorButton.waitFor();
    expect(await poorButton.isDisabled()).toBe(true);
    await screenshot(z, 'shop-not-enough-points');

    // ---- the shopkeeper: types the first code (lower case, no dash), confirms it once
    const k = (await phoneOf(people.keeper.openid)).page;
    await go(k, '/');
    await k.waitForURL('**/k/pickup');
    await k.getByText('没有待领取的兑换').or(k.getByText(`${people.resident.name} · 东北大米 5kg`).first()).first().waitFor();
    await k.getByTestId('pickup-code').locator('input').fill(shown.replace('-', '').toLowerCase());
    await k.getByTestId('look-up').click();
    await k.getByTestId('pickup-found').getByText(people.resident.name).waitFor();
    await k.getByTestId('pickup-found').getByText('东北大米 5kg × 1袋').waitFor();
    await screenshot(k, 'shop-keeper-found');
    // On a Wednesday the shop is shut: refused, naming the next pickup day.
    setNow(coming(3, '10:00'));
    await k.getByTestId('confirm-pickup').click();
    await k.getByTestId('pickup-error').getByText(/^现在不是积分超市的领取时间，下次领取时间：\d+月\d+日（星期六）09:00–11:30$/).waitFor();
    await screenshot(k, 'shop-keeper-closed');
    // Saturday morning: handed over.
    const saturday = coming(6, '10:00');
    setNow(saturday);
    await k.getByTestId('confirm-pickup').click();
    await k.getByTestId('pickup-done').getByText(`已核销：${people.resident.name} 领取 东北大米 5kg × 1袋`).waitFor();
    await screenshot(k, 'shop-keeper-confirmed');
    // The same code again: already picked up, nothing to confirm.
    await k.getByTestId('pickup-code').locator('input').fill(shown);
    await k.getByTestId('look-up').click();
    await k.getByTestId('pickup-found').getByText('已领取').waitFor();
    expect(await k.getByTestId('confirm-pickup').count()).toBe(0);
    // A code that is nobody's.
    await k.getByTestId('pickup-code').locator('input').fill('ZZZZ-ZZZZ');
    await k.getByTestId('look-up').click();
    await k.getByTestId('pickup-error').getByText('兑换码不正确').waitFor();
    await screenshot(k, 'shop-keeper-wrong-code');
    // The second bag by scanning its QR code: the link opens the screen with the code looked up.
    await k.goto(secondLink!);
    await k.getByTestId('pickup-found').getByText(second).waitFor();
    await k.waitForURL('**/k/pickup');
    await k.getByTestId('confirm-pickup').click();
    await k.getByTestId('pickup-done').waitFor();

    // ---- the resident sees both picked up; 10 points spent; 8 bags left
    await go(r, '/r/shop/codes');
    await r.getByTestId('past-code').nth(1).waitFor();
    expect(await r.getByTestId('open-code').count()).toBe(0);
    expect(await r.getByTestId('past-code').filter({ hasText: '已领取' }).count()).toBe(2);
    await screenshot(r, 'shop-my-codes-picked-up');
    await go(r, '/r/shop');
    await r.getByTestId('shop-item').getByText('库存 8袋').waitFor();
    expect(Number(await r.getByTestId('balance').textContent())).toBe(10);

    // ---- a third bag never fetched: after its deadline the manager cancels it and the points go back
    await r.getByTestId('shop-item').getByRole('button', { name: '兑换' }).click();
    await r.getByRole('button', { name: '兑换（5 积分）' }).click();
    await r.getByTestId('redeem-code').waitFor();
    await go(m, '/m/shop');
    await m.getByTestId('manager-item').getByText('库存 7袋').waitFor();
    expect(await m.getByTestId('overdue-redemption').count()).toBe(0);
    setNow(new Date(saturday.getTime() + 15 * 86_400_000));
    await go(m, '/m/shop');
    const late = m.getByTestId('overdue-redemption').filter({ hasText: `${people.resident.name} · 东北大米 5kg × 1袋` });
    await late.waitFor();
    expect(await m.getByTestId('overdue-redemption').count()).toBe(1);
    await screenshot(m, 'shop-manager-overdue');
    await late.getByTestId('cancel-overdue').click();
    await m.getByText('取消后 5 积分退回其存折，物品回到库存，兑换码作废。').waitFor();
    await screenshot(m, 'shop-manager-cancel-confirm');
    await m.getByRole('button', { name: '取消并退还', exact: true }).click();
    await m.getByTestId('manager-item').getByText('库存 8袋').waitFor();
    expect(await m.getByTestId('overdue-redemption').count()).toBe(0);
    await go(r, '/r/shop/codes');
    await r.getByTestId('past-code').filter({ hasText: '已取消' }).getByText(/超过领取期限未领取/).waitFor();
    await go(r, '/r/shop');
    await r.getByTestId('shop-item').getByText('库存 8袋').waitFor();
    expect(Number(await r.getByTestId('balance').textContent())).toBe(10);
  }, 180_000);
});
