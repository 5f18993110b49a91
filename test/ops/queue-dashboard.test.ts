import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { devLogin, startTestApp, TestApp } from '../support/test-app';

describe.each<[string, Record<string, string>]>([
  ['Redis', {}],
  ['PostgreSQL', { REDIS_URL: '' }],
])('queue dashboard on the %s backend', (_, env) => {
  let t: TestApp;
  let base: string;
  let admin: string;
  let resident: string;
  beforeAll(async () => {
    t = await startTestApp(env, env.REDIS_URL === '' ? { connectAs: 'owner' } : {});
    base = t.url.replace(/\/graphql$/, '');
    const adminMobile = nextMobile();
    const residentMobile = nextMobile();
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: `q${Date.now()}`, townshipName: '潞城镇', adminName: '张书记', adminMobile });
    admin = await devLogin(t, adminMobile);
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "南刘各庄村" }) { id } }`, { t: townshipId }, admin);
    await t.gql(`mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "周阿姨", mobile: $m }) { id } }`, { b: branch.data.createBranch.id, m: residentMobile }, admin);
    resident = await devLogin(t, residentMobile);
  }, 60_000);
  afterAll(() => t.close());

  it('turns away the anonymous and people who are not township admins', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${resident}` } })).status).toBe(403);
    const session = (authorization?: string) =>
      fetch(`${base}/admin/queues/session`, { method: 'POST', headers: authorization ? { authorization } : {} });
    expect((await session()).status).toBe(401);
    expect((await session('Bearer forged.token.value')).status).toBe(401);
    expect((await session(`Bearer ${resident}`)).status).toBe(403);
    for (const res of [await session(), await session(`Bearer ${resident}`)]) expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('never takes a token from the URL: the old ?token= link opens nothing and sets no cookie', async () => {
    const link = await fetch(`${base}/admin/queues?token=${admin}`, { redirect: 'manual' });
    expect(link.status).toBe(401);
    expect(link.headers.get('set-cookie')).toBeNull();
  });

  it('lets an admin in with a POSTed bearer token that becomes an HttpOnly cookie, read-only', async () => {
    const opened = await fetch(`${base}/admin/queues/session`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(opened.status).toBe(204);
    const cookie = opened.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/admin\/queues/);
    // The cookie alone cannot open a session (only the bearer header can).
    const renewed = await fetch(`${base}/admin/queues/session`, { method: 'POST', headers: { cookie: cookie.split(';')[0] } });
    expect(renewed.status).toBe(401);
    const page = await fetch(`${base}/admin/queues`, { headers: { cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('文明银行 任务队列');
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: cookie.split(';')[0] } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['deeds', 'settlement', 'themes']);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });
});
