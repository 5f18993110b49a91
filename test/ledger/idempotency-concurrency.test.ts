/**
 * Idempotency and concurrency of the ledger (DESIGN.md §3 rules 2-4 and the throughput
 * notes): racing duplicates, racing spends against one balance, random concurrent
 * transfers from 16 workers, racing reversals. Every call goes through TransactionRunner,
 * one transaction per call, as the app does. Outcomes are counted, never timed.
 */
import { AuditService } from '../../src/audit/audit.service';
import { Principal } from '../../src/auth/principal';
import { DomainError } from '../../src/common/errors/domain.error';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerAdminService } from '../../src/ledger/ledger-admin.service';
import { LedgerService } from '../../src/ledger/ledger.service';
import { OrganisationRepository } from '../../src/organisation/organisation.repository';
import { EntryKind, PostedEntry, PostEntryRequest, PostingLine } from '../../src/ledger/ledger.types';
import { seedTownship, SeededTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const WORKERS = 16;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Outcome<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error) => ({ ok: false as const, error }),
  );
const codeOf = (o: Outcome<unknown>) => (o.ok ? 'OK' : o.error instanceof DomainError ? o.error.code : `UNEXPECTED: ${String(o.error)}`);
/** How many outcomes of each kind: { OK: 37, INSUFFICIENT_POINTS: 63 }. */
const tally = (outcomes: Outcome<unknown>[]) =>
  outcomes.reduce<Record<string, number>>((t, o) => ({ ...t, [codeOf(o)]: (t[codeOf(o)] ?? 0) + 1 }), {});

