/**
 * Model-based property test of the ledger (DESIGN.md §3): random sequences of mints,
 * spends, reversals, admin adjustments and idempotency-key replays run against the real
 * LedgerService on PostgreSQL and against a small in-memory model of what each should
 * do. After EVERY step all the rules are checked: each balance equals the model's, no
 * resident is negative, reconcile() is clean, the township sums to zero, the entry and
 * posting counts are the model's, residents' "balance after" is their balance, and every
 * admin action that booked something is audited.
 */
import fc from 'fast-check';
import { AuditService } from '../../src/audit/audit.service';
import { Principal } from '../../src/auth/principal';
import { DomainError } from '../../src/common/errors/domain.error';
import { ErrorCode } from '../../src/common/errors/error-code';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerAdminService } from '../../src/ledger/ledger-admin.service';
import { LedgerService } from '../../src/ledger/ledger.service';
import { OrganisationRepository } from '../../src/organisation/organisation.repository';
import { AccountKind, EntryKind, PostedEntry, PostEntryRequest, PostingLine } from '../../src/ledger/ledger.types';
import { seedTownship, SeededTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const BRANCHES = 2;
const RESIDENTS_PER_BRANCH = 2;
const REASONS = ['记错了积分', '重复发放'];

/** What the model knows about one booked entry, and how to send its request again. */
interface ModelEntry {
  id: string;
  kind: EntryKind;
  lines: PostingLine[];
  /** Set once reversed: the reversal's id and the reason it was given. */
  reversedBy?: { id: string; reason: string };
  /** The same request again (lines in another order: same content). */
  replay(): Promise<PostedEntry>;
  /** The same key with different content. */
  replayChanged(variant: number): Promise<PostedEntry>;
  /** The error replayChanged must give. */
  changedError: ErrorCode;
}

interface Model {
  balances: Map<string, number>;
  entries: ModelEntry[];
  /** Admin actions that booked an entry; each has one audit_log row. */
  audited: number;
  nextKey: number;
}

interface Real {
  t: SeededTownship;
  admin: Principal;
  residents: string[];
  /** Every account but the township adjustment account: what adjustments target. */
  adjustable: string[];
}

describe('ledger against an in-memory model (property-based)', () => {
  let db: TestDatabase;
  let tx: TransactionRunner;
  const ledger = new LedgerService();
  let admin: LedgerAdminService;

  beforeAll(async () => {
    db = await createTestDatabase(4);
    tx = new TransactionRunner(db.dataSource);
    admin = new LedgerAdminService(tx, ledger, new AuditService(), new OrganisationRepository(db.dataSource));
  });
  afterAll(() => db?.drop());

  // ---- the real system and the model -----------------------------------------

  async function setup(): Promise<{ model: Model; real: Real }> {
    const t = await seedTownship(db.dataSource, { branches: BRANCHES, residentsPerBranch: RESIDENTS_PER_BRANCH });
    const residents = t.branches.flatMap((b) => b.residents.map((r) => r.accountId));
    const adjustable = [...residents, ...t.branches.flatMap((b) => [b.issuanceAccountId, b.redemptionAccountId])];
    const expiry = await tx.run((m) => ledger.townshipAccount(m, t.id, AccountKind.TOWNSHIP_EXPIRY));
    const balances = new Map([...adjustable, t.adjustmentAccountId, expiry.id].map((id) => [id, 0]));
    const adminPrincipal: Principal = {
      personId: t.branches[0].residents[0].personId,
      name: '镇管理员',
      mobile: '13800000000',
      resident: null,
      adminOf: [t.id],
      managerOf: [],
    };
    const model: Model = { balances, entries: [], audited: 0, nextKey: 0 };
    const real: Real = { t, admin: adminPrincipal, residents, adjustable };
    // Every resident starts with a few points, so spends and reversals have something to work on.
    for (const [i, accountId] of residents.entries()) await postNew(model, real, mintRequest(model, real, i % BRANCHES, accountId, 5 + i));
    return { model, real };
  }

  const post = (request: PostEntryRequest) => tx.run((m) => ledger.post(m, request));
  const negate = (lines: PostingLine[]) => lines.map((l) => ({ accountId: l.accountId, amount: -l.amount }));
  const isResident = (real: Real, accountId: string) => real.residents.includes(accountId);
  /** Would these lines take a resident below zero? */
  const overdraws = (model: Model, real: Real, lines: PostingLine[]) =>
    lines.some((l) => isResident(real, l.accountId) && model.balances.get(l.accountId)! + l.amount < 0);
  const apply = (model: Model, lines: PostingLine[]) => {
    for (const l of lines) model.balances.set(l.accountId, model.balances.get(l.accountId)! + l.amount);
  };

  /** Runs `action` and asserts it fails with `code`. That it changed nothing is checked after the step, against the unchanged model. */
  async function expectRefused(action: Promise<unknown>, code: ErrorCode): Promise<void> {
    const error = await action.then(
      () => new Error(`expected ${code}, but the call succeeded`),
      (e) => e,
    );
    if (!(error instanceof DomainError) || error.code !== code) throw error;
  }

  /** A new entry posted through LedgerService.post, recorded in the model. */
  async function postNew(model: Model, real: Real, request: PostEntryRequest): Promise<void> {
    if (overdraws(model, real, request.lines)) return expectRefused(post(request), 'INSUFFICIENT_POINTS');
    const posted = await post(request);
    expect(posted.created).toBe(true);
    apply(model, request.lines);
    model.entries.push({
      id: posted.id,
      kind: request.kind,
      lines: request.lines,
      replay: () => post({ ...request, lines: [...request.lines].reverse() }),
      replayChanged: (variant) => post(changed(request, variant)),
      changedError: 'IDEMPOTENCY_CONFLICT',
    });
  }

  /** The same idempotency key with one thing changed: an amount, the memo, the kind or the reference. */
  function changed(request: PostEntryRequest, variant: number): PostEntryRequest {
    switch (variant % 4) {
      case 0: {
        const [a, b] = request.lines;
        const step = a.amount > 0 ? 1 : -1;
        return { ...request, lines: [{ ...a, amount: a.amount + step }, { ...b, amount: b.amount - step }] };
      }
      case 1:
        return { ...request, memo: `${request.memo}（改）` };
      case 2:
        return { ...request, kind: request.kind === EntryKind.ADJUSTMENT ? EntryKind.MINT : EntryKind.ADJUSTMENT };
      default:
        return { ...request, reference: { type: 'OTHER', id: request.idempotencyKey } };
    }
  }

  // ---- the rules, checked after every step ------------------------------------

  async function checkAllRules(model: Model, real: Real): Promise<void> {
    const { t } = real;
    await tx.run(async (m) => {
      // Every balance equals the model; no resident is below zero.
      const institutional = await ledger.institutionalAccounts(m, t.id);
      const residentBalances = await ledger.residentBalances(
        m,
        t.branches.flatMap((b) => b.residents.map((r) => r.id)),
      );
      const stored = new Map<string, number>(institutional.map((a) => [a.id, a.balance]));
      for (const b of t.branches) for (const r of b.residents) stored.set(r.accountId, residentBalances.get(r.id)!);
      expect(stored).toEqual(model.balances);
      for (const id of real.residents) expect(stored.get(id)).toBeGreaterThanOrEqual(0);
      const [{ lowest }] = await m.query(
        `SELECT min(b.balance)::int8 AS lowest FROM account_balance b JOIN account a ON a.id = b.account_id
         WHERE a.township_id = $1 AND a.kind = 'RESIDENT'`,
        [t.id],
      );
      expect(Number(lowest)).toBeGreaterThanOrEqual(0);

      // Reconciliation is clean, the township sums to zero, the counts are the model's.
      const report = await ledger.reconcile(m, t.id);
      expect(report).toMatchObject({
        ok: true,
        mismatchedAccounts: [],
        unbalancedEntries: [],
        storedTotal: 0,
        postedTotal: 0,
        accountsChecked: model.balances.size,
        entriesChecked: model.entries.length,
        postingsChecked: model.entries.reduce((n, e) => n + e.lines.length, 0),
      });
      expect([...model.balances.values()].reduce((a, b) => a + b, 0)).toBe(0);

      // What a resident reads as "balance after" on their latest line is their balance.
      for (const accountId of real.residents) {
        const [latest] = await ledger.history(m, { accountId }, 1);
        expect(latest?.balanceAfter ?? 0).toBe(model.balances.get(accountId));
      }

      const [{ audited }] = await m.query(`SELECT count(*)::int AS audited FROM audit_log WHERE township_id = $1`, [t.id]);
      expect(audited).toBe(model.audited);
    });
  }

  // ---- the commands -----------------------------------------------------------

  class Step implements fc.AsyncCommand<Model, Real> {
    constructor(
      private readonly label: string,
      private readonly precondition: (model: Readonly<Model>) => boolean,
      private readonly action: (model: Model, real: Real) => Promise<void>,
    ) {}
    check(model: Readonly<Model>): boolean {
      return this.precondition(model);
    }
    async run(model: Model, real: Real): Promise<void> {
      await this.action(model, real);
      await checkAllRules(model, real);
    }
    toString(): string {
      return this.label;
    }
  }
  const always = () => true;
  const hasEntries = (model: Readonly<Model>) => model.entries.length > 0;
  const key = (model: Model, what: string) => `${what}-${model.nextKey++}`;

  /** A branch mints to a resident (activity attendance). */
  function mintRequest(model: Model, real: Real, branch: number, accountId: string, amount: number): PostEntryRequest {
    const idempotencyKey = key(model, 'attendance');
    return {
      townshipId: real.t.id,
      idempotencyKey,
      kind: EntryKind.MINT,
      memo: `志愿服务积分 ${amount}`,
      reference: { type: 'ATTENDANCE', id: idempotencyKey },
      lines: [
        { accountId, amount },
        { accountId: real.t.branches[branch].issuanceAccountId, amount: -amount },
      ],
    };
  }
  const mint = fc
    .record({ branch: fc.nat(BRANCHES - 1), resident: fc.nat(BRANCHES * RESIDENTS_PER_BRANCH - 1), amount: fc.integer({ min: 1, max: 20 }) })
    .map(
      ({ branch, resident, amount }) =>
        new Step(`mint(branch ${branch} → resident ${resident}, ${amount})`, always, (model, real) =>
          postNew(model, real, mintRequest(model, real, branch, real.residents[resident], amount)),
        ),
    );

  /**
   * A resident spends at a branch (course enrolment); may overdraw, then must change
   * nothing. Besides fixed prices, spends of exactly the balance and of one point more
   * probe the boundary.
   */
  const spend = fc
    .record({
      resident: fc.nat(BRANCHES * RESIDENTS_PER_BRANCH - 1),
      branch: fc.nat(BRANCHES - 1),
      price: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant('balance' as const), fc.constant('balance + 1' as const)),
    })
    .map(
      ({ resident, branch, price }) =>
        new Step(`spend(resident ${resident} → branch ${branch}, ${price})`, always, async (model, real) => {
          const accountId = real.residents[resident];
          const balance = model.balances.get(accountId)!;
          const amount = price === 'balance' ? Math.max(balance, 1) : price === 'balance + 1' ? balance + 1 : price;
          const idempotencyKey = key(model, 'enrolment');
          await postNew(model, real, {
            townshipId: real.t.id,
            idempotencyKey,
            kind: EntryKind.SPEND,
            memo: `体验课程 ${amount}`,
            reference: { type: 'ENROLMENT', id: idempotencyKey },
            lines: [
              { accountId, amount: -amount },
              { accountId: real.t.branches[branch].redemptionAccountId, amount },
            ],
          });
        }),
    );

  /** A township admin's correction, through LedgerAdminService or straight through LedgerService.post. */
  const adjust = fc
    .record({
      target: fc.nat(BRANCHES * RESIDENTS_PER_BRANCH + 2 * BRANCHES - 1),
      amount: fc.integer({ min: -10, max: 10 }).filter((n) => n !== 0),
      viaAdmin: fc.boolean(),
    })
    .map(
      ({ target, amount, viaAdmin }) =>
        new Step(`adjust(account ${target}, ${amount}${viaAdmin ? ', via admin' : ''})`, always, async (model, real) => {
          const accountId = real.adjustable[target];
          const lines = [
            { accountId, amount },
            { accountId: real.t.adjustmentAccountId, amount: -amount },
          ];
          if (!viaAdmin) {
            const idempotencyKey = key(model, 'correction');
            return postNew(model, real, {
              townshipId: real.t.id,
              idempotencyKey,
              kind: EntryKind.ADJUSTMENT,
              memo: '更正积分',
              lines,
            });
          }
          const input = { accountId, amount, reason: '补录漏记的积分', idempotencyKey: key(model, 'admin-adjust') };
          if (overdraws(model, real, lines)) return expectRefused(admin.postAdjustment(real.admin, input), 'INSUFFICIENT_POINTS');
          const posted = await admin.postAdjustment(real.admin, input);
          expect(posted.created).toBe(true);
          apply(model, lines);
          model.audited++;
          model.entries.push({
            id: posted.id,
            kind: EntryKind.ADJUSTMENT,
            lines,
            replay: () => admin.postAdjustment(real.admin, { ...input }),
            replayChanged: (variant) =>
              admin.postAdjustment(
                real.admin,
                variant % 2 === 0 ? { ...input, amount: amount + (amount > 0 ? 1 : -1) } : { ...input, reason: '另一个原因' },
              ),
            changedError: 'IDEMPOTENCY_CONFLICT',
          });
        }),
    );

  /**
   * Reverses an earlier entry. A reversal cannot be reversed (NOT_REVERSIBLE); an entry is
   * reversed at most once (again with the same reason returns that reversal, with another
   * reason is ALREADY_REVERSED); a reversal that would overdraw a resident is
   * INSUFFICIENT_POINTS.
   */
  const reverse = fc
    .record({ pick: fc.nat(), reason: fc.nat(REASONS.length - 1), viaAdmin: fc.boolean() })
    .map(
      ({ pick, reason: reasonIndex, viaAdmin }) =>
        new Step(`reverse(entry #${pick}, reason ${reasonIndex}${viaAdmin ? ', via admin' : ''})`, hasEntries, async (model, real) => {
          const target = model.entries[pick % model.entries.length];
          const reason = REASONS[reasonIndex];
          const request = () =>
            viaAdmin
              ? admin.reverseEntry(real.admin, { entryId: target.id, reason })
              : tx.run((m) => ledger.reverse(m, { townshipId: real.t.id, entryId: target.id, reason }));
          if (target.kind === EntryKind.REVERSAL) return expectRefused(request(), 'NOT_REVERSIBLE');
          if (target.reversedBy) {
            if (target.reversedBy.reason !== reason) return expectRefused(request(), 'ALREADY_REVERSED');
            expect(await request()).toMatchObject({ id: target.reversedBy.id, created: false });
            return;
          }
          const lines = negate(target.lines);
          if (overdraws(model, real, lines)) return expectRefused(request(), 'INSUFFICIENT_POINTS');
          const posted = await request();
          expect(posted.created).toBe(true);
          apply(model, lines);
          if (viaAdmin) model.audited++;
          target.reversedBy = { id: posted.id, reason };
          const otherReason = REASONS[(reasonIndex + 1) % REASONS.length];
          const reverseWith = (why: string) =>
            viaAdmin
              ? admin.reverseEntry(real.admin, { entryId: target.id, reason: why })
              : tx.run((m) => ledger.reverse(m, { townshipId: real.t.id, entryId: target.id, reason: why }));
          model.entries.push({
            id: posted.id,
            kind: EntryKind.REVERSAL,
            lines,
            replay: () => reverseWith(reason),
            replayChanged: () => reverseWith(otherReason),
            changedError: 'ALREADY_REVERSED',
          });
        }),
    );

  /** An old idempotency key sent again with the same content: the original entry, nothing new. */
  const replaySame = fc.nat().map(
    (pick) =>
      new Step(`replay(entry #${pick}, same content)`, hasEntries, async (model) => {
        const target = model.entries[pick % model.entries.length];
        expect(await target.replay()).toMatchObject({ id: target.id, created: false });
      }),
  );

  /** An old idempotency key sent again with different content: refused, nothing new. */
  const replayChanged = fc.record({ pick: fc.nat(), variant: fc.nat(3) }).map(
    ({ pick, variant }) =>
      new Step(`replay(entry #${pick}, changed content ${variant})`, hasEntries, async (model) => {
        const target = model.entries[pick % model.entries.length];
        await expectRefused(target.replayChanged(variant), target.changedError);
      }),
  );

  it('keeps every rule after every step of random mints, spends, reversals, adjustments and replays', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands([mint, mint, spend, spend, adjust, reverse, reverse, replaySame, replayChanged], { maxCommands: 30, size: 'max' }), (steps) =>
        fc.asyncModelRun(setup, steps),
      ),
      { numRuns: 25 },
    );
  }, 300_000);
});
