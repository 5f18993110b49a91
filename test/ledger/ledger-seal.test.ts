import fc from 'fast-check';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import {
  canonicalEntry,
  chainSeal,
  EMPTY_ROOT,
  GENESIS_SEAL,
  HASH_BYTES,
  leafHash,
  merkleTree,
  proofProblem,
} from '../../src/ledger/ledger-seal';
import { LedgerSealService } from '../../src/ledger/ledger-seal.service';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Sealed months through the service calls the settlement makes (reconcileAndPrepareSeals,
 * then seal), checked against the format computed independently from each entry, and
 * the database's own guards on the seal table.
 */
describe('sealed months', () => {
  let db: TestDatabase;
  /** As the app role, as the settlement runs. */
  let tx: TransactionRunner;
  /** As the owner role: only the owner may give an entry a booking time in an earlier month. */
  let backdating: TransactionRunner;
  let owner: DataSource;
  /** Only to change history behind the ledger's back (triggers off). */
  let superuser: Client;
  const ledger = new LedgerService();
  const seals = new LedgerSealService();
  const current = monthOf(new Date());
  const months = [addMonths(current, -4), addMonths(current, -3), addMonths(current, -2)];
  let minute = 0;
  const at = (month: string) => new Date(monthRange(month).start.getTime() + 3_600_000 + ++minute * 1000);

  beforeAll(async () => {
    db = await createTestDatabase();
    tx = new TransactionRunner(db.dataSource);
    owner = await db.asOwner();
    backdating = new TransactionRunner(owner);
    superuser = new Client({ connectionString: db.superuserUrl });
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser?.end();
    await db?.drop();
  });

  async function mint(t: SeededTownship, month: string, points: number, memo = '志愿服务', resident = 0, branch = 0): Promise<string> {
    const b = t.branches[branch];
    const posted = await backdating.run((m) =>
      ledger.post(m, {
        townshipId: t.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo,
        lines: [
          { accountId: b.residents[resident].accountId, amount: points },
          { accountId: b.issuanceAccountId, amount: -points },
        ],
        reference: { type: 'ACTIVITY', id: randomUUID() },
        bookedAt: at(month),
      }),
    );
    return posted.id;
  }

  /** Closes months up to `month` and seals them the way the settlement does. */
  async function closeAndSeal(t: SeededTownship, through: string, from = months[0]) {
    await tx.run(async (m) => {
      for (let month = from; month <= through; month = addMonths(month, 1)) await ledger.closePeriod(m, t.id, month, null);
    });
    const { report, sealable } = await tx.run((m) => ledger.reconcileAndPrepareSeals(m, t.id, through));
    const sealed = await tx.run((m) => ledger.seal(m, t.id, sealable));
    return { report, sealed };
  }

  /** A month's root computed from scratch: each entry's canonical form from the database, hashed in id order. */
  async function rootFromScratch(t: SeededTownship, month: string): Promise<Buffer> {
    const ids: string[] = (
      await db.dataSource.query(`SELECT id::text FROM journal_entry WHERE township_id = $1 AND period = $2 ORDER BY id`, [t.id, `${month}-01`])
    ).map((r: { id: string }) => r.id);
    const leaves = [];
    for (const id of ids) {
      const entry = await tx.run((m) => seals.sealedEntry(m, id));
      leaves.push(leafHash(canonicalEntry({ ...entry, postings: entry.postings.map((p) => ({ accountId: p.accountId, amount: Number(p.amount) })) })));
    }
    return merkleTree(Buffer.concat(leaves)).root;
  }

  it('seals closed months in order, each chained to the one before, with the root of its entries', async () => {
    const t = await seedTownship(db.dataSource);
    for (let i = 0; i < 7; i++) await mint(t, months[0], 1 + i, '平安有我', i % 3);
    // months[1] stays empty; months[2] has one mint, reversed now (in the open month).
    const first = await mint(t, months[2], 4);
    await tx.run((m) => ledger.reverse(m, { townshipId: t.id, entryId: first, reason: '录入错误' }));
    const { report, sealed } = await closeAndSeal(t, months[2]);
    expect(report.ok).toBe(true);
    expect(sealed.map((s) => [s.month, s.entryCount])).toEqual([
      [months[0], 7],
      [months[1], 0],
      [months[2], 1],
    ]);
    expect(sealed[0].previousSeal).toBe(GENESIS_SEAL.toString('hex'));
    for (const [i, seal] of sealed.entries()) {
      const root = i === 1 ? EMPTY_ROOT : await rootFromScratch(t, seal.month);
      expect(seal.merkleRoot).toBe(root.toString('hex'));
      if (i > 0) expect(seal.previousSeal).toBe(sealed[i - 1].seal);
      expect(seal.seal).toBe(chainSeal(Buffer.from(seal.previousSeal, 'hex'), root).toString('hex'));
    }

    // Sealing again changes nothing, and the reconciliation now recomputes every sealed month.
    const again = await closeAndSeal(t, months[2]);
    expect(again.sealed).toEqual([]);
    expect(again.report.ok).toBe(true);
    expect(again.report.sealedMonths.map((s) => [s.month, s.ok, s.recomputedSeal === s.seal])).toEqual(months.map((m) => [m, true, true]));
  });

  it('proves every entry of a sealed month, whatever its memo holds (PostgreSQL and JSON.stringify escape alike)', async () => {
    const t = await seedTownship(db.dataSource);
    // PostgreSQL text holds any character but NUL; memos are at most 500 characters.
    const memo = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .map((s) => s.replace(/\0/g, '') || '空')
      .filter((s) => s.trim().length > 0);
    const memos = [...fc.sample(memo, { numRuns: 40, seed: 20261001 }), '"引号" \\反斜杠\\ \t制表\n换行 \u0001\u001f\u007f \u2028 😀'];
    const ids = [];
    for (const [i, m] of memos.entries()) ids.push(await mint(t, months[0], 1 + (i % 5), m, i % 3, i % 2));
    const { report, sealed } = await closeAndSeal(t, months[0]);
    // The content hashes stored at booking (JSON.stringify) match the ones recomputed from the scan (to_json).
    expect(report.entryProblems).toEqual([]);
    expect(sealed[0].entryCount).toBe(memos.length);
    expect(sealed[0].merkleRoot).toBe((await rootFromScratch(t, months[0])).toString('hex'));
    for (const id of ids) {
      const proof = await tx.run((m) => seals.proof(m, id));
      expect(proofProblem(proof, sealed[0].seal)).toBeNull();
      expect(JSON.parse(proof.canonicalEntry)[2]).toBe(id);
    }
  });

  it('does not seal a month whose entries no longer match their content hash, and says which', async () => {
    const t = await seedTownship(db.dataSource);
    const entry = await mint(t, months[0], 3);
    await superuser.query(`BEGIN; SET LOCAL session_replication_role = replica;
      UPDATE journal_entry SET memo = '改过的摘要' WHERE id = ${entry}; COMMIT`);
    const { report, sealed } = await closeAndSeal(t, months[0]);
    expect(sealed).toEqual([]);
    expect(report.ok).toBe(false);
    expect(report.entryProblems).toEqual([
      { entryId: entry, month: months[0], problem: 'CONTENT_CHANGED', description: `${months[0]} 第 ${entry} 笔记账内容与记账时的内容校验值不符` },
    ]);
  });

  it('is guarded by the database against the app role and the owner: append-only, closed months only, no gap, the right previous seal and seal', async () => {
    const t = await seedTownship(db.dataSource);
    await mint(t, months[0], 2);
    await closeAndSeal(t, months[0]);
    // The app role inserts seals (the settlement does); the owner role may do anything a trigger allows.
    const insert = (month: string, previous: Buffer, seal?: Buffer) =>
      db.dataSource.query(
        `INSERT INTO ledger_seal (township_id, period, entry_count, entry_ids, tree, merkle_root, previous_seal, seal)
         VALUES ($1, $2, 0, '{}', '', $3, $4, $5)`,
        [t.id, `${month}-01`, EMPTY_ROOT, previous, seal ?? chainSeal(previous, EMPTY_ROOT)],
      );
    const [{ seal: stored }] = await db.dataSource.query(`SELECT seal FROM ledger_seal WHERE township_id = $1`, [t.id]);
    const refusal = (p: Promise<unknown>) => p.then(() => ({ code: 'accepted' }), (e) => e);
    // months[1] is not closed yet.
    expect(await refusal(insert(months[1], stored))).toMatchObject({ code: 'CB008' });
    await tx.run((m) => ledger.closePeriod(m, t.id, months[1], null));
    await tx.run((m) => ledger.closePeriod(m, t.id, months[2], null));
    expect(await refusal(insert(months[2], stored))).toMatchObject({ code: 'CB008' }); // skips months[1]
    expect(await refusal(insert(months[1], GENESIS_SEAL))).toMatchObject({ code: 'CB008' }); // wrong previous seal
    expect(await refusal(insert(months[1], stored, GENESIS_SEAL))).toMatchObject({ code: '23514' }); // seal ≠ H(previous ‖ root)
    for (const statement of [`UPDATE ledger_seal SET sealed_at = now()`, `DELETE FROM ledger_seal`, `TRUNCATE ledger_seal`]) {
      expect(await refusal(db.dataSource.query(statement))).toMatchObject({ code: '42501' }); // permission denied
      expect(await refusal(owner.query(statement))).toMatchObject({ code: 'CB003' });
    }
    await insert(months[1], stored); // the control case
    // A township's first seal starts from zero at its first closed month.
    const other = await seedTownship(db.dataSource);
    await tx.run((m) => ledger.closePeriod(m, other.id, months[0], null));
    await tx.run((m) => ledger.closePeriod(m, other.id, months[1], null));
    const first = (month: string, previous: Buffer) =>
      db.dataSource.query(
        `INSERT INTO ledger_seal (township_id, period, entry_count, entry_ids, tree, merkle_root, previous_seal, seal)
         VALUES ($1, $2, 0, '{}', '', $3, $4, $5)`,
        [other.id, `${month}-01`, EMPTY_ROOT, previous, chainSeal(previous, EMPTY_ROOT)],
      );
    expect(await refusal(first(months[1], GENESIS_SEAL))).toMatchObject({ code: 'CB008' });
    expect(await refusal(first(months[0], stored))).toMatchObject({ code: 'CB008' });
    await first(months[0], GENESIS_SEAL);
  });

  it('stores the whole tree, so a proof reads only its own nodes', async () => {
    const t = await seedTownship(db.dataSource);
    for (let i = 0; i < 11; i++) await mint(t, months[0], 1 + i, `第${i}次`, i % 3);
    const { sealed } = await closeAndSeal(t, months[0]);
    const [{ tree, ids }] = await db.dataSource.query(
      `SELECT tree, entry_ids::text[] AS ids FROM ledger_seal WHERE township_id = $1 AND period = $2`,
      [t.id, `${months[0]}-01`],
    );
    // 11 leaves, then 6, 3, 2, 1 nodes.
    expect(tree.length).toBe((11 + 6 + 3 + 2 + 1) * HASH_BYTES);
    expect(tree.subarray(tree.length - HASH_BYTES).toString('hex')).toBe(sealed[0].merkleRoot);
    for (const [i, id] of ids.entries()) {
      const proof = await tx.run((m) => seals.proof(m, id));
      expect(proof.leafIndex).toBe(i);
      expect(proofProblem(proof, sealed[0].seal)).toBeNull();
    }
  });
});
