import { TokenService } from '../../src/auth/token.service';
import { seedTownship, SeededTownship } from '../support/factories';
import { FakeReply, FakeWechat, startFakeWechat, webLoginOk, wechatError } from '../support/fake-wechat';
import { errorCode, startTestApp, TestApp } from '../support/test-app';
import { tokenFor } from '../support/activity-fixture';
import { grantManager, mobileOf } from '../support/roles';

const LOGIN = `mutation($code: String!) { loginWithWechatWeb(code: $code) { status accessToken expiresAt bindingToken } }`;
const BIND = `mutation($t: String!, $m: String!, $c: String!) { bindWechatWeb(bindingToken: $t, mobile: $m, bindingCode: $c) { status accessToken } }`;
const ISSUE = `mutation($r: ID!) { issueBindingCode(residentId: $r) { code expiresAt } }`;
const ME = `{ me { personId } }`;
const CHOOSE = `mutation($t: String!, $township: ID!) { chooseTownship(bindingToken: $t, townshipId: $township) { status accessToken } }`;

describe('WeChat web authorisation (snsapi_base) and binding codes, against a local server that answers like WeChat', () => {
  let wechat: FakeWechat;
  let t: TestApp;
  let people: { personId: string; residentId: string; mobile: string }[];
  let manager: string;
  let codes = 0;
  const webCode = (reply: FakeReply) => {
    const code = `web-code-${++codes}`;
    wechat.webCodes.set(code, reply);
    return code;
  };
  const bindingTokenFor = async (openid: string) => {
    const res = await t.gql(LOGIN, { code: webCode(webLoginOk(openid)) });
    expect(res.data.loginWithWechatWeb).toMatchObject({ status: 'BINDING_REQUIRED', accessToken: null });
    return res.data.loginWithWechatWeb.bindingToken as string;
  };
  const issue = async (residentId: string) => {
    const res = await t.gql(ISSUE, { r: residentId }, manager);
    expect(res.errors).toBeUndefined();
    return res.data.issueBindingCode.code as string;
  };
  const webOpenidOf = async (personId: string) =>
    (await t.db.dataSource.query(`SELECT wechat_web_openid AS openid FROM person WHERE id = $1`, [personId]))[0].openid;

  beforeAll(async () => {
    wechat = await startFakeWechat();
    t = await startTestApp({ WECHAT_API_BASE_URL: wechat.baseUrl, WECHAT_WEB_APPID: wechat.webAppid, WECHAT_WEB_SECRET: wechat.webSecret });
    const township = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: 5 });
    people = await Promise.all(
      township.branches[0].residents.map(async (r) => {
        const [{ mobile }] = await t.db.dataSource.query(`SELECT mobile FROM person WHERE id = $1`, [r.personId]);
        return { personId: r.personId, residentId: r.id, mobile };
      }),
    );
    const managerMobile = await grantManager(t.db.dataSource, township.id, township.branches[0].id);
    const [{ id }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [managerMobile]);
    manager = tokenFor(t, id);
  });
  afterAll(async () => {
    await t?.close();
    await wechat?.close();
  });

  it('tells the app that WeChat web sign-in is on, with the official account id', async () => {
    const res = await t.gql(`{ loginOptions { devLogin wechatWebAppId } }`);
    expect(res.data.loginOptions).toEqual({ devLogin: true, wechatWebAppId: wechat.webAppid });
  });

  it('exchanges the code at sns/oauth2/access_token with the web credentials, and logs in a bound person', async () => {
    await t.db.dataSource.query(`UPDATE person SET wechat_web_openid = 'web-openid-known' WHERE id = $1`, [people[0].personId]);
    const code = webCode(webLoginOk('web-openid-known'));
    const res = await t.gql(LOGIN, { code });
    expect(res.data.loginWithWechatWeb.status).toBe('LOGGED_IN');
    // With the token proving this WeChat user, for binding a record in another township.
    expect(t.app.get(TokenService).verify(res.data.loginWithWechatWeb.bindingToken, 'wechat-web-binding')).toBe('web-openid-known');
    const me = await t.gql(ME, {}, res.data.loginWithWechatWeb.accessToken);
    expect(me.data.me.personId).toBe(people[0].personId);
    const call = wechat.requests.find((r) => r.path === '/sns/oauth2/access_token' && r.query.code === code)!;
    expect(call.query).toEqual({ appid: wechat.webAppid, secret: wechat.webSecret, code, grant_type: 'authorization_code' });
  });

  it('the mini-program openid does not sign in on the web: it is another app', async () => {
    await t.db.dataSource.query(`UPDATE person SET wechat_openid = 'mini-openid-1' WHERE id = $1`, [people[1].personId]);
    const res = await t.gql(LOGIN, { code: webCode(webLoginOk('mini-openid-1')) });
    expect(res.data.loginWithWechatWeb.status).toBe('BINDING_REQUIRED');
  });

  it('maps WeChat refusals to coded errors and binds nothing', async () => {
    expect(errorCode(await t.gql(LOGIN, { code: 'never-issued' }))).toBe('WECHAT_LOGIN_FAILED');
    expect(errorCode(await t.gql(LOGIN, { code: webCode(wechatError(-1, 'system busy')) }))).toBe('WECHAT_UNAVAILABLE');
    expect(errorCode(await t.gql(LOGIN, { code: webCode({ status: 502 }) }))).toBe('WECHAT_UNAVAILABLE');
  });

  it('binds on first visit with the mobile and the code the branch issued; the code works once', async () => {
    const person = people[2];
    const code = await issue(person.residentId);
    expect(code).toMatch(/^\d{6}$/);
    const [stored] = await t.db.dataSource.query(`SELECT code_hash FROM binding_code WHERE person_id = $1`, [person.personId]);
    expect(stored.code_hash).not.toContain(code);

    const bound = await t.gql(BIND, { t: await bindingTokenFor('web-openid-2'), m: person.mobile, c: code });
    expect(bound.data.bindWechatWeb.status).toBe('LOGGED_IN');
    expect((await t.gql(ME, {}, bound.data.bindWechatWeb.accessToken)).data.me.personId).toBe(person.personId);
    expect(await webOpenidOf(person.personId)).toBe('web-openid-2');
    // Next visit: straight in.
    expect((await t.gql(LOGIN, { code: webCode(webLoginOk('web-openid-2')) })).data.loginWithWechatWeb.status).toBe('LOGGED_IN');
    // The code is spent.
    expect(errorCode(await t.gql(BIND, { t: await bindingTokenFor('web-openid-other'), m: person.mobile, c: code }))).toBe('BINDING_CODE_INVALID');
  });

  it('refuses a wrong code, another person\'s mobile, a foreign binding token; five wrong tries void the code', async () => {
    const person = people[3];
    const code = await issue(person.residentId);
    const wrong = code === '000000' ? '000001' : '000000';
    const token = await bindingTokenFor('web-openid-3');
    // Another registered person's mobile with this code: refused, and nobody is bound.
    expect(errorCode(await t.gql(BIND, { t: token, m: people[4].mobile, c: code }))).toBe('BINDING_CODE_INVALID');
    // A mini-program binding token or a forged one is no web binding token.
    const miniToken = t.app.get(TokenService).issueBindingToken('web-openid-3');
    expect(errorCode(await t.gql(BIND, { t: miniToken, m: person.mobile, c: code }))).toBe('BINDING_EXPIRED');
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(errorCode(await t.gql(BIND, { t: token, m: person.mobile, c: wrong }))).toBe('BINDING_CODE_INVALID');
    }
    // Four wrong tries: the right code still works... but not after a fifth.
    const [{ failed_attempts }] = await t.db.dataSource.query(`SELECT failed_attempts FROM binding_code WHERE person_id = $1`, [person.personId]);
    expect(failed_attempts).toBe(4);
    expect(errorCode(await t.gql(BIND, { t: token, m: person.mobile, c: wrong }))).toBe('BINDING_CODE_INVALID');
    expect(errorCode(await t.gql(BIND, { t: token, m: person.mobile, c: code }))).toBe('BINDING_CODE_INVALID');
    expect(await webOpenidOf(person.personId)).toBeNull();
  });

  it('refuses an expired code, and one WeChat user cannot be bound to two people', async () => {
    const person = people[4];
    let code = await issue(person.residentId);
    await t.db.dataSource.query(`UPDATE binding_code SET expires_at = now() - interval '1 second' WHERE person_id = $1`, [person.personId]);
    expect(errorCode(await t.gql(BIND, { t: await bindingTokenFor('web-openid-4'), m: person.mobile, c: code }))).toBe('BINDING_CODE_INVALID');
    code = await issue(person.residentId);
    // web-openid-2 already belongs to people[2] (bound in another tab after this binding began).
    const raced = t.app.get(TokenService).issueBindingToken('web-openid-2', 'wechat-web-binding');
    expect(errorCode(await t.gql(BIND, { t: raced, m: person.mobile, c: code }))).toBe('WECHAT_ALREADY_BOUND');
    expect(await webOpenidOf(person.personId)).toBeNull();
  });

  /**
   * Persons are per township (issue 9). A code binds only the record of the township that
   * issued it; bound in several townships, the web login asks which, like the mini-program's.
   */
  describe('a resident registered in two townships', () => {
    const towns: { township: SeededTownship; manager: string; residentId: string; personId: string }[] = [];
    let mobile: string;
    const codeRow = async (personId: string) =>
      (await t.db.dataSource.query(`SELECT failed_attempts AS "failedAttempts" FROM binding_code WHERE person_id = $1`, [personId]))[0];
    const personOf = async (accessToken: string) => (await t.gql(ME, {}, accessToken)).data.me.personId;
    const issueIn = async (town: (typeof towns)[number]) => {
      const res = await t.gql(ISSUE, { r: town.residentId }, town.manager);
      expect(res.errors).toBeUndefined();
      return res.data.issueBindingCode.code as string;
    };

    beforeAll(async () => {
      for (const residents of [2, 0]) {
        const township = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: residents });
        const managerMobile = await grantManager(t.db.dataSource, township.id, township.branches[0].id);
        const [{ id }] = await t.db.dataSource.query(`SELECT id FROM person WHERE mobile = $1 AND township_id = $2`, [managerMobile, township.id]);
        towns.push({ township, manager: tokenFor(t, id), residentId: '', personId: '' });
      }
      const [a, b] = towns;
      Object.assign(a, { residentId: a.township.branches[0].residents[0].id, personId: a.township.branches[0].residents[0].personId });
      mobile = await mobileOf(t.db.dataSource, a.personId);
      // Township B's branch registers the same number: B's own record of them.
      const registered = await t.gql(
        `mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "乙镇记录", mobile: $m }) { id personId } }`,
        { b: b.township.branches[0].id, m: mobile },
        b.manager,
      );
      expect(registered.errors).toBeUndefined();
      Object.assign(b, { residentId: registered.data.registerResident.id, personId: registered.data.registerResident.personId });
    });

    it("a wrong code counts against both townships' codes; the right one binds only the record of the township that issued it", async () => {
      const [a, b] = towns;
      const codeA = await issueIn(a);
      const codeB = await issueIn(b);
      const token = await bindingTokenFor('web-openid-two-towns');
      const wrong = ['000000', '000001', '000002'].find((c) => c !== codeA && c !== codeB)!;
      expect(errorCode(await t.gql(BIND, { t: token, m: mobile, c: wrong }))).toBe('BINDING_CODE_INVALID');
      expect(await codeRow(a.personId)).toEqual({ failedAttempts: 1 });
      expect(await codeRow(b.personId)).toEqual({ failedAttempts: 1 });

      const bound = (await t.gql(BIND, { t: token, m: mobile, c: codeB })).data.bindWechatWeb;
      expect(bound.status).toBe('LOGGED_IN');
      expect(await personOf(bound.accessToken)).toBe(b.personId);
      expect(await webOpenidOf(b.personId)).toBe('web-openid-two-towns');
      // Township A's record of the number is not bound by B's code, and A's code still stands.
      expect(await webOpenidOf(a.personId)).toBeNull();
      expect(await codeRow(a.personId)).toEqual({ failedAttempts: 1 });
      expect(await codeRow(b.personId)).toBeUndefined();
      const login = (await t.gql(LOGIN, { code: webCode(webLoginOk('web-openid-two-towns')) })).data.loginWithWechatWeb;
      expect(login.status).toBe('LOGGED_IN');
      expect(await personOf(login.accessToken)).toBe(b.personId);
    });

    it('signed in in one township, binds the other with its code; the web login then asks which township and chooseTownship signs in to the one picked', async () => {
      const [a, b] = towns;
      const LOGIN_CHOICE = `mutation($code: String!) { loginWithWechatWeb(code: $code) { status accessToken bindingToken townships { id name } } }`;
      const signedIn = (await t.gql(LOGIN_CHOICE, { code: webCode(webLoginOk('web-openid-two-towns')) })).data.loginWithWechatWeb;
      expect(signedIn).toMatchObject({ status: 'LOGGED_IN', townships: null });
      const bound = (await t.gql(BIND, { t: signedIn.bindingToken, m: mobile, c: await issueIn(a) })).data.bindWechatWeb;
      expect(await personOf(bound.accessToken)).toBe(a.personId);
      expect(await webOpenidOf(b.personId)).toBe('web-openid-two-towns');

      const ask = (await t.gql(LOGIN_CHOICE, { code: webCode(webLoginOk('web-openid-two-towns')) })).data.loginWithWechatWeb;
      expect(ask).toMatchObject({ status: 'CHOOSE_TOWNSHIP', accessToken: null });
      const names = await t.db.dataSource.query(`SELECT id, name FROM township WHERE id = ANY($1::uuid[]) ORDER BY name, id`, [[a.township.id, b.township.id]]);
      expect(ask.townships).toEqual(names);
      for (const town of towns) {
        const chosen = (await t.gql(CHOOSE, { t: ask.bindingToken, township: town.township.id })).data.chooseTownship;
        expect(chosen.status).toBe('LOGGED_IN');
        expect(await personOf(chosen.accessToken)).toBe(town.personId);
      }
      // A township where this WeChat user is not bound on the web: refused.
      const third = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 0 });
      expect(errorCode(await t.gql(CHOOSE, { t: ask.bindingToken, township: third.id }))).toBe('WECHAT_NOT_BOUND');
    });

    it("a mini-program choice token does not sign in by the web binding, nor a web one by the mini-program's", async () => {
      const [a] = towns;
      await t.db.dataSource.query(`UPDATE person SET wechat_openid = 'mini-openid-two-towns' WHERE id = $1`, [a.personId]);
      const webToken = t.app.get(TokenService).issueBindingToken('mini-openid-two-towns', 'wechat-web-binding');
      expect(errorCode(await t.gql(CHOOSE, { t: webToken, township: a.township.id }))).toBe('WECHAT_NOT_BOUND');
      const miniToken = t.app.get(TokenService).issueBindingToken('mini-openid-two-towns');
      expect(await personOf((await t.gql(CHOOSE, { t: miniToken, township: a.township.id })).data.chooseTownship.accessToken)).toBe(a.personId);
    });

    it('within one township a WeChat user is bound to one person only', async () => {
      const [a] = towns;
      const other = a.township.branches[0].residents[1];
      const code = (await t.gql(ISSUE, { r: other.id }, a.manager)).data.issueBindingCode.code;
      const webToken = t.app.get(TokenService).issueBindingToken('web-openid-two-towns', 'wechat-web-binding');
      const res = await t.gql(BIND, { t: webToken, m: await mobileOf(t.db.dataSource, other.personId), c: code });
      expect(errorCode(res)).toBe('WECHAT_ALREADY_BOUND');
      expect(await webOpenidOf(other.personId)).toBeNull();
    });
  });

  it('is refused when the official account is not configured', async () => {
    const plain = await startTestApp({ WECHAT_API_BASE_URL: wechat.baseUrl });
    try {
      expect(errorCode(await plain.gql(LOGIN, { code: webCode(webLoginOk('x')) }))).toBe('WECHAT_UNAVAILABLE');
      expect((await plain.gql(`{ loginOptions { wechatWebAppId } }`)).data.loginOptions.wechatWebAppId).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
