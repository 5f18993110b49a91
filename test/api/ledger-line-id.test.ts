import { OrganisationService } from '../../src/organisation/organisation.service';
import { devLogin, startTestApp, TestApp } from '../support/test-app';

/** LedgerLine.id is non-null in the schema: asking for it must give the posting id, not an internal error. */
describe('history lines carry their posting id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('in me.history and residentHistory', async () => {
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({
      townshipCode: 'ids',
      townshipName: '潞城镇',
      adminName: '张书记',
      adminMobile: '13800000031',
    });
    const admin = await devLogin(t, '13800000031');
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "武兴庄村" }) { id } }`, { t: townshipId }, admin);
    const resident = await t.gql(
      `mutation($b: ID!) { registerResident(input: { branchId: $b, name: "李大妈", mobile: "13900000031" }) { id } }`,
      { b: branch.data.createBranch.id },
      admin,
    );
    const residentId = resident.data.registerResident.id;
    const [{ id: accountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [residentId]);
    for (const key of ['paper-card-0001', 'paper-card-0002']) {
      const posted = await t.gql(
        `mutation($a: ID!, $k: String!) { postAdjustment(input: { accountId: $a, amount: 3, reason: "补录", idempotencyKey: $k }) { id } }`,
        { a: accountId, k: key },
        admin,
      );
      expect(posted.errors).toBeUndefined();
    }
    const postings: { id: string }[] = await t.db.dataSource.query(`SELECT id::text FROM posting WHERE account_id = $1 ORDER BY id DESC`, [accountId]);

    const mine = await t.gql(`{ me { history(first: 5) { edges { node { id entryId amount } } } } }`, {}, await devLogin(t, '13900000031'));
    expect(mine.errors).toBeUndefined();
    expect(mine.data.me.history.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(postings.map((p) => p.id));

    const theirs = await t.gql(`query($r: ID!) { residentHistory(residentId: $r, first: 1) { edges { node { id } } } }`, { r: residentId }, admin);
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data.residentHistory.edges[0].node.id).toBe(postings[0].id);
  });
});
