import { OrganisationService } from '../../src/organisation/organisation.service';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

describe('api smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('bootstraps, creates a branch, registers a resident, adjusts and shows history', async () => {
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({
      townshipCode: 'lucheng',
      townshipName: '潞城镇',
      adminName: '张书记',
      adminMobile: '13800000001',
    });
    const admin = await devLogin(t, '13800000001');
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "武兴庄村" }) { id name kind } }`, { t: townshipId }, admin);
    expect(branch.errors).toBeUndefined();
    const branchId = branch.data.createBranch.id;
    const resident = await t.gql(
      `mutation($b: ID!) { registerResident(input: { branchId: $b, name: "李大妈", mobile: "13900000002" }) { id balance } }`,
      { b: branchId },
      admin,
    );
    expect(resident.data.registerResident.balance).toBe(0);
    const me = await devLogin(t, '13900000002');
    const meRes = await t.gql(`{ me { name balance resident { branchName } } }`, {}, me);
    expect(meRes.data.me).toEqual({ name: '李大妈', balance: 0, resident: { branchName: '武兴庄村' } });
    const accounts = await t.gql(`query($r: ID!) { residentHistory(residentId: $r) { edges { node { id } } } }`, { r: resident.data.registerResident.id }, me);
    expect(errorCode(accounts)).toBe('FORBIDDEN');
    const listed = await t.gql(`query($b: ID!) { branchResidents(branchId: $b) { edges { node { id accountId balance } } } }`, { b: branchId }, admin);
    const [{ id: accountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [resident.data.registerResident.id]);
    expect(listed.data.branchResidents.edges).toEqual([{ node: { id: resident.data.registerResident.id, accountId, balance: 0 } }]);
    const adj = await t.gql(
      `mutation($a: ID!) { postAdjustment(input: { accountId: $a, amount: 5, reason: "补录纸质积分", idempotencyKey: "paper-2026-11-001" }) { id created period } }`,
      { a: accountId },
      admin,
    );
    expect(adj.errors).toBeUndefined();
    const hist = await t.gql(`{ me { balance history(first: 5) { edges { node { kind amount memo balanceAfter } } pageInfo { hasNextPage } } } }`, {}, me);
    expect(hist.data.me).toEqual({
      balance: 5,
      history: { edges: [{ node: { kind: 'ADJUSTMENT', amount: 5, memo: '补录纸质积分', balanceAfter: 5 } }], pageInfo: { hasNextPage: false } },
    });
    const bad = await t.gql(`mutation($a: ID!) { postAdjustment(input: { accountId: $a, amount: 0, reason: "x", idempotencyKey: "k" }) { id } }`, { a: accountId }, admin);
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].message).toMatch(/输入有误/);
    const anon = await t.gql(`{ me { name } }`);
    expect(errorCode(anon)).toBe('UNAUTHENTICATED');
  });
});
