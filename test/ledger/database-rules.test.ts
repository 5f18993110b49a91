/**
 * The ledger rules that the DATABASE enforces (DESIGN.md §3 rules 1-3 and 6), shown with
 * plain SQL over a plain `pg` client: no LedgerService, no TypeORM, nothing that a script
 * or a hand-typed psql session would not also have. Every refusal is checked by its
 * SQLSTATE (CB00x raised by the foundation migration's triggers, or the constraint's own),
 * and next to each refusal a control case shows the same kind of statement succeeding
 * when it keeps the rules, so the refusal is for the violation and nothing else.
 */
import { Client } from 'pg';
import { monthOf } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { contentHash } from '../../src/ledger/ledger.rules';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { nextMobile, seedTownship, SeededTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

interface RawEntry {
  townshipId: string;
  key: string;
  lines: [accountId: string, amount: number][];
  kind?: EntryKind;
  bookedAt?: string | Date;
  reversesEntryId?: string;
}

/** The statement LedgerService uses: an entry and its postings in one INSERT ... WITH. */
const INSERT_ENTRY = `
  WITH entry AS (
    INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo, reverses_entry_id, booked_at)
    VALUES ($1, $2, $8, $3, '手工记账', $4, $5)
    RETURNING id, booked_at, period
  ), lines AS (
    INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
    SELECT entry.id, $1, l.account_id, l.amount, entry.booked_at, entry.period
    FROM entry, unnest($6::uuid[], $7::int8[]) AS l(account_id, amount)
    ORDER BY l.account_id
    RETURNING 1
  )
  SELECT entry.id::text AS id, to_char(entry.period, 'YYYY-MM') AS period FROM entry`;

describe('database-enforced ledger rules (plain SQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let t: SeededTownship;
  let other: SeededTownship;
  const ledger = new LedgerService();
  let tx: TransactionRunner;

  const resident = () => t.branches[0].residents[0].accountId;
  const issuance = () => t.branches[0].issuanceAccountId;
  const redemption = () => t.branches[0].redemptionAccountId;

  async function insertEntry(e: RawEntry, client: Client = sql): Promise<{ id: string; period: string }> {
    const kind = e.kind ?? (e.reversesEntryId ? EntryKind.REVERSAL : EntryKind.MINT);
    const lines = e.lines.map(([accountId, amount]) => ({ accountId, amount }));
    const { rows } = await client.query(INSERT_ENTRY, [
      e.townshipId,
      e.key,
      kind,
      e.reversesEntryId ?? null,
      e.bookedAt ?? null,
      e.lines.map((l) => l[0]),
      e.lines.map((l) => l[1]),
      // The hash LedgerService would store: the reconciliation recomputes it.
      contentHash(kind, '手工记账', lines, null, e.reversesEntryId),
    ]);
    return rows[0];
  }

  /** The error a statement fails with; fails the test if the statement succeeds. */
  async function refusal(statement: Promise<unknown>): Promise<{ code: string; constraint?: string; message: string }> {
    const outcome = await statement.then(
      () => undefined,
      (error) => error,
    );
    if (!outcome) throw new Error('expected the database to refuse the statement, but it succeeded');
    return outcome;
  }

  /** Runs `work` in a transaction on the plain client and rolls it back, whatever happens. */
  async function inRolledBackTransaction(work: () => Promise<void>, begin = 'BEGIN'): Promise<void> {
    await sql.query(begin);
    try {
      await work();
    } finally {
      await sql.query('ROLLBACK');
    }
  }

  async function balance(accountId: string): Promise<number> {
    const { rows } = await sql.query(`SELECT sum(balance)::int8 AS b FROM account_balance WHERE account_id = $1`, [accountId]);
    return Number(rows[0].b);
  }

  async function counts(townshipId = t.id) {
    const { rows } = await sql.query(
      `SELECT (SELECT count(*) FROM journal_entry WHERE township_id = $1)::int AS entries,
              (SELECT count(*) FROM posting WHERE township_id = $1)::int AS postings,
              (SELECT count(*) FROM ledger_period WHERE township_id = $1)::int AS periods,
              (SELECT coalesce(sum(balance), 0) FROM account_balance WHERE township_id = $1)::int8 AS total`,
      [townshipId],
    );
    return { ...rows[0], total: Number(rows[0].total) };
  }

  beforeAll(async () => {
    db = await createTestDatabase(4);
    tx = new TransactionRunner(db.dataSource);
    sql = new Client({ connectionString: db.ownerUrl, application_name: 'ledger-database-rules' });
    await sql.connect();
    t = await seedTownship(db.dataSource, { branches: 2, residentsPerBranch: 2 });
    other = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
    // Something to try to change: 10 points minted to the first resident, with plain SQL.
    await insertEntry({ townshipId: t.id, key: 'seed-mint', lines: [[resident(), 10], [issuance(), -10]] });
  });

  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  afterEach(async () => {
    // Whatever a test tried, the township's books still balance (rule 7).
    expect((await counts()).total).toBe(0);
  });

  describe('rule 2: entries, postings and closed periods are append-only (CB003)', () => {
    let closedPeriodsBefore: number;
    beforeAll(async () => {
      // A closed month to try to reopen.
      await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, '2023-01-01')`, [t.id]);
      closedPeriodsBefore = (await counts()).periods;
    });

    it('accepts a balanced entry written with plain SQL (the control case)', async () => {
      const before = await counts();
      const entry = await insertEntry({ townshipId: t.id, key: 'control-append', lines: [[redemption(), 1], [issuance(), -1]] });
      expect(entry.id).toMatch(/^\d+$/);
      expect(await counts()).toMatchObject({ entries: before.entries + 1, postings: before.postings + 2 });
    });

    it.each([
      ['UPDATE journal_entry', `UPDATE journal_entry SET memo = '改过的摘要' WHERE township_id = $1`],
      ['UPDATE journal_entry (kind)', `UPDATE journal_entry SET kind = 'ADJUSTMENT' WHERE township_id = $1`],
      ['DELETE journal_entry', `DELETE FROM journal_entry WHERE township_id = $1`],
      ['UPDATE posting', `UPDATE posting SET amount = amount * 2 WHERE township_id = $1`],
      ['UPDATE posting (account)', `UPDATE posting SET account_id = account_id WHERE township_id = $1`],
      ['DELETE posting', `DELETE FROM posting WHERE township_id = $1`],
      ['UPDATE ledger_period', `UPDATE ledger_period SET period = '2023-02-01' WHERE township_id = $1`],
      ['DELETE ledger_period (reopening a month)', `DELETE FROM ledger_period WHERE township_id = $1`],
    ])('refuses %s', async (_name, statement) => {
      const before = await counts();
      const memos = await sql.query(`SELECT id, memo, kind FROM journal_entry ORDER BY id`);
      const error = await refusal(sql.query(statement, [t.id]));
      expect(error.code).toBe('CB003');
      expect(error.message).toMatch(/append-only/);
      expect(await counts()).toEqual(before);
      expect((await sql.query(`SELECT id, memo, kind FROM journal_entry ORDER BY id`)).rows).toEqual(memos.rows);
    });

    it.each([
      ['TRUNCATE posting', 'TRUNCATE posting'],
      ['TRUNCATE journal_entry CASCADE', 'TRUNCATE journal_entry CASCADE'],
      ['TRUNCATE ledger_period', 'TRUNCATE ledger_period'],
    ])('refuses %s', async (_name, statement) => {
      const before = await counts();
      const error = await refusal(sql.query(statement));
      expect(error.code).toBe('CB003');
      expect(await counts()).toEqual(before);
    });

    it('keeps the closed period closed', async () => {
      expect((await counts()).periods).toBe(closedPeriodsBefore);
    });
  });

  describe('rule 1: an entry has at least two postings that sum to zero (CB002)', () => {
    it.each([
      ['postings that do not sum to zero', [[0, 5], [1, -4]]],
      ['a single posting', [[0, 5]]],
      ['no postings at all', []],
      ['three postings that do not sum to zero', [[0, 3], [1, -2], [2, -2]]],
    ] as [string, [number, number][]][])('refuses %s', async (name, lines) => {
      const accounts = [resident(), issuance(), redemption()];
      const balances = async () => [await balance(accounts[0]), await balance(accounts[1]), await balance(accounts[2])];
      const before = { counts: await counts(), balances: await balances() };
      const error = await refusal(
        insertEntry({ townshipId: t.id, key: `unbalanced: ${name}`, lines: lines.map(([a, n]) => [accounts[a], n]) }),
      );
      expect(error.code).toBe('CB002');
      expect({ counts: await counts(), balances: await balances() }).toEqual(before);
    });

    it('accepts three postings that sum to zero (the control case)', async () => {
      await insertEntry({ townshipId: t.id, key: 'three-way', lines: [[resident(), 2], [redemption(), 1], [issuance(), -3]] });
    });

    it('refuses an entry inserted alone, before its postings, even inside one transaction', async () => {
      await inRolledBackTransaction(async () => {
        const error = await refusal(
          sql.query(
            `INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo)
             VALUES ($1, 'entry-first', 'raw-sql', 'MINT', '先记分录头') RETURNING id`,
            [t.id],
          ),
        );
        expect(error.code).toBe('CB002');
      });
    });

    it('refuses balanced postings appended to an entry another transaction wrote', async () => {
      const entry = await insertEntry({ townshipId: t.id, key: 'append-target', lines: [[redemption(), 4], [issuance(), -4]] });
      const before = await counts();
      const append = (client: Client) =>
        client.query(
          `INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
           SELECT e.id, e.township_id, l.account_id, l.amount, e.booked_at, e.period
           FROM journal_entry e, unnest($2::uuid[], $3::int8[]) AS l(account_id, amount)
           WHERE e.id = $1 ORDER BY l.account_id`,
          [entry.id, [resident(), issuance()], [7, -7]],
        );
      // Balanced on their own and matching the entry's township, time and period: only
      // "written by another transaction" is wrong with them.
      expect((await refusal(append(sql))).code).toBe('CB002');
      // A sub-transaction of a later transaction is another writer as well.
      await inRolledBackTransaction(async () => {
        await sql.query('SAVEPOINT s');
        expect((await refusal(append(sql))).code).toBe('CB002');
      });
      expect(await counts()).toEqual(before);
    });

    it('refuses postings whose township, booking time or period differ from their entry', async () => {
      // One posting of a balanced pair carries a township, time or period of its own.
      const mismatched = (key: string, override: { townshipId?: string; bookedAt?: string; period?: string }) =>
        sql.query(
          `WITH entry AS (
             INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo)
             VALUES ($1, $2, 'raw-sql', 'MINT', '错位的分录') RETURNING id, township_id, booked_at, period
           )
           INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
           SELECT entry.id, entry.township_id, $3::uuid, 3, entry.booked_at, entry.period FROM entry
           UNION ALL
           SELECT entry.id, coalesce($5::uuid, entry.township_id), $4::uuid, -3,
                  coalesce($6::timestamptz, entry.booked_at), coalesce($7::date, entry.period)
           FROM entry`,
          [
            t.id,
            key,
            resident(),
            override.townshipId ? other.adjustmentAccountId : issuance(),
            override.townshipId ?? null,
            override.bookedAt ?? null,
            override.period ?? null,
          ],
        );
      // The control case: the same statement with nothing overridden commits.
      await mismatched('mismatch-none', {});
      const before = await counts();
      expect((await refusal(mismatched('mismatch-time', { bookedAt: '2024-01-15T00:00:00Z' }))).code).toBe('CB002');
      expect((await refusal(mismatched('mismatch-period', { period: '2024-01-01' }))).code).toBe('CB002');
      // A posting in another township's ledger: balanced overall, but not one ledger.
      expect((await refusal(mismatched('mismatch-township', { townshipId: other.id }))).code).toBe('CB002');
      expect(await counts()).toEqual(before);
      expect(await counts(other.id)).toMatchObject({ entries: 0, postings: 0, total: 0 });
    });

    it("refuses a posting to another township's account (CB004)", async () => {
      const error = await refusal(
        insertEntry({ townshipId: t.id, key: 'cross-township', lines: [[other.branches[0].residents[0].accountId, 2], [issuance(), -2]] }),
      );
      expect(error.code).toBe('CB004');
      expect(await balance(other.branches[0].residents[0].accountId)).toBe(0);
    });
  });

  describe('rule 3: a resident balance never goes below zero (CHECK account_balance_not_negative)', () => {
    let holder: string;
    beforeAll(async () => {
      holder = t.branches[1].residents[0].accountId;
      await insertEntry({ townshipId: t.id, key: 'holder-mint', lines: [[holder, 10], [t.branches[1].issuanceAccountId, -10]] });
    });

    it('refuses a spend one point larger than the balance, and accepts the exact balance', async () => {
      const spend = (key: string, amount: number) =>
        insertEntry({ townshipId: t.id, key, kind: EntryKind.SPEND, lines: [[holder, -amount], [redemption(), amount]] });
      const before = await counts();
      const error = await refusal(spend('overdraw', 11));
      expect(error).toMatchObject({ code: '23514', constraint: 'account_balance_not_negative' });
      expect(await counts()).toEqual(before);
      expect(await balance(holder)).toBe(10);

      await spend('exact', 10);
      expect(await balance(holder)).toBe(0);
      expect((await refusal(spend('overdraw-empty', 1))).constraint).toBe('account_balance_not_negative');
      expect(await balance(holder)).toBe(0);
    });

    it('lets unbounded accounts (branch issuance) go negative (the control case)', async () => {
      expect(await balance(t.branches[1].issuanceAccountId)).toBe(-10);
    });

    it('refuses setting a resident balance row below zero directly', async () => {
      await inRolledBackTransaction(async () => {
        const error = await refusal(sql.query(`UPDATE account_balance SET balance = -1 WHERE account_id = $1`, [holder]));
        expect(error).toMatchObject({ code: '23514', constraint: 'account_balance_not_negative' });
      });
    });

    it('refuses making a resident account unbounded (flipping may_go_negative)', async () => {
      const error = await refusal(sql.query(`UPDATE account_balance SET may_go_negative = true WHERE account_id = $1`, [holder]));
      expect(error.code).toBe('CB003');
      const { rows } = await sql.query(`SELECT bool_or(may_go_negative) AS unbounded FROM account_balance WHERE account_id = $1`, [holder]);
      expect(rows[0].unbounded).toBe(false);
    });

    it('refuses moving a balance row to another account, shard or township', async () => {
      for (const change of [
        `account_id = '${t.branches[1].redemptionAccountId}'`,
        `shard = 7`,
        `township_id = '${other.id}'`,
      ]) {
        const error = await refusal(sql.query(`UPDATE account_balance SET ${change} WHERE account_id = $1`, [holder]));
        expect(error.code).toBe('CB003');
      }
    });

    it("refuses turning a branch account (32 unbounded shards) into a resident's account", async () => {
      // A registered resident who has no account yet: the UPDATE would otherwise satisfy every CHECK.
      const { rows } = await sql.query(
        `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($1, '无账户居民', $3) RETURNING id)
         INSERT INTO resident (person_id, township_id, branch_id) SELECT p.id, $1, $2 FROM p RETURNING id`,
        [t.id, t.branches[1].id, nextMobile()],
      );
      const error = await refusal(
        sql.query(`UPDATE account SET kind = 'RESIDENT', resident_id = $2, branch_id = NULL WHERE id = $1`, [
          t.branches[1].redemptionAccountId,
          rows[0].id,
        ]),
      );
      expect(error.code).toBe('CB003');
    });

    it('refuses an extra, unbounded balance shard for a resident account', async () => {
      for (const unbounded of [true, false]) {
        const error = await refusal(
          sql.query(`INSERT INTO account_balance (account_id, shard, township_id, may_go_negative) VALUES ($1, 1, $2, $3)`, [
            holder,
            t.id,
            unbounded,
          ]),
        );
        expect(error.code).toBe('CB003');
      }
      const { rows } = await sql.query(`SELECT count(*)::int AS shards FROM account_balance WHERE account_id = $1`, [holder]);
      expect(rows[0].shards).toBe(1);
    });
  });

  describe('rule 6: nothing is booked into a closed period (CB001)', () => {
    beforeAll(async () => {
      // March 2024 is closed (Asia/Shanghai calendar month).
      await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, '2024-03-01')`, [t.id]);
    });

    const backdated = (key: string, bookedAt: string) =>
      insertEntry({ townshipId: t.id, key, bookedAt, lines: [[redemption(), 1], [issuance(), -1]] });

    it('refuses an entry booked in a closed month', async () => {
      const before = await counts();
      expect((await refusal(backdated('closed-mid-month', '2024-03-15T12:00:00+08:00'))).code).toBe('CB001');
      expect(await counts()).toEqual(before);
    });

    it('reckons the month in Asia/Shanghai, not UTC', async () => {
      // 2024-02-29 16:30 UTC is already 1 March 00:30 in Shanghai: closed.
      expect((await refusal(backdated('closed-shanghai-start', '2024-02-29T16:30:00Z'))).code).toBe('CB001');
      // 2024-03-31 16:30 UTC is 1 April 00:30 in Shanghai: open, and booked to April.
      expect(await backdated('open-shanghai-april', '2024-03-31T16:30:00Z')).toMatchObject({ period: '2024-04' });
      // The last minute of February in Shanghai: open (the control case).
      expect(await backdated('open-shanghai-february', '2024-02-29T15:59:00Z')).toMatchObject({ period: '2024-02' });
    });

    it('refuses the current month once it is closed, for plain SQL and for LedgerService', async () => {
      const closing = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const b = closing.branches[0];
      const lines: [string, number][] = [[b.residents[0].accountId, 2], [b.issuanceAccountId, -2]];
      await insertEntry({ townshipId: closing.id, key: 'before-close', lines });
      const month = monthOf(new Date());
      await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, $2::date)`, [closing.id, `${month}-01`]);

      expect((await refusal(insertEntry({ townshipId: closing.id, key: 'after-close', lines }))).code).toBe('CB001');
      await expect(
        tx.run((m) =>
          ledger.post(m, {
            townshipId: closing.id,
            idempotencyKey: 'after-close-service',
            kind: EntryKind.MINT,
            memo: '结账后记账',
            lines: lines.map(([accountId, amount]) => ({ accountId, amount })),
          }),
        ),
      ).rejects.toMatchObject({ code: 'PERIOD_CLOSED' });
      expect(await counts(closing.id)).toMatchObject({ entries: 1, postings: 2, total: 0 });
      expect(await balance(b.residents[0].accountId)).toBe(2);
      // Other townships keep booking in the same month.
      await insertEntry({ townshipId: t.id, key: 'other-township-same-month', lines: [[redemption(), 1], [issuance(), -1]] });
    });

    it('makes closing wait for a booking in flight, and refuses bookings after it', async () => {
      const closer = new Client({ connectionString: db.ownerUrl, application_name: 'ledger-database-rules-closer' });
      await closer.connect();
      try {
        const closerPid = (await closer.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await sql.query('BEGIN');
        await backdated('in-flight-2024-05', '2024-05-10T10:00:00+08:00');
        const closed = closer.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, '2024-05-01')`, [t.id]);
        // The close queues behind the open booking's shared period lock.
        await waitFor('the close to wait on the period lock', async () => {
          const { rows } = await sql.query(`SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = $1`, [closerPid]);
          return rows[0]?.wait_event_type === 'Lock' && rows[0]?.wait_event === 'advisory';
        });
        await sql.query('COMMIT');
        await closed;
        const { rows } = await sql.query(`SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = 'in-flight-2024-05'`);
        expect(rows[0].n).toBe(1);
        expect((await refusal(backdated('after-close-2024-05', '2024-05-20T10:00:00+08:00'))).code).toBe('CB001');
      } finally {
        await sql.query('ROLLBACK').catch(() => undefined);
        await closer.end();
      }
    });

    it('makes a booking wait for a close in flight, and refuses it once the close commits', async () => {
      const booker = new Client({ connectionString: db.ownerUrl, application_name: 'ledger-database-rules-booker' });
      await booker.connect();
      try {
        const bookerPid = (await booker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await sql.query('BEGIN');
        await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, '2024-06-01')`, [t.id]);
        const booking = refusal(
          insertEntry(
            { townshipId: t.id, key: 'racing-close-2024-06', bookedAt: '2024-06-30T23:00:00+08:00', lines: [[redemption(), 1], [issuance(), -1]] },
            booker,
          ),
        );
        await waitFor('the booking to wait on the period lock', async () => {
          const { rows } = await sql.query(`SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = $1`, [bookerPid]);
          return rows[0]?.wait_event_type === 'Lock' && rows[0]?.wait_event === 'advisory';
        });
        await sql.query('COMMIT');
        expect((await booking).code).toBe('CB001');
      } finally {
        await sql.query('ROLLBACK').catch(() => undefined);
        await booker.end();
      }
    });

    it('refuses an entry booked in the future (CB006)', async () => {
      const inAnHour = new Date(Date.now() + 3600_000).toISOString();
      expect((await refusal(backdated('future', inAnHour))).code).toBe('CB006');
    });

    it('refuses ledger writes outside READ COMMITTED, where the period lock reasoning fails (CB005)', async () => {
      for (const level of ['REPEATABLE READ', 'SERIALIZABLE']) {
        await inRolledBackTransaction(async () => {
          expect((await refusal(backdated(`isolation-${level}`, new Date().toISOString()))).code).toBe('CB005');
        }, `BEGIN ISOLATION LEVEL ${level}`);
      }
    });
  });

  describe('rules 2 and 4: reversed at most once, one entry per idempotency key', () => {
    let original: string;
    beforeAll(async () => {
      original = (await insertEntry({ townshipId: t.id, key: 'to-reverse', lines: [[redemption(), 5], [issuance(), -5]] })).id;
    });

    it('refuses a second reversal of the same entry, even under another key', async () => {
      const lines: [string, number][] = [[redemption(), -5], [issuance(), 5]];
      await insertEntry({ townshipId: t.id, key: 'reversal-1', reversesEntryId: original, lines });
      const error = await refusal(insertEntry({ townshipId: t.id, key: 'reversal-2', reversesEntryId: original, lines }));
      expect(error).toMatchObject({ code: '23505', constraint: 'journal_entry_reverses_entry_id_key' });
    });

    it('refuses a reversal that names no original, and an original that names one', async () => {
      const lines: [string, number][] = [[redemption(), -1], [issuance(), 1]];
      expect((await refusal(insertEntry({ townshipId: t.id, key: 'orphan-reversal', kind: EntryKind.REVERSAL, lines }))).code).toBe(
        '23514',
      );
      expect(
        (await refusal(insertEntry({ townshipId: t.id, key: 'mint-reversing', kind: EntryKind.MINT, reversesEntryId: original, lines })))
          .code,
      ).toBe('23514');
    });

    it('refuses a second entry under a used idempotency key', async () => {
      const error = await refusal(insertEntry({ townshipId: t.id, key: 'to-reverse', lines: [[redemption(), 5], [issuance(), -5]] }));
      expect(error).toMatchObject({ code: '23505', constraint: 'journal_entry_idempotency_key' });
      // Keys are per township: the same key is free in another one (the control case).
      const b = other.branches[0];
      await insertEntry({ townshipId: other.id, key: 'to-reverse', lines: [[b.redemptionAccountId, 5], [b.issuanceAccountId, -5]] });
    });
  });

  describe('ledger_post: the one-call path checks every rule itself, and only it skips the re-checks', () => {
    let app: Client;
    const hashOf = (kind: EntryKind, lines: [string, number][]) =>
      contentHash(kind, '函数记账', lines.map(([accountId, amount]) => ({ accountId, amount })));

    /** ledger_post called with plain SQL, as any client of the app role could: one entry per item. */
    async function callLedgerPost(
      client: Client,
      entries: { key: string; lines: [string, number][]; kind?: EntryKind }[],
      options: { townshipId?: string; bookedAt?: string } = {},
    ) {
      const { rows } = await client.query(
        `SELECT ordinal, entry_id::text AS id, created, to_char(entry_period, 'YYYY-MM') AS period
         FROM ledger_post($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          options.townshipId ?? t.id,
          options.bookedAt ?? null,
          entries.map((e) => e.key),
          entries.map((e) => hashOf(e.kind ?? EntryKind.MINT, e.lines)),
          entries.map((e) => e.kind ?? EntryKind.MINT),
          entries.map(() => '函数记账'),
          entries.map(() => null),
          entries.map(() => null),
          entries.map(() => null),
          entries.flatMap((e, i) => e.lines.map(() => i + 1)),
          entries.flatMap((e) => e.lines.map((l) => l[0])),
          entries.flatMap((e) => e.lines.map((l) => l[1])),
        ],
      );
      return rows;
    }

    beforeAll(async () => {
      app = new Client({ connectionString: db.url, application_name: 'ledger-database-rules-app' });
      await app.connect();
    });
    afterAll(() => app?.end());

    it('books an entry for the app role in one call, and answers a replay with the original (the control case)', async () => {
      const before = { counts: await counts(), balance: await balance(resident()) };
      const lines: [string, number][] = [[resident(), 3], [issuance(), -3]];
      const [booked] = await callLedgerPost(app, [{ key: 'fn-control', lines }]);
      expect(booked).toMatchObject({ ordinal: 1, created: true, period: monthOf(new Date()) });
      expect(await callLedgerPost(app, [{ key: 'fn-control', lines }])).toEqual([{ ...booked, created: false }]);
      expect(await counts()).toMatchObject({ entries: before.counts.entries + 1, postings: before.counts.postings + 2 });
      expect(await balance(resident())).toBe(before.balance + 3);
    });

    it.each([
      ['postings that do not sum to zero', [{ key: 'fn-unbalanced', lines: [[0, 5], [1, -4]] }]],
      ['a single posting', [{ key: 'fn-single', lines: [[0, 5]] }]],
      ['a balanced entry next to one with no postings', [{ key: 'fn-ok', lines: [[0, 1], [1, -1]] }, { key: 'fn-empty', lines: [] }]],
      ['the same key twice in one batch', [{ key: 'fn-twice', lines: [[0, 1], [1, -1]] }, { key: 'fn-twice', lines: [[2, 1], [1, -1]] }]],
    ] as [string, { key: string; lines: [number, number][] }[]][])('refuses %s (CB002) and books nothing', async (_name, entries) => {
      const accounts = [resident(), issuance(), redemption()];
      const before = await counts();
      const error = await refusal(callLedgerPost(app, entries.map((e) => ({ key: e.key, lines: e.lines.map(([a, n]) => [accounts[a], n]) }))));
      expect(error.code).toBe('CB002');
      expect(await counts()).toEqual(before);
    });

    it('refuses an overdraft, a closed month, a dated entry from the app role and another township\'s account, booking nothing of the batch', async () => {
      const holder = t.branches[1].residents[1].accountId;
      const paid: [string, number][] = [[holder, 2], [t.branches[1].issuanceAccountId, -2]];
      const before = await counts();
      // The first entry of each batch is fine; the second breaks a rule, so neither is booked.
      const overdraft = await refusal(
        callLedgerPost(app, [{ key: 'fn-paid', lines: paid }, { key: 'fn-overdraw', kind: EntryKind.SPEND, lines: [[holder, -3], [redemption(), 3]] }]),
      );
      expect(overdraft).toMatchObject({ code: '23514', constraint: 'account_balance_not_negative' });
      const crossTownship = await refusal(
        callLedgerPost(app, [{ key: 'fn-paid', lines: paid }, { key: 'fn-cross', lines: [[other.branches[0].residents[0].accountId, 1], [issuance(), -1]] }]),
      );
      expect(crossTownship.code).toBe('CB004');
      expect((await refusal(callLedgerPost(app, [{ key: 'fn-dated', lines: paid }], { bookedAt: '2024-04-10T10:00:00+08:00' }))).code).toBe('CB007');
      expect(await counts()).toEqual(before);
      // The owner may date an entry, but not into a closed month.
      await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, '2024-08-01')`, [t.id]);
      const closedBefore = await counts();
      expect((await refusal(callLedgerPost(sql, [{ key: 'fn-closed', lines: paid }], { bookedAt: '2024-08-10T10:00:00+08:00' }))).code).toBe('CB001');
      expect(await counts()).toEqual(closedBefore);
      expect(await balance(holder)).toBe(0);
      // The owner's dated booking into an open month (the control case).
      expect(await callLedgerPost(sql, [{ key: 'fn-dated-owner', lines: paid }], { bookedAt: '2024-09-10T10:00:00+08:00' })).toMatchObject([
        { created: true, period: '2024-09' },
      ]);
    });

    it('returns a replay even after its month closed, and books nothing for a key reused with other content', async () => {
      const closing = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const b = closing.branches[0];
      const lines: [string, number][] = [[b.residents[0].accountId, 2], [b.issuanceAccountId, -2]];
      const [original] = await callLedgerPost(app, [{ key: 'fn-replay', lines }], { townshipId: closing.id });
      await sql.query(`INSERT INTO ledger_period (township_id, period) VALUES ($1, $2::date)`, [closing.id, `${original.period}-01`]);
      expect(await callLedgerPost(app, [{ key: 'fn-replay', lines }], { townshipId: closing.id })).toEqual([{ ...original, created: false }]);
      // Other content under the same key, next to a new key: the stored entry comes back
      // with its own hash for the caller to refuse, and the new key is not booked.
      const other2: [string, number][] = [[b.residents[0].accountId, 5], [b.issuanceAccountId, -5]];
      const answer = await callLedgerPost(app, [{ key: 'fn-replay', lines: other2 }, { key: 'fn-new', lines }], { townshipId: closing.id });
      expect(answer).toEqual([{ ...original, created: false }]);
      expect(await counts(closing.id)).toMatchObject({ entries: 1, postings: 2, total: 0 });
    });

    it('the app role cannot switch the re-checks off: setting cb.ledger_post does nothing outside the function', async () => {
      await app.query('BEGIN');
      try {
        await app.query(`SET LOCAL cb.ledger_post = 'on'`);
        expect((await app.query(`SELECT current_setting('cb.ledger_post') AS flag, ledger_post_running() AS running`)).rows[0]).toEqual({
          flag: 'on',
          running: false,
        });
        // Direct SQL with the setting on: an entry alone (rule 1) and a dated entry (rule 8) are still refused.
        await app.query('SAVEPOINT alone');
        const alone = await refusal(
          app.query(`INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo) VALUES ($1, 'flag-alone', 'x', 'MINT', '开关')`, [t.id]),
        );
        expect(alone.code).toBe('CB002');
        await app.query('ROLLBACK TO SAVEPOINT alone');
        const dated = await refusal(
          insertEntry({ townshipId: t.id, key: 'flag-dated', bookedAt: '2024-04-10T10:00:00+08:00', lines: [[redemption(), 1], [issuance(), -1]] }, app),
        );
        expect(dated.code).toBe('CB007');
      } finally {
        await app.query('ROLLBACK');
      }
      // Nor is it left on by a call of the function.
      await callLedgerPost(app, [{ key: 'fn-flag-after', lines: [[redemption(), 1], [issuance(), -1]] }]);
      expect((await app.query(`SELECT current_setting('cb.ledger_post', true) AS flag`)).rows[0].flag).not.toBe('on');
    });
  });

  describe('rule 5: reconciliation reports a stored balance that differs from its postings', () => {
    it('names the tampered account with its stored and computed balance', async () => {
      const tampered = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const b = tampered.branches[0];
      await insertEntry({ townshipId: tampered.id, key: 'tamper-mint', lines: [[b.residents[0].accountId, 6], [b.issuanceAccountId, -6]] });
      expect((await tx.run((m) => ledger.reconcile(m, tampered.id))).ok).toBe(true);

      // Balance rows are moved only by the posting trigger; a hand-made change is what
      // reconciliation exists to catch.
      await sql.query(`UPDATE account_balance SET balance = balance + 7 WHERE account_id = $1`, [b.residents[0].accountId]);
      const report = await tx.run((m) => ledger.reconcile(m, tampered.id));
      expect(report).toMatchObject({
        ok: false,
        storedTotal: 7,
        postedTotal: 0,
        unbalancedEntries: [],
        mismatchedAccounts: [{ accountId: b.residents[0].accountId, kind: 'RESIDENT', stored: 13, computed: 6 }],
      });
    });
  });
});
