import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/common/errors/domain.error';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { seedTownship } from '../support/factories';
import { grantAdmin, mobileOf } from '../support/roles';
import { devLogin, startTestApp, TestApp } from '../support/test-app';

/**
 * The resident's passbook against a model of what was booked: random mints, course
 * charges, adjustments both ways over three past months and this one, then refunds and
 * reversals booked now, then a random number of past months sealed. Whatever happened,
 * a month opens with the previous month's closing, every line's balance is the opening
 * plus the lines before it, the newest closing is the balance, and sealed months carry
 * their seal.
 */
describe('the passbook (me.passbook)', () => {
  let t: TestApp;
  /** As the app role, as the service runs. */
  let tx: TransactionRunner;
  /** As the owner role: only the owner may book into an earlier month. */
  let backdating: TransactionRunner;
  const ledger = new LedgerService();
  const current = monthOf(new Date());
  const months = [addMonths(current, -3), addMonths(current, -2), addMonths(current, -1), current];

  /**
   * The n-th booking of a month, in booking order: an hour into a past month; in the
   * current month, halfway between its start and now (in its first hour, an hour in would
   * be in the future), the refunds and reversals booked after them at the present time.
   */
  const bookingTime = (month: string, n: number) => {
    const start = monthRange(month).start.getTime();
    const offset = month === current ? Math.min(3_600_000, (Date.now() - start) / 2) : 3_600_000;
    return new Date(start + offset + n * (month === current ? 1 : 1000));
  };

  beforeAll(async () => {
    t = await startTestApp();
    tx = new TransactionRunner(t.db.dataSource);
    backdating = new TransactionRunner(await t.db.asOwner());
  });
  afterAll(() => t?.close());

  // Page sizes written into the document: a page size given as a variable is priced as the largest page.
  const passbookQuery = (first: number, lines: number) => `query($after: String) { me { balance passbook(first: ${first}, after: $after) {
    edges { cursor node { month opening pointsIn pointsOut closing sealed seal { month seal }
      entries(first: ${lines}) { edges { node { entryId kind memo amount balanceAfter reversesEntryId } } pageInfo { hasNextPage } } } }
    pageInfo { hasNextPage endCursor } } } }`;

  type Op = { month: number; kind: 'MINT' | 'SPEND' | 'ADJUST'; points: number };
  const op = fc.record({
    month: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom<Op['kind']>('MINT', 'MINT', 'SPEND', 'ADJUST'),
    points: fc.integer({ min: -5, max: 9 }).filter((p) => p !== 0),
  });

  it('always opens a month with the closing of the month before, across reversals, refunds and adjustments', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), fc.array(fc.nat(), { maxLength: 4 }), fc.integer({ min: 0, max: 3 }), async (ops, reversals, sealedCount) => {
        const town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 1 });
        const b = town.branches[0];
        const me = b.residents[0];
        const token = await devLogin(t, await mobileOf(t.db.dataSource, me.personId));
        /** What the resident's account saw, in booking order. */
        const lines: { month: string; amount: number; entryId: string; kind: string }[] = [];
        const balance = () => lines.reduce((s, l) => s + l.amount, 0);
        let second = 0;
        const book = async (o: Op) => {
          const month = months[o.month];
          const amount = o.kind === 'SPEND' ? -Math.abs(o.points) : o.kind === 'MINT' ? Math.abs(o.points) : o.points;
          if (balance() + amount < 0) return; // the database would refuse it; a refusal is tested elsewhere
          const counter = o.kind === 'MINT' ? b.issuanceAccountId : o.kind === 'SPEND' ? b.redemptionAccountId : town.adjustmentAccountId;
          const posted = await backdating.run((m) =>
            ledger.post(m, {
              townshipId: town.id,
              idempotencyKey: randomUUID(),
              kind: o.kind === 'ADJUST' ? EntryKind.ADJUSTMENT : EntryKind[o.kind],
              memo: `${o.kind} ${amount}`,
              lines: [
                { accountId: me.accountId, amount },
                { accountId: counter, amount: -amount },
              ],
              reference: o.kind === 'SPEND' ? { type: 'COURSE', id: randomUUID() } : undefined,
              bookedAt: bookingTime(month, ++second),
            }),
          );
          lines.push({ month, amount, entryId: posted.id, kind: o.kind === 'ADJUST' ? 'ADJUSTMENT' : o.kind });
        };
        for (const o of [...ops].sort((x, y) => x.month - y.month)) await book(o);
        // Refunds of charges and reversals of mints or adjustments, booked now (this month).
        const reversed = new Set<string>();
        for (const pick of reversals) {
          const candidates = lines.filter((l) => l.kind !== 'REVERSAL' && !reversed.has(l.entryId));
          if (!candidates.length) break;
          const original = candidates[pick % candidates.length];
          if (balance() - original.amount < 0) continue;
          const posted = await tx
            .run((m) => ledger.reverse(m, { townshipId: town.id, entryId: original.entryId, reason: original.kind === 'SPEND' ? '取消报名，退回积分' : '录入错误' }))
            .catch((e) => (e instanceof DomainError ? undefined : Promise.reject(e)));
          if (!posted) continue;
          reversed.add(original.entryId);
          lines.push({ month: current, amount: -original.amount, entryId: posted.id, kind: 'REVERSAL' });
        }
        const booked = lines;
        // Seal the first `sealedCount` past months, as a settlement would.
        if (sealedCount) {
          await tx.run(async (m) => {
            for (const month of months.slice(0, sealedCount)) await ledger.closePeriod(m, town.id, month, null);
          });
          const { sealable } = await tx.run((m) => ledger.reconcileAndPrepareSeals(m, town.id, months[sealedCount - 1]));
          await tx.run((m) => ledger.seal(m, town.id, sealable));
        }
        const seals = new Map<string, string>(
          (await t.db.dataSource.query(`SELECT to_char(period, 'YYYY-MM') AS month, encode(seal, 'hex') AS seal FROM ledger_seal WHERE township_id = $1`, [town.id])).map(
            (r: { month: string; seal: string }) => [r.month, r.seal],
          ),
        );

        // The whole passbook in one page, and again a month per page: the same months.
        const res = await t.gql(passbookQuery(5, 30), {}, token);
        expect(res.errors).toBeUndefined();
        const passbook = res.data.me.passbook;
        const listed = passbook.edges.map((e: any) => e.node);
        const expectedMonths = [...new Set([...booked.map((l) => l.month), current])].sort().reverse();
        expect(listed.map((m: any) => m.month)).toEqual(expectedMonths);
        const paged: string[] = [];
        for (let after: string | undefined; ; ) {
          const page = (await t.gql(passbookQuery(1, 1), { after }, token)).data.me.passbook;
          paged.push(...page.edges.map((e: any) => e.node.month));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(paged).toEqual(expectedMonths);

        let closing = 0;
        for (const month of [...listed].reverse()) {
          const inMonth = booked.filter((l) => l.month === month.month);
          // Opening = the closing of the month before (0 before the first).
          expect(month.opening).toBe(closing);
          let running = month.opening;
          expect(month.entries.edges.map((e: any) => e.node)).toEqual(
            inMonth.map((l) => ({
              entryId: l.entryId,
              kind: l.kind,
              memo: expect.any(String),
              amount: l.amount,
              balanceAfter: (running += l.amount),
              reversesEntryId: l.kind === 'REVERSAL' ? expect.any(String) : null,
            })),
          );
          expect(month.pointsIn).toBe(inMonth.filter((l) => l.amount > 0).reduce((s, l) => s + l.amount, 0));
          expect(month.pointsOut).toBe(inMonth.filter((l) => l.amount < 0).reduce((s, l) => s - l.amount, 0));
          expect(month.closing).toBe(running);
          expect(month.closing).toBe(month.opening + month.pointsIn - month.pointsOut);
          expect(month.sealed).toBe(seals.has(month.month));
          expect(month.seal).toEqual(seals.has(month.month) ? { month: month.month, seal: seals.get(month.month) } : null);
          closing = month.closing;
        }
        expect(closing).toBe(res.data.me.balance);
        expect(closing).toBe(balance());
      }),
      { numRuns: 20 },
    );
  });

  it("pages a month's lines in booking order, and is null for someone who is not a resident", async () => {
    const town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 1 });
    const b = town.branches[0];
    const me = b.residents[0];
    for (let i = 1; i <= 5; i++) {
      await tx.run((m) =>
        ledger.post(m, {
          townshipId: town.id,
          idempotencyKey: randomUUID(),
          kind: EntryKind.MINT,
          memo: `第${i}次`,
          lines: [
            { accountId: me.accountId, amount: i },
            { accountId: b.issuanceAccountId, amount: -i },
          ],
        }),
      );
    }
    const token = await devLogin(t, await mobileOf(t.db.dataSource, me.personId));
    const LINES = `query($after: String) { me { passbook(first: 1) { edges { node { entries(first: 2, after: $after) {
      edges { node { memo balanceAfter } } pageInfo { hasNextPage endCursor } } } } } } }`;
    const seen = [];
    for (let after: string | undefined; ; ) {
      const page = (await t.gql(LINES, { after }, token)).data.me.passbook.edges[0].node.entries;
      seen.push(...page.edges.map((e: any) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5].map((i) => ({ memo: `第${i}次`, balanceAfter: (i * (i + 1)) / 2 })));
    const bad = await t.gql(LINES, { after: 'bm90LWEtY3Vyc29y' }, token);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const staff = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    expect((await t.gql(`{ me { passbook { edges { cursor } } } }`, {}, staff)).data.me.passbook).toBeNull();
  });
});
