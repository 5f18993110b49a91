import { randomUUID } from 'node:crypto';
import { nextMobile } from '../support/factories';
import { devLogin, TestApp } from '../support/test-app';
import { ACTORS, allowedActor as allowedMainActor, buildWorld, Ctx, expectedOutcome as mainOutcome, Operation, OPERATIONS, TABLE, World } from './authorization-matrix';

/**
 * THE AUTHORIZATION MATRIX OF THE POINTS SHOP (issue 16), read like ./authorization-matrix.ts
 * by the same tests, with one more actor: the shopkeeper of A1's shop (shopA1), who holds
 * no other role. Kept apart so the main table's columns stay as they are.
 *
 * The rules it spells out: the township's people (and its shopkeepers) see a branch's shop
 * and catalogue; the branch's managers run the catalogue, stock and shopkeepers; a resident
 * redeems at their own village's shop and cancels their own redemption; the shop's keepers,
 * its managers and the township's admins confirm pickups; a manager cancels someone's
 * redemption only after its pickup deadline (PICKUP_DEADLINE_NOT_PASSED before it).
 */
export const SHOP_ACTORS = ['anon', 'resA1', 'resA2', 'mgrA1', 'mgrA2', 'admA', 'resB1', 'mgrB1', 'admB', 'shopA1'] as const;
export type ShopActor = (typeof SHOP_ACTORS)[number];

const DEADLINE = 'PICKUP_DEADLINE_NOT_PASSED';

export const SHOP_TABLE: Record<string, string> = {
  //                      anon resA1 resA2 mgrA1 mgrA2 admA resB1 mgrB1 admB shopA1
  shop:                  'UN   OK    OK    OK    OK    OK   NO    NO    NO   OK',
  shopItems:             'UN   OK    OK    OK    OK    OK   NO    NO    NO   OK',
  shopItem:              'UN   OK    OK    OK    OK    OK   NO    NO    NO   OK',
  shopStockReceipts:     'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  myShopRedemptions:     'UN   OK    OK    NO    OK    NO   OK    NO    NO   NO',
  shopRedemptions:       'UN   NO    NO    OK    NO    OK   NO    NO    NO   OK',
  shopRedemptionByCode:  'UN   NO    NO    OK    NO    OK   NO    NO    NO   OK',
  updateShop:            'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  createShopItem:        'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  updateShopItem:        'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  recordStockReceipt:    'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  redeemShopItem:        'UN   OK    NO    NO    OK    NO   NO    NO    NO   NO',
  confirmShopPickup:     'UN   NO    NO    OK    NO    OK   NO    NO    NO   OK',
  cancelShopRedemption: `UN   OK    NO    ${DEADLINE} NO ${DEADLINE} NO NO  NO   NO`,
  appointShopkeeper:     'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
  revokeShopkeeper:      'UN   NO    NO    OK    NO    OK   NO    NO    NO   NO',
};

/** The things the shop's rows aim at, all in A1's shop. */
export interface ShopWorld {
  itemA1: string;
  /** Redeemed by resident A1, open: looked up by its code. */
  codeA1: string;
  shopkeeperA1: string;
}
export type WorldWithShop = World & { shop: ShopWorld };
type ShopOperation = Omit<Operation, 'variables' | 'check'> & {
  variables: (w: WorldWithShop, actor: ShopActor, ctx: Ctx) => Record<string, unknown> | Promise<Record<string, unknown>>;
  check?: (data: any, w: WorldWithShop, actor: ShopActor, ctx: Ctx) => void | Promise<void>;
};

const fresh = () => randomUUID().slice(0, 8);
const REDEMPTION = `id status code residentId branchId`;
const REDEEM = `mutation($input: RedeemShopItemInput!) { redeemShopItem(input: $input) { ${REDEMPTION} } }`;

/** A new open redemption of resident A1 at A1's shop (each confirmation or cancellation needs its own). */
async function redemptionOfResA1(w: WorldWithShop, ctx: Ctx): Promise<{ id: string; code: string }> {
  const res = await ctx.as('resA1', REDEEM, { input: { itemId: w.shop.itemA1 } });
  if (res.errors) throw new Error(`redeem: ${JSON.stringify(res.errors)}`);
  return res.data.redeemShopItem;
}

