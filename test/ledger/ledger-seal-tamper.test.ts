import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { contentHash } from '../../src/ledger/ledger.rules';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { logSink } from '../support/log-sink';
import { grantAdmin, mobileOf } from '../support/roles';
import { devLogin, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { runVerifyProof } from '../support/verify-proof-cli';

/**
 * A database superuser changes history behind the ledger's back, with its triggers off:
 * an entry's postings and balances rewritten consistently (its content hash too), an
 * entry deleted, an entry slipped into a sealed month. The books still balance, so only
 * the seal can tell: verify-ledger, the reconciliation and the next settlement each catch
 * it and name the month and the entry.
 */
describe('tampering with a sealed month', () => {
  // Each case first seals a month through the settlement job: slow on a busy machine.
  jest.setTimeout(180_000);
  let t: TestApp;
  const logs = logSink();
  /** As the owner role: only the owner may book into an earlier month. */
  let backdating: TransactionRunner;
  /** The one who tampers: triggers off. */
  let superuser: Client;
  const ledger = new LedgerService();
  const current = monthOf(new Date());
  const sealedMonth = addMonths(current, -2);
  const nextMonth = addMonths(current, -1);
  let minute = 0;
  const at = (month: string) => new Date(monthRange(month).start.getTime() + 3_600_000 + ++minute * 1000);

  beforeAll(async () => {
    t = await startTestApp({}, { logs });
    backdating = new TransactionRunner(await t.db.asOwner());
    superuser = new Client({ connectionString: t.db.superuserUrl });
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser?.end();
    await t?.close();
  });

  async function mint(town: SeededTownship, month: string, points: number, resident = 0): Promise<string> {
    const b = town.branches[0];
    const posted = await backdating.run((m) =>
      ledger.post(m, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '文明交通劝导',
        lines: [
          { accountId: b.residents[resident].accountId, amount: points },
          { accountId: b.issuanceAccountId, amount: -points },
        ],
        reference: { type: 'ACTIVITY', id: 'act-1' },
        bookedAt: at(month),
      }),
    );
    return posted.id;
  }

  async function settle(town: SeededTownship, token: string, month: string) {
    const fields = `status errorCode error seal { month seal previousSeal entryCount }`;
    await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m: month }, token);
    return waitFor(`settlement of ${month}`, async () => {
      const s = (await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { ${fields} } }`, { t: town.id, m: month }, token))
        .data?.settlement;
      return s?.status === 'RUNNING' ? undefined : s;
    });
  }

  const reconciliation = async (town: SeededTownship, token: string) =>
    (
      await t.gql(
        `query($t: ID!) { reconciliation(townshipId: $t) { ok mismatchedAccounts { accountId } entryProblems { entryId month problem description }
                          sealedMonths { month ok seal recomputedSeal problem } } }`,
        { t: town.id },
        token,
      )
    ).data.reconciliation;

  async function verifyLedger(town: SeededTownship): Promise<{ code: number; stdout: string }> {
    const [{ code: townshipCode }] = await t.db.dataSource.query(`SELECT code FROM township WHERE id = $1`, [town.id]);
    return promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', resolve('src/cli.ts'), 'verify-ledger', '--township', townshipCode], {
      env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'error' },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
  }

  /** A township with a settled (sealed) month and entries in the next one. */
  async function sealedTownship() {
    const town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 3 });
    const token = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    const entries = [await mint(town, sealedMonth, 2, 0), await mint(town, sealedMonth, 3, 1), await mint(town, sealedMonth, 4, 2)];
    await mint(town, nextMonth, 1, 0);
    const settled = await settle(town, token, sealedMonth);
    expect(settled).toMatchObject({ status: 'SUCCEEDED', errorCode: null, seal: { month: sealedMonth, entryCount: 3 } });
    const before = await verifyLedger(town);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(new RegExp(`\\n  ${sealedMonth} +3 entries  seal ${settled.seal.seal}  ok\\n`));
    expect(before.stdout).toMatch(/ok: every sealed month, content hash and balance matches/);
    return { town, token, entries, seal: settled.seal.seal as string };
  }

  /** Runs SQL (several statements, no parameters) as the superuser with every trigger (the ledger's rules, foreign keys) off. */
  const behindTheLedger = (sql: string) => superuser.query(`BEGIN; SET LOCAL session_replication_role = replica; ${sql}; COMMIT`);

  /** What every check must say about a tampered entry. */
  async function expectCaught(town: SeededTownship, token: string, sealedSeal: string, entryId: string, problem: string, description: RegExp) {
    const report = await reconciliation(town, token);
    expect(report.ok).toBe(false);
    // The books balance: only the seal tells.
    expect(report.mismatchedAccounts).toEqual([]);
    expect(report.entryProblems).toEqual([{ entryId, month: sealedMonth, problem, description: expect.stringMatching(description) }]);
    expect(report.sealedMonths).toEqual([
      { month: sealedMonth, ok: false, seal: sealedSeal, recomputedSeal: expect.not.stringMatching(sealedSeal), problem: expect.stringContaining(`第 ${entryId} 笔记账`) },
    ]);

    const verified = await verifyLedger(town);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(new RegExp(`  ${sealedMonth} +\\d+ entries  seal ${sealedSeal}  MISMATCH recomputed [0-9a-f]{64}: .*第 ${entryId} 笔记账`));
    expect(verified.stdout).toMatch(new RegExp(`FAILED: \\S+ ${sealedMonth}, entry ${entryId}: ${sealedMonth} 第 ${entryId} 笔记账`));

    const next = await settle(town, token, nextMonth);
    expect(next).toMatchObject({ status: 'FAILED', errorCode: 'LEDGER_SEAL_BROKEN', seal: null });
    expect(next.error).toMatch(new RegExp(`^账本封存校验失败：${sealedMonth} 第 ${entryId} 笔记账`));
  }

  /** `verify-proof` on a proof file, against a published seal. */
  async function verifyProof(proof: unknown, seal: string): Promise<{ code: number; stdout: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'cb-proof-'));
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof));
    return runVerifyProof(join(dir, 'proof.json'), seal).finally(() => rmSync(dir, { recursive: true, force: true }));
  }

  const proofOf = async (entryId: string, token: string) =>
    (
      await t.gql(
        `query($e: ID!) { entryProof(entryId: $e) { entryId month canonicalEntry leafIndex leafCount path { side hash } merkleRoot previousSeal seal valid } }`,
        { e: entryId },
        token,
      )
    ).data.entryProof;

  it('catches an entry whose postings, balances and content hash were all rewritten; its proof no longer checks', async () => {
    const { town, token, entries, seal } = await sealedTownship();
    const b = town.branches[0];
    const entry = entries[0];
    // Before: the resident's proof of the entry checks, in the service and with the CLI, against the published seal.
    const resident = await devLogin(t, await mobileOf(t.db.dataSource, b.residents[0].personId));
    const before = await proofOf(entry, resident);
    expect(before).toMatchObject({ entryId: entry, month: sealedMonth, valid: true, seal, leafCount: 3 });
    const verified = await verifyProof(before, seal);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/ok: the entry is inside the published seal/);
    expect(await verifyProof(before, '1'.repeat(64))).toMatchObject({ code: 1, stdout: expect.stringMatching(/FAILED: 封存值与公布的封存值不符/) });
    // 2 points become 50, on both sides, with the balances and the content hash to match.
    const hash = contentHash(EntryKind.MINT, '文明交通劝导', [
      { accountId: b.residents[0].accountId, amount: 50 },
      { accountId: b.issuanceAccountId, amount: -50 },
    ], { type: 'ACTIVITY', id: 'act-1' });
    await behindTheLedger(
      `UPDATE posting SET amount = 50, balance_after = balance_after + 48 WHERE entry_id = ${entry} AND amount = 2;
       UPDATE posting SET amount = -50 WHERE entry_id = ${entry} AND amount = -2;
       UPDATE account_balance SET balance = balance + 48 WHERE account_id = '${b.residents[0].accountId}';
       UPDATE account_balance SET balance = balance - 48 WHERE account_id = '${b.issuanceAccountId}' AND shard = 0;
       UPDATE journal_entry SET content_hash = '${hash}' WHERE id = ${entry}`,
    );
    await expectCaught(town, token, seal, entry, 'CHANGED_AFTER_SEAL', /与封存时的内容不符/);
    // The entry as it is now (50 points) no longer climbs to the published seal.
    const after = await proofOf(entry, resident);
    expect(after).toMatchObject({ valid: false, seal });
    expect(after.canonicalEntry).toContain(',50]');
    expect(await verifyProof(after, seal)).toMatchObject({ code: 1, stdout: expect.stringMatching(/FAILED: 由条目和路径算出的默克尔根与证明中的根不符/) });
  });

  it('catches an entry deleted with its postings, balances put back', async () => {
    const { town, token, entries, seal } = await sealedTownship();
    const b = town.branches[0];
    const entry = entries[1];
    await behindTheLedger(
      `DELETE FROM posting WHERE entry_id = ${entry};
       DELETE FROM journal_entry WHERE id = ${entry};
       UPDATE account_balance SET balance = balance - 3 WHERE account_id = '${b.residents[1].accountId}';
       UPDATE account_balance SET balance = balance + 3 WHERE account_id = '${b.issuanceAccountId}' AND shard = 0;`,
    );
    await expectCaught(town, token, seal, entry, 'MISSING_FROM_SEAL', /已封存，但现在账本中找不到/);
  });

  it('catches an entry slipped into the sealed month, balanced, with a correct content hash', async () => {
    const { town, token, seal } = await sealedTownship();
    const b = town.branches[0];
    const lines = [
      { accountId: b.residents[2].accountId, amount: 30 },
      { accountId: b.issuanceAccountId, amount: -30 },
    ];
    const bookedAt = at(sealedMonth).toISOString();
    const hash = contentHash(EntryKind.MINT, '补录', lines);
    await behindTheLedger(
      `WITH e AS (INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo, booked_at, period)
                  VALUES ('${town.id}', 'slipped-in', '${hash}', 'MINT', '补录', '${bookedAt}', '${sealedMonth}-01') RETURNING id, booked_at, period)
       INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
       SELECT e.id, '${town.id}', l.a, l.x, e.booked_at, e.period
       FROM e, (VALUES ('${lines[0].accountId}'::uuid, 30), ('${lines[1].accountId}'::uuid, -30)) AS l(a, x);
       UPDATE account_balance SET balance = balance + 30 WHERE account_id = '${lines[0].accountId}';
       UPDATE account_balance SET balance = balance - 30 WHERE account_id = '${lines[1].accountId}' AND shard = 0`,
    );
    const [{ id }] = (await superuser.query(`SELECT id::text FROM journal_entry WHERE township_id = $1 AND idempotency_key = 'slipped-in'`, [town.id])).rows;
    await expectCaught(town, token, seal, id, 'ADDED_AFTER_SEAL', /不在封存范围内，却出现在已封存的月份/);
  });

  it('logged each settlement it refused as an error, and no other error', () => {
    const errors = logs.errors();
    expect(errors.length).toBeGreaterThan(0);
    for (const message of errors) expect(message).toMatch(/failed: LEDGER_SEAL_BROKEN/);
  });
});
