import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { createApi } from '../../src/api';
import { loadConfig } from '../../src/config/app-config';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';

async function townshipWithResidents(t: TestApp, residents: number) {
  const adminMobile = nextMobile();
  const organisation = t.app.get(OrganisationService);
  const { townshipId } = await organisation.bootstrap({
    townshipCode: `t${Date.now()}`,
    townshipName: '潞城镇',
    adminName: '张书记',
    adminMobile,
  });
  const admin = await devLogin(t, adminMobile);
  const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "武兴庄村" }) { id } }`, { t: townshipId }, admin);
  const mobiles: string[] = [];
  for (let i = 0; i < residents; i++) {
    const mobile = nextMobile();
    await t.gql(`mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "居民", mobile: $m }) { id } }`, { b: branch.data.createBranch.id, m: mobile }, admin);
    mobiles.push(mobile);
  }
  return { townshipId, branchId: branch.data.createBranch.id as string, admin, mobiles };
}

describe('safety limits', () => {
  describe('query depth and cost', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ GRAPHQL_MAX_DEPTH: '4', GRAPHQL_MAX_COST: '200' });
    });
    afterAll(() => t.close());

    it('refuses an operation nested deeper than the limit before running it', async () => {
      const { mobiles } = await townshipWithResidents(t, 1);
      const token = await devLogin(t, mobiles[0]);
      const shallow = await t.gql(`{ me { history(first: 5) { edges { cursor } } } }`, {}, token);
      expect(shallow.errors).toBeUndefined();
      const deep = await t.gql(`{ me { history(first: 5) { edges { node { id } } } } }`, {}, token);
      expect(errorCode(deep)).toBe('QUERY_TOO_COMPLEX');
      expect(deep.errors![0].message).toMatch(/查询嵌套过深/);
      expect(deep.data ?? null).toBeNull();
    });

    it('prices lists by their page size, counting fragments', async () => {
      const { mobiles } = await townshipWithResidents(t, 1);
      const token = await devLogin(t, mobiles[0]);
      const cheap = await t.gql(`{ me { history(first: 10) { edges { cursor } } } }`, {}, token);
      expect(cheap.errors).toBeUndefined();
      const costly = await t.gql(
        `query { me { history(first: 100) { ...E } } } fragment E on LedgerLineConnection { edges { cursor } }`,
        {},
        token,
      );
      expect(errorCode(costly)).toBe('QUERY_TOO_COMPLEX');
      expect(costly.errors![0].extensions).toMatchObject({ maxCost: 200 });
    });
  });

  describe('rate limits', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_MUTATIONS_PER_MINUTE: '3', RATE_LIMIT_LOGINS_PER_MINUTE: '2' });
    });
    afterAll(() => t.close());

    it('limits mutations per person, not per server', async () => {
      const { admin, branchId, townshipId } = await townshipWithResidents(t, 0);
      // townshipWithResidents used one mutation of the admin's allowance (createBranch).
      const team = (n: number) =>
        t.gql(`mutation($b: ID!, $n: String!) { createServiceTeam(input: { branchId: $b, name: $n }) { id } }`, { b: branchId, n: `服务队${n}` }, admin);
      expect((await team(1)).errors).toBeUndefined();
      expect((await team(2)).errors).toBeUndefined();
      const limited = await team(3);
      expect(errorCode(limited)).toBe('RATE_LIMITED');
      expect(limited.errors![0].message).toBe('操作过于频繁，请稍后再试');
      const [{ count }] = await t.db.dataSource.query(`SELECT count(*)::int AS count FROM service_team WHERE branch_id = $1`, [branchId]);
      expect(count).toBe(2);
      // Reads are not limited, and another person has their own allowance.
      expect((await t.gql(`query($t: ID!) { township(id: $t) { id } }`, { t: townshipId }, admin)).errors).toBeUndefined();
      const other = await townshipWithResidents(t, 0);
      expect((await t.gql(`mutation($b: ID!) { createServiceTeam(input: { branchId: $b, name: "治安巡逻队" }) { id } }`, { b: other.branchId }, other.admin)).errors).toBeUndefined();
    });

    it('tells the client its allowance in X-RateLimit headers', async () => {
      const { admin, branchId } = await townshipWithResidents(t, 0); // one mutation used
      const response = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: `mutation($b: ID!) { createServiceTeam(input: { branchId: $b, name: "环境保护队" }) { id } }`, variables: { b: branchId } }),
      });
      expect(response.headers.get('x-ratelimit-limit-mutation')).toBe('3');
      expect(response.headers.get('x-ratelimit-remaining-mutation')).toBe('1');
    });

    it('limits reads per person', async () => {
      const limited = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '3' });
      try {
        const { mobiles } = await townshipWithResidents(limited, 1);
        const token = await devLogin(limited, mobiles[0]);
        // Each root field counts: two here, one next, then the allowance is spent.
        expect((await limited.gql(`{ me { balance } a: me { name } }`, {}, token)).errors).toBeUndefined();
        expect((await limited.gql(`{ me { balance } }`, {}, token)).errors).toBeUndefined();
        const refused = await limited.gql(`{ me { balance } }`, {}, token);
        expect(errorCode(refused)).toBe('RATE_LIMITED');
        expect(refused.data ?? null).toBeNull();
        const other = await devLogin(limited, (await townshipWithResidents(limited, 1)).mobiles[0]);
        expect((await limited.gql(`{ me { balance } }`, {}, other)).errors).toBeUndefined();
      } finally {
        await limited.close();
      }
    });

    it('bounds page sizes', async () => {
      const { mobiles } = await townshipWithResidents(t, 1);
      const token = await devLogin(t, mobiles[0]);
      const res = await t.gql(`{ me { history(first: 101) { edges { cursor } } } }`, {}, token);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    });

    it('limits WeChat login attempts per client address', async () => {
      const login = () => t.gql(`mutation { loginWithWechat(code: "0a1b2c") { status } }`);
      const first = await login();
      const second = await login();
      expect(errorCode(first)).not.toBe('RATE_LIMITED');
      expect(errorCode(second)).not.toBe('RATE_LIMITED');
      expect(errorCode(await login())).toBe('RATE_LIMITED');
    });
  });

  describe('rate limits across API replicas', () => {
    const prefix = testQueuePrefix();
    const env = { QUEUE_PREFIX: prefix, RATE_LIMIT_MUTATIONS_PER_MINUTE: '3' };
    let t: TestApp;
    let replica: INestApplication;
    let replicaUrl: string;
    beforeAll(async () => {
      t = await startTestApp(env);
      // A second API process on the same database and Redis.
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: t.db.url, REDIS_URL: TEST_REDIS_URL, DEV_LOGIN_ENABLED: 'true', LOG_LEVEL: 'silent', ...env });
      replica = await createApi({ config, databaseUrl: t.db.url });
      await replica.listen(0, '127.0.0.1');
      replicaUrl = `http://127.0.0.1:${(replica.getHttpServer().address() as AddressInfo).port}/graphql`;
    });
    afterAll(async () => {
      await replica.close();
      await t.close();
    });

    it('counts one allowance per person over all replicas (in Redis)', async () => {
      const { admin, branchId } = await townshipWithResidents(t, 0); // one mutation used
      const team = async (url: string, n: number) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ query: `mutation($b: ID!, $n: String!) { createServiceTeam(input: { branchId: $b, name: $n }) { id } }`, variables: { b: branchId, n: `服务队${n}` } }),
        });
        return (await response.json()) as GqlResponse;
      };
      expect((await team(replicaUrl, 1)).errors).toBeUndefined();
      expect((await team(t.url, 2)).errors).toBeUndefined();
      expect(errorCode(await team(replicaUrl, 3))).toBe('RATE_LIMITED');
      expect(errorCode(await team(t.url, 4))).toBe('RATE_LIMITED');
    });
  });

  describe('login limits behind a reverse proxy (TRUST_PROXY)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ TRUST_PROXY: 'loopback', RATE_LIMIT_LOGINS_PER_MINUTE: '1' });
    });
    afterAll(() => t.close());

    it('counts each forwarded client address on its own', async () => {
      const login = async (forwardedFor: string) => {
        const response = await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ query: `mutation { loginWithWechat(code: "0a1b2c") { status } }` }),
        });
        return errorCode((await response.json()) as GqlResponse);
      };
      expect(await login('203.0.113.7')).not.toBe('RATE_LIMITED');
      expect(await login('203.0.113.7')).toBe('RATE_LIMITED');
      expect(await login('198.51.100.23')).not.toBe('RATE_LIMITED');
    });
  });

  describe('production mode', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ NODE_ENV: 'production', DEV_LOGIN_ENABLED: 'false', JWT_SECRET: randomBytes(32).toString('base64'), METRICS_TOKEN: 'metrics-token-0123456789' });
    });
    afterAll(() => t.close());

    it('says no "Did you mean" about fields, arguments, types or enum values', async () => {
      const probes = [
        `{ m { balance } }`, // field "me"
        `{ me { balanc } }`, // field "balance"
        `{ me { history(firs: 5) { edges { cursor } } } }`, // argument "first"
        `query($i: CreateBranchInpu!) { township(id: "x") { id } }`, // type "CreateBranchInput"
        `mutation { createBranch(input: { townshipId: "x", name: "a", kind: VILAGE }) { id } }`, // enum value
        `mutation($i: CreateBranchInput!) { createBranch(input: $i) { id } }`, // input field, via variables
      ];
      for (const query of probes) {
        const response = await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables: { i: { townshipId: 'x', nam: 'a' } } }),
        });
        const text = await response.text();
        expect(JSON.parse(text).errors?.length).toBeGreaterThan(0);
        expect(text).not.toMatch(/did you mean/i);
        for (const name of ['"me"', '"balance"', '"first"', 'CreateBranchInput"', '"VILLAGE"', '"name"']) {
          if (!query.includes(name.replace(/"/g, ''))) expect(text).not.toContain(name);
        }
      }
    });

    it('sends no x-powered-by header', async () => {
      const response = await fetch(t.url.replace('/graphql', '/health/live'));
      expect(response.status).toBe(200);
      expect(response.headers.get('x-powered-by')).toBeNull();
    });

    it('refuses development login and introspection', async () => {
      const login = await t.gql(`mutation { devLogin(mobile: "13800000001") { status } }`);
      expect(errorCode(login)).toBe('DEV_LOGIN_DISABLED');
      const introspection = await t.gql(`{ __schema { types { name } } }`);
      expect(introspection.data ?? null).toBeNull();
      expect(errorCode(introspection)).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('refuses what a browser could send from another site without a preflight (CSRF)', async () => {
      const simple = (contentType: string, body: string) => fetch(t.url, { method: 'POST', headers: { 'content-type': contentType }, body });
      expect((await simple('text/plain', '{"query":"{ __typename }"}')).status).toBe(400);
      expect((await simple('application/x-www-form-urlencoded', 'query=%7B__typename%7D')).status).toBe(400);
      const get = `${t.url}?query=${encodeURIComponent('{ __typename }')}`;
      expect((await fetch(get)).status).toBe(400);
      const preflighted = await fetch(get, { headers: { 'apollo-require-preflight': 'true' } });
      expect(preflighted.status).toBe(200);
      expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
    });
  });
});
