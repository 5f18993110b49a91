import { Client } from 'pg';
import { LedgerService } from '../../src/ledger/ledger.service';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { devLogin, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The PostgreSQL backend running a ledger write is terminated mid-transaction
 * (pg_terminate_backend). The client is told to retry (TEMPORARILY_UNAVAILABLE,
 * retryable), nothing of the entry exists, and the retry with the same idempotency key
 * books it exactly once.
 */
describe('PostgreSQL backend terminated during a ledger write', () => {
  let t: TestApp;
  let blocker: Client;
  beforeAll(async () => {
    t = await startTestApp();
    // The superuser: it locks a balance row (the app role may not) and sees and ends the API's backend.
    blocker = new Client({ connectionString: t.db.superuserUrl });
    await blocker.connect();
  });
  afterAll(async () => {
    await blocker.end();
    await t.close();
  });

  it('fails retryably, writes nothing, and the retry books once', async () => {
    const adminMobile = nextMobile();
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: 'terminate', townshipName: '潞城镇', adminName: '张书记', adminMobile });
    const admin = await devLogin(t, adminMobile);
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "东堡村" }) { id } }`, { t: townshipId }, admin);
    const resident = await t.gql(`mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "孙奶奶", mobile: $m }) { id } }`, { b: branch.data.createBranch.id, m: nextMobile() }, admin);
    const [{ id: accountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [resident.data.registerResident.id]);
    const adjust = () =>
      t.gql(`mutation($a: ID!) { postAdjustment(input: { accountId: $a, amount: 4, reason: "补录纸质积分", idempotencyKey: "paper-42" }) { id created } }`, { a: accountId }, admin);

    // Hold the resident's balance row: the API's transaction has inserted its entry and
    // postings and waits for this lock to move the balance — mid-transaction.
    await blocker.query('BEGIN');
    await blocker.query(`SELECT * FROM account_balance WHERE account_id = $1 FOR UPDATE`, [accountId]);
    const pending = adjust();
    let victim = 0;
    await waitFor('the API backend to wait on the lock', async () => {
      const rows = await blocker.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'civilization-bank-api'
           AND wait_event_type = 'Lock'`,
      );
      victim = rows.rows[0]?.pid ?? 0;
      return victim > 0;
    });
    await blocker.query(`SELECT pg_terminate_backend($1)`, [victim]);
    await blocker.query('ROLLBACK');

    const failed = await pending;
    expect(failed.errors?.[0].extensions).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', retryable: true });
    expect(failed.errors?.[0].message).toBe('服务暂时繁忙，请稍后重试');
    const [{ entries, postings }] = await t.db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM journal_entry WHERE idempotency_key = 'adjustment:paper-42') AS entries,
              (SELECT count(*)::int FROM posting WHERE account_id = $1) AS postings`,
      [accountId],
    );
    expect({ entries, postings }).toEqual({ entries: 0, postings: 0 });

    const retried = await adjust();
    expect(retried.errors).toBeUndefined();
    expect(retried.data.postAdjustment.created).toBe(true);
    const again = await adjust();
    expect(again.data.postAdjustment).toEqual({ id: retried.data.postAdjustment.id, created: false });
    const [{ count }] = await t.db.dataSource.query(`SELECT count(*)::int AS count FROM journal_entry WHERE idempotency_key = 'adjustment:paper-42'`);
    expect(count).toBe(1);
    const report = await t.db.dataSource.transaction((m) => new LedgerService().reconcile(m, townshipId));
    expect(report.ok).toBe(true);
    const [{ balance }] = await t.db.dataSource.query(`SELECT sum(balance)::int AS balance FROM account_balance WHERE account_id = $1`, [accountId]);
    expect(balance).toBe(4);
  });
});
