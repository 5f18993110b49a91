import { randomUUID } from 'node:crypto';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { dbFingerprint } from '../support/db-fingerprint';
import { craftJwt, jwtClaims, nowSeconds, tamperJwt } from '../support/jwt';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

const JWT_SECRET = 'tokens-test-secret-0123456789-abcdefghij';
const ADMIN_MOBILE = '13800000101';
const RESIDENT_MOBILE = '13900000102';

const ME = `{ me { personId } }`;
const RECONCILIATION = `query($t: ID!) { reconciliation(townshipId: $t) { ok } }`;
const ADJUST = `mutation($a: ID!, $k: String!) {
  postAdjustment(input: { accountId: $a, amount: 7, reason: "令牌测试", idempotencyKey: $k }) { id } }`;

describe('access tokens', () => {
  let t: TestApp;
  let townshipId: string;
  let adminId: string;
  let residentPersonId: string;
  let residentAccountId: string;
  let adminToken: string;
  let residentToken: string;

  /** A request with any Authorization header (or none). */
  async function withAuthorization(authorization: string | undefined, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResponse;
  }

  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET });
    ({ townshipId, adminPersonId: adminId } = await t.app.get(OrganisationService).bootstrap({
      townshipCode: 'token-town',
      townshipName: '令牌镇',
      adminName: '管理员',
      adminMobile: ADMIN_MOBILE,
    }));
    adminToken = await devLogin(t, ADMIN_MOBILE);
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "一村" }) { id } }`, { t: townshipId }, adminToken);
    const resident = await t.gql(
      `mutation($b: ID!) { registerResident(input: { branchId: $b, name: "居民", mobile: "${RESIDENT_MOBILE}" }) { id personId } }`,
      { b: branch.data.createBranch.id },
      adminToken,
    );
    residentPersonId = resident.data.registerResident.personId;
    [{ id: residentAccountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [
      resident.data.registerResident.id,
    ]);
    residentToken = await devLogin(t, RESIDENT_MOBILE);
  });
  afterAll(() => t?.close());

  it('accepts the tokens the service issued (the control for every refusal below)', async () => {
    expect((await t.gql(ME, {}, residentToken)).data.me.personId).toBe(residentPersonId);
    expect((await t.gql(RECONCILIATION, { t: townshipId }, adminToken)).data.reconciliation.ok).toBe(true);
    // What the issued token looks like, so the forgeries below differ from it in one thing only.
    expect(JSON.parse(Buffer.from(adminToken.split('.')[0], 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(jwtClaims(adminToken)).toEqual({ typ: 'access', sub: adminId, iat: expect.any(Number), exp: expect.any(Number) });
  });

  const forgeries: [string, () => string][] = [
    ['unsigned (alg: none)', () => craftJwt({ typ: 'access', sub: adminId, exp: nowSeconds() + 3600 }, { alg: 'none' })],
    [
      'alg: none with the signature of a real token',
      () => {
        const [, , signature] = adminToken.split('.');
        const [header, payload] = craftJwt(jwtClaims(adminToken), { alg: 'none' }).split('.');
        return `${header}.${payload}.${signature}`;
      },
    ],
    ['HS512 with the right secret (algorithm pinned)', () => craftJwt({ typ: 'access', sub: adminId, exp: nowSeconds() + 3600 }, { secret: JWT_SECRET, alg: 'HS512' })],
    ["a resident's token with the admin's id put in", () => tamperJwt(residentToken, { sub: adminId })],
    ["an admin's token with its expiry pushed back", () => tamperJwt(adminToken, { exp: nowSeconds() + 10 * 365 * 86400 })],
    ['a token with its signature cut off', () => adminToken.split('.').slice(0, 2).join('.') + '.'],
    ['expired', () => craftJwt({ typ: 'access', sub: adminId, iat: nowSeconds() - 7200, exp: nowSeconds() - 60 }, { secret: JWT_SECRET })],
    ['not valid yet (nbf)', () => craftJwt({ typ: 'access', sub: adminId, nbf: nowSeconds() + 3600, exp: nowSeconds() + 7200 }, { secret: JWT_SECRET })],
    ['signed with another secret', () => craftJwt({ typ: 'access', sub: adminId, exp: nowSeconds() + 3600 }, { secret: 'not-the-service-secret-0123456789-xyz' })],
    ['a WeChat binding token', () => craftJwt({ typ: 'wechat-binding', sub: adminId, exp: nowSeconds() + 600 }, { secret: JWT_SECRET })],
    ['without exp (valid forever to jsonwebtoken)', () => craftJwt({ typ: 'access', sub: adminId, iat: nowSeconds() }, { secret: JWT_SECRET })],
    ['an exp that is not a number', () => craftJwt({ typ: 'access', sub: adminId, exp: 'never' }, { secret: JWT_SECRET })],
    ['a token with no kind', () => craftJwt({ sub: adminId, exp: nowSeconds() + 3600 }, { secret: JWT_SECRET })],
    ['a subject that is not a person id', () => craftJwt({ typ: 'access', sub: "' OR 1=1 --", exp: nowSeconds() + 3600 }, { secret: JWT_SECRET })],
    ['a person who does not exist', () => craftJwt({ typ: 'access', sub: randomUUID(), exp: nowSeconds() + 3600 }, { secret: JWT_SECRET })],
    ['garbage', () => 'garbage'],
    ['three dots of nothing', () => 'a.b.c'],
    ['base64 of JSON that is not a JWT', () => Buffer.from('{"typ":"access"}').toString('base64url')],
  ];

  it.each(forgeries)('refuses %s with UNAUTHENTICATED for queries and mutations, changing nothing', async (_, forge) => {
    const token = forge();
    const before = await dbFingerprint(t.db.dataSource);
    for (const res of [
      await t.gql(ME, {}, token),
      await t.gql(RECONCILIATION, { t: townshipId }, token),
      await t.gql(ADJUST, { a: residentAccountId, k: `forged-${randomUUID()}` }, token),
    ]) {
      expect(res.data).toBeNull();
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
      expect(res.errors![0].message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['Bearer and nothing', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from(`admin:${JWT_SECRET}`).toString('base64')}`],
    ['the token without "Bearer"', 'TOKEN'],
    ['two tokens', 'Bearer TOKEN TOKEN'],
  ])('refuses %s', async (_, header) => {
    const res = await withAuthorization(header?.replace(/TOKEN/g, adminToken), RECONCILIATION, { t: townshipId });
    expect(res.data).toBeNull();
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('accepts the scheme in any letter case (RFC 7235)', async () => {
    const res = await withAuthorization(`bearer ${adminToken}`, RECONCILIATION, { t: townshipId });
    expect(res.errors).toBeUndefined();
  });

  it('stops accepting the token of a person whose record is gone', async () => {
    // A person created and signed in, then removed (as an operator might do by hand).
    const [{ id }] = await t.db.dataSource.query(`INSERT INTO person (township_id, name, mobile) VALUES ($1, '临时', '13700000103') RETURNING id`, [townshipId]);
    const token = await devLogin(t, '13700000103');
    expect((await t.gql(ME, {}, token)).data.me.personId).toBe(id);
    await t.db.dataSource.query(`DELETE FROM person WHERE id = $1`, [id]);
    expect(errorCode(await t.gql(ME, {}, token))).toBe('UNAUTHENTICATED');
  });
});
