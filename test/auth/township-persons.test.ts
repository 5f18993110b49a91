import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { FakeReply, FakeWechat, loginOk, phoneOk, startFakeWechat } from '../support/fake-wechat';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

const REGISTER = `mutation($b: ID!, $n: String!, $m: String!) { registerResident(input: { branchId: $b, name: $n, mobile: $m }) { id personId name mobile balance branchId } }`;
const APPOINT_MANAGER = `mutation($b: ID!, $n: String!, $m: String!) { appointBranchManager(input: { branchId: $b, name: $n, mobile: $m }) { personId name mobile role } }`;
const APPOINT_ADMIN = `mutation($t: ID!, $n: String!, $m: String!) { appointTownshipAdmin(input: { townshipId: $t, name: $n, mobile: $m }) { personId name mobile role } }`;
const DEV_LOGIN = `mutation($m: String!, $t: ID) { devLogin(mobile: $m, townshipId: $t) { status accessToken townships { id name } } }`;
const ME = `{ me { personId name resident { townshipId branchId } roles { role townshipId } } }`;

/**
 * Issue 9: persons were global by mobile, so township B learnt township A's people (their
 * real names through registerResident and appointBranchManager) and could squat a number
 * before A registered it. Persons are now per township: nothing of A shows through B.
 */
