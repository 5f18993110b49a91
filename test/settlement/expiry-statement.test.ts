import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind, ReverseEntryRequest } from '../../src/ledger/ledger.types';
import { ok, seedWorld, World } from '../support/activity-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The yearly reset's EXPIRY entries on a line of their own (issue 16): a settled month
 * with earning, spending (one charge refunded), an adjustment and expiries (one reversed)
 * gives each resident's statement and passbook month its earned / spent / expired lines
 * as a model of the test's own bookings says, the identity opening + earned - spent -
 * expired = closing holds for every account's snapshot, and the branch's public statement
 * shows what its residents lost to the reset.
 */
describe('expiry on its own line in the monthly statements', () => {
  let t: TestApp;
  let w: World;
  let owner: TransactionRunner;
  const ledger = new LedgerService();
  const month = addMonths(monthOf(new Date()), -2);
  const before = addMonths(month, -1);
  const at = (m: string, minute: number) => new Date(monthRange(m).start.getTime() + 86_400_000 + minute * 60_000);
  const resident = (b: number, r: number) => w.township.branches[b].residents[r];

  /** The model: per resident and month, what each line must read. */
  type Line = 'earned' | 'spent' | 'expired';
  const model = new Map<string, Record<Line, number>>();
  const note = (residentId: string, m: string, line: Line, points: number) => {
    const key = `${residentId}:${m}`;
    const row = model.get(key) ?? { earned: 0, spent: 0, expired: 0 };
    row[line] += points;
    model.set(key, row);
  };
  const lines = (residentId: string, m: string) => model.get(`${residentId}:${m}`) ?? { earned: 0, spent: 0, expired: 0 };

  async function book(kind: EntryKind.MINT | EntryKind.SPEND | EntryKind.ADJUSTMENT | EntryKind.EXPIRY, [b, r]: [number, number], points: number, when: Date) {
    const res = resident(b, r);
    const other = await owner.run(async (m) => {
      if (kind === EntryKind.MINT) return w.township.branches[b].issuanceAccountId;
      if (kind === EntryKind.SPEND) return w.township.branches[b].redemptionAccountId;
      if (kind === EntryKind.ADJUSTMENT) return w.township.adjustmentAccountId;
      return (await ledger.townshipAccount(m, w.township.id, AccountKind.TOWNSHIP_EXPIRY)).id;
    });
    const amount = kind === EntryKind.MINT || kind === EntryKind.ADJUSTMENT ? points : -points;
    const entry = await owner.run((m) =>
      ledger.post(m, {
        townshipId: w.township.id,
        idempotencyKey: randomUUID(),
        kind,
        memo: kind === EntryKind.EXPIRY ? `积分到期清零：${month}-01前获得且未使用的${points}积分` : '测试',
        lines: [
          { accountId: res.accountId, amount },
          { accountId: other, amount: -amount },
        ],
        reference: kind === EntryKind.EXPIRY ? { type: 'EXPIRY', id: `${month}-01` } : undefined,
        bookedAt: when,
      }),
    );
    note(res.id, monthOf(when), kind === EntryKind.SPEND ? 'spent' : kind === EntryKind.EXPIRY ? 'expired' : 'earned', points);
    return { entryId: entry.id, residentId: res.id, line: (kind === EntryKind.SPEND ? 'spent' : kind === EntryKind.EXPIRY ? 'expired' : 'earned') as Line, points };
  }

  async function reverse(original: { entryId: string; residentId: string; line: Line; points: number }, when: Date) {
    const request = { townshipId: w.township.id, entryId: original.entryId, reason: '登记错误', bookedAt: when };
    await owner.run((m) => ledger.reverse(m, request as ReverseEntryRequest));
    // A reversal stays on the line of what it undoes, as a negative amount.
    note(original.residentId, monthOf(when), original.line, -original.points);
  }

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 2 });
    owner = new TransactionRunner(await t.db.asOwner());
    // The month before: the opening balances.
    await book(EntryKind.MINT, [0, 0], 10, at(before, 10));
    await book(EntryKind.MINT, [0, 1], 5, at(before, 10));
    await book(EntryKind.MINT, [1, 0], 4, at(before, 10));
    await book(EntryKind.MINT, [1, 1], 6, at(before, 10));
    // The month: resident (0,0) earns 6, gets an adjustment of 1, spends 4 and 2 (the 2 refunded), and loses 7 to the reset.
    await book(EntryKind.MINT, [0, 0], 6, at(month, 10));
    await book(EntryKind.ADJUSTMENT, [0, 0], 1, at(month, 11));
    await book(EntryKind.SPEND, [0, 0], 4, at(month, 12));
    const refunded = await book(EntryKind.SPEND, [0, 0], 2, at(month, 13));
    await reverse(refunded, at(month, 14));
    await book(EntryKind.EXPIRY, [0, 0], 7, at(month, 20));
    // (0,1) loses 3; (1,0) at the other village 2; (1,1) loses 4, reversed within the month (booked in error).
    await book(EntryKind.EXPIRY, [0, 1], 3, at(month, 20));
    await book(EntryKind.EXPIRY, [1, 0], 2, at(month, 20));
    const undone = await book(EntryKind.EXPIRY, [1, 1], 4, at(month, 20));
    await reverse(undone, at(month, 30));

    const started = await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: w.township.id, m: month }, w.adminToken);
    expect(started.errors).toBeUndefined();
    const settled = await waitFor(`settlement of ${month}`, async () => {
      const s = ok(await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { status error } }`, { t: w.township.id, m: month }, w.adminToken)).settlement;
      return s.status === 'RUNNING' ? undefined : s;
    });
    expect(settled).toEqual({ status: 'SUCCEEDED', error: null });
  });
  afterAll(() => t?.close());

  it("gives each resident's statement its expired line apart from earned, and the identity holds", async () => {
    const STATEMENT = `query($m: String!) { monthlyStatement(month: $m) { month opening earned spent expired closing } }`;
    for (const [b, r] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const id = resident(b, r).id;
      const opening = Object.values(lines(id, before)).reduce((s, v) => s + v, 0); // earnings only, the month before
      const { earned, spent, expired } = lines(id, month);
      const statement = ok(await t.gql(STATEMENT, { m: month }, w.residentTokens[b][r])).monthlyStatement;
      expect(statement).toEqual({ month, opening, earned, spent, expired, closing: opening + earned - spent - expired });
    }
    // Spelled out for (0,0): 6 earned + 1 adjustment; 4 spent (the refunded 2 nets out); 7 expired, not earned -7.
    expect(ok(await t.gql(STATEMENT, { m: month }, w.residentTokens[0][0])).monthlyStatement).toEqual({ month, opening: 10, earned: 7, spent: 4, expired: 7, closing: 6 });
    // A reversed expiry nets to nothing expired, and nothing earned.
    expect(ok(await t.gql(STATEMENT, { m: month }, w.residentTokens[1][1])).monthlyStatement).toMatchObject({ earned: 0, spent: 0, expired: 0, closing: 6 });
  });

  it('keeps every snapshot to opening + earned - spent - expired = closing, the expiry account holding what expired', async () => {
    const rows = await t.db.dataSource.query(
      `SELECT a.kind, s.opening::int, s.earned::int, s.spent::int, s.expired::int, s.closing::int
       FROM account_period_balance s JOIN account a ON a.id = s.account_id WHERE s.township_id = $1 AND s.period = $2`,
      [w.township.id, `${month}-01`],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const s of rows) expect(s.opening + s.earned - s.spent - s.expired).toBe(s.closing);
    const expiry = rows.find((s: any) => s.kind === 'TOWNSHIP_EXPIRY');
    expect(expiry).toEqual({ kind: 'TOWNSHIP_EXPIRY', opening: 0, earned: 0, spent: 0, expired: -12, closing: 12 });
  });

  it("gives the passbook month its own 过期清零 figure, out of the points out", async () => {
    const PASSBOOK = `{ me { passbook(first: 6) { edges { node { month opening pointsIn pointsOut pointsExpired closing } } } } }`;
    const months = ok(await t.gql(PASSBOOK, {}, w.residentTokens[0][0])).me.passbook.edges.map((e: any) => e.node);
    // In: 6 + 1 + the refund 2; out: 4 + 2; expired 7.
    expect(months.find((m: any) => m.month === month)).toEqual({ month, opening: 10, pointsIn: 9, pointsOut: 6, pointsExpired: 7, closing: 6 });
    const reversed = ok(await t.gql(PASSBOOK, {}, w.residentTokens[1][1])).me.passbook.edges.map((e: any) => e.node);
    expect(reversed.find((m: any) => m.month === month)).toEqual({ month, opening: 6, pointsIn: 0, pointsOut: 0, pointsExpired: 0, closing: 6 });
  });

  it("shows on each village's public statement what its residents lost to the reset, apart from points issued and redeemed", async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const json = async (b: number) => (await (await fetch(`${base}/public/statements/${w.township.branches[b].id}/${month}/json`)).json()) as any;
    const first = await json(0);
    expect(first).toMatchObject({ pointsMinted: 6, pointsSpent: 4, pointsExpired: 10 });
    expect(await json(1)).toMatchObject({ pointsMinted: 0, pointsSpent: 0, pointsExpired: 2 });
    // The residents' lines still add up to the issued and redeemed totals.
    expect(first.residents.reduce((s: number, r: any) => s + r.earned, 0)).toBe(first.pointsMinted);
    expect(first.residents.reduce((s: number, r: any) => s + r.spent, 0)).toBe(first.pointsSpent);
    const page = await (await fetch(`${base}/public/statements/${w.township.branches[0].id}/${month}`)).text();
    expect(page).toMatch(/<span>过期清零<\/span><strong>10<\/strong>/);
  });
});
