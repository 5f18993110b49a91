import { Client } from 'pg';
import { PrincipalCache } from '../../src/auth/principal-cache';
import { PrincipalLoader } from '../../src/auth/principal.loader';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Two API processes on one database: a role revoked through one is refused on the very
 * next request to the other, although the other had the principal cached.
 */
describe('principal cache across API processes', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: string;
  let manager: string;
  let managerId: string;
  let branchId: string;
  let loadsOnB: jest.SpyInstance;

  /**
   * Until B serves the manager from its cache: the notice of the last appointment may
   * reach B while it loads, and then it does not cache what it loaded.
   */
  const cachedOnB = () =>
    waitFor('B to serve the manager from its cache', async () => {
      expect((await staffOnB()).data.branchStaff).toEqual([{ personId: managerId }]);
      const loads = loadsOnB.mock.calls.length;
      expect((await staffOnB()).data.branchStaff).toEqual([{ personId: managerId }]);
      return loadsOnB.mock.calls.length === loads;
    });
  const staffOnB = () => b.gql(`query($b: ID!) { branchStaff(branchId: $b) { personId } }`, { b: branchId }, manager);
  const appoint = async () => {
    const res = await a.gql(`mutation($b: ID!) { appointBranchManager(input: { branchId: $b, name: "王主任", mobile: "13900000009" }) { personId } }`, { b: branchId }, admin);
    expect(res.errors).toBeUndefined();
    return res.data.appointBranchManager.personId as string;
  };

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({}, { database: a.db });
    const { townshipId } = await a.app.get(OrganisationService).bootstrap({ townshipCode: 'lucheng', townshipName: '潞城镇', adminName: '张书记', adminMobile: '13800000001' });
    admin = await devLogin(a, '13800000001');
    branchId = (await a.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "武兴庄村" }) { id } }`, { t: townshipId }, admin)).data.createBranch.id;
    managerId = await appoint();
    manager = await devLogin(b, '13900000009');
    // B starts listening on its first authenticated request, and caches once it listens.
    expect((await staffOnB()).data.branchStaff).toEqual([{ personId: managerId }]);
    await waitFor('B to listen', async () => b.app.get(PrincipalCache).active);
    loadsOnB = jest.spyOn(b.app.get(PrincipalLoader), 'load');
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('serves a principal from the cache until its role is revoked through the other process', async () => {
    for (let round = 0; round < 3; round++) {
      await cachedOnB();
      const revoked = await a.gql(`mutation($s: ID!, $p: ID!) { revokeBranchManager(input: { scopeId: $s, personId: $p }) }`, { s: branchId, p: managerId }, admin);
      expect(revoked.data).toEqual({ revokeBranchManager: true });
      expect(errorCode(await staffOnB())).toBe('FORBIDDEN');
      expect(await appoint()).toBe(managerId);
      expect((await staffOnB()).data.branchStaff).toEqual([{ personId: managerId }]);
    }
  });

  it('stops caching while its listener is down, and a change made meanwhile is not missed', async () => {
    const cache = b.app.get(PrincipalCache);
    expect(cache.active).toBe(true);
    await cachedOnB();
    // The revocation commits after B's listening connection is gone: its notice reaches no one.
    const superuser = new Client({ connectionString: a.db.superuserUrl });
    await superuser.connect();
    try {
      await superuser.query('BEGIN');
      await superuser.query(`DELETE FROM role_assignment WHERE person_id = $1`, [managerId]);
      const { rows } = await superuser.query(
        `SELECT pg_terminate_backend(pid, 10000) AS gone FROM pg_stat_activity WHERE datname = $1 AND application_name = 'civilization-bank-principals'`,
        [a.db.name],
      );
      expect(rows).toEqual([{ gone: true }, { gone: true }]); // A's and B's listeners
      await superuser.query('COMMIT');
    } finally {
      await superuser.end();
    }
    expect(errorCode(await staffOnB())).toBe('FORBIDDEN');
    await waitFor('the listener to reconnect', async () => cache.active);
    expect(await appoint()).toBe(managerId);
    await cachedOnB();
  });
});