describe('persons belong to one township', () => {
  let t: TestApp;
  let wechat: FakeWechat;
  let codes = 0;
  const a = { townshipId: '', branchId: '', admin: '', adminMobile: nextMobile() };
  const b = { townshipId: '', branchId: '', admin: '', adminMobile: nextMobile(), manager: '' };
  /** A's people: their mobiles and the real names A recorded. */
  const aPeople: { role: string; mobile: string; name: string; personId: string }[] = [];

  async function township(code: string, name: string, adminMobile: string) {
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: code, townshipName: name, adminName: `${name}书记`, adminMobile });
    const admin = await devLogin(t, adminMobile);
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "一村" }) { id } }`, { t: townshipId }, admin);
    return { townshipId, admin, branchId: branch.data.createBranch.id as string };
  }

  beforeAll(async () => {
    wechat = await startFakeWechat();
    t = await startTestApp({ WECHAT_API_BASE_URL: wechat.baseUrl, WECHAT_APPID: wechat.appid, WECHAT_SECRET: wechat.secret });
    Object.assign(a, await township(`a${Date.now()}`, '甲镇', a.adminMobile));
    Object.assign(b, await township(`b${Date.now()}`, '乙镇', b.adminMobile));
    const managerMobile = nextMobile();
    await t.gql(APPOINT_MANAGER, { b: b.branchId, n: '乙村书记', m: managerMobile }, b.admin);
    b.manager = await devLogin(t, managerMobile);
    // A's admin, a manager and three residents, with their real names.
    const adminId = (await t.gql(ME, {}, a.admin)).data.me.personId;
    aPeople.push({ role: 'admin', mobile: a.adminMobile, name: '甲镇书记', personId: adminId });
    const manager = (await t.gql(APPOINT_MANAGER, { b: a.branchId, n: '赵建国', m: nextMobile() }, a.admin)).data.appointBranchManager;
    aPeople.push({ role: 'manager', mobile: manager.mobile, name: '赵建国', personId: manager.personId });
    for (const name of ['钱秀英', '孙卫东', '李桂兰']) {
      const resident = (await t.gql(REGISTER, { b: a.branchId, n: name, m: nextMobile() }, a.admin)).data.registerResident;
      aPeople.push({ role: 'resident', mobile: resident.mobile, name, personId: resident.personId });
    }
  });
  afterAll(async () => {
    await t?.close();
    await wechat?.close();
  });

  it("B's manager registering A's numbers learns nothing: B's own name comes back, as for a new number", async () => {
    for (const person of aPeople) {
      const res = await t.gql(REGISTER, { b: b.branchId, n: '乙镇居民', m: person.mobile }, b.manager);
      expect(res.errors).toBeUndefined();
      const registered = res.data.registerResident;
      expect(registered).toMatchObject({ name: '乙镇居民', mobile: person.mobile, balance: 0, branchId: b.branchId });
      expect(registered.personId).not.toBe(person.personId);
      expect(JSON.stringify(res)).not.toContain(person.name);
      // Shape and content as for a number nobody has.
      const fresh = (await t.gql(REGISTER, { b: b.branchId, n: '乙镇居民', m: nextMobile() }, b.manager)).data.registerResident;
      expect(Object.keys(registered).sort()).toEqual(Object.keys(fresh).sort());
    }
    // A's records are untouched.
    const [row] = await t.db.dataSource.query(`SELECT name FROM person WHERE id = $1`, [aPeople[2].personId]);
    expect(row.name).toBe(aPeople[2].name);
  });

  it("B's admin appointing A's people as manager or admin learns nothing, and gives them no role in A", async () => {
    for (const person of aPeople) {
      for (const [query, vars, field] of [
        [APPOINT_MANAGER, { b: b.branchId }, 'appointBranchManager'],
        [APPOINT_ADMIN, { t: b.townshipId }, 'appointTownshipAdmin'],
      ] as const) {
        const res = await t.gql(query, { ...vars, n: '乙镇干部', m: person.mobile }, b.admin);
        expect(res.errors).toBeUndefined();
        // B's own record of the number: the name B gave it now, or when B registered it before.
        expect(['乙镇干部', '乙镇居民']).toContain(res.data[field].name);
        expect(res.data[field].mobile).toBe(person.mobile);
        expect(res.data[field].personId).not.toBe(person.personId);
        expect(JSON.stringify(res)).not.toContain(person.name);
      }
    }
    const staff = await t.gql(`query($b: ID!) { branchStaff(branchId: $b) { personId name } }`, { b: b.branchId }, b.admin);
    for (const person of aPeople) expect(JSON.stringify(staff.data)).not.toContain(person.name);
    // A's people hold no role in B through A's person records.
    const roles = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM role_assignment WHERE person_id = ANY($1::uuid[]) AND township_id = $2`, [
      aPeople.map((p) => p.personId),
      b.townshipId,
    ]);
    expect(roles[0].n).toBe(0);
  });

  it('a number registered first in B can still be registered in A, by either order and either role', async () => {
    for (let i = 0; i < 4; i++) {
      const mobile = nextMobile();
      const [first, second] = i % 2 ? [a, b] : [b, a];
      const squat = await t.gql(REGISTER, { b: first.branchId, n: '抢先登记', m: mobile }, first.admin);
      expect(squat.errors).toBeUndefined();
      const real = i < 2 ? await t.gql(REGISTER, { b: second.branchId, n: '真实姓名', m: mobile }, second.admin) : await t.gql(APPOINT_MANAGER, { b: second.branchId, n: '真实姓名', m: mobile }, second.admin);
      expect(real.errors).toBeUndefined();
      expect(JSON.stringify(real.data)).toContain('真实姓名');
      expect(errorCode(real)).toBeUndefined();
    }
    // Within one township a number is still one person: another branch gets MOBILE_TAKEN.
    const other = (await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "二村" }) { id } }`, { t: a.townshipId }, a.admin)).data.createBranch.id;
    const taken = await t.gql(REGISTER, { b: other, n: '重复', m: aPeople[2].mobile }, a.admin);
    expect(errorCode(taken)).toBe('MOBILE_TAKEN');
  });

  it('devLogin of a number in two townships asks which, then signs in to the one chosen', async () => {
    const person = aPeople[3]; // registered in B as well by the first test
    const ask = (await t.gql(DEV_LOGIN, { m: person.mobile })).data.devLogin;
    expect(ask.status).toBe('CHOOSE_TOWNSHIP');
    expect(ask.accessToken).toBeNull();
    expect(ask.townships.map((x: { id: string }) => x.id).sort()).toEqual([a.townshipId, b.townshipId].sort());
    const inA = (await t.gql(DEV_LOGIN, { m: person.mobile, t: a.townshipId })).data.devLogin;
    const me = (await t.gql(ME, {}, inA.accessToken)).data.me;
    expect(me).toMatchObject({ personId: person.personId, name: person.name, resident: { townshipId: a.townshipId } });
    const inB = (await t.gql(DEV_LOGIN, { m: person.mobile, t: b.townshipId })).data.devLogin;
    expect((await t.gql(ME, {}, inB.accessToken)).data.me).toMatchObject({ name: '乙镇居民', resident: { townshipId: b.townshipId } });
  });

  it('WeChat binding by the verified phone binds every township of the number; login then asks which township', async () => {
    const person = aPeople[4];
    const code = (reply: FakeReply, kind: 'login' | 'phone') => {
      const c = `${kind}-persons-${++codes}`;
      (kind === 'login' ? wechat.loginCodes : wechat.phoneCodes).set(c, reply);
      return c;
    };
    const LOGIN = `mutation($c: String!) { loginWithWechat(code: $c) { status accessToken bindingToken townships { id name } } }`;
    const first = (await t.gql(LOGIN, { c: code(loginOk('openid-two-towns'), 'login') })).data.loginWithWechat;
    expect(first.status).toBe('BINDING_REQUIRED');
    const bound = (await t.gql(`mutation($b: String!, $p: String!) { bindWechat(bindingToken: $b, phoneCode: $p) { status accessToken bindingToken townships { id } } }`, {
      b: first.bindingToken,
      p: code(phoneOk(person.mobile), 'phone'),
    })).data.bindWechat;
    expect(bound.status).toBe('CHOOSE_TOWNSHIP');
    expect(bound.townships.map((x: { id: string }) => x.id).sort()).toEqual([a.townshipId, b.townshipId].sort());
    const again = (await t.gql(LOGIN, { c: code(loginOk('openid-two-towns'), 'login') })).data.loginWithWechat;
    expect(again.status).toBe('CHOOSE_TOWNSHIP');
    const CHOOSE = `mutation($b: String!, $t: ID!) { chooseTownship(bindingToken: $b, townshipId: $t) { status accessToken } }`;
    const chosen = (await t.gql(CHOOSE, { b: again.bindingToken, t: a.townshipId })).data.chooseTownship;
    expect(chosen.status).toBe('LOGGED_IN');
    expect((await t.gql(ME, {}, chosen.accessToken)).data.me).toMatchObject({ personId: person.personId, name: person.name });
    // A township where this WeChat user is not registered is refused; so is a forged token.
    const third = await township(`c${Date.now()}`, '丙镇', nextMobile());
    expect(errorCode(await t.gql(CHOOSE, { b: again.bindingToken, t: third.townshipId }))).toBe('WECHAT_NOT_BOUND');
    expect(errorCode(await t.gql(CHOOSE, { b: 'forged', t: a.townshipId }))).toBe('BINDING_EXPIRED');
  });
});
