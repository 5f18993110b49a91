import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/database-url';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind } from '../../src/ledger/ledger.types';
import { ADMIN_URL, databaseUrl } from '../support/postgres';

/**
 * The production set-up of README "Database roles": migrations run as an owner role, the
 * service as an app role with the README's grants. The app role books the ledger but
 * cannot change it: balances move only in the posting trigger, which runs as the owner.
 */
describe('the ledger under an app role that does not own the tables', () => {
  const suffix = randomBytes(4).toString('hex');
  const [db, owner, app] = [`cb_test_roles_${suffix}`, `cb_test_owner_${suffix}`, `cb_test_app_${suffix}`];
  const asUser = (user: string) => {
    const url = new URL(databaseUrl(db));
    url.username = user;
    url.password = 'secret';
    return url.toString();
  };
  const run = async (url: string, sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let ds: DataSource;

  beforeAll(async () => {
    await run(ADMIN_URL, `CREATE ROLE ${owner} LOGIN PASSWORD 'secret'`);
    await run(ADMIN_URL, `CREATE ROLE ${app} LOGIN PASSWORD 'secret'`);
    await run(ADMIN_URL, `CREATE DATABASE ${db} OWNER ${owner}`);
    await runMigrations(asUser(owner));
    // The README's grants, verbatim but for the names.
    await run(
      asUser(owner),
      `GRANT CONNECT ON DATABASE ${db} TO ${app};
       GRANT USAGE ON SCHEMA public TO ${app};
       GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app};
       REVOKE UPDATE, DELETE, TRUNCATE ON account, account_balance, journal_entry, posting, ledger_period, account_period_balance FROM ${app};
       REVOKE INSERT, UPDATE, DELETE ON typeorm_migration FROM ${app};
       GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app};`,
    );
    ds = new DataSource(dataSourceOptions(asUser(app), 2, 'test-roles'));
    await ds.initialize();
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    await run(ADMIN_URL, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await run(ADMIN_URL, `DROP ROLE IF EXISTS ${app}`);
    await run(ADMIN_URL, `DROP ROLE IF EXISTS ${owner}`);
  });

  it('books mints and spends, refuses overdrafts, and cannot edit or disable anything', async () => {
    const ledger = new LedgerService();
    const tx = new TransactionRunner(ds);
    const t = await tx.run(async (m) => {
      const [{ id: townshipId }] = await m.query(`INSERT INTO township (code, name) VALUES ('roles', '测试镇') RETURNING id`);
      await ledger.openTownshipAccounts(m, townshipId);
      const [{ id: branchId }] = await m.query(`INSERT INTO branch (township_id, name) VALUES ($1, '东堡村') RETURNING id`, [townshipId]);
      await ledger.openBranchAccounts(m, townshipId, branchId);
      const [{ id: personId }] = await m.query(`INSERT INTO person (name, mobile) VALUES ('居民', '13900000009') RETURNING id`);
      const [{ id: residentId }] = await m.query(`INSERT INTO resident (person_id, township_id, branch_id) VALUES ($1, $2, $3) RETURNING id`, [
        personId,
        townshipId,
        branchId,
      ]);
      await ledger.openResidentAccount(m, townshipId, residentId);
      return {
        townshipId,
        resident: (await ledger.residentAccount(m, residentId)).id,
        issuance: (await ledger.branchAccount(m, branchId, AccountKind.BRANCH_ISSUANCE)).id,
        redemption: (await ledger.branchAccount(m, branchId, AccountKind.BRANCH_REDEMPTION)).id,
      };
    });
    const post = (key: string, kind: EntryKind.MINT | EntryKind.SPEND, from: string, to: string, amount: number) =>
      tx.run((m) => ledger.post(m, { townshipId: t.townshipId, kind, idempotencyKey: key, memo: '测试', lines: [{ accountId: from, amount: -amount }, { accountId: to, amount }] }));
    await post('mint', EntryKind.MINT, t.issuance, t.resident, 2);
    await post('spend', EntryKind.SPEND, t.resident, t.redemption, 2);
    await expect(post('overdraft', EntryKind.SPEND, t.resident, t.redemption, 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    // Refunds and corrections are reversals: they too need no UPDATE on the ledger (no row locks).
    const refunded = await post('spend-to-refund', EntryKind.MINT, t.issuance, t.resident, 3);
    const [reversal, again] = await Promise.all(
      [0, 1].map(() => tx.run((m) => ledger.reverse(m, { townshipId: t.townshipId, entryId: refunded.id, reason: '退款' }))),
    );
    expect(reversal.id).toBe(again.id);
    expect([reversal.created, again.created].sort()).toEqual([false, true]);
    expect((await tx.run((m) => ledger.reconcile(m, t.townshipId))).ok).toBe(true);

    for (const statement of [
      `UPDATE account_balance SET balance = 100`,
      `UPDATE posting SET amount = 1`,
      `DELETE FROM journal_entry`,
      `TRUNCATE posting`,
    ]) {
      await expect(ds.query(statement)).rejects.toThrow(/permission denied/);
    }
    await expect(ds.query(`ALTER TABLE posting DISABLE TRIGGER ALL`)).rejects.toThrow(/must be owner/);
    // A temporary table named like a ledger table does not stand in for it in the trigger.
    const qr = ds.createQueryRunner();
    try {
      await qr.query(`CREATE TEMPORARY TABLE account_balance (LIKE public.account_balance)`);
      await expect(
        qr.manager.transaction((m) =>
          ledger.post(m, { townshipId: t.townshipId, kind: EntryKind.SPEND, idempotencyKey: 'temp', memo: '测试', lines: [{ accountId: t.resident, amount: -1 }, { accountId: t.redemption, amount: 1 }] }),
        ),
      ).rejects.toThrow(/account_balance_not_negative/);
    } finally {
      await qr.release();
    }
  });
});
