import { randomUUID } from 'node:crypto';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { dbFingerprint, DbFingerprint } from '../support/db-fingerprint';
import { nextMobile } from '../support/factories';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

/** Ids of the things the cases aim at (filled in beforeAll). */
interface World {
  townshipId: string;
  branchId: string;
  residentId: string;
  residentAccountId: string;
  adjustmentAccountId: string;
  managerId: string;
  /** A +10 adjustment to the resident, made with key `opening-balance`. */
  openingEntryId: string;
  /** An entry already reversed, and its reversal. */
  reversedEntryId: string;
  reversalEntryId: string;
}

interface Case {
  name: string;
  query: string;
  variables: (w: World) => Record<string, unknown>;
  /** The coded error expected; anything but INTERNAL_SERVER_ERROR, and the database unchanged. */
  code: string;
}

const CREATE_BRANCH = `mutation($t: ID!, $n: String!, $k: BranchKind) { createBranch(input: { townshipId: $t, name: $n, kind: $k }) { id } }`;
const CREATE_TEAM = `mutation($b: ID!, $n: String!) { createServiceTeam(input: { branchId: $b, name: $n }) { id } }`;
const REGISTER = `mutation($b: ID!, $n: String!, $m: String!) { registerResident(input: { branchId: $b, name: $n, mobile: $m }) { id } }`;
const APPOINT_MANAGER = `mutation($b: ID!, $n: String!, $m: String!) { appointBranchManager(input: { branchId: $b, name: $n, mobile: $m }) { personId } }`;
const APPOINT_ADMIN = `mutation($t: ID!, $m: String!) { appointTownshipAdmin(input: { townshipId: $t, name: "管理员", mobile: $m }) { personId } }`;
const REVOKE_MANAGER = `mutation($s: ID!, $p: ID!) { revokeBranchManager(input: { scopeId: $s, personId: $p }) }`;
const REVOKE_ADMIN = `mutation($s: ID!, $p: ID!) { revokeTownshipAdmin(input: { scopeId: $s, personId: $p }) }`;
const ADJUST = `mutation($a: ID!, $n: Int!, $r: String!, $k: String!) { postAdjustment(input: { accountId: $a, amount: $n, reason: $r, idempotencyKey: $k }) { id } }`;
const REVERSE = `mutation($e: ID!, $r: String!) { reverseEntry(input: { entryId: $e, reason: $r }) { id } }`;
const DEV_LOGIN = `mutation($m: String!) { devLogin(mobile: $m) { accessToken } }`;
const RESIDENTS = `query($b: ID!, $f: Int, $a: String, $s: ResidentSearchInput) { branchResidents(branchId: $b, first: $f, after: $a, search: $s) { edges { cursor } } }`;
const HISTORY = `query($r: ID!, $f: Int, $a: String) { residentHistory(residentId: $r, first: $f, after: $a) { edges { cursor } } }`;

const BAD_IDS = ['not-a-uuid', '', "'; DROP TABLE account; --", '123', `${randomUUID()} `, `${randomUUID()}0`];
const BAD_MOBILES = ['12345678901', '1380000000', '138000000001', '+8613800000000', '138-0000-0000', '１３８００００００００', '', '1380000000a'];
/** Single-line text that must be refused: empty, blank, control characters, invisible spoofing characters. */
const BAD_NAMES = ['', '   ', 'a\u0000b', '李\u0007四', 'line\nbreak', 'evil\u202eman', '张\u200b三', '王\ufeff五', '\u2066李\u2069'];
const key = () => `key-${randomUUID()}`;

