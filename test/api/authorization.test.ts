import { randomUUID } from 'node:crypto';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { dbFingerprint } from '../support/db-fingerprint';
import { nextMobile } from '../support/factories';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

/**
 * Who may run which operation, against things of branch A1 of township A:
 *   OK  succeeds                     UN  UNAUTHENTICATED
 *   NO  FORBIDDEN or NOT_FOUND, and nothing changes
 *   any other value: that error code for everyone (public operations).
 * Actors: anonymous; residents of A1 and A2; managers of A1 and A2 (the A2 manager is
 * also a resident of A1); the admin of A; a resident, a manager and the admin of
 * township B. Every query and mutation of the schema must have a row: a new operation
 * without one fails the test.
 */
const ACTORS = ['anon', 'resA1', 'resA2', 'mgrA1', 'mgrA2', 'admA', 'resB1', 'mgrB1', 'admB'] as const;
const TABLE: Record<string, string> = {
  //                      anon resA1 resA2 mgrA1 mgrA2 admA resB1 mgrB1 admB
  me:                    'UN   OK    OK    OK    OK    OK   OK    OK    OK',
  township:              'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branches:              'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branch:                'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  serviceTeams:          'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branchStaff:           'UN   OK    OK    OK    OK    OK   NO    NO    NO',
  branchResidents:       'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  branchAccounts:        'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  residentHistory:       'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  townshipAccounts:      'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  reconciliation:        'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  createServiceTeam:     'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  registerResident:      'UN   NO    NO    OK    NO    OK   NO    NO    NO',
  createBranch:          'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  appointBranchManager:  'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  revokeBranchManager:   'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  appointTownshipAdmin:  'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  revokeTownshipAdmin:   'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  postAdjustment:        'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  reverseEntry:          'UN   NO    NO    NO    NO    OK   NO    NO    NO',
  devLogin:              'OK   OK    OK    OK    OK    OK   OK    OK    OK',
  loginWithWechat:       'WECHAT_UNAVAILABLE',
  bindWechat:            'BINDING_EXPIRED',
};

type Actor = (typeof ACTORS)[number];

interface World {
  townshipA: string;
  branchA1: string;
  branchA2: string;
  managerA1: string;
  residentA1: { id: string; personId: string; accountId: string; mobile: string };
  /** Revoked by the one actor allowed to (admin A). */
  victimManagerA1: string;
  victimAdminA: string;
  /** An adjustment to resident A1, reversed by the one actor allowed to. */
  entryToReverse: string;
}

interface Operation {
  query: string;
  variables: (w: World) => Record<string, unknown>;
  /** What a successful answer must show (beyond "no errors"). */
  check?: (data: any, w: World) => void;
}

const fresh = () => randomUUID().slice(0, 8);

