import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { contentHash } from '../../src/ledger/ledger.rules';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { logSink } from '../support/log-sink';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { waitFor } from '../support/wait-for';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

/** What the test booked, kept to compute the expected figures independently of the SQL under test. */
interface Booked {
  entryId: string;
  kind: 'MINT' | 'SPEND' | 'ADJUSTMENT' | 'REVERSAL';
  month: string;
  branch: number | null;
  resident: string;
  /** Points to the resident: positive for mints, negative for spends. */
  residentAmount: number;
  reference: { type: string; id: string } | null;
  reverses?: Booked;
}

const SETTLEMENT_FIELDS = `
  status run branchesTotal branchesDone error finishedAt
  trialBalance { total lines { kind accounts closing } }
  reconciliation { ok accountsChecked mismatchedAccounts { accountId stored computed } }
  branches { branchId branchName month pointsMinted pointsSpent net activitiesHeld distinctVolunteers distinctCourseTakers
             topVolunteers { residentId name points } }`;

describe('monthly settlement', () => {
  let t: TestApp;
  const logs = logSink();
  let tx: TransactionRunner;
  const ledger = new LedgerService();
  let town: SeededTownship;
  let admin: string;
  const booked: Booked[] = [];
  const current = monthOf(new Date());
  const earlier = addMonths(current, -3);
  const month = addMonths(current, -2);
  const lastMonth = addMonths(current, -1);
  let minute = 0;

  // The current month's entries within its first minutes: a day in would be in the future on the month's first day.
  const at = (m: string) => new Date(monthRange(m).start.getTime() + (m === current ? ++minute * 100 : 86_400_000 + ++minute * 60_000));
  const resident = (b: number, r: number) => town.branches[b].residents[r];

  async function book(
    kind: 'MINT' | 'SPEND' | 'ADJUSTMENT',
    m: string,
    branch: number | null,
    who: { id: string; accountId: string },
    points: number,
    reference: { type: string; id: string } | null,
  ): Promise<Booked> {
    const counter =
      kind === 'MINT'
        ? town.branches[branch!].issuanceAccountId
        : kind === 'SPEND'
          ? town.branches[branch!].redemptionAccountId
          : town.adjustmentAccountId;
    const residentAmount = kind === 'SPEND' ? -points : points;
    const posted = await tx.run((mgr) =>
      ledger.post(mgr, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind[kind],
        memo: `${kind} ${points}`,
        lines: [
          { accountId: who.accountId, amount: residentAmount },
          { accountId: counter, amount: -residentAmount },
        ],
        reference: reference ?? undefined,
        bookedAt: at(m),
      }),
    );
    const entry: Booked = { entryId: posted.id, kind, month: m, branch, resident: who.id, residentAmount, reference };
    booked.push(entry);
    return entry;
  }

  async function reverse(original: Booked, m: string): Promise<void> {
    // LedgerService.reverse books at the current time; a reversal in a past month is
    // written with the same statement and a backdated time (the triggers still check it).
    const posted = await tx.run(async (mgr) => {
      const postings = await mgr.query(`SELECT account_id AS "accountId", amount FROM posting WHERE entry_id = $1`, [original.entryId]);
      const [row] = await mgr.query(
        `WITH entry AS (
           INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo, reference_type, reference_id,
                                      reverses_entry_id, booked_at)
           VALUES ($1, $2, $9, 'REVERSAL', '冲正', $3, $4, $5, $6) RETURNING id, booked_at, period
         ), lines AS (
           INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
           SELECT entry.id, $1, l.a, l.x, entry.booked_at, entry.period FROM entry, unnest($7::uuid[], $8::int8[]) AS l(a, x)
           ORDER BY l.a RETURNING 1
         ) SELECT entry.id::text FROM entry`,
        [
          town.id,
          `reversal:${original.entryId}`,
          original.reference?.type ?? null,
          original.reference?.id ?? null,
          original.entryId,
          at(m),
          postings.map((p: any) => p.accountId),
          postings.map((p: any) => -Number(p.amount)),
          contentHash(
            EntryKind.REVERSAL,
            '冲正',
            postings.map((p: any) => ({ accountId: p.accountId, amount: -Number(p.amount) })),
            original.reference,
            original.entryId,
          ),
        ],
      );
      return row;
    });
    booked.push({ ...original, entryId: posted.id, kind: 'REVERSAL', month: m, residentAmount: -original.residentAmount, reverses: original });
  }

  /** The figures DESIGN.md asks for, computed from what was booked. */
  function expectedFigures(m: string, b: number) {
    const inMonth = booked.filter((e) => e.month === m);
    const reversedInMonth = new Set(inMonth.filter((e) => e.kind === 'REVERSAL').map((e) => e.reverses!.entryId));
    const ofKind = (k: 'MINT' | 'SPEND') => inMonth.filter((e) => (e.kind === k || e.reverses?.kind === k) && e.branch === b);
    const mints = ofKind('MINT');
    const spends = ofKind('SPEND');
    const liveMints = mints.filter((e) => e.kind === 'MINT' && !reversedInMonth.has(e.entryId));
    const liveSpends = spends.filter((e) => e.kind === 'SPEND' && !reversedInMonth.has(e.entryId));
    const pointsMinted = mints.reduce((s, e) => s + e.residentAmount, 0);
    const pointsSpent = 0 - spends.reduce((s, e) => s + e.residentAmount, 0) || 0;
    const earned = new Map<string, number>();
    for (const e of mints) earned.set(e.resident, (earned.get(e.resident) ?? 0) + e.residentAmount);
    const top = [...earned]
      .filter(([, p]) => p > 0)
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .slice(0, 10)
      .map(([residentId, points]) => ({ residentId, points }));
    return {
      branchId: town.branches[b].id,
      pointsMinted,
      pointsSpent,
      net: pointsMinted - pointsSpent,
      activitiesHeld: new Set(liveMints.filter((e) => e.reference?.type === 'ACTIVITY').map((e) => e.reference!.id)).size,
      distinctVolunteers: new Set(liveMints.map((e) => e.resident)).size,
      distinctCourseTakers: new Set(liveSpends.filter((e) => e.reference?.type === 'COURSE').map((e) => e.resident)).size,
      topVolunteers: top,
    };
  }

  async function settle(m: string, token = admin) {
    const res = await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { ${SETTLEMENT_FIELDS} } }`, { t: town.id, m }, token);
    if (res.errors) return res;
    const settled = await waitFor(`settlement of ${m}`, async () => {
      const r = await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { ${SETTLEMENT_FIELDS} } }`, { t: town.id, m }, token);
      return r.data?.settlement?.status === 'RUNNING' ? undefined : r;
    });
    return settled;
  }

  beforeAll(async () => {
    t = await startTestApp({}, { logs });
    // The history is booked into past months, which only the owner role may do.
    tx = new TransactionRunner(await t.db.asOwner());
    town = await seedTownship(t.db.dataSource, { branches: 3, residentsPerBranch: 4 });
    admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));

    // An earlier month, for opening balances.
    const early = await book('MINT', earlier, 0, resident(0, 0), 10, { type: 'ACTIVITY', id: 'a-early' });
    await book('MINT', earlier, 1, resident(1, 0), 5, { type: 'ACTIVITY', id: 'a-early-2' });
    // The month under settlement.
    await book('MINT', month, 0, resident(0, 0), 2, { type: 'ACTIVITY', id: 'a1' });
    await book('MINT', month, 0, resident(0, 1), 2, { type: 'ACTIVITY', id: 'a1' });
    await book('MINT', month, 0, resident(0, 2), 3, { type: 'ACTIVITY', id: 'a2' });
    await book('MINT', month, 0, resident(1, 1), 4, { type: 'ACTIVITY', id: 'a3' }); // volunteering in another village
    const undone = await book('MINT', month, 0, resident(0, 3), 6, { type: 'ACTIVITY', id: 'a4' });
    await reverse(undone, month); // reversed within the month: no activity, no volunteer
    await reverse(early, month); // an earlier month's mint reversed in this month
    await book('MINT', month, 1, resident(1, 0), 8, { type: 'ACTIVITY', id: 'a5' });
    await book('MINT', month, 1, resident(1, 2), 1, { type: 'ACTIVITY', id: 'a5' });
    await book('MINT', month, 1, resident(1, 3), 2, { type: 'SERVICE_HOURS', id: 'h1' });
    await book('SPEND', month, 1, resident(0, 1), 2, { type: 'COURSE', id: 'c1' });
    await book('SPEND', month, 1, resident(1, 0), 5, { type: 'COURSE', id: 'c1' });
    const refunded = await book('SPEND', month, 0, resident(1, 0), 3, { type: 'COURSE', id: 'c2' });
    await reverse(refunded, month);
    await book('SPEND', month, 1, resident(1, 2), 1, { type: 'SHOP', id: 's1' });
    await book('ADJUSTMENT', month, null, resident(2, 0), 5, { type: 'ACCOUNT', id: resident(2, 0).accountId });
    // Later months: not part of the settlement.
    await book('MINT', lastMonth, 2, resident(2, 1), 3, { type: 'ACTIVITY', id: 'a6' });
    await book('MINT', current, 0, resident(0, 0), 1, { type: 'ACTIVITY', id: 'a7' });
  });
  afterAll(() => t?.close());

  it('computes every branch figure, the trial balance and the snapshots from the ledger', async () => {
    const res = await settle(month);
    expect(res.errors).toBeUndefined();
    const s = res.data.settlement;
    expect(s.status).toBe('SUCCEEDED');
    expect(s.error).toBeNull();
    expect(s.branchesDone).toBe(3);
    expect(s.branchesTotal).toBe(3);
    for (let b = 0; b < 3; b++) {
      const got = s.branches.find((f: any) => f.branchId === town.branches[b].id);
      const { topVolunteers, ...rest } = expectedFigures(month, b);
      expect(got).toMatchObject({ ...rest, month });
      expect(got.topVolunteers.map((v: any) => ({ residentId: v.residentId, points: v.points }))).toEqual(topVolunteers);
    }
    // Sanity of the scenario itself: branch 0 minted 2+2+3+4+6-6-10.
    expect(s.branches.find((f: any) => f.branchId === town.branches[0].id).pointsMinted).toBe(1);
    expect(s.trialBalance.total).toBe(0);
    expect(s.reconciliation.ok).toBe(true);

    // Closing snapshots: every account, closing = all postings up to the month's end.
    const snapshots = await t.db.dataSource.query(
      `SELECT s.account_id AS id, s.opening, s.earned, s.spent, s.closing,
              (SELECT coalesce(sum(p.amount), 0) FROM posting p WHERE p.account_id = s.account_id AND p.period <= $2) AS expected
       FROM account_period_balance s WHERE s.township_id = $1 AND s.period = $2`,
      [town.id, `${month}-01`],
    );
    const [{ accounts }] = await t.db.dataSource.query(`SELECT count(*)::int AS accounts FROM account WHERE township_id = $1`, [town.id]);
    expect(snapshots).toHaveLength(accounts);
    for (const row of snapshots) expect(row.closing).toBe(row.expected);

    // A resident's statement: 10 earned earlier; +2 then the earlier 10 reversed this month.
    const token = await devLogin(t, await mobileOf(t.db.dataSource, resident(0, 0).personId));
    const statement = await t.gql(`query($m: String!) { monthlyStatement(month: $m) { month opening earned spent closing } }`, { m: month }, token);
    expect(statement.data.monthlyStatement).toEqual({ month, opening: 10, earned: -8, spent: 0, closing: 2 });
    const payer = await devLogin(t, await mobileOf(t.db.dataSource, resident(1, 0).personId));
    const paid = await t.gql(`query($m: String!) { monthlyStatement(month: $m) { opening earned spent closing } }`, { m: month }, payer);
    expect(paid.data.monthlyStatement).toEqual({ opening: 5, earned: 8, spent: 5, closing: 8 });
    const unsettled = await t.gql(`query($m: String!) { monthlyStatement(month: $m) { closing } }`, { m: lastMonth }, payer);
    expect(errorCode(unsettled)).toBe('MONTH_NOT_SETTLED');

    // CSV export: a header and one line per branch.
    const csv = await t.gql(`query($t: ID!, $m: String!) { branchFiguresCsv(townshipId: $t, month: $m) }`, { t: town.id, m: month }, admin);
    const lines = csv.data.branchFiguresCsv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('月份,村（社区）,发放积分,兑换积分,净发放,活动场次,志愿者人数,课程参与人数');
    const b1 = expectedFigures(month, 1);
    expect(lines).toContain(
      [month, '第2村', b1.pointsMinted, b1.pointsSpent, b1.net, b1.activitiesHeld, b1.distinctVolunteers, b1.distinctCourseTakers].join(','),
    );
    expect(lines).toHaveLength(4);
    const forbidden = await t.gql(`query($t: ID!, $m: String!) { branchFiguresCsv(townshipId: $t, month: $m) }`, { t: town.id, m: month }, payer);
    expect(errorCode(forbidden)).toBe('FORBIDDEN');
  });

  it('returns the same result when run again and writes nothing new', async () => {
    const counts = () =>
      t.db.dataSource.query(
        `SELECT (SELECT count(*) FROM account_period_balance WHERE township_id = $1)::int AS snapshots,
                (SELECT count(*) FROM settlement_branch WHERE township_id = $1)::int AS figures,
                (SELECT count(*) FROM ledger_period WHERE township_id = $1)::int AS periods,
                (SELECT count(*) FROM journal_entry WHERE township_id = $1)::int AS entries,
                (SELECT count(*) FROM audit_log WHERE township_id = $1 AND action = 'settlement.start')::int AS starts`,
        [town.id],
      );
    const before = await counts();
    expect(before[0].starts).toBe(1); // the first start is audited, once
    const first = await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { ${SETTLEMENT_FIELDS} } }`, { t: town.id, m: month }, admin);
    const again = await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { ${SETTLEMENT_FIELDS} } }`, { t: town.id, m: month }, admin);
    expect(again.data.startSettlement).toEqual(first.data.settlement);
    expect(await counts()).toEqual(before);
  });

  it('refuses to book into a closed month, and to settle a month that has not ended', async () => {
    const r = resident(0, 0);
    const late = tx.run((m) =>
      ledger.post(m, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '迟到的积分',
        lines: [
          { accountId: r.accountId, amount: 1 },
          { accountId: town.branches[0].issuanceAccountId, amount: -1 },
        ],
        bookedAt: at(month),
      }),
    );
    await expect(late).rejects.toMatchObject({ code: 'PERIOD_CLOSED' });
    // Earlier months are closed with it: their balances are this month's openings.
    expect(await tx.run((m) => ledger.isPeriodClosed(m, town.id, earlier))).toBe(true);
    const notEnded = await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m: current }, admin);
    expect(errorCode(notEnded)).toBe('MONTH_NOT_ENDED');
  });

  it('closes the month only after bookings in flight commit, and refuses bookings of transactions still open', async () => {
    const r = resident(2, 2);
    const post = (runner: import('typeorm').QueryRunner, points: number) =>
      ledger.post(runner.manager, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '在途记账',
        lines: [
          { accountId: r.accountId, amount: points },
          { accountId: town.branches[2].issuanceAccountId, amount: -points },
        ],
        reference: { type: 'ACTIVITY', id: `inflight-${points}` },
        bookedAt: at(lastMonth),
      });
    // A: has booked into the month and not committed yet. B: open, books only after the close.
    const a = (await t.db.asOwner()).createQueryRunner();
    const b = (await t.db.asOwner()).createQueryRunner();
    await a.startTransaction();
    await b.startTransaction();
    await b.query('SELECT 1');
    await post(a, 7);
    let started = false;
    const settling = t
      .gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m: lastMonth }, admin)
      .then((res) => {
        started = true;
        return res;
      });
    // The close waits on A's period lock: A's entry goes in before the month closes.
    await waitFor('the close to wait for the open booking', async () => {
      const [w] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return w.n > 0 ? true : undefined;
    });
    expect(started).toBe(false);
    await a.commitTransaction();
    const res = await settling;
    expect(res.errors).toBeUndefined();
    // B was open all along; its booking now falls in a closed month.
    await expect(post(b, 9)).rejects.toMatchObject({ driverError: expect.objectContaining({ code: 'CB001' }) });
    await b.rollbackTransaction();
    await a.release();
    await b.release();

    const settled = await settle(lastMonth);
    const figures = settled.data.settlement.branches.find((f: any) => f.branchId === town.branches[2].id);
    // The 3 booked earlier in the month plus A's 7; B's 9 never made it.
    expect(figures.pointsMinted).toBe(10);
    expect(figures.activitiesHeld).toBe(2);
  });

  it('fails loudly, naming the account, when a stored balance does not match its postings', async () => {
    const other = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: 2 });
    const otherAdmin = await devLogin(t, await grantAdmin(t.db.dataSource, other.id));
    await tx.run((m) =>
      ledger.post(m, {
        townshipId: other.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '志愿服务',
        lines: [
          { accountId: other.branches[0].residents[0].accountId, amount: 4 },
          { accountId: other.branches[0].issuanceAccountId, amount: -4 },
        ],
        bookedAt: at(month),
      }),
    );
    const broken = other.branches[1].residents[1].accountId;
    // Tampering the app role cannot do (it has no UPDATE on balances): the owner can.
    await (await t.db.asOwner()).query(`UPDATE account_balance SET balance = balance + 3 WHERE account_id = $1`, [broken]);
    await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: other.id, m: month }, otherAdmin);
    const failed = await waitFor('the settlement to fail', async () => {
      const r = await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { ${SETTLEMENT_FIELDS} } }`, { t: other.id, m: month }, otherAdmin);
      return r.data.settlement.status === 'RUNNING' ? undefined : r.data.settlement;
    });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain(broken);
    expect(failed.reconciliation.mismatchedAccounts).toEqual([{ accountId: broken, stored: 3, computed: 0 }]);
    // Operators see it as an error line (kept here rather than printed in the test output).
    await waitFor('the error line', async () => logs.errors().some((m) => m.includes('RECONCILIATION_FAILED') && m.includes(broken)));
    // Nothing half-done: no snapshots for a failed settlement.
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM account_period_balance WHERE township_id = $1`, [other.id]);
    expect(n).toBe(0);
    // The branches' figures were computed before the check failed, but they are not the
    // books: the manager's figures (and so the printed notice) show nothing for the month.
    const [{ computed }] = await t.db.dataSource.query(`SELECT count(*)::int AS computed FROM settlement_branch WHERE township_id = $1`, [other.id]);
    expect(computed).toBe(2);
    const manager = await devLogin(t, await grantManager(t.db.dataSource, other.id, other.branches[0].id));
    const figures = await t.gql(`query($b: ID!, $m: String!) { branchFigures(branchId: $b, month: $m) { pointsMinted } }`, { b: other.branches[0].id, m: month }, manager);
    expect(figures.errors).toBeUndefined();
    expect(figures.data.branchFigures).toBeNull();
  });
});
