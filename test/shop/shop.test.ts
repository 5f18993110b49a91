import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { PICKUP_ALPHABET } from '../../src/shop/pickup-code';
import { grantPoints, ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { dbFingerprint } from '../support/db-fingerprint';
import { nextMobile } from '../support/factories';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

const REDEMPTION = `id status code quantity unitPoints totalPoints itemName residentId residentName chargeEntryId refundEntryId pickupDeadline pickedUpAt`;
const REDEEM = `mutation($i: RedeemShopItemInput!) { redeemShopItem(input: $i) { ${REDEMPTION} } }`;
const CONFIRM = `mutation($i: ConfirmPickupInput!) { confirmShopPickup(input: $i) { ${REDEMPTION} } }`;
const BY_CODE = `query($i: ConfirmPickupInput!) { shopRedemptionByCode(input: $i) { ${REDEMPTION} } }`;
const CANCEL = `mutation($i: CancelShopRedemptionInput!) { cancelShopRedemption(input: $i) { ${REDEMPTION} } }`;
const RECEIPT = `mutation($i: RecordStockReceiptInput!) { recordStockReceipt(input: $i) { id source donorKind donorName quantity unitPoints itemName } }`;
const ITEM = `query($id: ID!) { shopItem(id: $id) { id stock active pricePoints } }`;
const DAY = 86_400_000;

/**
 * The points shop through the API: the redemption race (stock and charge together), the
 * refusals that charge nothing, the shopkeeper's confirmation by code (once, at the right
 * shop), cancellation refunded by reversal with the stock returned, and donations.
 */
describe('points shop (积分超市)', () => {
  let t: TestApp;
  let w: World;
  let other: World;
  const ledger = new LedgerService();
  let tx: TransactionRunner;
  let shopkeeper: string;
  let shopkeeperPersonId: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 206 });
    other = await seedWorld(t, { branches: 1, residentsPerBranch: 1 });
    tx = new TransactionRunner(t.db.dataSource);
    // The branch manager appoints the village shop's keeper.
    const mobile = nextMobile();
    const staff = ok(await t.gql(`mutation($i: AppointShopkeeperInput!) { appointShopkeeper(input: $i) { personId role } }`, {
      i: { branchId: w.township.branches[0].id, name: '超市管理员', mobile },
    }, w.managerTokens[0])).appointShopkeeper;
    expect(staff.role).toBe('SHOPKEEPER');
    shopkeeperPersonId = staff.personId;
    shopkeeper = await devLogin(t, mobile);
  }, 60_000);
  afterEach(() => setNow(t, null));
  afterAll(() => t?.close());

  const branch = (i: number) => w.township.branches[i];
  const residents = () => w.township.branches.flatMap((b, bi) => b.residents.map((r, ri) => ({ ...r, branch: bi, token: w.residentTokens[bi][ri] })));
  const balanceOf = async (accountId: string) => (await tx.run((m) => ledger.account(m, accountId))).balance;
  const stockOf = async (itemId: string) => ok(await t.gql(ITEM, { id: itemId }, w.managerTokens[0])).shopItem.stock as number;

  async function item(b: number, name: string, pricePoints: number, stock: number, token = w.managerTokens[b]): Promise<string> {
    const id = ok(await t.gql(`mutation($i: CreateShopItemInput!) { createShopItem(input: $i) { id stock } }`, {
      i: { branchId: branch(b).id, name, unit: '袋', pricePoints },
    }, token)).createShopItem.id;
    if (stock) ok(await t.gql(RECEIPT, { i: { itemId: id, source: 'PURCHASE', quantity: stock } }, token));
    return id;
  }

  it('200 residents race for 20 bags of rice: exactly 20 redemptions, 180 OUT_OF_STOCK that charge nothing', async () => {
    const racers = residents().filter((r) => r.branch === 0).slice(0, 200);
    expect(racers).toHaveLength(200);
    await grantPoints(t, w.township.id, racers.map((r) => r.accountId), 5);
    const rice = await item(0, '东北大米 5kg', 5, 0);
    // 10 bags donated by a local firm, 10 bought.
    const donated = ok(await t.gql(RECEIPT, {
      i: { itemId: rice, source: 'DONATION', donorKind: 'ORGANISATION', donorName: '潞城镇粮油公司', quantity: 10, unitPoints: 6, note: '爱心捐赠' },
    }, w.managerTokens[0])).recordStockReceipt;
    expect(donated).toMatchObject({ source: 'DONATION', donorKind: 'ORGANISATION', donorName: '潞城镇粮油公司', quantity: 10, unitPoints: 6, itemName: '东北大米 5kg' });
    ok(await t.gql(RECEIPT, { i: { itemId: rice, source: 'PURCHASE', quantity: 10 } }, w.managerTokens[0]));
    expect(await stockOf(rice)).toBe(20);

    const started = Date.now();
    const results = await Promise.all(racers.map((r) => t.gql(REDEEM, { i: { itemId: rice } }, r.token)));
    console.log(`shop race: 200 concurrent redemptions for 20 bags over HTTP in ${Date.now() - started} ms`);
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(20);
    expect(results.filter((r) => r.errors).map(errorCode)).toEqual(Array(180).fill('OUT_OF_STOCK'));

    const balances = await Promise.all(racers.map((r) => balanceOf(r.accountId)));
    expect(balances.filter((x) => x === 0)).toHaveLength(20);
    expect(balances.filter((x) => x === 5)).toHaveLength(180);
    // The winners are exactly the residents charged.
    const winners = new Set(won.map((r) => r.data.redeemShopItem.residentId));
    racers.forEach((r, i) => expect(balances[i] === 0).toBe(winners.has(r.id)));
    expect(await stockOf(rice)).toBe(0);
    expect(await balanceOf(branch(0).redemptionAccountId)).toBe(100);
    const codes = won.map((r) => r.data.redeemShopItem.code as string);
    expect(new Set(codes).size).toBe(20);
    for (const code of codes) expect(code.length === 8 && [...code].every((c) => PICKUP_ALPHABET.includes(c))).toBe(true);
    const [{ spends, redemptions }] = await t.db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM journal_entry e JOIN shop_redemption x ON x.id::text = e.reference_id
               WHERE e.kind = 'SPEND' AND e.reference_type = 'SHOP_REDEMPTION' AND x.item_id = $1) AS spends,
              (SELECT count(*)::int FROM shop_redemption WHERE item_id = $1) AS redemptions`,
      [rice],
    );
    expect({ spends, redemptions }).toEqual({ spends: 20, redemptions: 20 });
    expect(won[0].data.redeemShopItem).toMatchObject({ status: 'RESERVED', quantity: 1, unitPoints: 5, totalPoints: 5, itemName: '东北大米 5kg', pickedUpAt: null });
    const report = await tx.run((m) => ledger.reconcile(m, w.township.id));
    expect(report).toMatchObject({ ok: true, mismatchedAccounts: [], unbalancedEntries: [], storedTotal: 0 });
  });

  it('a price changed while residents redeem: each pays the price their stock was taken at, and the stock agrees', async () => {
    // The stock is taken last, at the price read first; a price changed in between runs the redemption again.
    const soap = await item(1, '香皂', 2, 50, w.managerTokens[1]);
    const buyers = residents().filter((r) => r.branch === 1).slice(10, 24);
    await grantPoints(t, w.township.id, buyers.map((r) => r.accountId), 10);
    const reprice = (pricePoints: number) =>
      t.gql(`mutation($i: UpdateShopItemInput!) { updateShopItem(input: $i) { pricePoints } }`, { i: { id: soap, pricePoints } }, w.managerTokens[1]);
    const results = await Promise.all([
      ...buyers.slice(0, 7).map((r) => t.gql(REDEEM, { i: { itemId: soap } }, r.token)),
      reprice(3),
      ...buyers.slice(7).map((r) => t.gql(REDEEM, { i: { itemId: soap } }, r.token)),
      reprice(4),
    ]);
    const redemptions = [...results.slice(0, 7), ...results.slice(8, 15)].map((r) => ok(r).redeemShopItem);
    expect(redemptions).toHaveLength(14);
    for (const [i, r] of redemptions.entries()) {
      expect([2, 3, 4]).toContain(r.unitPoints);
      expect(await balanceOf(buyers[i].accountId)).toBe(10 - r.unitPoints);
    }
    expect(await stockOf(soap)).toBe(50 - 14);
  });

  it('not enough points: INSUFFICIENT_POINTS, no stock taken, nothing charged; items off the shelf and other townships refused', async () => {
    const oil = await item(0, '花生油 5L', 30, 3);
    const [poor] = residents().filter((r) => r.branch === 0).slice(200, 201);
    await grantPoints(t, w.township.id, [poor.accountId], 29);
    const before = await dbFingerprint(t.db.dataSource);
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil } }, poor.token))).toBe('INSUFFICIENT_POINTS');
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil, quantity: 4 } }, poor.token))).toBe('OUT_OF_STOCK');
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil } }, other.residentTokens[0][0]))).toBe('FORBIDDEN');
    // One shop per village: a resident of the other branch redeems at their own.
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil } }, w.residentTokens[1][1]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil } }, w.managerTokens[0]))).toBe('FORBIDDEN');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    expect(await stockOf(oil)).toBe(3);
    expect(await balanceOf(poor.accountId)).toBe(29);

    ok(await t.gql(`mutation($i: UpdateShopItemInput!) { updateShopItem(input: $i) { active } }`, { i: { id: oil, active: false } }, w.managerTokens[0]));
    await grantPoints(t, w.township.id, [poor.accountId], 1);
    expect(errorCode(await t.gql(REDEEM, { i: { itemId: oil } }, poor.token))).toBe('SHOP_ITEM_UNAVAILABLE');
    expect(await balanceOf(poor.accountId)).toBe(30);
    // Residents see the shelf only; the shop's keepers see what is off it too.
    const shelf = `query($b: ID!, $all: Boolean!) { shopItems(branchId: $b, includeInactive: $all, first: 100) { edges { node { id active } } } }`;
    const seen = ok(await t.gql(shelf, { b: branch(0).id, all: false }, poor.token)).shopItems.edges.map((e: any) => e.node.id);
    expect(seen).not.toContain(oil);
    expect(errorCode(await t.gql(shelf, { b: branch(0).id, all: true }, poor.token))).toBe('FORBIDDEN');
    expect(ok(await t.gql(shelf, { b: branch(0).id, all: true }, shopkeeper)).shopItems.edges.map((e: any) => e.node.id)).toContain(oil);
  });

  it('the shopkeeper confirms a pickup by its code once, only at its own shop; wrong, used and other-branch codes are refused with their codes', async () => {
    const soap = await item(0, '洗衣粉', 2, 5);
    const towels = await item(1, '毛巾', 2, 5);
    const [r0, r1] = residents().filter((r) => r.branch === 0).slice(201, 203);
    const [s0] = residents().filter((r) => r.branch === 1).slice(0, 1);
    await grantPoints(t, w.township.id, [r0.accountId, r1.accountId, s0.accountId], 10);
    const mine = ok(await t.gql(REDEEM, { i: { itemId: soap, quantity: 2 } }, r0.token)).redeemShopItem;
    expect(mine).toMatchObject({ status: 'RESERVED', quantity: 2, totalPoints: 4 });
    expect(await balanceOf(r0.accountId)).toBe(6);
    const elsewhere = ok(await t.gql(REDEEM, { i: { itemId: towels } }, s0.token)).redeemShopItem;

    // The resident sees it among their codes.
    const my = ok(await t.gql(`{ myShopRedemptions(first: 10) { edges { node { id code status } } } }`, {}, r0.token)).myShopRedemptions.edges;
    expect(my.map((e: any) => e.node)).toEqual([{ id: mine.id, code: mine.code, status: 'RESERVED' }]);

    const shop0 = branch(0).id;
    // Looked up first: who and what. Typed in lower case with the dash: the same code.
    const typed = `${mine.code.slice(0, 4).toLowerCase()}-${mine.code.slice(4)}`;
    expect(ok(await t.gql(BY_CODE, { i: { branchId: shop0, code: typed } }, shopkeeper)).shopRedemptionByCode).toMatchObject({ id: mine.id, residentName: expect.any(String), itemName: '洗衣粉' });

    const before = await dbFingerprint(t.db.dataSource);
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: elsewhere.code } }, shopkeeper))).toBe('PICKUP_CODE_OTHER_BRANCH');
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: 'ZZZZ-ZZZZ' } }, shopkeeper))).toBe('PICKUP_CODE_INVALID');
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: 'O0I1-L000' } }, shopkeeper))).toBe('PICKUP_CODE_INVALID');
    // Not the keeper of branch 1's shop, and a resident is nobody's keeper.
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: branch(1).id, code: elsewhere.code } }, shopkeeper))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: mine.code } }, r0.token))).toBe('FORBIDDEN');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);

    // Two keepers' taps at once: one hands the goods over, the other is told it is done.
    const [first, second] = await Promise.all([
      t.gql(CONFIRM, { i: { branchId: shop0, code: typed } }, shopkeeper),
      t.gql(CONFIRM, { i: { branchId: shop0, code: mine.code } }, w.managerTokens[0]),
    ]);
    const outcomes = [first, second].map((r) => (r.errors ? errorCode(r) : r.data.confirmShopPickup.status)).sort();
    expect(outcomes).toEqual(['PICKED_UP', 'PICKUP_ALREADY_CONFIRMED']);
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: mine.code } }, shopkeeper))).toBe('PICKUP_ALREADY_CONFIRMED');
    // Picked up: not cancellable, by anyone.
    expect(errorCode(await t.gql(CANCEL, { i: { id: mine.id } }, r0.token))).toBe('PICKUP_ALREADY_CONFIRMED');
    const [{ count }] = await t.db.dataSource.query(`SELECT count(*)::int FROM audit_log WHERE action = 'shop.pickup' AND subject = $1`, [mine.id]);
    expect(count).toBe(1);
    // Points are charged once; the stock stays taken.
    expect(await balanceOf(r0.accountId)).toBe(6);
    expect(await stockOf(soap)).toBe(3);

    // The shop's list for the keeper, and a revoked keeper is refused at once.
    const list = ok(await t.gql(`query($b: ID!) { shopRedemptions(branchId: $b, status: PICKED_UP, first: 100) { edges { node { id } } } }`, { b: shop0 }, shopkeeper));
    expect(list.shopRedemptions.edges.map((e: any) => e.node.id)).toContain(mine.id);
    const later = ok(await t.gql(REDEEM, { i: { itemId: soap } }, r1.token)).redeemShopItem;
    ok(await t.gql(`mutation($i: RevokeRoleInput!) { revokeShopkeeper(input: $i) }`, { i: { scopeId: shop0, personId: shopkeeperPersonId } }, w.managerTokens[0]));
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: later.code } }, shopkeeper))).toBe('FORBIDDEN');
    ok(await t.gql(`mutation($i: AppointShopkeeperInput!) { appointShopkeeper(input: $i) { role } }`, {
      i: { branchId: shop0, name: '超市管理员', mobile: (await t.db.dataSource.query(`SELECT mobile FROM person WHERE id = $1`, [shopkeeperPersonId]))[0].mobile },
    }, w.adminToken));
    expect(ok(await t.gql(CONFIRM, { i: { branchId: shop0, code: later.code } }, shopkeeper)).confirmShopPickup.status).toBe('PICKED_UP');
  });

  it('cancelling refunds by reversal and returns the stock: the resident before pickup, the branch only after the deadline', async () => {
    const flour = await item(0, '面粉', 3, 4);
    const [r] = residents().filter((x) => x.branch === 0).slice(203, 204);
    await grantPoints(t, w.township.id, [r.accountId], 9);
    const one = ok(await t.gql(REDEEM, { i: { itemId: flour } }, r.token)).redeemShopItem;
    const two = ok(await t.gql(REDEEM, { i: { itemId: flour, quantity: 2 } }, r.token)).redeemShopItem;
    expect(await balanceOf(r.accountId)).toBe(0);
    expect(await stockOf(flour)).toBe(1);

    // The resident changes their mind.
    const mine = ok(await t.gql(CANCEL, { i: { id: one.id } }, r.token)).cancelShopRedemption;
    expect(mine).toMatchObject({ status: 'CANCELLED', refundEntryId: expect.any(String) });
    expect(await balanceOf(r.accountId)).toBe(3);
    expect(await stockOf(flour)).toBe(2);
    const [refund] = await t.db.dataSource.query(`SELECT kind, reverses_entry_id::text AS reverses FROM journal_entry WHERE id = $1`, [mine.refundEntryId]);
    expect(refund).toEqual({ kind: 'REVERSAL', reverses: one.chargeEntryId });
    expect(errorCode(await t.gql(CANCEL, { i: { id: one.id } }, r.token))).toBe('REDEMPTION_CANCELLED');
    // Its code no longer hands anything over.
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: branch(0).id, code: one.code } }, shopkeeper))).toBe('REDEMPTION_CANCELLED');

    // The branch may not take goods a resident can still fetch; after the deadline it may.
    const before = await dbFingerprint(t.db.dataSource);
    expect(errorCode(await t.gql(CANCEL, { i: { id: two.id } }, w.managerTokens[0]))).toBe('PICKUP_DEADLINE_NOT_PASSED');
    expect(errorCode(await t.gql(CANCEL, { i: { id: two.id } }, w.managerTokens[1]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(CANCEL, { i: { id: two.id } }, shopkeeper))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(CANCEL, { i: { id: two.id } }, residents()[0].token))).toBe('FORBIDDEN');
    // The charge belongs to the redemption: an admin cannot reverse it behind the redemption's back.
    expect(errorCode(await t.gql(`mutation($i: ReverseEntryInput!) { reverseEntry(input: $i) { id } }`, { i: { entryId: two.chargeEntryId, reason: '误操作' } }, w.adminToken)))
      .toBe('ENTRY_BELONGS_TO_RECORD');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    const overdue = async () =>
      ok(await t.gql(`query($b: ID!) { shopRedemptions(branchId: $b, overdue: true, first: 100) { edges { node { id } } } }`, { b: branch(0).id }, w.managerTokens[0]))
        .shopRedemptions.edges.map((e: any) => e.node.id);
    expect(await overdue()).not.toContain(two.id);
    setNow(t, new Date(new Date(two.pickupDeadline).getTime() + 1000));
    // The manager's list of what may be cancelled now.
    expect(await overdue()).toContain(two.id);
    const expired = ok(await t.gql(CANCEL, { i: { id: two.id, reason: '超过14天未领取' } }, w.managerTokens[0])).cancelShopRedemption;
    expect(expired).toMatchObject({ status: 'CANCELLED', refundEntryId: expect.any(String) });
    expect(await balanceOf(r.accountId)).toBe(9);
    expect(await stockOf(flour)).toBe(4);
    expect(await overdue()).not.toContain(two.id);
    const [{ count }] = await t.db.dataSource.query(`SELECT count(*)::int FROM audit_log WHERE action = 'shop.cancel' AND subject = $1`, [two.id]);
    expect(count).toBe(1);
    expect(new Date(two.pickupDeadline).getTime() - Date.now()).toBeGreaterThan(13.9 * DAY);
  });

  it('the shop keeps its pickup days; donations need a donor and purchases have none; receipts cannot be changed', async () => {
    const schedule = { branchId: branch(0).id, pickupWeekdays: [6, 3], opensAt: '09:00', closesAt: '11:30', place: '村委会一楼积分超市', note: '请带好兑换码', pickupDays: 7 };
    expect(ok(await t.gql(`mutation($i: UpdateShopInput!) { updateShop(input: $i) { pickupWeekdays opensAt closesAt place pickupDays } }`, { i: schedule }, w.managerTokens[0])).updateShop)
      .toEqual({ pickupWeekdays: [3, 6], opensAt: '09:00', closesAt: '11:30', place: '村委会一楼积分超市', pickupDays: 7 });
    expect(ok(await t.gql(`query($b: ID!) { shop(branchId: $b) { pickupWeekdays place } }`, { b: branch(0).id }, w.residentTokens[0][0])).shop).toEqual({ pickupWeekdays: [3, 6], place: '村委会一楼积分超市' });
    const soap = await item(0, '肥皂', 1, 1);
    const [r] = residents().filter((x) => x.branch === 0).slice(204, 205);
    await grantPoints(t, w.township.id, [r.accountId], 1);
    const x = ok(await t.gql(REDEEM, { i: { itemId: soap } }, r.token)).redeemShopItem;
    expect(new Date(x.pickupDeadline).getTime() - Date.now()).toBeLessThan(7 * DAY + 60_000);
    expect(new Date(x.pickupDeadline).getTime() - Date.now()).toBeGreaterThan(7 * DAY - 60_000);

    const before = await dbFingerprint(t.db.dataSource);
    for (const bad of [
      { itemId: soap, source: 'DONATION', quantity: 1 },
      { itemId: soap, source: 'DONATION', donorKind: 'PERSON', quantity: 1 },
      { itemId: soap, source: 'PURCHASE', donorKind: 'PERSON', donorName: '张三', quantity: 1 },
      { itemId: soap, source: 'PURCHASE', quantity: 0 },
    ]) {
      expect(errorCode(await t.gql(RECEIPT, { i: bad }, w.managerTokens[0]))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await t.gql(RECEIPT, { i: { itemId: soap, source: 'PURCHASE', quantity: 1 } }, w.managerTokens[1]))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(RECEIPT, { i: { itemId: soap, source: 'PURCHASE', quantity: 1 } }, shopkeeper))).toBe('FORBIDDEN');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    await expect(t.db.dataSource.query(`UPDATE shop_stock_receipt SET quantity = 100`)).rejects.toThrow(/permission denied|append-only/);
    await expect(t.db.dataSource.query(`DELETE FROM shop_stock_receipt`)).rejects.toThrow(/permission denied|append-only/);
    const receipts = ok(await t.gql(`query($b: ID!) { shopStockReceipts(branchId: $b, first: 100) { edges { node { itemName source donorName } } } }`, { b: branch(0).id }, w.managerTokens[0]));
    expect(receipts.shopStockReceipts.edges.map((e: any) => e.node)).toContainEqual({ itemName: '东北大米 5kg', source: 'DONATION', donorName: '潞城镇粮油公司' });
  });

  it('the shopkeeper hands goods over on the shop’s pickup days and hours only: NOT_A_PICKUP_DAY names the next one; the resident sees it', async () => {
    const shop0 = branch(0).id;
    // Saturdays 09:00–11:30 (Asia/Shanghai). 2026-12-02 is a Wednesday, 2026-12-05 a Saturday.
    ok(await t.gql(`mutation($i: UpdateShopInput!) { updateShop(input: $i) { pickupWeekdays } }`, {
      i: { branchId: shop0, pickupWeekdays: [6], opensAt: '09:00', closesAt: '11:30', place: '村委会一楼积分超市', note: '', pickupDays: 14 },
    }, w.managerTokens[0]));
    const sh = (iso: string) => new Date(`${iso}+08:00`);
    const tea = await item(0, '茶叶', 1, 2);
    const [r] = residents().filter((x) => x.branch === 0).slice(205, 206);
    await grantPoints(t, w.township.id, [r.accountId], 1);
    const x = ok(await t.gql(REDEEM, { i: { itemId: tea } }, r.token)).redeemShopItem;
    const nextOf = async () =>
      ok(await t.gql(`query($b: ID!) { shop(branchId: $b) { nextPickupOpensAt nextPickupClosesAt } }`, { b: shop0 }, r.token)).shop;

    const before = await dbFingerprint(t.db.dataSource);
    for (const [now, next] of [
      ['2026-12-02T10:00:00', '12月5日（星期六）09:00–11:30'], // a Wednesday
      ['2026-12-05T08:59:59', '12月5日（星期六）09:00–11:30'], // Saturday, before opening
      ['2026-12-05T11:30:00', '12月12日（星期六）09:00–11:30'], // Saturday, closed
    ]) {
      setNow(t, sh(now));
      const refused = await t.gql(CONFIRM, { i: { branchId: shop0, code: x.code } }, shopkeeper);
      expect(errorCode(refused)).toBe('NOT_A_PICKUP_DAY');
      expect(refused.errors![0].message).toBe(`现在不是积分超市的领取时间，下次领取时间：${next}`);
    }
    // The manager at the shop is held to the same hours.
    expect(errorCode(await t.gql(CONFIRM, { i: { branchId: shop0, code: x.code } }, w.managerTokens[0]))).toBe('NOT_A_PICKUP_DAY');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    // What the resident's code screen shows.
    setNow(t, sh('2026-12-02T10:00:00'));
    expect(await nextOf()).toEqual({ nextPickupOpensAt: sh('2026-12-05T09:00:00').toISOString(), nextPickupClosesAt: sh('2026-12-05T11:30:00').toISOString() });
    // The code can still be looked up while closed; it is handed over once the shop opens.
    expect(ok(await t.gql(BY_CODE, { i: { branchId: shop0, code: x.code } }, shopkeeper)).shopRedemptionByCode.status).toBe('RESERVED');
    setNow(t, sh('2026-12-05T09:00:00'));
    expect(ok(await t.gql(CONFIRM, { i: { branchId: shop0, code: x.code } }, shopkeeper)).confirmShopPickup.status).toBe('PICKED_UP');
    // During the window the resident is told it is open now (the window's own times).
    setNow(t, sh('2026-12-05T10:00:00'));
    expect((await nextOf()).nextPickupOpensAt).toBe(sh('2026-12-05T09:00:00').toISOString());
    // A shop with no pickup days set does not restrict pickups (and names no window).
    expect(ok(await t.gql(`query($b: ID!) { shop(branchId: $b) { nextPickupOpensAt } }`, { b: branch(1).id }, w.residentTokens[1][0])).shop).toEqual({ nextPickupOpensAt: null });
  });
});