const OPERATIONS: Record<string, Operation> = {
  me: { query: `{ me { personId } }`, variables: () => ({}) },
  township: {
    query: `query($id: ID!) { township(id: $id) { id } }`,
    variables: (w) => ({ id: w.townshipA }),
    check: (d, w) => expect(d.township.id).toBe(w.townshipA),
  },
  branches: {
    query: `query($t: ID!) { branches(townshipId: $t, first: 100) { edges { node { id townshipId } } } }`,
    variables: (w) => ({ t: w.townshipA }),
    check: (d, w) => {
      const ids = d.branches.edges.map((e: any) => e.node.id);
      expect(ids).toEqual(expect.arrayContaining([w.branchA1, w.branchA2]));
      for (const e of d.branches.edges) expect(e.node.townshipId).toBe(w.townshipA);
    },
  },
  branch: { query: `query($id: ID!) { branch(id: $id) { id } }`, variables: (w) => ({ id: w.branchA1 }), check: (d, w) => expect(d.branch.id).toBe(w.branchA1) },
  serviceTeams: { query: `query($b: ID!) { serviceTeams(branchId: $b) { branchId } }`, variables: (w) => ({ b: w.branchA1 }) },
  branchStaff: {
    query: `query($b: ID!) { branchStaff(branchId: $b) { personId } }`,
    variables: (w) => ({ b: w.branchA1 }),
    check: (d, w) => expect(d.branchStaff.map((s: any) => s.personId)).toContain(w.managerA1),
  },
  branchResidents: {
    query: `query($b: ID!) { branchResidents(branchId: $b, first: 100) { edges { node { id branchId } } } }`,
    variables: (w) => ({ b: w.branchA1 }),
    check: (d, w) => {
      expect(d.branchResidents.edges.map((e: any) => e.node.id)).toContain(w.residentA1.id);
      for (const e of d.branchResidents.edges) expect(e.node.branchId).toBe(w.branchA1);
    },
  },
  branchAccounts: {
    query: `query($b: ID!) { branchAccounts(branchId: $b) { kind branchId } }`,
    variables: (w) => ({ b: w.branchA1 }),
    check: (d, w) =>
      expect(d.branchAccounts).toEqual([
        { kind: 'BRANCH_ISSUANCE', branchId: w.branchA1 },
        { kind: 'BRANCH_REDEMPTION', branchId: w.branchA1 },
      ]),
  },
  residentHistory: {
    query: `query($r: ID!) { residentHistory(residentId: $r) { edges { node { amount } } } }`,
    variables: (w) => ({ r: w.residentA1.id }),
    check: (d) => expect(d.residentHistory.edges.length).toBeGreaterThan(0),
  },
  townshipAccounts: {
    query: `query($t: ID!) { townshipAccounts(townshipId: $t) { kind branchId } }`,
    variables: (w) => ({ t: w.townshipA }),
    check: (d, w) => {
      for (const a of d.townshipAccounts) expect([null, w.branchA1, w.branchA2]).toContain(a.branchId);
      expect(d.townshipAccounts.length).toBe(6);
    },
  },
  reconciliation: {
    query: `query($t: ID!) { reconciliation(townshipId: $t) { ok townshipId } }`,
    variables: (w) => ({ t: w.townshipA }),
    check: (d, w) => expect(d.reconciliation).toEqual({ ok: true, townshipId: w.townshipA }),
  },
  createServiceTeam: {
    query: `mutation($b: ID!, $n: String!) { createServiceTeam(input: { branchId: $b, name: $n }) { branchId } }`,
    variables: (w) => ({ b: w.branchA1, n: `服务队${fresh()}` }),
    check: (d, w) => expect(d.createServiceTeam.branchId).toBe(w.branchA1),
  },
  registerResident: {
    query: `mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "新居民", mobile: $m }) { branchId } }`,
    variables: (w) => ({ b: w.branchA1, m: nextMobile() }),
    check: (d, w) => expect(d.registerResident.branchId).toBe(w.branchA1),
  },
  createBranch: {
    query: `mutation($t: ID!, $n: String!) { createBranch(input: { townshipId: $t, name: $n }) { townshipId } }`,
    variables: (w) => ({ t: w.townshipA, n: `新村${fresh()}` }),
    check: (d, w) => expect(d.createBranch.townshipId).toBe(w.townshipA),
  },
  appointBranchManager: {
    query: `mutation($b: ID!, $m: String!) { appointBranchManager(input: { branchId: $b, name: "新行长", mobile: $m }) { role personId } }`,
    variables: (w) => ({ b: w.branchA1, m: nextMobile() }),
  },
  revokeBranchManager: {
    query: `mutation($s: ID!, $p: ID!) { revokeBranchManager(input: { scopeId: $s, personId: $p }) }`,
    variables: (w) => ({ s: w.branchA1, p: w.victimManagerA1 }),
    check: (d) => expect(d.revokeBranchManager).toBe(true),
  },
  appointTownshipAdmin: {
    query: `mutation($t: ID!, $m: String!) { appointTownshipAdmin(input: { townshipId: $t, name: "新行长", mobile: $m }) { role personId } }`,
    variables: (w) => ({ t: w.townshipA, m: nextMobile() }),
  },
  revokeTownshipAdmin: {
    query: `mutation($s: ID!, $p: ID!) { revokeTownshipAdmin(input: { scopeId: $s, personId: $p }) }`,
    variables: (w) => ({ s: w.townshipA, p: w.victimAdminA }),
    check: (d) => expect(d.revokeTownshipAdmin).toBe(true),
  },
  postAdjustment: {
    query: `mutation($a: ID!, $k: String!) { postAdjustment(input: { accountId: $a, amount: 1, reason: "补录", idempotencyKey: $k }) { created } }`,
    variables: (w) => ({ a: w.residentA1.accountId, k: `authz-${fresh()}` }),
    check: (d) => expect(d.postAdjustment.created).toBe(true),
  },
  reverseEntry: {
    query: `mutation($e: ID!) { reverseEntry(input: { entryId: $e, reason: "录入错误" }) { created } }`,
    variables: (w) => ({ e: w.entryToReverse }),
    check: (d) => expect(d.reverseEntry.created).toBe(true),
  },
  devLogin: {
    query: `mutation($m: String!) { devLogin(mobile: $m) { status } }`,
    variables: (w) => ({ m: w.residentA1.mobile }),
    check: (d) => expect(d.devLogin.status).toBe('LOGGED_IN'),
  },
  loginWithWechat: { query: `mutation { loginWithWechat(code: "wx-code") { status } }`, variables: () => ({}) },
  bindWechat: { query: `mutation { bindWechat(bindingToken: "forged", phoneCode: "phone-code") { status } }`, variables: () => ({}) },
};