export const SHOP_OPERATIONS: Record<string, ShopOperation> = {
  shop: {
    query: `query($branchId: ID!) { shop(branchId: $branchId) { branchId pickupWeekdays } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => expect(d.shop).toEqual({ branchId: w.branchA1, pickupWeekdays: [1, 2, 3, 4, 5, 6, 7] }),
  },
  shopItems: {
    query: `query($branchId: ID!) { shopItems(branchId: $branchId, first: 100) { edges { node { id branchId active } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      const nodes = d.shopItems.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.id)).toContain(w.shop.itemA1);
      for (const n of nodes) expect(n).toMatchObject({ branchId: w.branchA1, active: true });
    },
  },
  shopItem: {
    query: `query($id: ID!) { shopItem(id: $id) { id branchId } }`,
    variables: (w) => ({ id: w.shop.itemA1 }),
    check: (d, w) => expect(d.shopItem).toEqual({ id: w.shop.itemA1, branchId: w.branchA1 }),
  },
  shopStockReceipts: {
    query: `query($branchId: ID!) { shopStockReceipts(branchId: $branchId, first: 100) { edges { node { branchId source donorName } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      const nodes = d.shopStockReceipts.edges.map((e: any) => e.node);
      expect(nodes).toContainEqual({ branchId: w.branchA1, source: 'DONATION', donorName: '潞城镇粮油公司' });
      for (const n of nodes) expect(n.branchId).toBe(w.branchA1);
    },
  },
  myShopRedemptions: {
    query: `{ myShopRedemptions(first: 100) { edges { node { residentId code } } } }`,
    variables: () => ({}),
    check: (d, w, actor) => {
      const nodes = d.myShopRedemptions.edges.map((e: any) => e.node);
      for (const n of nodes) expect(n.residentId).toBe(w.residentOf[actor as keyof World['residentOf']]);
      if (actor === 'resA1') expect(nodes.map((n: any) => n.code)).toContain(w.shop.codeA1);
    },
  },
  shopRedemptions: {
    query: `query($branchId: ID!) { shopRedemptions(branchId: $branchId, first: 100) { edges { node { branchId code } } } }`,
    variables: (w) => ({ branchId: w.branchA1 }),
    check: (d, w) => {
      const nodes = d.shopRedemptions.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.code)).toContain(w.shop.codeA1);
      for (const n of nodes) expect(n.branchId).toBe(w.branchA1);
    },
  },
  shopRedemptionByCode: {
    query: `query($input: ConfirmPickupInput!) { shopRedemptionByCode(input: $input) { code status residentId } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, code: w.shop.codeA1 } }),
    check: (d, w) => expect(d.shopRedemptionByCode).toEqual({ code: w.shop.codeA1, status: 'RESERVED', residentId: w.residentOf.resA1 }),
  },
  updateShop: {
    query: `mutation($input: UpdateShopInput!) { updateShop(input: $input) { branchId pickupWeekdays } }`,
    // Every day, all day: the confirmations' rows run whenever the suite does (pickups are refused outside the shop's days).
    variables: (w) => ({ input: { branchId: w.branchA1, pickupWeekdays: [1, 2, 3, 4, 5, 6, 7], place: '村委会积分超市', pickupDays: 14 } }),
    check: (d, w) => expect(d.updateShop).toEqual({ branchId: w.branchA1, pickupWeekdays: [1, 2, 3, 4, 5, 6, 7] }),
  },
  createShopItem: {
    query: `mutation($input: CreateShopItemInput!) { createShopItem(input: $input) { branchId stock } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, name: `洗衣液${fresh()}`, unit: '瓶', pricePoints: 3 } }),
    check: (d, w) => expect(d.createShopItem).toEqual({ branchId: w.branchA1, stock: 0 }),
  },
  updateShopItem: {
    query: `mutation($input: UpdateShopItemInput!) { updateShopItem(input: $input) { id description } }`,
    variables: (w, actor) => ({ input: { id: w.shop.itemA1, description: `新米 ${actor}` } }),
    check: (d, w, actor) => expect(d.updateShopItem).toEqual({ id: w.shop.itemA1, description: `新米 ${actor}` }),
  },
  recordStockReceipt: {
    query: `mutation($input: RecordStockReceiptInput!) { recordStockReceipt(input: $input) { itemId quantity source } }`,
    variables: (w) => ({ input: { itemId: w.shop.itemA1, source: 'DONATION', donorKind: 'ORGANISATION', donorName: '潞城镇粮油公司', quantity: 5, unitPoints: 2, note: '' } }),
    check: (d, w) => expect(d.recordStockReceipt).toEqual({ itemId: w.shop.itemA1, quantity: 5, source: 'DONATION' }),
  },
  redeemShopItem: {
    query: REDEEM,
    variables: (w) => ({ input: { itemId: w.shop.itemA1 } }),
    check: (d, w, actor) =>
      expect(d.redeemShopItem).toMatchObject({ status: 'RESERVED', branchId: w.branchA1, residentId: w.residentOf[actor as keyof World['residentOf']], code: expect.stringMatching(/^[2-9A-HJKMNP-Z]{8}$/) }),
  },
  confirmShopPickup: {
    query: `mutation($input: ConfirmPickupInput!) { confirmShopPickup(input: $input) { ${REDEMPTION} } }`,
    variables: async (w, _actor, ctx) => ({ input: { branchId: w.branchA1, code: (await redemptionOfResA1(w, ctx)).code } }),
    check: (d, w) => expect(d.confirmShopPickup).toMatchObject({ status: 'PICKED_UP', branchId: w.branchA1 }),
  },
  cancelShopRedemption: {
    query: `mutation($input: CancelShopRedemptionInput!) { cancelShopRedemption(input: $input) { ${REDEMPTION} } }`,
    variables: async (w, _actor, ctx) => ({ input: { id: (await redemptionOfResA1(w, ctx)).id } }),
    check: (d, w) => expect(d.cancelShopRedemption).toMatchObject({ status: 'CANCELLED', residentId: w.residentOf.resA1 }),
  },
  appointShopkeeper: {
    query: `mutation($input: AppointShopkeeperInput!) { appointShopkeeper(input: $input) { role personId } }`,
    variables: (w) => ({ input: { branchId: w.branchA1, name: '超市管理员', mobile: nextMobile() } }),
    check: (d) => expect(d.appointShopkeeper.role).toBe('SHOPKEEPER'),
  },
  revokeShopkeeper: {
    query: `mutation($input: RevokeRoleInput!) { revokeShopkeeper(input: $input) }`,
    // A shopkeeper of A1 of their own for each actor: the first revocation would leave nothing to revoke.
    variables: async (w, _actor, ctx) => {
      const [{ id }] = await ctx.t.db.dataSource.query(
        `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($1, '待撤销超市管理员', $3) RETURNING id)
         INSERT INTO role_assignment (person_id, role, township_id, branch_id) SELECT id, 'SHOPKEEPER', $1, $2 FROM p RETURNING person_id AS id`,
        [w.townshipA, w.branchA1, nextMobile()],
      );
      return { input: { scopeId: w.branchA1, personId: id } };
    },
    check: (d) => expect(d.revokeShopkeeper).toBe(true),
  },
};

/** Every row of both tables, and the world both aim at. */
export const ALL_TABLE: Record<string, string> = { ...TABLE, ...SHOP_TABLE };
export const ALL_OPERATIONS = { ...OPERATIONS, ...SHOP_OPERATIONS } as Record<string, Operation>;

export function expectedOutcome(operation: string, actor: ShopActor): string {
  if (!(operation in SHOP_TABLE)) return mainOutcome(operation, actor as (typeof ACTORS)[number]);
  const row = SHOP_TABLE[operation].split(/\s+/);
  return row.length === 1 ? row[0] : row[SHOP_ACTORS.indexOf(actor)];
}

/** The first actor a row lets run its operation. */
export function allowedActor(operation: string): ShopActor {
  if (!(operation in SHOP_TABLE)) return allowedMainActor(operation);
  const actor = SHOP_ACTORS.find((a) => expectedOutcome(operation, a) === 'OK');
  if (!actor) throw new Error(`nobody may run ${operation}`);
  return actor;
}

/** The main matrix's world plus A1's shop: its keeper (shopA1), a schedule, rice in stock, an open redemption. */
export async function buildShopWorld(t: TestApp, w: World, ctx: Ctx): Promise<WorldWithShop> {
  const ok = async (actor: string, query: string, variables: Record<string, unknown>) => {
    const res = await ctx.as(actor as any, query, variables);
    if (res.errors) throw new Error(`${actor}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const mobile = nextMobile();
  const shopkeeperA1 = (await ok('mgrA1', SHOP_OPERATIONS.appointShopkeeper.query, { input: { branchId: w.branchA1, name: '超市管理员', mobile } })).appointShopkeeper.personId;
  (ctx.tokens as Record<string, string>).shopA1 = await devLogin(t, mobile);
  await ok('mgrA1', SHOP_OPERATIONS.updateShop.query, await SHOP_OPERATIONS.updateShop.variables(w as WorldWithShop, 'mgrA1', ctx));
  const itemA1 = (await ok('mgrA1', `mutation($input: CreateShopItemInput!) { createShopItem(input: $input) { id } }`, {
    input: { branchId: w.branchA1, name: '东北大米', unit: '袋', pricePoints: 1 },
  })).createShopItem.id;
  await ok('mgrA1', SHOP_OPERATIONS.recordStockReceipt.query, { input: { itemId: itemA1, source: 'DONATION', donorKind: 'ORGANISATION', donorName: '潞城镇粮油公司', quantity: 20 } });
  await ok('mgrA1', SHOP_OPERATIONS.recordStockReceipt.query, { input: { itemId: itemA1, source: 'PURCHASE', quantity: 2000 } });
  // Points for resident A1's many redemptions (each confirmation and cancellation makes one).
  await ok('admA', `mutation($input: AdjustmentInput!) { postAdjustment(input: $input) { id } }`, {
    input: { accountId: w.residentA1.accountId, amount: 1000, reason: '积分超市测试', idempotencyKey: 'shop-matrix-points' },
  });
  const world: WorldWithShop = { ...w, shop: { itemA1, codeA1: '', shopkeeperA1 } };
  world.shop.codeA1 = (await redemptionOfResA1(world, ctx)).code;
  return world;
}

export async function buildWorldWithShop(t: TestApp): Promise<{ world: WorldWithShop; ctx: Ctx }> {
  const { world, ctx } = await buildWorld(t);
  return { world: await buildShopWorld(t, world, ctx), ctx };
}
