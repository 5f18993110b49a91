import { createServer } from 'node:net';
import { AuthService } from '../../src/auth/auth.service';
import { TokenService } from '../../src/auth/token.service';
import { WechatClient } from '../../src/auth/wechat.client';
import { DomainError } from '../../src/common/errors/domain.error';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { dbFingerprint } from '../support/db-fingerprint';
import { seedTownship } from '../support/factories';
import { FakeReply, FakeWechat, loginOk, phoneOk, startFakeWechat, wechatError } from '../support/fake-wechat';
import { craftJwt, nowSeconds } from '../support/jwt';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

const JWT_SECRET = 'wechat-login-test-secret-0123456789-abcdef';

const LOGIN = `mutation($code: String!) { loginWithWechat(code: $code) { status accessToken expiresAt bindingToken } }`;
const BIND = `mutation($b: String!, $p: String!) { bindWechat(bindingToken: $b, phoneCode: $p) { status accessToken expiresAt bindingToken } }`;
const ME = `{ me { personId name resident { residentId } } }`;

/** Resolves to the code a DomainError carries, or fails. */
async function domainCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

describe('WeChat login against a local server that answers like WeChat', () => {
  let wechat: FakeWechat;
  let t: TestApp;
  let people: { personId: string; residentId: string; mobile: string }[];
  let codeCounter = 0;
  /** A fresh `wx.login` code (WeChat codes are single use). */
  const loginCode = (reply: FakeReply) => {
    const code = `login-code-${++codeCounter}`;
    wechat.loginCodes.set(code, reply);
    return code;
  };
  const phoneCode = (reply: FakeReply) => {
    const code = `phone-code-${++codeCounter}`;
    wechat.phoneCodes.set(code, reply);
    return code;
  };
  const login = (code: string) => t.gql(LOGIN, { code });
  const bind = (bindingToken: string, phone: string) => t.gql(BIND, { b: bindingToken, p: phone });
  const requestsTo = (path: string) => wechat.requests.filter((r) => r.path === path);
  const openidOf = async (personId: string) =>
    (await t.db.dataSource.query(`SELECT wechat_openid AS openid FROM person WHERE id = $1`, [personId]))[0].openid;

  beforeAll(async () => {
    wechat = await startFakeWechat();
    t = await startTestApp({
      WECHAT_API_BASE_URL: wechat.baseUrl,
      WECHAT_APPID: wechat.appid,
      WECHAT_SECRET: wechat.secret,
      JWT_SECRET,
    });
    const township = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 6 });
    people = await Promise.all(
      township.branches[0].residents.map(async (r) => {
        const [{ mobile }] = await t.db.dataSource.query(`SELECT mobile FROM person WHERE id = $1`, [r.personId]);
        return { personId: r.personId, residentId: r.id, mobile };
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await wechat?.close();
  });

  it('logs in a WeChat user already bound to a person, with a token that works for `me`', async () => {
    const person = people[0];
    await t.db.dataSource.query(`UPDATE person SET wechat_openid = 'openid-known' WHERE id = $1`, [person.personId]);
    const code = loginCode(loginOk('openid-known'));

    const res = await login(code);
    expect(res.errors).toBeUndefined();
    const result = res.data.loginWithWechat;
    expect(result.status).toBe('LOGGED_IN');
    expect(result.bindingToken).toBeNull();
    expect(new Date(result.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const me = await t.gql(ME, {}, result.accessToken);
    expect(me.data.me).toEqual({ personId: person.personId, name: expect.any(String), resident: { residentId: person.residentId } });

    // The code was exchanged at jscode2session with the configured credentials.
    const [exchange] = requestsTo('/sns/jscode2session').filter((r) => r.query.js_code === code);
    expect(exchange).toEqual({
      method: 'GET',
      path: '/sns/jscode2session',
      query: { appid: wechat.appid, secret: wechat.secret, js_code: code, grant_type: 'authorization_code' },
      body: undefined,
    });
  });

  it('asks an unknown WeChat user to bind, then binds them by the phone number WeChat verified', async () => {
    const person = people[1];
    const first = await login(loginCode(loginOk('openid-new-1')));
    expect(first.errors).toBeUndefined();
    expect(first.data.loginWithWechat).toMatchObject({ status: 'BINDING_REQUIRED', accessToken: null, expiresAt: null });
    const bindingToken: string = first.data.loginWithWechat.bindingToken;
    expect(typeof bindingToken).toBe('string');

    // A binding token is no access token.
    expect(errorCode(await t.gql(ME, {}, bindingToken))).toBe('UNAUTHENTICATED');

    const tokenRequestsBefore = requestsTo('/cgi-bin/token').length;
    const phone = phoneCode(phoneOk(person.mobile));
    const bound = await bind(bindingToken, phone);
    expect(bound.errors).toBeUndefined();
    expect(bound.data.bindWechat).toMatchObject({ status: 'LOGGED_IN', bindingToken: null });
    const me = await t.gql(ME, {}, bound.data.bindWechat.accessToken);
    expect(me.data.me.personId).toBe(person.personId);
    expect(await openidOf(person.personId)).toBe('openid-new-1');

    // Our access_token was fetched with the configured credentials and used for the phone number.
    const tokenRequests = requestsTo('/cgi-bin/token');
    expect(tokenRequests.length).toBe(tokenRequestsBefore + 1);
    expect(tokenRequests.at(-1)!.query).toEqual({ grant_type: 'client_credential', appid: wechat.appid, secret: wechat.secret });
    const phoneRequest = requestsTo('/wxa/business/getuserphonenumber').at(-1)!;
    expect(phoneRequest).toMatchObject({ method: 'POST', query: { access_token: expect.stringMatching(/^access-token-/) }, body: { code: phone } });

    // From now on the WeChat login alone signs them in.
    const again = await login(loginCode(loginOk('openid-new-1')));
    expect(again.data.loginWithWechat.status).toBe('LOGGED_IN');
    expect((await t.gql(ME, {}, again.data.loginWithWechat.accessToken)).data.me.personId).toBe(person.personId);

    // Binding again with the same WeChat user and number is harmless.
    const rebind = await bind(bindingToken, phoneCode(phoneOk(person.mobile)));
    expect(rebind.data.bindWechat.status).toBe('LOGGED_IN');
  });

  it('reuses the cached access_token and renews it when WeChat says it is no longer valid', async () => {
    const tokenRequestsBefore = requestsTo('/cgi-bin/token').length;
    const first = await login(loginCode(loginOk('openid-new-2')));
    const bound = await bind(first.data.loginWithWechat.bindingToken, phoneCode(phoneOk(people[2].mobile)));
    expect(bound.data.bindWechat.status).toBe('LOGGED_IN');
    expect(requestsTo('/cgi-bin/token').length).toBe(tokenRequestsBefore); // cached from the previous test

    wechat.expireAccessTokens();
    const second = await login(loginCode(loginOk('openid-new-3')));
    const rebound = await bind(second.data.loginWithWechat.bindingToken, phoneCode(phoneOk(people[3].mobile)));
    expect(rebound.errors).toBeUndefined();
    expect(rebound.data.bindWechat.status).toBe('LOGGED_IN');
    expect(requestsTo('/cgi-bin/token').length).toBe(tokenRequestsBefore + 1);
    expect(await openidOf(people[3].personId)).toBe('openid-new-3');
  });

  it('refuses a phone number that is not registered, or not a mainland number, and changes nothing', async () => {
    const first = await login(loginCode(loginOk('openid-stranger')));
    const bindingToken = first.data.loginWithWechat.bindingToken;
    const before = await dbFingerprint(t.db.dataSource);

    const unregistered = await bind(bindingToken, phoneCode(phoneOk('13312345678')));
    expect(errorCode(unregistered)).toBe('MOBILE_NOT_REGISTERED');
    expect(unregistered.data).toBeNull();
    expect(unregistered.errors![0].message).toMatch(/尚未登记/);

    // The digits of a registered resident, but verified for a number outside mainland China.
    const foreign = await bind(bindingToken, phoneCode(phoneOk(people[4].mobile, '852')));
    expect(errorCode(foreign)).toBe('MOBILE_NOT_REGISTERED');

    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
  });

  it('refuses expired, forged, garbage and wrong-kind binding tokens before asking WeChat', async () => {
    const person = people[4];
    const access = await devLogin(t, person.mobile);
    const forged = [
      craftJwt({ typ: 'wechat-binding', sub: 'openid-x', iat: nowSeconds() - 1200, exp: nowSeconds() - 600 }, { secret: JWT_SECRET }),
      craftJwt({ typ: 'wechat-binding', sub: 'openid-x', exp: nowSeconds() + 600 }, { secret: 'another-secret-0123456789-0123456789' }),
      craftJwt({ typ: 'wechat-binding', sub: 'openid-x', exp: nowSeconds() + 600 }, { alg: 'none' }),
      craftJwt({ typ: 'access', sub: 'openid-x', exp: nowSeconds() + 600 }, { secret: JWT_SECRET }),
      access,
      'garbage',
      'a.b.c',
    ];
    const phoneRequestsBefore = requestsTo('/wxa/business/getuserphonenumber').length;
    const before = await dbFingerprint(t.db.dataSource);
    for (const token of forged) {
      const res = await bind(token, phoneCode(phoneOk(person.mobile)));
      expect({ token, code: errorCode(res), data: res.data }).toEqual({ token, code: 'BINDING_EXPIRED', data: null });
    }
    expect(requestsTo('/wxa/business/getuserphonenumber').length).toBe(phoneRequestsBefore);
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    expect(await openidOf(person.personId)).toBeNull();
  });

  it('refuses to bind a person already bound to another WeChat user, or a WeChat user already bound', async () => {
    // people[1] is bound to openid-new-1 (above).
    const other = await login(loginCode(loginOk('openid-intruder')));
    const taken = await bind(other.data.loginWithWechat.bindingToken, phoneCode(phoneOk(people[1].mobile)));
    expect(errorCode(taken)).toBe('WECHAT_ALREADY_BOUND');
    expect(await openidOf(people[1].personId)).toBe('openid-new-1');

    // A binding token for openid-new-1 (already bound to people[1]) cannot claim people[5] too.
    const stale = craftJwt({ typ: 'wechat-binding', sub: 'openid-new-1', exp: nowSeconds() + 600 }, { secret: JWT_SECRET });
    const twice = await bind(stale, phoneCode(phoneOk(people[5].mobile)));
    expect(errorCode(twice)).toBe('WECHAT_ALREADY_BOUND');
    expect(await openidOf(people[5].personId)).toBeNull();
  });

  describe.each<[string, FakeReply, string, number | undefined]>([
    ['40029 invalid code', wechatError(40029, 'invalid code'), 'WECHAT_LOGIN_FAILED', 40029],
    ['40163 code been used', wechatError(40163, 'code been used'), 'WECHAT_LOGIN_FAILED', 40163],
    ['40226 high-risk user', wechatError(40226, 'high risk user'), 'WECHAT_LOGIN_FAILED', 40226],
    ['45011 rate limited', wechatError(45011, 'api minute-quota reach limit'), 'RATE_LIMITED', 45011],
    ['-1 system busy', wechatError(-1, 'system error'), 'WECHAT_UNAVAILABLE', -1],
    ['HTTP 500', { status: 500 }, 'WECHAT_UNAVAILABLE', undefined],
    ['HTTP 200 without an openid', { json: { session_key: 'x' } }, 'WECHAT_UNAVAILABLE', undefined],
  ])('when WeChat answers %s', (_, reply, expected, errcode) => {
    it(`login is ${expected}, with a Chinese message, and nothing changes`, async () => {
      const before = await dbFingerprint(t.db.dataSource);
      const res: GqlResponse = await login(loginCode(reply));
      expect(res.data).toBeNull();
      expect(res.errors![0].extensions).toEqual(errcode === undefined ? { code: expected } : { code: expected, wechatErrcode: errcode });
      expect(res.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
      expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    });

    it(`binding is ${expected} when the phone number exchange fails the same way`, async () => {
      const first = await login(loginCode(loginOk('openid-binding-fails')));
      const res = await bind(first.data.loginWithWechat.bindingToken, phoneCode(reply));
      expect(errorCode(res)).toBe(expected);
      expect(await t.db.dataSource.query(`SELECT 1 FROM person WHERE wechat_openid = 'openid-binding-fails'`)).toEqual([]);
    });
  });

  it('rejects a malformed code without calling WeChat', async () => {
    const count = wechat.requests.length;
    for (const code of ['', 'has space', 'x'.repeat(129), "x';DROP TABLE person;--"]) {
      expect(errorCode(await login(code))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await bind('token', 'bad code'))).toBe('BAD_USER_INPUT');
    expect(wechat.requests.length).toBe(count);
  });

  it('signs in through the development login when it is enabled', async () => {
    const token = await devLogin(t, people[0].mobile);
    expect((await t.gql(ME, {}, token)).data.me.personId).toBe(people[0].personId);
    const unknown = await t.gql(`mutation { devLogin(mobile: "13312345679") { accessToken } }`);
    expect(errorCode(unknown)).toBe('MOBILE_NOT_REGISTERED');
  });

  it('honours a base URL with a path (a proxy in front of WeChat)', async () => {
    const proxied = await startFakeWechat({ pathPrefix: '/gateway/wechat' });
    try {
      proxied.loginCodes.set('proxied-code', loginOk('openid-proxied'));
      const client = new WechatClient(
        loadConfig({ NODE_ENV: 'test', WECHAT_API_BASE_URL: proxied.baseUrl, WECHAT_APPID: proxied.appid, WECHAT_SECRET: proxied.secret }),
      );
      await expect(client.openidForLoginCode('proxied-code')).resolves.toBe('openid-proxied');
      expect(proxied.requests.map((r) => r.path)).toEqual(['/gateway/wechat/sns/jscode2session']);
    } finally {
      await proxied.close();
    }
  });

  it('is WECHAT_UNAVAILABLE, without calling anyone, when no mini-program is configured', async () => {
    const count = wechat.requests.length;
    const client = new WechatClient(loadConfig({ NODE_ENV: 'test', WECHAT_API_BASE_URL: wechat.baseUrl }));
    expect(await domainCode(client.openidForLoginCode('login-code'))).toBe('WECHAT_UNAVAILABLE');
    expect(wechat.requests.length).toBe(count);
  });
});

describe('with the development login off and WeChat unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      DEV_LOGIN_ENABLED: 'false',
      WECHAT_API_BASE_URL: `http://127.0.0.1:${await closedPort()}`,
      WECHAT_APPID: 'wx-appid',
      WECHAT_SECRET: 'secret',
    });
    await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 1 });
  });
  afterAll(() => t?.close());

  it('refuses the development login with DEV_LOGIN_DISABLED, even for a registered mobile', async () => {
    const [{ mobile }] = await t.db.dataSource.query(`SELECT mobile FROM person LIMIT 1`);
    const res = await t.gql(`mutation($m: String!) { devLogin(mobile: $m) { accessToken } }`, { m: mobile });
    expect(errorCode(res)).toBe('DEV_LOGIN_DISABLED');
    expect(res.data).toBeNull();
  });

  it('answers WECHAT_UNAVAILABLE when WeChat cannot be reached', async () => {
    const res = await t.gql(LOGIN, { code: 'any-code' });
    expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
  });
});

describe('the development login in production', () => {
  it('stops the service at start-up, naming the variable', () => {
    const production = {
      NODE_ENV: 'production',
      DEV_LOGIN_ENABLED: 'true',
      JWT_SECRET: 'kq3L9vZ2xW8rT1mB5nC7dF0gH4jK6pS2uY9eA3iO5wQ=',
      DATABASE_URL: 'postgres://db.example/cb',
      METRICS_TOKEN: 'metrics-token-0123456789',
    };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/DEV_LOGIN_ENABLED/);
    expect(() => loadConfig({ ...production, DEV_LOGIN_ENABLED: 'false' })).not.toThrow();
  });

  it('is refused by the service itself even if configuration were to enable it', async () => {
    // Defence in depth behind loadConfig: a config object built some other way.
    const config = Object.assign(loadConfig({ NODE_ENV: 'test', JWT_SECRET }), { NODE_ENV: 'production', DEV_LOGIN_ENABLED: true });
    const auth = new AuthService(config, undefined as never, new TokenService(config), new WechatClient(config), undefined as never);
    expect(await domainCode(auth.devLogin('13800000001'))).toBe('DEV_LOGIN_DISABLED');
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