function expectedOutcome(operation: string, actor: Actor): string {
  const row = TABLE[operation].split(/\s+/);
  return row.length === 1 ? row[0] : row[ACTORS.indexOf(actor)];
}

describe('authorization across branches and townships', () => {
  let t: TestApp;
  let w: World;
  const tokens: Partial<Record<Actor, string>> = {};

  const gql = (query: string, variables: Record<string, unknown>, token?: string) => t.gql(query, variables, token);
  const as = (actor: Actor, query: string, variables: Record<string, unknown> = {}) => gql(query, variables, tokens[actor]);
  const ok = (res: GqlResponse) => {
    expect(res.errors).toBeUndefined();
    return res.data;
  };

  beforeAll(async () => {
    // No WeChat mini-program configured: loginWithWechat is WECHAT_UNAVAILABLE for everyone.
    t = await startTestApp();
    const organisation = t.app.get(OrganisationService);
    const mobiles = { admA: nextMobile(), admB: nextMobile() } as Record<string, string>;
    const { townshipId: townshipA } = await organisation.bootstrap({ townshipCode: `a-${fresh()}`, townshipName: '甲镇', adminName: '甲镇长', adminMobile: mobiles.admA });
    const { townshipId: townshipB } = await organisation.bootstrap({ townshipCode: `b-${fresh()}`, townshipName: '乙镇', adminName: '乙镇长', adminMobile: mobiles.admB });
    tokens.admA = await devLogin(t, mobiles.admA);
    tokens.admB = await devLogin(t, mobiles.admB);

    // Through the API, as the real roles would: admins create branches and appoint managers,
    // managers register residents.
    const branch = async (admin: Actor, townshipId: string, name: string) =>
      ok(await as(admin, `mutation($t: ID!, $n: String!) { createBranch(input: { townshipId: $t, name: $n }) { id } }`, { t: townshipId, n: name })).createBranch.id;
    const appoint = async (admin: Actor, branchId: string, mobile: string) =>
      ok(await as(admin, OPERATIONS.appointBranchManager.query, { b: branchId, m: mobile })).appointBranchManager;
    const register = async (manager: Actor, branchId: string, mobile: string) =>
      ok(
        await as(manager, `mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "居民", mobile: $m }) { id personId } }`, {
          b: branchId,
          m: mobile,
        }),
      ).registerResident as { id: string; personId: string };

    const branchA1 = await branch('admA', townshipA, '甲一村');
    const branchA2 = await branch('admA', townshipA, '甲二村');
    const branchB1 = await branch('admB', townshipB, '乙一村');
    await branch('admB', townshipB, '乙二村');
    for (const [actor, admin, branchId] of [
      ['mgrA1', 'admA', branchA1],
      ['mgrA2', 'admA', branchA2],
      ['mgrB1', 'admB', branchB1],
    ] as const) {
      mobiles[actor] = nextMobile();
      await appoint(admin, branchId, mobiles[actor]);
      tokens[actor] = await devLogin(t, mobiles[actor]);
    }
    const registered: Record<string, { id: string; personId: string }> = {};
    for (const [actor, manager, branchId] of [
      ['resA1', 'mgrA1', branchA1],
      ['resA2', 'mgrA2', branchA2],
      ['resB1', 'mgrB1', branchB1],
    ] as const) {
      mobiles[actor] = nextMobile();
      registered[actor] = await register(manager, branchId, mobiles[actor]);
      tokens[actor] = await devLogin(t, mobiles[actor]);
    }
    // One person can be a resident and a manager: the A2 manager lives in A1.
    await register('mgrA1', branchA1, mobiles.mgrA2);

    const [{ id: accountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [registered.resA1.id]);
    const adjust = (key: string, amount: number) =>
      as('admA', `mutation($a: ID!, $k: String!, $n: Int!) { postAdjustment(input: { accountId: $a, amount: $n, reason: "期初", idempotencyKey: $k }) { id } }`, {
        a: accountId,
        k: key,
        n: amount,
      });
    ok(await adjust('opening-balance-1', 50));
    const entryToReverse = ok(await adjust('opening-balance-2', 5)).postAdjustment.id;
    const victimManagerA1 = (await appoint('admA', branchA1, nextMobile())).personId;
    const victimAdminA = ok(await as('admA', OPERATIONS.appointTownshipAdmin.query, { t: townshipA, m: nextMobile() })).appointTownshipAdmin.personId;
    const [{ id: managerA1 }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobiles.mgrA1]);

    w = {
      townshipA,
      branchA1,
      branchA2,
      managerA1,
      residentA1: { ...registered.resA1, accountId, mobile: mobiles.resA1 },
      victimManagerA1,
      victimAdminA,
      entryToReverse,
    };
  });
  afterAll(() => t?.close());

  it('has a row for every query and mutation of the schema', () => {
    const schema = t.app.get(GraphQLSchemaHost).schema;
    const operations = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(operations.sort()).toEqual(Object.keys(TABLE).sort());
    expect(Object.keys(OPERATIONS).sort()).toEqual(Object.keys(TABLE).sort());
    for (const row of Object.values(TABLE)) expect([1, ACTORS.length]).toContain(row.split(/\s+/).length);
  });

  it.each(Object.keys(TABLE))('%s: every actor gets what the table says; refusals change nothing', async (operation) => {
    const op = OPERATIONS[operation];
    const outcomes = ACTORS.map((actor) => ({ actor, expected: expectedOutcome(operation, actor) }));
    // Refusals first, while the things they target are still there to be harmed.
    const refused = outcomes.filter((o) => o.expected !== 'OK');
    const allowed = outcomes.filter((o) => o.expected === 'OK');

    const before = await dbFingerprint(t.db.dataSource);
    for (const { actor, expected } of refused) {
      const res = await as(actor, op.query, op.variables(w));
      const code = errorCode(res);
      const matches = expected === 'NO' ? code === 'FORBIDDEN' || code === 'NOT_FOUND' : code === (expected === 'UN' ? 'UNAUTHENTICATED' : expected);
      expect({ operation, actor, expected, got: code, matches }).toEqual({ operation, actor, expected, got: code, matches: true });
      expect(res.data).toBeNull();
      expect(res.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);

    for (const { actor } of allowed) {
      const res = await as(actor, op.query, op.variables(w));
      expect({ operation, actor, errors: res.errors }).toEqual({ operation, actor, errors: undefined });
      op.check?.(res.data, w);
    }
  });

  it('takes a revoked role away at once, even from a token issued before', async () => {
    const mobile = nextMobile();
    const staff = ok(await as('admA', OPERATIONS.appointBranchManager.query, { b: w.branchA1, m: mobile })).appointBranchManager;
    const [{ id: personId }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    const token = await devLogin(t, mobile);
    expect(staff.role).toBe('BRANCH_MANAGER');
    expect(ok(await gql(OPERATIONS.branchResidents.query, { b: w.branchA1 }, token))).toBeTruthy();
    ok(await as('admA', OPERATIONS.revokeBranchManager.query, { s: w.branchA1, p: personId }));
    expect(errorCode(await gql(OPERATIONS.branchResidents.query, { b: w.branchA1 }, token))).toBe('FORBIDDEN');
  });

  it('does not let a manager take over a resident of another branch or township by registering their mobile', async () => {
    const [{ mobile: otherBranch }] = await t.db.dataSource.query(
      `SELECT p.mobile FROM person p JOIN resident r ON r.person_id = p.id WHERE r.branch_id = $1 LIMIT 1`,
      [w.branchA2],
    );
    const [{ mobile: otherTownship }] = await t.db.dataSource.query(
      `SELECT p.mobile FROM person p JOIN resident r ON r.person_id = p.id WHERE r.township_id <> $1 LIMIT 1`,
      [w.townshipA],
    );
    const before = await dbFingerprint(t.db.dataSource);
    for (const mobile of [otherBranch, otherTownship]) {
      const res = await as('mgrA1', OPERATIONS.registerResident.query, { b: w.branchA1, m: mobile });
      expect(errorCode(res)).toBe('MOBILE_TAKEN');
    }
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
  });

  it('shows residents who runs their branch with the mobile masked, and its managers in full', async () => {
    const query = `query($b: ID!) { branchStaff(branchId: $b) { personId mobile } }`;
    const asResident = await t.gql(query, { b: w.branchA1 }, tokens.resA1);
    const asManager = await t.gql(query, { b: w.branchA1 }, tokens.mgrA1);
    const full = asManager.data.branchStaff.find((s: any) => s.personId === w.managerA1).mobile;
    expect(full).toMatch(/^1\d{10}$/);
    const masked = asResident.data.branchStaff.find((s: any) => s.personId === w.managerA1).mobile;
    expect(masked).toBe(`${full.slice(0, 3)}****${full.slice(7)}`);
  });

  it("shows a resident only their own balance and history through `me`", async () => {
    const me = ok(await as('resA1', `{ me { personId balance history(first: 10) { edges { node { amount } } } } }`)).me;
    expect(me.personId).toBe(w.residentA1.personId);
    expect(me.balance).toBe(50 + 1); // opening balance + the admin's adjustment above; the reversed 5 is gone
    const other = ok(await as('resA2', `{ me { balance history(first: 10) { edges { node { amount } } } } }`)).me;
    expect(other).toEqual({ balance: 0, history: { edges: [] } });
  });
});