function cases(): Case[] {
  const c: Case[] = [];
  const add = (name: string, query: string, variables: Case['variables'], code = 'BAD_USER_INPUT') => c.push({ name, query, variables, code });

  // ---- malformed ids, everywhere an id is taken
  for (const id of BAD_IDS) {
    const label = JSON.stringify(id);
    add(`createBranch townshipId ${label}`, CREATE_BRANCH, () => ({ t: id, n: '新村' }));
    add(`createServiceTeam branchId ${label}`, CREATE_TEAM, () => ({ b: id, n: '服务队' }));
    add(`registerResident branchId ${label}`, REGISTER, () => ({ b: id, n: '居民', m: nextMobile() }));
    add(`appointBranchManager branchId ${label}`, APPOINT_MANAGER, () => ({ b: id, n: '行长', m: nextMobile() }));
    add(`appointTownshipAdmin townshipId ${label}`, APPOINT_ADMIN, () => ({ t: id, m: nextMobile() }));
    add(`revokeBranchManager scopeId ${label}`, REVOKE_MANAGER, (w) => ({ s: id, p: w.managerId }));
    add(`revokeBranchManager personId ${label}`, REVOKE_MANAGER, (w) => ({ s: w.branchId, p: id }));
    add(`revokeTownshipAdmin personId ${label}`, REVOKE_ADMIN, (w) => ({ s: w.townshipId, p: id }));
    add(`postAdjustment accountId ${label}`, ADJUST, () => ({ a: id, n: 1, r: '补录', k: key() }));
    for (const [query, arg] of [
      ['township(id: $x) { id }', 'x'],
      ['branch(id: $x) { id }', 'x'],
      ['branches(townshipId: $x) { edges { cursor } }', 'x'],
      ['serviceTeams(branchId: $x) { id }', 'x'],
      ['branchStaff(branchId: $x) { personId }', 'x'],
      ['branchResidents(branchId: $x) { edges { cursor } }', 'x'],
      ['branchAccounts(branchId: $x) { id }', 'x'],
      ['townshipAccounts(townshipId: $x) { id }', 'x'],
      ['reconciliation(townshipId: $x) { ok }', 'x'],
      ['residentHistory(residentId: $x) { edges { cursor } }', 'x'],
    ]) {
      add(`${query.split('(')[0]} ${label}`, `query($x: ID!) { ${query} }`, () => ({ [arg]: id }));
    }
  }
  for (const id of ['abc', '0', '-1', '1.5', '12345678901234567890', '１', "1; DELETE FROM posting"]) {
    add(`reverseEntry entryId ${JSON.stringify(id)}`, REVERSE, () => ({ e: id, r: '冲正' }));
  }

  // ---- well-formed ids of nothing (or of the wrong kind of thing)
  add('createBranch in an unknown township', CREATE_BRANCH, () => ({ t: randomUUID(), n: '新村' }), 'FORBIDDEN');
  add('createServiceTeam in an unknown branch', CREATE_TEAM, () => ({ b: randomUUID(), n: '服务队' }), 'NOT_FOUND');
  add('registerResident in an unknown branch', REGISTER, () => ({ b: randomUUID(), n: '居民', m: nextMobile() }), 'NOT_FOUND');
  add('appointBranchManager to an unknown branch', APPOINT_MANAGER, () => ({ b: randomUUID(), n: '行长', m: nextMobile() }), 'NOT_FOUND');
  add('revokeBranchManager of an unknown branch', REVOKE_MANAGER, (w) => ({ s: randomUUID(), p: w.managerId }), 'NOT_FOUND');
  add('postAdjustment to an unknown account', ADJUST, () => ({ a: randomUUID(), n: 1, r: '补录', k: key() }), 'UNKNOWN_ACCOUNT');
  add('postAdjustment to a resident id (not an account id)', ADJUST, (w) => ({ a: w.residentId, n: 1, r: '补录', k: key() }), 'UNKNOWN_ACCOUNT');
  add('reverseEntry of an unknown entry', REVERSE, () => ({ e: '987654321', r: '冲正' }), 'NOT_FOUND');
  add('residentHistory of an unknown resident', `query($x: ID!) { residentHistory(residentId: $x) { edges { cursor } } }`, () => ({ x: randomUUID() }), 'NOT_FOUND');
  add('residentHistory of an account id', `query($x: ID!) { residentHistory(residentId: $x) { edges { cursor } } }`, (w) => ({ x: w.residentAccountId }), 'NOT_FOUND');
  add('branch that does not exist', `query($x: ID!) { branch(id: $x) { id } }`, () => ({ x: randomUUID() }), 'NOT_FOUND');

  // ---- amounts
  for (const amount of [0, 10_001, -10_001, 2_147_483_647, -2_147_483_648]) {
    add(`postAdjustment amount ${amount}`, ADJUST, (w) => ({ a: w.residentAccountId, n: amount, r: '补录', k: key() }));
  }
  // Not GraphQL Ints at all: refused by the GraphQL layer before any code runs.
  for (const amount of [2_147_483_648, 1e20, 1.5, '5', null, true]) {
    add(`postAdjustment amount ${JSON.stringify(amount)}`, ADJUST, (w) => ({ a: w.residentAccountId, n: amount, r: '补录', k: key() }));
  }
  add('postAdjustment taking more than the resident holds', ADJUST, (w) => ({ a: w.residentAccountId, n: -11, r: '扣减', k: key() }), 'INSUFFICIENT_POINTS');
  add('postAdjustment to the adjustment account itself', ADJUST, (w) => ({ a: w.adjustmentAccountId, n: 5, r: '补录', k: key() }));
  add('postAdjustment replaying a key with another amount', ADJUST, (w) => ({ a: w.residentAccountId, n: 11, r: '期初', k: 'opening-balance' }), 'IDEMPOTENCY_CONFLICT');
  add('postAdjustment amount as an inline string', `mutation($a: ID!) { postAdjustment(input: { accountId: $a, amount: "5", reason: "x", idempotencyKey: "inline-key-1" }) { id } }`, (w) => ({ a: w.residentAccountId }), 'GRAPHQL_VALIDATION_FAILED');

  // ---- reasons and keys
  for (const reason of ['', '   ', 'x'.repeat(501), '原因\u0000', '原因\u001b[31m', '\u202e因原']) {
    add(`postAdjustment reason ${JSON.stringify(reason.slice(0, 12))}${reason.length > 12 ? '…' : ''}`, ADJUST, (w) => ({ a: w.residentAccountId, n: 1, r: reason, k: key() }));
    add(`reverseEntry reason ${JSON.stringify(reason.slice(0, 12))}${reason.length > 12 ? '…' : ''}`, REVERSE, (w) => ({ e: w.openingEntryId, r: reason }));
  }
  for (const k of ['short', 'has space in it', 'k'.repeat(101), '中文业务编号中文业务编号', "key'; DROP TABLE posting; --", '']) {
    add(`postAdjustment idempotencyKey ${JSON.stringify(k.slice(0, 20))}`, ADJUST, (w) => ({ a: w.residentAccountId, n: 1, r: '补录', k }));
  }
  add('reverseEntry of an entry already reversed, with another reason', REVERSE, (w) => ({ e: w.reversedEntryId, r: '再次冲正' }), 'ALREADY_REVERSED');
  add('reverseEntry of a reversal', REVERSE, (w) => ({ e: w.reversalEntryId, r: '冲正冲正' }), 'NOT_REVERSIBLE');

  // ---- names
  for (const name of [...BAD_NAMES, '村'.repeat(51), 'x'.repeat(10_000)]) {
    const label = JSON.stringify(name.slice(0, 12)) + (name.length > 12 ? '…' : '');
    add(`createBranch name ${label}`, CREATE_BRANCH, (w) => ({ t: w.townshipId, n: name }));
    add(`createServiceTeam name ${label}`, CREATE_TEAM, (w) => ({ b: w.branchId, n: name }));
  }
  for (const name of [...BAD_NAMES, '名'.repeat(31)]) {
    const label = JSON.stringify(name.slice(0, 12)) + (name.length > 12 ? '…' : '');
    add(`registerResident name ${label}`, REGISTER, (w) => ({ b: w.branchId, n: name, m: nextMobile() }));
    add(`appointBranchManager name ${label}`, APPOINT_MANAGER, (w) => ({ b: w.branchId, n: name, m: nextMobile() }));
  }
  add('createBranch with an unknown kind', CREATE_BRANCH, (w) => ({ t: w.townshipId, n: '新村', k: 'CITY' }));
  add('createBranch name as a number', CREATE_BRANCH, (w) => ({ t: w.townshipId, n: 12345 }));
  add('createBranch name as an object', CREATE_BRANCH, (w) => ({ t: w.townshipId, n: { $gt: '' } }));
  add('createBranch with a name already taken', CREATE_BRANCH, (w) => ({ t: w.townshipId, n: '一村' }), 'ALREADY_EXISTS');
  add('createServiceTeam with a name already taken', CREATE_TEAM, (w) => ({ b: w.branchId, n: '治安巡逻队' }), 'ALREADY_EXISTS');
  add(
    'createBranch with an unknown input field',
    `mutation($i: CreateBranchInput!) { createBranch(input: $i) { id } }`,
    (w) => ({ i: { townshipId: w.townshipId, name: '新村', isAdmin: true } }),
  );

  // ---- mobiles
  for (const mobile of BAD_MOBILES) {
    const label = JSON.stringify(mobile);
    add(`registerResident mobile ${label}`, REGISTER, (w) => ({ b: w.branchId, n: '居民', m: mobile }));
    add(`appointBranchManager mobile ${label}`, APPOINT_MANAGER, (w) => ({ b: w.branchId, n: '行长', m: mobile }));
    add(`appointTownshipAdmin mobile ${label}`, APPOINT_ADMIN, (w) => ({ t: w.townshipId, m: mobile }));
    add(`devLogin mobile ${label}`, DEV_LOGIN, () => ({ m: mobile }));
  }

  // ---- pages and searches
  for (const first of [0, -1, 101, 1_000_000]) {
    add(`branchResidents first ${first}`, RESIDENTS, (w) => ({ b: w.branchId, f: first }));
    add(`residentHistory first ${first}`, HISTORY, (w) => ({ r: w.residentId, f: first }));
  }
  for (const after of ['garbage', Buffer.from('["x"]').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url'), 'a'.repeat(201), Buffer.from(`["${'9'.repeat(30)}"]`).toString('base64url')]) {
    add(`branchResidents after ${JSON.stringify(after.slice(0, 16))}`, RESIDENTS, (w) => ({ b: w.branchId, a: after }));
    add(`residentHistory after ${JSON.stringify(after.slice(0, 16))}`, HISTORY, (w) => ({ r: w.residentId, a: after }));
  }
  add('residentHistory after a cursor that is not a posting id', HISTORY, (w) => ({ r: w.residentId, a: Buffer.from('["1 OR 1=1"]').toString('base64url') }));
  for (const text of ['名'.repeat(31), '李\u0000', '', '\u202e']) {
    add(`branchResidents search ${JSON.stringify(text.slice(0, 8))}`, RESIDENTS, (w) => ({ b: w.branchId, s: { text } }));
  }
  return c;
}

describe('bad input over HTTP', () => {
  let t: TestApp;
  let w: World;
  let admin: string;
  /** The database as the previous case left it. */
  let last: DbFingerprint;

  beforeAll(async () => {
    t = await startTestApp();
    const adminMobile = nextMobile();
    const { townshipId, adminPersonId } = await t.app.get(OrganisationService).bootstrap({
      townshipCode: `bad-${randomUUID().slice(0, 8)}`,
      townshipName: '测试镇',
      adminName: '管理员',
      adminMobile,
    });
    admin = await devLogin(t, adminMobile);
    const ok = async (query: string, variables: Record<string, unknown>) => {
      const res = await t.gql(query, variables, admin);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data;
    };
    const branchId = (await ok(CREATE_BRANCH, { t: townshipId, n: '一村' })).createBranch.id;
    await ok(CREATE_TEAM, { b: branchId, n: '治安巡逻队' });
    const managerMobile = nextMobile();
    const managerId = (await ok(APPOINT_MANAGER, { b: branchId, n: '行长', m: managerMobile })).appointBranchManager.personId;
    const residentId = (await ok(REGISTER, { b: branchId, n: '居民', m: nextMobile() })).registerResident.id;
    const [{ id: residentAccountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [residentId]);
    const [{ id: adjustmentAccountId }] = await t.db.dataSource.query(
      `SELECT id FROM account WHERE township_id = $1 AND kind = 'TOWNSHIP_ADJUSTMENT'`,
      [townshipId],
    );
    const openingEntryId = (await ok(ADJUST, { a: residentAccountId, n: 10, r: '期初', k: 'opening-balance' })).postAdjustment.id;
    const reversedEntryId = (await ok(ADJUST, { a: residentAccountId, n: 3, r: '误录', k: 'mistaken-entry' })).postAdjustment.id;
    const reversalEntryId = (await ok(REVERSE, { e: reversedEntryId, r: '录入错误' })).reverseEntry.id;
    w = { townshipId, branchId, residentId, residentAccountId, adjustmentAccountId, managerId, openingEntryId, reversedEntryId, reversalEntryId };
    expect(adminPersonId).toBeTruthy();
    last = await dbFingerprint(t.db.dataSource);
  });
  afterAll(() => t?.close());

  it.each(cases().map((c) => [c.name, c] as const))('%s: coded error, nothing written', async (_, c) => {
    const res = await t.gql(c.query, c.variables(w), admin);
    const [before, after] = [last, (last = await dbFingerprint(t.db.dataSource))];
    expect({ code: errorCode(res), data: res.data ?? null }).toEqual({ code: c.code, data: null });
    expect(res.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
    expect(after).toEqual(before);
  });

  it('accepts what is merely unusual: emoji, mixed scripts, SQL-looking text, a newline in a reason', async () => {
    const names = ['李🌸Anna', 'Ōtsuka 大塚', "Robert'); DROP TABLE person;--", '👨‍👩‍👧 家庭'];
    for (const name of names) {
      const res = await t.gql(REGISTER, { b: w.branchId, n: name, m: nextMobile() }, admin);
      expect(res.errors).toBeUndefined();
    }
    const stored = await t.db.dataSource.query(`SELECT name FROM person WHERE name = ANY($1)`, [names]);
    expect(stored.map((r: { name: string }) => r.name).sort()).toEqual([...names].sort());
    const adj = await t.gql(ADJUST, { a: w.residentAccountId, n: 1, r: '第一行\n第二行', k: key() }, admin);
    expect(adj.errors).toBeUndefined();
    // Leading and trailing whitespace (a byte-order mark included) is trimmed, not refused.
    const trimmed = await t.gql(REGISTER, { b: w.branchId, n: '\ufeff王五 ', m: nextMobile() }, admin);
    expect(trimmed.errors).toBeUndefined();
    expect(await t.db.dataSource.query(`SELECT 1 FROM person WHERE name = '王五'`)).toHaveLength(1);
    const padded = nextMobile();
    expect((await t.gql(REGISTER, { b: w.branchId, n: '居民', m: ` ${padded} ` }, admin)).errors).toBeUndefined();
    expect(await t.db.dataSource.query(`SELECT 1 FROM person WHERE mobile = $1`, [padded])).toHaveLength(1);
  });
});
