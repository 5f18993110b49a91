/**
 * Issue 12: a posting is one round trip (one call of ledger_post), and postMany books a
 * whole batch in one round trip, all or nothing. Round trips are counted on a real
 * QueryRunner: every statement LedgerService sends goes through its `query`.
 */
import { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind, PostEntryRequest } from '../../src/ledger/ledger.types';
import { seedTownship, SeededTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('posting in one round trip', () => {
  let db: TestDatabase;
  let tx: TransactionRunner;
  let t: SeededTownship;
  const ledger = new LedgerService();

  beforeAll(async () => {
    db = await createTestDatabase();
    tx = new TransactionRunner(db.dataSource);
    t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 20 });
  });
  afterAll(() => db.drop());

  const branch = () => t.branches[0];
  const mint = (key: string, residentIndex: number, amount = 2): PostEntryRequest => ({
    townshipId: t.id,
    idempotencyKey: key,
    kind: EntryKind.MINT,
    memo: '志愿服务',
    reference: { type: 'ACTIVITY', id: 'a-1' },
    lines: [
      { accountId: branch().issuanceAccountId, amount: -amount },
      { accountId: branch().residents[residentIndex].accountId, amount },
    ],
  });

  /** Runs `work` on a connection of its own, outside any transaction, counting the statements it sends. */
  async function counted<T>(work: (m: EntityManager) => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const runner = db.dataSource.createQueryRunner();
    const statements: string[] = [];
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, ...rest: unknown[]) => {
      statements.push(sql);
      return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof runner.query;
    try {
      return { result: await work(runner.manager), statements };
    } finally {
      await runner.release();
    }
  }

  async function balances(): Promise<number[]> {
    const all = await db.dataSource.query(
      `SELECT a.id, coalesce(sum(b.balance), 0)::int AS balance FROM account a JOIN account_balance b ON b.account_id = a.id
       WHERE a.township_id = $1 AND a.kind = 'RESIDENT' GROUP BY a.id`,
      [t.id],
    );
    const byId = new Map(all.map((r: { id: string; balance: number }) => [r.id, r.balance]));
    return branch().residents.map((r) => byId.get(r.accountId) as number);
  }

  // First in the file: the journal is empty, where any plan is as cheap as any other.
  it('plans its statements once per connection and reads the journal by key once it has grown', async () => {
    // Its own township: these entries carry a made-up content hash, which t's reconciliations would report.
    const own = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
    const [issuance, resident] = [own.branches[0].issuanceAccountId, own.branches[0].residents[0].accountId];
    // auto_explain shows the plans of the function's own statements; loading it needs the superuser.
    const client = new Client({ connectionString: db.superuserUrl });
    let plans: string[] = [];
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query(
        `SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice`,
      );
      // n entries in one call, each minting `amount` to the resident.
      const post = (keys: string[]) =>
        client.query(
          `SELECT created FROM ledger_post($1, NULL, NULL, $2::text[], array_fill('h'::text, ARRAY[$3::int]), array_fill('MINT'::text, ARRAY[$3::int]),
             array_fill('志愿服务'::text, ARRAY[$3::int]), array_fill(NULL::text, ARRAY[$3::int]), array_fill(NULL::text, ARRAY[$3::int]),
             array_fill(NULL::bigint, ARRAY[$3::int]), ARRAY(SELECT (g + 1) / 2 FROM generate_series(1, 2 * $3::int) g),
             ARRAY(SELECT CASE WHEN g % 2 = 1 THEN $4::uuid ELSE $5::uuid END FROM generate_series(1, 2 * $3::int) g),
             ARRAY(SELECT CASE WHEN g % 2 = 1 THEN -1 ELSE 1 END FROM generate_series(1, 2 * $3::int) g))`,
          [own.id, keys, keys.length, issuance, resident],
        );
      const lookups = () => plans.filter((p) => /FROM public\.journal_entry j/.test(p));

      // This connection plans the function's statements on the empty journal.
      expect((await post(['plan:0'])).rows).toEqual([{ created: true }]);

      // The journal grows and is analysed (as autovacuum does); the same connection then
      // reads it by key with a plan kept from one call to the next.
      await post(Array.from({ length: 300 }, (_, i) => `plan:grow:${i}`));
      await client.query('ANALYZE journal_entry');
      plans = [];
      expect((await post(['plan:1'])).rows).toEqual([{ created: true }]);
      expect(lookups()).toHaveLength(0); // a fresh single entry is answered from its insert
      expect((await post(['plan:1'])).rows).toEqual([{ created: false }]); // a replay reads its entry back by key
      // A batch looks its keys up before inserting, and answers a partial replay by key.
      expect((await post(['plan:1', 'plan:2'])).rows).toEqual([{ created: false }, { created: true }]);
      expect(lookups().length).toBeGreaterThanOrEqual(3);
      for (const plan of lookups()) {
        expect(plan).toMatch(/Index Scan using journal_entry_idempotency_key on journal_entry j/);
        // Generic: the township is a parameter of the cached plan, not planned in as a value.
        expect(plan).not.toContain(own.id);
      }
      expect(plans.join('\n')).not.toMatch(/Seq Scan on (journal_entry|posting|account_balance|ledger_period)/);
    } finally {
      await client.end();
    }
  });

  it('books a posting with one statement, which commits by itself outside a transaction', async () => {
    const { result, statements } = await counted((m) => ledger.post(m, mint('single', 0, 3)));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/ledger_post/);
    expect(result.created).toBe(true);
    // Committed: another connection sees it.
    expect((await balances())[0]).toBe(3);
    // A replay is one statement too, and returns the original.
    const replay = await counted((m) => ledger.post(m, mint('single', 0, 3)));
    expect(replay.statements).toHaveLength(1);
    expect(replay.result).toEqual({ ...result, created: false });
    // Same key, other content: IDEMPOTENCY_CONFLICT naming the stored entry, nothing booked.
    await expect(counted((m) => ledger.post(m, mint('single', 0, 4)))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      details: { idempotencyKey: 'single', entryId: result.id },
    });
    expect((await balances())[0]).toBe(3);
  });

  it('pays twenty attendees in one statement, in the order asked, and answers a replayed batch with the same entries', async () => {
    const before = await balances();
    const batch = branch().residents.map((_, i) => mint(`batch:${i}`, i));
    const { result, statements } = await counted((m) => ledger.postMany(m, batch));
    expect(statements).toHaveLength(1);
    expect(result).toHaveLength(20);
    expect(result.every((p) => p.created)).toBe(true);
    expect(new Set(result.map((p) => p.id)).size).toBe(20);
    expect(await balances()).toEqual(before.map((b) => b + 2));
    // Each entry is the one for its attendee.
    const owners = await db.dataSource.query(
      `SELECT e.id::text AS id, p.account_id AS account FROM journal_entry e JOIN posting p ON p.entry_id = e.id AND p.amount > 0
       WHERE e.id = ANY($1::int8[])`,
      [result.map((p) => p.id)],
    );
    const ownerOf = new Map(owners.map((o: { id: string; account: string }) => [o.id, o.account]));
    expect(result.map((p) => ownerOf.get(p.id))).toEqual(branch().residents.map((r) => r.accountId));

    // Half replayed, half new: the replays come back as they were, the new ones are booked.
    const mixed = [...batch.slice(0, 10), ...branch().residents.slice(0, 10).map((_, i) => mint(`batch-2:${i}`, i))];
    const again = await tx.run((m) => ledger.postMany(m, mixed));
    expect(again.slice(0, 10)).toEqual(result.slice(0, 10).map((p) => ({ ...p, created: false })));
    expect(again.slice(10).every((p) => p.created)).toBe(true);
    expect((await tx.run((m) => ledger.reconcile(m, t.id))).ok).toBe(true);
  });

  it('books nothing of a batch when one entry overdraws or reuses a key with other content', async () => {
    const before = await balances();
    const overdraw: PostEntryRequest = {
      townshipId: t.id,
      idempotencyKey: 'overdraw',
      kind: EntryKind.SPEND,
      memo: '课程',
      lines: [
        { accountId: branch().residents[5].accountId, amount: -1_000 },
        { accountId: branch().redemptionAccountId, amount: 1_000 },
      ],
    };
    await expect(tx.run((m) => ledger.postMany(m, [mint('fine-1', 1), overdraw]))).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    await expect(tx.run((m) => ledger.postMany(m, [mint('fine-2', 1), mint('single', 0, 9)]))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(await balances()).toEqual(before);
    expect(await tx.run((m) => ledger.entryByKey(m, t.id, 'fine-1'))).toBeUndefined();
    expect(await tx.run((m) => ledger.entryByKey(m, t.id, 'fine-2'))).toBeUndefined();
  });

  it("spreads concurrent postings to a hot account over its shards, each connection starting at its own", async () => {
    const runners = await Promise.all([0, 1, 2, 3].map(async () => {
      const runner = db.dataSource.createQueryRunner();
      await runner.startTransaction();
      return runner;
    }));
    try {
      const taken = new Set<number>();
      for (const [i, runner] of runners.entries()) {
        // Each transaction stays open, holding its shard, while the next one posts.
        await ledger.post(runner.manager, mint(`hot:${i}`, i));
        const [{ pid, shard }] = await runner.query(
          `SELECT pg_backend_pid() AS pid, shard FROM account_balance WHERE account_id = $1 AND xmin = pg_current_xact_id()::xid`,
          [branch().issuanceAccountId],
        );
        // The first free shard from the connection's own (pid mod 32) up, wrapping around.
        let expected = pid % 32;
        while (taken.has(expected)) expected = (expected + 1) % 32;
        expect(shard).toBe(expected);
        taken.add(shard);
      }
    } finally {
      for (const runner of runners) {
        await runner.rollbackTransaction();
        await runner.release();
      }
    }
  });

  it('refuses a batch that repeats a key or mixes townships before it reaches the database', async () => {
    const other = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
    const foreign: PostEntryRequest = {
      ...mint('foreign', 0),
      townshipId: other.id,
      lines: [
        { accountId: other.branches[0].issuanceAccountId, amount: -1 },
        { accountId: other.branches[0].residents[0].accountId, amount: 1 },
      ],
    };
    for (const batch of [[mint('twice', 0), mint('twice', 1)], [mint('mine', 0), foreign]]) {
      const { statements } = await counted(async (m) => {
        await expect(ledger.postMany(m, batch)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^输入有误：/) });
      });
      expect(statements).toHaveLength(0);
    }
    expect(await counted((m) => ledger.postMany(m, []))).toEqual({ result: [], statements: [] });
  });
});
