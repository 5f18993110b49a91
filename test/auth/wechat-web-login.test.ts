import { TokenService } from '../../src/auth/token.service';
import { seedTownship } from '../support/factories';
import { FakeReply, FakeWechat, startFakeWechat, webLoginOk, wechatError } from '../support/fake-wechat';
import { errorCode, startTestApp, TestApp } from '../support/test-app';
import { tokenFor } from '../support/activity-fixture';
import { grantManager } from '../support/roles';

const LOGIN = `mutation($code: String!) { loginWithWechatWeb(code: $code) { status accessToken expiresAt bindingToken } }`;
const BIND = `mutation($t: String!, $m: String!, $c: String!) { bindWechatWeb(bindingToken: $t, mobile: $m, bindingCode: $c) { status accessToken } }`;
const ISSUE = `mutation($r: ID!) { issueBindingCode(residentId: $r) { code expiresAt } }`;
const ME = `{ me { personId } }`;

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
    expect(res.data.loginWithWechatWeb).toMatchObject({ status: 'LOGGED_IN', bindingToken: null });
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
