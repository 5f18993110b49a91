import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { JobQueues } from '../../src/jobs/job-queues';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind, PostedEntry } from '../../src/ledger/ledger.types';
import { cutoffInstant, dueCutoff, isYearlyDate, nextCutoff, noticeFor, shanghaiDate } from '../../src/policy/expiry-schedule';
import { POINTS_EXPIRY_QUEUE, PointsExpiryJob } from '../../src/policy/points-expiry.jobs';
import { PointsExpiryService } from '../../src/policy/points-expiry.service';
import { TownshipPolicyRepository } from '../../src/policy/township-policy.repository';
import { ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { waitFor } from '../support/wait-for';
import { errorCode, startTestApp, TestApp } from '../support/test-app';

const DAY = 86_400_000;

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The independent calculation: each resident's points as lots in the order they came in,
 * every point going out taking from the oldest lot first (FIFO). A reset at `cutoff`
 * takes what is left of the lots that came in before it.
 */
class FifoModel {
  private lots = new Map<string, { at: number; left: number }[]>();
  credit(resident: string, amount: number, at: Date) {
    const lots = this.lots.get(resident) ?? [];
    lots.push({ at: at.getTime(), left: amount });
    this.lots.set(resident, lots);
  }
  debit(resident: string, amount: number) {
    let owed = amount;
    for (const lot of this.lots.get(resident) ?? []) {
      const take = Math.min(lot.left, owed);
      lot.left -= take;
      owed -= take;
      if (!owed) break;
    }
    if (owed) throw new Error(`model: ${resident} overdrawn`);
  }
  balance(resident: string) {
    return (this.lots.get(resident) ?? []).reduce((s, l) => s + l.left, 0);
  }
  expiring(resident: string, cutoff: Date) {
    return (this.lots.get(resident) ?? []).filter((l) => l.at < cutoff.getTime()).reduce((s, l) => s + l.left, 0);
  }
}

describe('points expiry (yearly reset, oldest points first)', () => {
  let t: TestApp;
  let w: World;
  let townshipId: string;
  let tx: TransactionRunner;
  const ledger = new LedgerService();
  let adjustment: string;
  let redemption: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 6 });
    townshipId = w.township.id;
    tx = new TransactionRunner(t.db.dataSource);
    [{ id: adjustment }] = await t.db.dataSource.query(`SELECT id FROM account WHERE township_id = $1 AND kind = 'TOWNSHIP_ADJUSTMENT'`, [townshipId]);
    [{ id: redemption }] = await t.db.dataSource.query(`SELECT id FROM account WHERE branch_id = $1 AND kind = 'BRANCH_REDEMPTION'`, [
      w.township.branches[0].id,
    ]);
  });
  afterAll(() => t?.close());
  afterEach(() => setNow(t, null));

  const post = (m: EntityManager, kind: EntryKind.ADJUSTMENT | EntryKind.SPEND, accountId: string, amount: number): Promise<PostedEntry> =>
    ledger.post(m, {
      townshipId,
      kind,
      idempotencyKey: `model:${randomUUID()}`,
      memo: kind === EntryKind.SPEND ? '兑换' : '获得',
      lines: [
        { accountId, amount: kind === EntryKind.SPEND ? -amount : amount },
        { accountId: kind === EntryKind.SPEND ? redemption : adjustment, amount: kind === EntryKind.SPEND ? amount : -amount },
      ],
    });

  /** Random earn / spend / refund steps on every resident, mirrored in the model. Returns when the last one was booked. */
  async function randomSteps(model: FifoModel, rand: () => number, steps: number, spends: Map<string, { entryId: string; amount: number }[]>) {
    let last = new Date(0);
    for (let i = 0; i < steps; i++) {
      const r = w.township.branches[0].residents[Math.floor(rand() * w.township.branches[0].residents.length)];
      const roll = rand();
      const balance = model.balance(r.id);
      const booked = await tx.run(async (m) => {
        if (roll < 0.6 || balance === 0) {
          const amount = 1 + Math.floor(rand() * 5);
          const e = await post(m, EntryKind.ADJUSTMENT, r.accountId, amount);
          model.credit(r.id, amount, e.bookedAt);
          return e;
        }
        const mine = spends.get(r.id) ?? [];
        if (roll < 0.7 && mine.length) {
          // A refund: the reversal of an earlier spend comes in as new points, at its own time.
          const [spend] = mine.splice(Math.floor(rand() * mine.length), 1);
          const e = await ledger.reverse(m, { townshipId, entryId: spend.entryId, reason: '退款' });
          model.credit(r.id, spend.amount, e.bookedAt);
          return e;
        }
        const amount = 1 + Math.floor(rand() * Math.ceil(balance / 2));
        const e = await post(m, EntryKind.SPEND, r.accountId, amount);
        model.debit(r.id, amount);
        spends.set(r.id, [...mine, { entryId: e.id, amount }]);
        return e;
      });
      if (booked.bookedAt > last) last = booked.bookedAt;
    }
    return last;
  }

  const expiryEntries = async (cutoffDate: string): Promise<Map<string, number>> => {
    const rows = await t.db.dataSource.query(
      `SELECT a.resident_id AS "residentId", -p.amount AS amount, e.memo FROM journal_entry e JOIN posting p ON p.entry_id = e.id
       JOIN account a ON a.id = p.account_id
       WHERE e.township_id = $1 AND e.kind = 'EXPIRY' AND e.reference_id = $2 AND a.kind = 'RESIDENT'`,
      [townshipId, cutoffDate],
    );
    return new Map(rows.map((r: any) => [r.residentId, Number(r.amount)]));
  };
  const balances = async (): Promise<Map<string, number>> => {
    const rows = await t.db.dataSource.query(
      `SELECT a.resident_id AS "residentId", b.balance FROM account a JOIN account_balance b ON b.account_id = a.id WHERE a.township_id = $1 AND a.kind = 'RESIDENT'`,
      [townshipId],
    );
    return new Map(rows.map((r: any) => [r.residentId, Number(r.balance)]));
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('takes exactly what an independent FIFO model says, over random earn, spend and refund sequences, once however often it runs', async () => {
    const expiry = t.app.get(PointsExpiryService);
    const model = new FifoModel();
    const spends = new Map<string, { entryId: string; amount: number }[]>();
    const residents = w.township.branches[0].residents;
    for (const [round, seed] of [[1, 20261130], [2, 16]] as const) {
      const rand = prng(seed);
      const before = await randomSteps(model, rand, 40, spends);
      await pause(30);
      // The cut-off: after every step above, before every step below (booked by the database's clock).
      const cutoffAt = new Date(before.getTime() + 10);
      await pause(30);
      await randomSteps(model, rand, 30, spends);
      const cutoffDate = `200${round}-01-01`;
      const expected = new Map(residents.map((r) => [r.id, model.expiring(r.id, cutoffAt)]));
      expect([...expected.values()].some((v) => v > 0)).toBe(true);

      // Two runs at once and a third after: one entry per resident with points to lose.
      const [a, b] = await Promise.all([expiry.expireTownship(townshipId, cutoffDate, cutoffAt), expiry.expireTownship(townshipId, cutoffDate, cutoffAt)]);
      const again = await expiry.expireTownship(townshipId, cutoffDate, cutoffAt);
      const total = [...expected.values()].reduce((s, v) => s + v, 0);
      for (const run of [a, b, again]) expect(run).toMatchObject({ cutoffDate, status: 'DONE', points: total, residents: [...expected.values()].filter((v) => v > 0).length });

      const booked = await expiryEntries(cutoffDate);
      for (const r of residents) expect({ resident: r.id, expired: booked.get(r.id) ?? 0 }).toEqual({ resident: r.id, expired: expected.get(r.id) });
      for (const r of residents) if (expected.get(r.id)!) model.debit(r.id, expected.get(r.id)!);
      const after = await balances();
      for (const r of residents) expect({ resident: r.id, balance: after.get(r.id) }).toEqual({ resident: r.id, balance: model.balance(r.id) });
    }
    // The books still balance, and the expiry account holds every expired point.
    const recon = ok(await t.gql(`query($t: ID!) { reconciliation(townshipId: $t) { ok } townshipAccounts(townshipId: $t) { kind balance } }`, { t: townshipId }, w.adminToken));
    expect(recon.reconciliation.ok).toBe(true);
    const [{ points }] = await t.db.dataSource.query(`SELECT sum(points)::int AS points FROM points_expiry_run WHERE township_id = $1`, [townshipId]);
    expect(recon.townshipAccounts.find((a: any) => a.kind === 'TOWNSHIP_EXPIRY').balance).toBe(points);
  });

  it('never silently: each resident sees the expiry in their passbook with the amount', async () => {
    const resident = w.township.branches[0].residents.find(() => true)!;
    const token = w.residentTokens[0][0];
    const { me } = ok(await t.gql(`{ me { history(first: 100) { edges { node { kind amount memo } } } } }`, {}, token));
    const expired = me.history.edges.map((e: any) => e.node).filter((n: any) => n.kind === 'EXPIRY');
    const booked = [...(await expiryEntries('2001-01-01')).entries(), ...(await expiryEntries('2002-01-01')).entries()].filter(([id]) => id === resident.id);
    expect(expired.length).toBeGreaterThan(0);
    expect(expired.map((n: any) => -n.amount).sort()).toEqual(booked.map(([, amount]) => amount).sort());
    for (const n of expired) expect(n.memo).toMatch(/^积分到期清零：\d{4}-\d{2}-\d{2}前获得且未使用的\d+积分$/);
  });

  it('reckons cut-off dates in Asia/Shanghai, only after the notice period', () => {
    expect(isYearlyDate(2, 29)).toBe(false);
    expect(isYearlyDate(2, 28)).toBe(true);
    expect(isYearlyDate(4, 31)).toBe(false);
    expect(cutoffInstant('2027-01-01').toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(shanghaiDate(new Date('2026-12-31T16:30:00Z'))).toBe('2027-01-01');
    const rule = { month: 1, day: 1, noticeDays: 30, setAt: new Date('2026-06-01T00:00:00Z') };
    expect(nextCutoff(rule, new Date('2026-12-31T15:59:00Z'))).toBe('2027-01-01');
    expect(nextCutoff(rule, new Date('2026-12-31T16:00:00Z'))).toBe('2028-01-01');
    // Set on 1 June 2026: the 1 January 2026 cut-off was never announced, 2027's was.
    expect(dueCutoff(rule, new Date('2026-11-30T00:00:00Z'))).toBeNull();
    expect(dueCutoff(rule, new Date('2027-01-03T00:00:00Z'))).toBe('2027-01-01');
    expect(noticeFor(rule, new Date('2026-11-30T00:00:00Z'))).toBeNull();
    expect(noticeFor(rule, new Date('2026-12-02T16:00:00Z'))).toEqual({ cutoffDate: '2027-01-01', cutoffAt: cutoffInstant('2027-01-01'), daysLeft: 29 });
    // Set too late for this year's date: no notice and no run for it, next year's instead.
    const late = { ...rule, setAt: new Date('2026-12-20T00:00:00Z') };
    expect(noticeFor(late, new Date('2026-12-25T00:00:00Z'))).toBeNull();
    expect(dueCutoff(late, new Date('2027-01-02T00:00:00Z'))).toBeNull();
  });

  it('the admin sets the policy; residents get the notice before the cut-off; the daily job books it once, by its deterministic id', async () => {
    const now = new Date();
    // The cut-off two days from now (Asia/Shanghai date), announced one day ahead.
    const cutoffDate = shanghaiDate(new Date(now.getTime() + 2 * DAY));
    const [, month, day] = cutoffDate.split('-').map(Number);
    const POLICY = `mutation($i: UpdateTownshipPolicyInput!) { updateTownshipPolicy(input: $i) { expiryMode expiryMonth expiryDay expiryNoticeDays nextExpiryDate } }`;
    expect(errorCode(await t.gql(POLICY, { i: { townshipId, expiryMode: 'YEARLY', expiryMonth: 2, expiryDay: 29 } }, w.adminToken))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(POLICY, { i: { townshipId, expiryMode: 'YEARLY', expiryMonth: month, expiryDay: day } }, w.managerTokens[0]))).toBe('FORBIDDEN');
    const set = ok(await t.gql(POLICY, { i: { townshipId, expiryMode: 'YEARLY', expiryMonth: month, expiryDay: day, expiryNoticeDays: 1 } }, w.adminToken));
    expect(set.updateTownshipPolicy).toEqual({ expiryMode: 'YEARLY', expiryMonth: month, expiryDay: day, expiryNoticeDays: 1, nextExpiryDate: cutoffDate });

    const token = w.residentTokens[0][1];
    const resident = w.township.branches[0].residents[1];
    const NOTICE = `{ myPointsExpiry { cutoffDate daysLeft points } me { balance } }`;
    // Two days ahead: not yet.
    expect(ok(await t.gql(NOTICE, {}, token)).myPointsExpiry).toBeNull();
    // Within the notice day: the date and every point held now.
    setNow(t, new Date(cutoffInstant(cutoffDate).getTime() - 12 * 3600_000));
    const noticed = ok(await t.gql(NOTICE, {}, token));
    expect(noticed.me.balance).toBeGreaterThan(0);
    expect(noticed.myPointsExpiry).toEqual({ cutoffDate, daysLeft: 0, points: noticed.me.balance });

    // The day after the cut-off: the daily check queues the township's reset, twice asked, once booked.
    setNow(t, new Date(cutoffInstant(cutoffDate).getTime() + 3600_000));
    const queue = t.app.get(JobQueues).queue(POINTS_EXPIRY_QUEUE);
    await queue.add(PointsExpiryJob.EXPIRE_DUE, {});
    await queue.add(PointsExpiryJob.EXPIRE_DUE, {});
    const POLICY_READ = `query($t: ID!) { townshipPolicy(townshipId: $t) { expiryRuns { cutoffDate status residents points } } }`;
    const run = await waitFor('the yearly reset', async () => {
      const runs = ok(await t.gql(POLICY_READ, { t: townshipId }, w.adminToken)).townshipPolicy.expiryRuns;
      return runs[0]?.cutoffDate === cutoffDate && runs[0].status === 'DONE' ? runs[0] : undefined;
    });
    expect(await queue.getJob(`expire.${townshipId}.${cutoffDate}`)).toBeTruthy();
    const booked = await expiryEntries(cutoffDate);
    expect(booked.get(resident.id)).toBe(noticed.me.balance);
    expect(run.points).toBe([...booked.values()].reduce((s, v) => s + v, 0));
    expect(ok(await t.gql(NOTICE, {}, token)).me.balance).toBe(0);
    // Asked again (the scheduler's next day): nothing more.
    await queue.add(PointsExpiryJob.EXPIRE_DUE, {});
    await pause(500);
    expect(await expiryEntries(cutoffDate)).toEqual(booked);
    // Residents read the policy.
    expect(ok(await t.gql(POLICY_READ, { t: townshipId }, token)).townshipPolicy.expiryRuns[0].cutoffDate).toBe(cutoffDate);

    // Turned off after a reset was queued: the queued reset books nothing.
    const earlier = shanghaiDate(new Date(now.getTime() - 3 * DAY));
    ok(await t.gql(POLICY, { i: { townshipId, expiryMode: 'NONE' } }, w.adminToken));
    const job = await queue.add(PointsExpiryJob.EXPIRE_TOWNSHIP, { townshipId, cutoffDate: earlier }, { jobId: `expire.${townshipId}.${earlier}` });
    const result = await waitFor('the queued reset', async () => ((await job.getState()) === 'completed' ? (await queue.getJob(job.id!))!.returnvalue : undefined));
    expect(result).toEqual({ townshipId, cutoffDate: earlier, skipped: true });
    expect(await t.db.dataSource.query(`SELECT 1 FROM points_expiry_run WHERE township_id = $1 AND cutoff_date = $2`, [townshipId, earlier])).toEqual([]);
  });

  it('a run that dies after booking is finished by the next one, which books nothing twice', async () => {
    const expiry = t.app.get(PointsExpiryService);
    const resident = w.township.branches[0].residents[2];
    await tx.run((m) => post(m, EntryKind.ADJUSTMENT, resident.accountId, 7));
    await pause(30);
    const cutoffAt = new Date();
    await pause(30);
    const repository = t.app.get(TownshipPolicyRepository);
    const finish = jest.spyOn(repository, 'finishRun').mockRejectedValueOnce(new Error('worker killed'));
    await expect(expiry.expireTownship(townshipId, '2003-01-01', cutoffAt)).rejects.toThrow('worker killed');
    const [{ status }] = await t.db.dataSource.query(`SELECT status FROM points_expiry_run WHERE township_id = $1 AND cutoff_date = '2003-01-01'`, [townshipId]);
    expect(status).toBe('RUNNING');
    const booked = await expiryEntries('2003-01-01');
    expect(booked.get(resident.id)).toBeGreaterThanOrEqual(7);
    const done = await expiry.expireTownship(townshipId, '2003-01-01', cutoffAt);
    finish.mockRestore();
    expect(done).toMatchObject({ status: 'DONE', residents: booked.size, points: [...booked.values()].reduce((s, v) => s + v, 0) });
    expect(await expiryEntries('2003-01-01')).toEqual(booked);
  });
});