describe('ledger idempotency and concurrency', () => {
  let db: TestDatabase;
  let tx: TransactionRunner;
  const ledger = new LedgerService();
  /** Database errors each transaction attempt failed with, retried or not, by SQLSTATE. */
  const attemptFailures: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestDatabase(WORKERS + 1);
    // Count what TransactionRunner retries (deadlocks, serialization failures) below the caller.
    const transaction = db.dataSource.transaction.bind(db.dataSource) as (work: unknown) => Promise<unknown>;
    (db.dataSource as { transaction: unknown }).transaction = async (work: unknown) => {
      try {
        return await transaction(work);
      } catch (error) {
        const code = (error as { driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code ?? '?';
        attemptFailures[code] = (attemptFailures[code] ?? 0) + 1;
        throw error;
      }
    };
    tx = new TransactionRunner(db.dataSource);
  });
  afterAll(() => db?.drop());

  const post = (request: PostEntryRequest) => tx.run((m) => ledger.post(m, request));
  const mint = (t: SeededTownship, accountId: string, amount: number, key: string) =>
    post({
      townshipId: t.id,
      idempotencyKey: key,
      kind: EntryKind.MINT,
      memo: '志愿服务积分',
      lines: [
        { accountId, amount },
        { accountId: t.branches[0].issuanceAccountId, amount: -amount },
      ],
    });
  const balanceOf = (accountId: string) => tx.run((m) => ledger.account(m, accountId)).then((a) => a.balance);
  const entryCount = async (townshipId: string) =>
    (await tx.run((m) => m.query(`SELECT count(*)::int AS n FROM journal_entry WHERE township_id = $1`, [townshipId])))[0].n as number;
  async function expectReconciled(townshipId: string, entries: number) {
    const report = await tx.run((m) => ledger.reconcile(m, townshipId));
    expect(report).toMatchObject({ ok: true, mismatchedAccounts: [], unbalancedEntries: [], storedTotal: 0, entriesChecked: entries });
  }

  describe('rule 4: idempotency under concurrency', () => {
    it('turns 50 concurrent posts with one key and one content into one entry, the same for every caller', async () => {
      const t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const resident = t.branches[0].residents[0].accountId;
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => settle(mint(t, resident, 5, 'attendance:storm'))));

      expect(tally(outcomes)).toEqual({ OK: 50 });
      const posted = outcomes.map((o) => (o as { value: PostedEntry }).value);
      expect(new Set(posted.map((p) => p.id)).size).toBe(1);
      expect(posted.filter((p) => p.created)).toHaveLength(1);
      expect(await entryCount(t.id)).toBe(1);
      expect(await balanceOf(resident)).toBe(5);
      await expectReconciled(t.id, 1);
    });

    it('refuses the same key with different content (IDEMPOTENCY_CONFLICT), sequentially and racing', async () => {
      const t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 2 });
      const [a, b] = t.branches[0].residents.map((r) => r.accountId);
      const first = await mint(t, a, 5, 'attendance:conflict');
      await expect(mint(t, a, 6, 'attendance:conflict')).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
        details: { entryId: first.id },
      });
      await expect(mint(t, b, 5, 'attendance:conflict')).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });

      // 40 racing callers, half describing one mint and half another: whichever commits first
      // owns the key; its describers all get its id, the others a conflict.
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => settle(mint(t, i % 2 ? a : b, 3, 'attendance:race'))),
      );
      const winners = outcomes.filter((o) => o.ok) as { value: PostedEntry }[];
      expect(tally(outcomes)).toEqual({ OK: 20, IDEMPOTENCY_CONFLICT: 20 });
      expect(new Set(winners.map((w) => w.value.id)).size).toBe(1);
      expect(winners.filter((w) => w.value.created)).toHaveLength(1);
      expect(await entryCount(t.id)).toBe(2);
      expect((await balanceOf(a)) + (await balanceOf(b))).toBe(5 + 3);
      await expectReconciled(t.id, 2);
    });

    it('answers a replay after the entry’s month was closed with the original entry, not PERIOD_CLOSED', async () => {
      // A job retried after month-end settlement closed the month its entry was booked in.
      const t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const resident = t.branches[0].residents[0].accountId;
      const request: PostEntryRequest = {
        townshipId: t.id,
        idempotencyKey: 'attendance:march',
        kind: EntryKind.MINT,
        memo: '三月志愿服务',
        bookedAt: new Date('2024-03-31T23:50:00+08:00'),
        lines: [
          { accountId: resident, amount: 2 },
          { accountId: t.branches[0].issuanceAccountId, amount: -2 },
        ],
      };
      // Booked into March 2024 by the owner role (only it may date an entry); replayed by the app role.
      const asOwner = new TransactionRunner(await db.asOwner());
      const original = await asOwner.run((m) => ledger.post(m, request));
      expect(original).toMatchObject({ created: true, period: '2024-03' });
      await tx.run((m) => ledger.closePeriod(m, t.id, '2024-03', null));

      expect(await post(request)).toEqual({ ...original, created: false });
      await expect(post({ ...request, memo: '改过的摘要' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      // A new key into the closed month is still refused.
      await expect(asOwner.run((m) => ledger.post(m, { ...request, idempotencyKey: 'attendance:march-late' }))).rejects.toMatchObject({ code: 'PERIOD_CLOSED' });
      expect(await entryCount(t.id)).toBe(1);
      expect(await balanceOf(resident)).toBe(2);
    });
  });

  describe('rule 3: racing spends never overdraw', () => {
    it('lets exactly 37 of 100 concurrent 1-point spends through a balance of 37', async () => {
      const t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const resident = t.branches[0].residents[0].accountId;
      await mint(t, resident, 37, 'attendance:37');
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          settle(
            post({
              townshipId: t.id,
              idempotencyKey: `enrolment:${i}`,
              kind: EntryKind.SPEND,
              memo: '体验课程',
              lines: [
                { accountId: resident, amount: -1 },
                { accountId: t.branches[0].redemptionAccountId, amount: 1 },
              ],
            }),
          ),
        ),
      );
      expect(tally(outcomes)).toEqual({ OK: 37, INSUFFICIENT_POINTS: 63 });
      expect(await balanceOf(resident)).toBe(0);
      expect(await balanceOf(t.branches[0].redemptionAccountId)).toBe(37);
      expect(await entryCount(t.id)).toBe(38);
      await expectReconciled(t.id, 38);
    });

    it('lets a reversal of a mint and spends of the same points race without overdrawing', async () => {
      const t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      const resident = t.branches[0].residents[0].accountId;
      const minted = await mint(t, resident, 10, 'attendance:10');
      const spend = (i: number) =>
        settle(
          post({
            townshipId: t.id,
            idempotencyKey: `enrolment:race-${i}`,
            kind: EntryKind.SPEND,
            memo: '体验课程',
            lines: [
              { accountId: resident, amount: -1 },
              { accountId: t.branches[0].redemptionAccountId, amount: 1 },
            ],
          }),
        );
      // The reversal joins the queue of 12 spends at a random place.
      const before = Math.floor(Math.random() * 13);
      const early = Array.from({ length: before }, (_, i) => spend(i));
      const reversal = settle(tx.run((m) => ledger.reverse(m, { townshipId: t.id, entryId: minted.id, reason: '误记' })));
      const late = Array.from({ length: 12 - before }, (_, i) => spend(before + i));
      const spent = tally(await Promise.all([...early, ...late])).OK ?? 0;
      const reversed = await reversal;

      // Either the reversal took all 10 points first, or some spend came first and the
      // reversal would have overdrawn.
      if (reversed.ok) expect(spent).toBe(0);
      else expect(codeOf(reversed)).toBe('INSUFFICIENT_POINTS');
      expect(spent).toBeLessThanOrEqual(10);
      expect(await balanceOf(resident)).toBe(reversed.ok ? 0 : 10 - spent);
      await expectReconciled(t.id, 1 + spent + (reversed.ok ? 1 : 0));
    });
  });

  describe('no deadlocks under random concurrent transfers', () => {
    it(`keeps exact sums with ${WORKERS} workers moving points among residents and branches`, async () => {
      const t = await seedTownship(db.dataSource, { branches: 3, residentsPerBranch: 3 });
      const residents = t.branches.flatMap((b) => b.residents.map((r) => r.accountId));
      const expected = new Map<string, number>();
      const apply = (lines: PostingLine[]) => {
        for (const l of lines) expected.set(l.accountId, (expected.get(l.accountId) ?? 0) + l.amount);
      };
      // Start every resident with points so most transfers can succeed.
      for (const [i, r] of residents.entries()) {
        await mint(t, r, 30, `attendance:start-${i}`);
        apply([{ accountId: r, amount: 30 }, { accountId: t.branches[0].issuanceAccountId, amount: -30 }]);
      }
      const retriesBefore = { ...attemptFailures };

      const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
      const amount = () => 1 + Math.floor(Math.random() * 8);
      /** A random balanced entry; residents paying may be short (INSUFFICIENT_POINTS). */
      function randomEntry(): { kind: Exclude<EntryKind, EntryKind.REVERSAL>; lines: PostingLine[] } {
        const branch = pick(t.branches);
        const n = amount();
        const [from, to] = [pick(residents), pick(residents)];
        switch (Math.floor(Math.random() * 4)) {
          case 0: // a branch mints to a resident (the issuance account is hot)
            return { kind: EntryKind.MINT, lines: [{ accountId: branch.issuanceAccountId, amount: -n }, { accountId: to, amount: n }] };
          case 1: // a resident spends at a branch
            return { kind: EntryKind.SPEND, lines: [{ accountId: from, amount: -n }, { accountId: branch.redemptionAccountId, amount: n }] };
          case 2: {
            // resident to resident, in whichever order the two are drawn
            if (from === to) return randomEntry();
            return { kind: EntryKind.ADJUSTMENT, lines: [{ accountId: from, amount: -n }, { accountId: to, amount: n }] };
          }
          default: {
            // two residents pay a branch together, with a branch mint on the same entry
            const other = pick(residents.filter((r) => r !== from));
            return {
              kind: EntryKind.ADJUSTMENT,
              lines: [
                { accountId: other, amount: -n },
                { accountId: from, amount: -1 },
                { accountId: branch.redemptionAccountId, amount: n + 1 },
              ],
            };
          }
        }
      }

      const OPS_PER_WORKER = 25;
      const outcomes: Outcome<PostedEntry>[] = [];
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          for (let i = 0; i < OPS_PER_WORKER; i++) {
            const { kind, lines } = randomEntry();
            const outcome = await settle(
              post({ townshipId: t.id, idempotencyKey: `transfer:${w}:${i}`, kind, memo: '随机转账', lines }),
            );
            if (outcome.ok) apply(lines);
            outcomes.push(outcome);
          }
        }),
      );

      const counts = tally(outcomes);
      // Nothing but success or a resident being short reaches a caller: no deadlock, no
      // serialization failure, no TEMPORARILY_UNAVAILABLE.
      expect(Object.keys(counts).filter((c) => c !== 'OK' && c !== 'INSUFFICIENT_POINTS')).toEqual([]);
      expect(counts.OK).toBeGreaterThan(WORKERS * OPS_PER_WORKER * 0.5);
      // Locks are taken in account order, so there is nothing for TransactionRunner to retry.
      expect((attemptFailures['40P01'] ?? 0) - (retriesBefore['40P01'] ?? 0)).toBe(0);

      const balances = await Promise.all([...expected.keys()].map(async (id) => [id, await balanceOf(id)] as const));
      expect(new Map(balances)).toEqual(expected);
      for (const r of residents) expect(expected.get(r)).toBeGreaterThanOrEqual(0);
      await expectReconciled(t.id, residents.length + counts.OK);
    });
  });

  describe('rule 2: racing reversals of one entry', () => {
    let t: SeededTownship;
    let resident: string;
    beforeAll(async () => {
      t = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
      resident = t.branches[0].residents[0].accountId;
    });
    const reverse = (entryId: string, reason: string, idempotencyKey?: string) =>
      tx.run((m) => ledger.reverse(m, { townshipId: t.id, entryId, reason, idempotencyKey }));

    it('lets exactly one of 20 reversals with different reasons through (ALREADY_REVERSED)', async () => {
      const minted = await mint(t, resident, 4, 'attendance:rev-reasons');
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => settle(reverse(minted.id, `原因${i}`))));
      expect(tally(outcomes)).toEqual({ OK: 1, ALREADY_REVERSED: 19 });
      expect(await balanceOf(resident)).toBe(0);
    });

    it('lets exactly one of 20 reversals under different keys through (refund flows with their own keys)', async () => {
      const minted = await mint(t, resident, 4, 'attendance:rev-keys');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => settle(reverse(minted.id, '取消报名', `refund:enrolment-${i}`))),
      );
      expect(tally(outcomes)).toEqual({ OK: 1, ALREADY_REVERSED: 19 });
      expect(await balanceOf(resident)).toBe(0);
    });

    it("books one reversal for 20 identical admin requests, each getting that reversal's id", async () => {
      const minted = await mint(t, resident, 4, 'attendance:rev-same');
      const admin: Principal = { personId: t.branches[0].residents[0].personId, name: '镇管理员', mobile: '13800000000', resident: null, adminOf: [t.id], managerOf: [] };
      const service = new LedgerAdminService(tx, ledger, new AuditService(), new OrganisationRepository(db.dataSource));
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () => settle(service.reverseEntry(admin, { entryId: minted.id, reason: '重复发放' }))),
      );
      expect(tally(outcomes)).toEqual({ OK: 20 });
      const posted = outcomes.map((o) => (o as { value: PostedEntry }).value);
      expect(new Set(posted.map((p) => p.id)).size).toBe(1);
      expect(posted.filter((p) => p.created)).toHaveLength(1);
      const [{ n }] = await tx.run((m) =>
        m.query(`SELECT count(*)::int AS n FROM audit_log WHERE township_id = $1 AND action = 'ledger.reverse'`, [t.id]),
      );
      expect(n).toBe(1);
      expect(await balanceOf(resident)).toBe(0);
    });

    afterAll(async () => {
      // Three mints, three reversals.
      await expectReconciled(t.id, 6);
    });
  });
});
