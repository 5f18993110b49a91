import { DataSource } from 'typeorm';
import { APPEND_ONLY_TABLES, appRoleGrants } from '../../src/database/app-role-grants';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { seedTownship, SeededTownship } from '../support/factories';
import { APP_ROLE } from '../support/postgres';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * The production set-up of README "Database roles", which every test now runs under:
 * migrations as the owner role, the service as the app role with the grants of
 * src/database/app-role-grants.ts. The app role books the ledger but cannot change it,
 * cannot date an entry, and cannot change a settled result.
 */
describe('the ledger under the app role that does not own the tables', () => {
  let db: TestDatabase;
  let town: SeededTownship;
  const ledger = new LedgerService();
  let app: TransactionRunner;
  let owner: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = new TransactionRunner(db.dataSource);
    owner = await db.asOwner();
    town = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
  }, 60_000);
  afterAll(() => db.drop());

  const resident = () => town.branches[0].residents[0].accountId;
  const mint = (key: string, amount: number, bookedAt?: Date) => ({
    townshipId: town.id,
    kind: EntryKind.MINT as const,
    idempotencyKey: key,
    memo: '测试',
    lines: [
      { accountId: town.branches[0].issuanceAccountId, amount: -amount },
      { accountId: resident(), amount },
    ],
    bookedAt,
  });

  it('connects as the app role, not as an owner or superuser', async () => {
    const [row] = await db.dataSource.query(`SELECT current_user AS "user", (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super`);
    expect(row).toEqual({ user: APP_ROLE, super: false });
    const owners: { tableowner: string }[] = await db.dataSource.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.map((o) => o.tableowner)).not.toContain(APP_ROLE);
  });

  it('books mints and spends, reverses, refuses overdrafts, and cannot edit or disable anything', async () => {
    await app.run((m) => ledger.post(m, mint('mint', 2)));
    await app.run((m) =>
      ledger.post(m, { townshipId: town.id, kind: EntryKind.SPEND, idempotencyKey: 'spend', memo: '测试', lines: [{ accountId: resident(), amount: -2 }, { accountId: town.branches[0].redemptionAccountId, amount: 2 }] }),
    );
    await expect(
      app.run((m) => ledger.post(m, { townshipId: town.id, kind: EntryKind.SPEND, idempotencyKey: 'overdraft', memo: '测试', lines: [{ accountId: resident(), amount: -1 }, { accountId: town.branches[0].redemptionAccountId, amount: 1 }] })),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    // The reversal's lock is an advisory lock: a row lock would need UPDATE on journal_entry.
    const wrong = await app.run((m) => ledger.post(m, mint('mint-wrong', 3)));
    const reversal = await app.run((m) => ledger.reverse(m, { townshipId: town.id, entryId: wrong.id, reason: '录入错误' }));
    expect(reversal.created).toBe(true);
    expect((await app.run((m) => ledger.reconcile(m, town.id))).ok).toBe(true);

    for (const statement of [`UPDATE account_balance SET balance = 100`, `UPDATE posting SET amount = 1`, `DELETE FROM journal_entry`, `TRUNCATE posting`]) {
      await expect(db.dataSource.query(statement)).rejects.toThrow(/permission denied/);
    }
    await expect(db.dataSource.query(`ALTER TABLE posting DISABLE TRIGGER ALL`)).rejects.toThrow(/must be owner/);
    // A temporary table named like a ledger table does not stand in for it in the trigger.
    const qr = db.dataSource.createQueryRunner();
    try {
      await qr.query(`CREATE TEMPORARY TABLE account_balance (LIKE public.account_balance)`);
      await expect(
        qr.manager.transaction((m) =>
          ledger.post(m, { townshipId: town.id, kind: EntryKind.SPEND, idempotencyKey: 'temp', memo: '测试', lines: [{ accountId: resident(), amount: -1 }, { accountId: town.branches[0].redemptionAccountId, amount: 1 }] }),
        ),
      ).rejects.toThrow(/account_balance_not_negative/);
    } finally {
      await qr.release();
    }
  });

  it('books at the database clock: the app role cannot date an entry, into any month, by any path', async () => {
    const lastMonth = new Date(Date.now() - 35 * 24 * 3600 * 1000);
    for (const bookedAt of [lastMonth, new Date(Date.now() - 60_000), new Date(), new Date('2000-01-01T00:00:00Z')]) {
      await expect(app.run((m) => ledger.post(m, mint(`dated-${bookedAt.getTime()}`, 1, bookedAt)))).rejects.toMatchObject({ code: 'LEDGER_INVARIANT_VIOLATED' });
    }
    // Plain SQL, past the service: the same refusal from the trigger.
    await expect(
      db.dataSource.query(
        `WITH e AS (INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo, booked_at)
                    VALUES ($1, 'raw-dated', 'x', 'MINT', 'raw', now() - interval '40 days') RETURNING id, booked_at, period)
         INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
         SELECT e.id, $1, a, v, e.booked_at, e.period FROM e, unnest($2::uuid[], $3::int8[]) AS l(a, v)`,
        [town.id, [town.branches[0].issuanceAccountId, resident()], [-1, 1]],
      ),
    ).rejects.toThrow(/only the ledger's owner may date an entry/);
    const before = Date.now();
    const undated = await app.run((m) => ledger.post(m, mint('undated', 1)));
    expect(Math.abs(new Date(undated.bookedAt).getTime() - before)).toBeLessThan(60_000);
    // The owner role may (an operator's data load or repair).
    const dated = await new TransactionRunner(owner).run((m) => ledger.post(m, mint('owner-dated', 1, lastMonth)));
    expect(new Date(dated.bookedAt).getTime()).toBe(lastMonth.getTime());
  });

  it('keeps settled results append-only for the app role, and for the owner by trigger', async () => {
    const month = '2020-01-01';
    await owner.query(`INSERT INTO settlement (township_id, month, status, branches_total) VALUES ($1, $2, 'SUCCEEDED', 1)`, [town.id, month]);
    await owner.query(
      `INSERT INTO settlement_branch (township_id, month, branch_id, points_minted, points_spent, activities_held, distinct_volunteers, distinct_course_takers, top_volunteers)
       VALUES ($1, $2, $3, 5, 0, 1, 1, 0, '[]')`,
      [town.id, month, town.branches[0].id],
    );
    await owner.query(`INSERT INTO account_period_balance (account_id, period, township_id, opening, earned, spent, closing) VALUES ($1, $2, $3, 0, 5, 0, 5)`, [
      resident(),
      month,
      town.id,
    ]);
    await owner.query(`INSERT INTO audit_log (township_id, action) VALUES ($1, 'test')`, [town.id]);
    // [statement, refused for the owner too (a row-level trigger needs a row to fire on)]
    const tampering: [string, boolean][] = [
      [`UPDATE settlement_branch SET points_minted = 999`, true],
      [`DELETE FROM settlement_branch`, true],
      [`TRUNCATE settlement_branch CASCADE`, true],
      [`UPDATE account_period_balance SET closing = 999, earned = 999`, true],
      [`DELETE FROM account_period_balance`, true],
      [`UPDATE audit_log SET action = 'nothing happened'`, true],
      [`DELETE FROM audit_log`, true],
      [`UPDATE theme_publication SET published_at = now()`, false],
      [`DELETE FROM theme_publication_item`, false],
      [`TRUNCATE theme_publication CASCADE`, true],
      [`UPDATE settlement SET trial_balance = '{}' WHERE township_id = '${town.id}'`, true],
      [`UPDATE settlement SET status = 'RUNNING' WHERE township_id = '${town.id}'`, true],
      [`DELETE FROM settlement WHERE township_id = '${town.id}'`, true],
    ];
    for (const [statement, ownerRefused] of tampering) {
      await expect(db.dataSource.query(statement)).rejects.toThrow(/permission denied|settled month is final|append-only/);
      if (ownerRefused) await expect(owner.query(statement)).rejects.toThrow(/append-only|settled month is final/);
    }
    const [figures] = await db.dataSource.query(`SELECT points_minted::int AS minted FROM settlement_branch WHERE township_id = $1`, [town.id]);
    expect(figures.minted).toBe(5);
  });

  it('grants exactly what the code says, and no change on the append-only tables', async () => {
    expect(appRoleGrants(APP_ROLE).join('\n')).toContain(`REVOKE UPDATE, DELETE, TRUNCATE ON ${APPEND_ONLY_TABLES.join(', ')}`);
    for (const table of APPEND_ONLY_TABLES) {
      const [privileges] = await db.dataSource.query(
        `SELECT has_table_privilege($1, $2, 'INSERT') AS insert, has_table_privilege($1, $2, 'UPDATE') AS update,
                has_table_privilege($1, $2, 'DELETE') AS delete, has_table_privilege($1, $2, 'TRUNCATE') AS truncate`,
        [APP_ROLE, `public.${table}`],
      );
      expect({ table, ...privileges }).toEqual({ table, insert: true, update: false, delete: false, truncate: false });
    }
    expect(() => appRoleGrants(`cb_app; DROP TABLE posting`)).toThrow(/not a plain role name/);
  });
});
