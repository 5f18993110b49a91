import { GraphQLSchemaHost } from '@nestjs/graphql';
import { setNow } from '../support/activity-fixture';
import { dbFingerprint } from '../support/db-fingerprint';
import { nextMobile } from '../support/factories';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';
import { Actor, ACTORS, Ctx, expectedOutcome, OPERATIONS, TABLE } from './authorization-matrix';
import { buildWorldWithShop, expectedOutcome as shopOutcome, SHOP_ACTORS, SHOP_OPERATIONS, SHOP_TABLE, WorldWithShop } from './shop-matrix';

/**
 * Runs every query and mutation of the schema as each actor and compares the outcome
 * with the table in ./authorization-matrix.ts. A new operation without a row there fails.
 */
describe('authorization across branches and townships', () => {
  let t: TestApp;
  let w: WorldWithShop;
  let ctx: Ctx;

  const gql = (query: string, variables: Record<string, unknown>, token?: string) => t.gql(query, variables, token);
  const as = (actor: Actor, query: string, variables: Record<string, unknown> = {}) => ctx.as(actor, query, variables);
  const ok = (res: GqlResponse) => {
    expect(res.errors).toBeUndefined();
    return res.data;
  };

  beforeAll(async () => {
    // No WeChat mini-program configured: loginWithWechat is WECHAT_UNAVAILABLE for everyone.
    t = await startTestApp();
    ({ world: w, ctx } = await buildWorldWithShop(t));
  });
  afterAll(() => t?.close());
  afterEach(() => setNow(t, null));

  it('has a row for every query and mutation of the schema', () => {
    const schema = t.app.get(GraphQLSchemaHost).schema;
    const operations = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(operations.sort()).toEqual([...Object.keys(TABLE), ...Object.keys(SHOP_TABLE)].sort());
    expect(Object.keys(OPERATIONS).sort()).toEqual(Object.keys(TABLE).sort());
    expect(Object.keys(SHOP_OPERATIONS).sort()).toEqual(Object.keys(SHOP_TABLE).sort());
    for (const row of Object.values(TABLE)) expect([1, ACTORS.length]).toContain(row.split(/\s+/).length);
    for (const row of Object.values(SHOP_TABLE)) expect([1, SHOP_ACTORS.length]).toContain(row.split(/\s+/).length);
  });

  it.each(Object.keys(TABLE))('%s: every actor gets what the table says; refusals change nothing', (operation) =>
    checkRow(operation, OPERATIONS[operation] as any, ACTORS.map((actor) => ({ actor, expected: expectedOutcome(operation, actor) }))),
  );

  // The points shop's table (./shop-matrix.ts), with the shopkeeper as one more actor.
  it.each(Object.keys(SHOP_TABLE))('shop: %s: every actor gets what the table says; refusals change nothing', (operation) =>
    checkRow(operation, SHOP_OPERATIONS[operation], SHOP_ACTORS.map((actor) => ({ actor, expected: shopOutcome(operation, actor) }))),
  );

  async function checkRow(operation: string, op: (typeof SHOP_OPERATIONS)[string], outcomes: { actor: any; expected: string }[]) {
    if (op.at) setNow(t, op.at(w));
    // Refusals first, while the things they target are still there to be harmed; their
    // requests are prepared before the fingerprint (preparing may create things).
    const refused = [];
    for (const o of outcomes.filter((o) => o.expected !== 'OK')) refused.push({ ...o, variables: await op.variables(w, o.actor, ctx) });
    const allowed = outcomes.filter((o) => o.expected === 'OK');

    const before = await dbFingerprint(t.db.dataSource);
    for (const { actor, expected, variables } of refused) {
      const res = await as(actor, op.query, variables);
      const code = errorCode(res);
      const matches = expected === 'NO' ? code === 'FORBIDDEN' || code === 'NOT_FOUND' : code === (expected === 'UN' ? 'UNAUTHENTICATED' : expected);
      expect({ operation, actor, expected, got: code, matches }).toEqual({ operation, actor, expected, got: code, matches: true });
      // Nothing of the answer: no data at all, or null for a nullable field.
      expect(Object.values(res.data ?? {}).filter((v) => v !== null)).toEqual([]);
      expect(res.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);

    for (const { actor } of allowed) {
      const res = await as(actor, op.query, await op.variables(w, actor, ctx));
      expect({ operation, actor, errors: res.errors }).toEqual({ operation, actor, errors: undefined });
      await op.check?.(res.data, w, actor, ctx);
    }
  }

  it('takes a revoked role away at once, even from a token issued before', async () => {
    const mobile = nextMobile();
    const staff = ok(await as('admA', OPERATIONS.appointBranchManager.query, { input: { branchId: w.branchA1, name: '行长', mobile } })).appointBranchManager;
    const [{ id: personId }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    const token = await devLogin(t, mobile);
    expect(staff.role).toBe('BRANCH_MANAGER');
    expect(ok(await gql(OPERATIONS.branchResidents.query, { branchId: w.branchA1 }, token))).toBeTruthy();
    ok(await as('admA', OPERATIONS.revokeBranchManager.query, { input: { scopeId: w.branchA1, personId } }));
    expect(errorCode(await gql(OPERATIONS.branchResidents.query, { branchId: w.branchA1 }, token))).toBe('FORBIDDEN');
  });

  it('does not let a manager take over a resident of another branch or township by registering their mobile', async () => {
    const [{ mobile: otherBranch }] = await t.db.dataSource.query(
      `SELECT p.mobile FROM person p JOIN resident r ON r.person_id = p.id WHERE r.branch_id = $1 LIMIT 1`,
      [w.branchA2],
    );
    const [other] = await t.db.dataSource.query(
      `SELECT p.id, p.name, p.mobile, r.id AS "residentId", r.branch_id AS "branchId" FROM person p JOIN resident r ON r.person_id = p.id
       WHERE r.township_id <> $1 LIMIT 1`,
      [w.townshipA],
    );
    // Another branch of the same township: the same person, refused.
    const before = await dbFingerprint(t.db.dataSource);
    const res = await as('mgrA1', OPERATIONS.registerResident.query, { input: { branchId: w.branchA1, name: '居民', mobile: otherBranch } });
    expect(errorCode(res)).toBe('MOBILE_TAKEN');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    // Another township's resident: township A's own new record of the number; theirs is untouched.
    const registered = await as('mgrA1', `mutation($input: RegisterResidentInput!) { registerResident(input: $input) { personId name branchId } }`, {
      input: { branchId: w.branchA1, name: '甲镇居民', mobile: other.mobile },
    });
    expect(registered.data.registerResident).toMatchObject({ name: '甲镇居民', branchId: w.branchA1 });
    expect(registered.data.registerResident.personId).not.toBe(other.id);
    const [after] = await t.db.dataSource.query(`SELECT p.name, r.branch_id AS "branchId" FROM person p JOIN resident r ON r.person_id = p.id WHERE r.id = $1`, [
      other.residentId,
    ]);
    expect(after).toEqual({ name: other.name, branchId: other.branchId });
  });

  it('shows residents who runs their branch with the mobile masked, and its managers in full', async () => {
    const query = `query($b: ID!) { branchStaff(branchId: $b) { personId mobile } }`;
    const asResident = await t.gql(query, { b: w.branchA1 }, ctx.tokens.resA1);
    const asManager = await t.gql(query, { b: w.branchA1 }, ctx.tokens.mgrA1);
    const full = asManager.data.branchStaff.find((s: any) => s.personId === w.managerA1).mobile;
    expect(full).toMatch(/^1\d{10}$/);
    const masked = asResident.data.branchStaff.find((s: any) => s.personId === w.managerA1).mobile;
    expect(masked).toBe(`${full.slice(0, 3)}****${full.slice(7)}`);
  });

  it("shows a resident only their own balance and history through `me`", async () => {
    const balanceOf = async (residentId: string) =>
      Number((await t.db.dataSource.query(`SELECT b.balance FROM account a JOIN account_balance b ON b.account_id = a.id WHERE a.resident_id = $1`, [residentId]))[0].balance);
    const query = `{ me { personId resident { residentId } balance history(first: 100) { edges { node { amount } } } } }`;
    for (const actor of ['resA1', 'resA2'] as const) {
      const me = ok(await as(actor, query)).me;
      expect(me.resident.residentId).toBe(w.residentOf[actor]);
      expect(me.balance).toBe(await balanceOf(w.residentOf[actor]!));
      expect(me.history.edges.reduce((sum: number, e: any) => sum + e.node.amount, 0)).toBe(me.balance);
    }
    expect(ok(await as('resA1', query)).me.personId).toBe(w.residentA1.personId);
    // The 50-point opening balance is resA1's alone.
    expect(await balanceOf(w.residentOf.resA1!)).toBeGreaterThan(await balanceOf(w.residentOf.resA2!) + 30);
  });
});
