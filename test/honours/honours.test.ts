import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { HonoursService } from '../../src/honours/honours.service';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind, ReverseEntryRequest } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { createActivity, MINUTE, ok } from '../support/activity-fixture';

/**
 * Honours through the API against a model: the month's 文明之星 and the star levels are
 * computed here, independently, from the bookings the test makes (a list in memory, not
 * the database), with ties on points and on the first earning, a mint reversed within
 * the month, an earlier month's mint reversed in it, points earned at another village,
 * spending and an adjustment (neither is earning). Then: once per (township, month) under
 * a race and a re-run, masking by viewer, the admin's settings and their validation.
 * Last, star levels by service hours: the minutes served at activities the test runs
 * itself, against a model of those minutes, the basis switched and switched back.
 */
describe('honours: 文明之星 and star levels', () => {
  let t: TestApp;
  let owner: TransactionRunner;
  const ledger = new LedgerService();
  const current = monthOf(new Date());
  const earlier = addMonths(current, -3);
  const month = addMonths(current, -2);
  const nextMonth = addMonths(current, -1);
  let town: SeededTownship;
  let admin: string;
  let managerB0: string;
  let managerB1: string;
  const residentToken: Record<string, string> = {};
  const NAMES = [['马秀珍', '王芳', '欧阳娜娜', '张建国', '刘桂英', '李强'], ['赵丽', '孙伟', '周敏']];

  /** The model: every booking the test makes, with what the ledger must make of it. */
  interface Booking {
    kind: 'MINT' | 'SPEND' | 'ADJUSTMENT' | 'REVERSAL';
    residentId: string;
    /** The resident's side: positive credits them. */
    amount: number;
    at: Date;
    entryId: string;
    reverses?: Booking;
  }
  const bookings: Booking[] = [];
  const at = (m: string, minute: number) => new Date(monthRange(m).start.getTime() + 86_400_000 + minute * 60_000);
  const resident = (b: number, r: number) => town.branches[b].residents[r];

  async function book(kind: 'MINT' | 'SPEND' | 'ADJUSTMENT', [b, r]: [number, number], points: number, when: Date | undefined, issuingBranch = b) {
    const res = resident(b, r);
    const amount = kind === 'SPEND' ? -points : points;
    const other =
      kind === 'ADJUSTMENT' ? town.adjustmentAccountId : kind === 'MINT' ? town.branches[issuingBranch].issuanceAccountId : town.branches[issuingBranch].redemptionAccountId;
    const entry = await owner.run((m) =>
      ledger.post(m, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind[kind],
        memo: kind === 'MINT' ? '志愿服务' : kind === 'SPEND' ? '体验课程' : '调整',
        lines: [
          { accountId: res.accountId, amount },
          { accountId: other, amount: -amount },
        ],
        reference: kind === 'MINT' ? { type: 'ACTIVITY', id: randomUUID() } : undefined,
        bookedAt: when,
      }),
    );
    const booking: Booking = { kind, residentId: res.id, amount, at: entry.bookedAt, entryId: entry.id };
    bookings.push(booking);
    return booking;
  }

  async function reverse(original: Booking, when: Date) {
    const request = { townshipId: town.id, entryId: original.entryId, reason: '登记错误', bookedAt: when };
    const entry = await owner.run((m) => ledger.reverse(m, request as ReverseEntryRequest));
    bookings.push({ kind: 'REVERSAL', residentId: original.residentId, amount: -original.amount, at: entry.bookedAt, entryId: entry.id, reverses: original });
  }

  // ---- the model ---------------------------------------------------------------
  const inMonth = (b: Booking, m: string) => monthOf(b.at) === m;
  const isEarning = (b: Booking) => b.kind === 'MINT' || b.reverses?.kind === 'MINT';
  function modelMonth(m: string, branchOf: Map<string, string>) {
    const per = new Map<string, { points: number; first: Date | null }>();
    for (const b of bookings.filter((x) => inMonth(x, m) && isEarning(x))) {
      const row = per.get(b.residentId) ?? { points: 0, first: null };
      row.points += b.amount;
      const undoneInMonth = bookings.some((x) => x.reverses === b && inMonth(x, m));
      if (b.kind === 'MINT' && !undoneInMonth && (!row.first || b.at < row.first)) row.first = b.at;
      per.set(b.residentId, row);
    }
    return [...per.entries()].map(([residentId, v]) => ({ residentId, branchId: branchOf.get(residentId)!, points: v.points, first: v.first }));
  }
  function modelStars(m: string, branchId: string, perBranch: number) {
    const branchOf = new Map(town.branches.flatMap((b) => b.residents.map((r) => [r.id, b.id] as const)));
    return modelMonth(m, branchOf)
      .filter((e) => e.branchId === branchId && e.points > 0)
      .sort((a, b) => b.points - a.points || a.first!.getTime() - b.first!.getTime() || (a.residentId < b.residentId ? -1 : 1))
      .slice(0, perBranch)
      .map((e, i) => ({ rank: i + 1, residentId: e.residentId, points: e.points, firstEarnedAt: e.first!.toISOString() }));
  }
  const modelLifetime = (residentId: string) => bookings.filter((b) => b.residentId === residentId && isEarning(b)).reduce((s, b) => s + b.amount, 0);

  const STARS = `query($b: ID!, $m: String!) { monthlyStars(branchId: $b, month: $m) {
    branchId branchName month starsPerBranch namesMasked stars { rank name points isMe residentId firstEarnedAt } } }`;
  const LEVEL = `{ myStarLevel { basis lifetime level levelName nextLevel nextLevelName nextThreshold toNext ladder { level name threshold } } }`;

  async function settle(m: string) {
    const started = await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m }, admin);
    expect(started.errors).toBeUndefined();
    return waitFor(`settlement of ${m}`, async () => {
      const s = (await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { status error } }`, { t: town.id, m }, admin)).data.settlement;
      return s.status === 'RUNNING' ? undefined : s;
    });
  }

  beforeAll(async () => {
    t = await startTestApp();
    owner = new TransactionRunner(await t.db.asOwner());
    town = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: 6 });
    for (const [b, names] of NAMES.entries()) {
      for (const [r, name] of names.entries()) await t.db.dataSource.query(`UPDATE person SET name = $1 WHERE id = $2`, [name, resident(b, r).personId]);
    }
    admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    managerB0 = await devLogin(t, await grantManager(t.db.dataSource, town.id, town.branches[0].id));
    managerB1 = await devLogin(t, await grantManager(t.db.dataSource, town.id, town.branches[1].id));
    for (const [b, r] of [[0, 0], [0, 1], [1, 0]]) residentToken[`${b}-${r}`] = await devLogin(t, await mobileOf(t.db.dataSource, resident(b, r).personId));

    // Three months ago: a mint to 孙伟 (branch 1) that is reversed in `month`.
    const early = await book('MINT', [1, 1], 3, at(earlier, 10));
    // `month`, branch 0 (3 stars per branch, set below):
    await book('MINT', [0, 0], 5, at(month, 10)); //                  马秀珍 5, first at 10
    await book('MINT', [0, 1], 3, at(month, 20)); //                  王芳 3+2 = 5, first at 20: after 马秀珍
    await book('MINT', [0, 1], 2, at(month, 50));
    await book('MINT', [0, 2], 4, at(month, 30), 1); //               欧阳娜娜 4 at 30, earned at the other village
    await book('SPEND', [0, 2], 4, at(month, 31), 1); //              ... and spent: still 4 earned
    await book('MINT', [0, 3], 4, at(month, 30)); //                  张建国 4 at 30: a full tie with 欧阳娜娜, the id decides
    const undone = await book('MINT', [0, 4], 6, at(month, 5)); //    刘桂英: 6 at 5, reversed within the month ...
    await reverse(undone, at(month, 60));
    await book('MINT', [0, 4], 4, at(month, 70)); //                  ... and 4 at 70: first earning 70, so fourth
    await book('ADJUSTMENT', [0, 5], 10, at(month, 15)); //           李强: an adjustment is not earning
    // `month`, branch 1:
    await book('MINT', [1, 0], 2, at(month, 40)); //                  赵丽 2
    await reverse(early, at(month, 45)); //                           孙伟 -3: not a star
    // Next month and this month (open): lifetimes go on.
    await book('MINT', [0, 4], 3, at(nextMonth, 10));
    await book('MINT', [0, 0], 1, at(nextMonth, 20));
    await book('SPEND', [0, 0], 6, at(nextMonth, 30));
    await book('MINT', [0, 0], 2, undefined); //                      now, the open month
  });
  afterAll(() => t?.close());

  it('has nothing to show before the month is settled', async () => {
    const res = await t.gql(STARS, { b: town.branches[0].id, m: month }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data.monthlyStars).toBeNull();
  });

  it("lets the admin set the stars per branch and the ladder, refusing a ladder that does not ascend (nothing changes)", async () => {
    const SETTINGS = `query($t: ID!) { honourSettings(townshipId: $t) { starsPerBranch basis isDefaultLadder levels { level name threshold } } }`;
    const before = (await t.gql(SETTINGS, { t: town.id }, residentToken['0-0'])).data.honourSettings;
    expect(before).toEqual({
      starsPerBranch: 10,
      basis: 'POINTS',
      isDefaultLadder: true,
      levels: [
        { level: 1, name: '一星', threshold: 20 },
        { level: 2, name: '二星', threshold: 60 },
        { level: 3, name: '三星', threshold: 150 },
        { level: 4, name: '四星', threshold: 300 },
        { level: 5, name: '五星', threshold: 600 },
      ],
    });
    const SET_LEVELS = `mutation($i: SetStarLevelsInput!) { setStarLevels(input: $i) { isDefaultLadder levels { level name threshold } } }`;
    for (const levels of [
      [{ name: '铜星', threshold: 8 }, { name: '银星', threshold: 8 }],
      [{ name: '铜星', threshold: 8 }, { name: '银星', threshold: 3 }],
      [{ name: '铜星', threshold: 3 }, { name: '铜星', threshold: 8 }],
      [{ name: '铜星', threshold: 0 }],
      [],
    ]) {
      const refused = await t.gql(SET_LEVELS, { i: { townshipId: town.id, levels } }, admin);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    }
    expect((await t.gql(SETTINGS, { t: town.id }, admin)).data.honourSettings).toEqual(before);
    expect(errorCode(await t.gql(SET_LEVELS, { i: { townshipId: town.id, levels: [{ name: '铜星', threshold: 3 }] } }, managerB0))).toBe('FORBIDDEN');

    const set = await t.gql(
      SET_LEVELS,
      { i: { townshipId: town.id, levels: [{ name: '铜星', threshold: 3 }, { name: '银星', threshold: 8 }, { name: '金星', threshold: 12 }] } },
      admin,
    );
    expect(set.data.setStarLevels).toEqual({
      isDefaultLadder: false,
      levels: [
        { level: 1, name: '铜星', threshold: 3 },
        { level: 2, name: '银星', threshold: 8 },
        { level: 3, name: '金星', threshold: 12 },
      ],
    });
    const SET_N = `mutation($i: SetStarsPerBranchInput!) { setStarsPerBranch(input: $i) { starsPerBranch } }`;
    expect(errorCode(await t.gql(SET_N, { i: { townshipId: town.id, count: 0 } }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(SET_N, { i: { townshipId: town.id, count: 51 } }, admin))).toBe('BAD_USER_INPUT');
    expect((await t.gql(SET_N, { i: { townshipId: town.id, count: 3 } }, admin)).data.setStarsPerBranch).toEqual({ starsPerBranch: 3 });
    const audit = await t.db.dataSource.query(`SELECT action FROM audit_log WHERE township_id = $1 AND action LIKE 'honours.%' ORDER BY id`, [town.id]);
    expect(audit.map((a: any) => a.action)).toEqual(['honours.set-star-levels', 'honours.set-stars-per-branch']);
  });

  it("records each village's top residents of the month at settlement, as the model ranks them", async () => {
    expect((await settle(month)).status).toBe('SUCCEEDED');
    for (const [b, branch] of town.branches.entries()) {
      const res = await t.gql(STARS, { b: branch.id, m: month }, admin);
      expect(res.errors).toBeUndefined();
      const expected = modelStars(month, branch.id, 3);
      expect(res.data.monthlyStars).toMatchObject({ branchId: branch.id, branchName: `第${b + 1}村`, month, starsPerBranch: 3, namesMasked: false });
      expect(res.data.monthlyStars.stars.map(({ rank, residentId, points, firstEarnedAt }: any) => ({ rank, residentId, points, firstEarnedAt }))).toEqual(expected);
    }
    // What the model says, spelled out: the tie on points went to the earlier first earning,
    // the full tie to the resident id, the reversed early mint did not count as a first earning.
    const b0 = (await t.gql(STARS, { b: town.branches[0].id, m: month }, admin)).data.monthlyStars.stars;
    const tied = [resident(0, 2).id, resident(0, 3).id].sort();
    expect(b0.map((s: any) => [s.name, s.points])).toEqual([
      ['马秀珍', 5],
      ['王芳', 5],
      [tied[0] === resident(0, 2).id ? '欧阳娜娜' : '张建国', 4],
    ]);
    const b1 = (await t.gql(STARS, { b: town.branches[1].id, m: month }, admin)).data.monthlyStars.stars;
    expect(b1.map((s: any) => [s.name, s.points])).toEqual([['赵丽', 2]]);
  });

  it('masks the names for residents and other villages, shows them to the branch and the admins, and marks the resident', async () => {
    const asResident = (await t.gql(STARS, { b: town.branches[0].id, m: month }, residentToken['0-1'])).data.monthlyStars;
    expect(asResident.namesMasked).toBe(true);
    expect(asResident.stars.slice(0, 2)).toEqual([
      { rank: 1, name: '马*珍', points: 5, isMe: false, residentId: null, firstEarnedAt: null },
      { rank: 2, name: '王*', points: 5, isMe: true, residentId: null, firstEarnedAt: null },
    ]);
    for (const token of [residentToken['1-0'], managerB1]) {
      const other = (await t.gql(STARS, { b: town.branches[0].id, m: month }, token)).data.monthlyStars;
      expect(other.namesMasked).toBe(true);
      expect(other.stars.map((s: any) => s.name).slice(0, 2)).toEqual(['马*珍', '王*']);
      expect(other.stars.every((s: any) => s.residentId === null && !s.isMe)).toBe(true);
    }
    const asManager = (await t.gql(STARS, { b: town.branches[0].id, m: month }, managerB0)).data.monthlyStars;
    expect(asManager.namesMasked).toBe(false);
    expect(asManager.stars[0]).toMatchObject({ name: '马秀珍', residentId: resident(0, 0).id });
  });

  it('records a month once: a re-run, a second recorder and two racing recorders change nothing', async () => {
    const count = async () =>
      (
        await t.db.dataSource.query(
          `SELECT (SELECT count(*) FROM monthly_star WHERE township_id = $1)::int AS stars, (SELECT count(*) FROM honour_earning WHERE township_id = $1)::int AS earnings,
                  (SELECT count(*) FROM honour_month WHERE township_id = $1)::int AS months`,
          [town.id],
        )
      )[0];
    const before = await count();
    expect(before).toEqual({ stars: 4, earnings: 7, months: 1 }); // everyone whose earnings moved; not 李强 (an adjustment)
    expect((await settle(month)).status).toBe('SUCCEEDED');
    const honours = t.app.get(HonoursService);
    const tx = t.app.get(TransactionRunner);
    expect(await tx.run((m) => honours.recordMonth(m, town.id, month))).toBe(false);
    expect(await count()).toEqual(before);

    // Next month, closed (as settlement's start does) and recorded by two racing workers: one wins.
    await tx.run((m) => ledger.closePeriod(m, town.id, nextMonth, null));
    const raced = await Promise.all([0, 1].map(() => tx.run((m) => honours.recordMonth(m, town.id, nextMonth))));
    expect(raced.sort()).toEqual([false, true]);
    const afterRace = await count();
    expect(afterRace.months).toBe(2);
    // Its settlement then finds the month recorded and leaves it as it was.
    expect((await settle(nextMonth)).status).toBe('SUCCEEDED');
    expect(await count()).toEqual(afterRace);
    const stars = (await t.gql(STARS, { b: town.branches[0].id, m: nextMonth }, admin)).data.monthlyStars.stars;
    expect(stars.map(({ rank, residentId, points, firstEarnedAt }: any) => ({ rank, residentId, points, firstEarnedAt }))).toEqual(
      modelStars(nextMonth, town.branches[0].id, 3),
    );
    // An open month is never recorded.
    await expect(tx.run((m) => honours.recordMonth(m, town.id, current))).rejects.toThrow(/not closed/);
    // Recorded honours are final, even for the owner.
    await expect((await t.db.asOwner()).query(`UPDATE monthly_star SET points = 99 WHERE township_id = $1`, [town.id])).rejects.toThrow(/append-only/);
  });

  it("gives a resident their star level from lifetime points earned (recorded months and the open one), never lowered by spending", async () => {
    const ladder = [
      { level: 1, name: '铜星', threshold: 3 },
      { level: 2, name: '银星', threshold: 8 },
      { level: 3, name: '金星', threshold: 12 },
    ];
    const standing = (lifetime: number) => {
      const level = ladder.filter((l) => lifetime >= l.threshold).length;
      const next = ladder[level];
      return {
        basis: 'POINTS',
        lifetime,
        level,
        levelName: level ? ladder[level - 1].name : null,
        nextLevel: next ? next.level : null,
        nextLevelName: next?.name ?? null,
        nextThreshold: next?.threshold ?? null,
        toNext: next ? next.threshold - lifetime : null,
        ladder,
      };
    };
    // 马秀珍: 5 + 1 + 2 (this month) = 8 although she spent 6; 王芳: 5; 赵丽: 2, below the first rung.
    for (const [key, [b, r], lifetime] of [
      ['0-0', [0, 0], 8],
      ['0-1', [0, 1], 5],
      ['1-0', [1, 0], 2],
    ] as const) {
      expect(modelLifetime(resident(b, r).id)).toBe(lifetime);
      const res = await t.gql(LEVEL, {}, residentToken[key]);
      expect(res.errors).toBeUndefined();
      expect(res.data.myStarLevel).toEqual(standing(lifetime));
    }
    // The service's lifetime for every resident equals the model (the reversed early mint nets to 0).
    const all = town.branches.flatMap((b) => b.residents.map((r) => r.id));
    const lifetimes = await t.app.get(TransactionRunner).read((m) => t.app.get(HonoursService).lifetimeEarned(m, town.id, all));
    expect(Object.fromEntries(lifetimes)).toEqual(Object.fromEntries(all.map((id) => [id, modelLifetime(id)])));
    // Staff who are not residents have no level.
    expect(errorCode(await t.gql(LEVEL, {}, managerB0))).toBe('FORBIDDEN');
  });

  it('counts service hours instead where the admin chooses: the level from the minutes served, its own ladder, never lowered by spending', async () => {
    const HOURS_LEVEL = `{ myStarLevel { basis lifetime lifetimeMinutes level levelName nextLevel nextLevelName nextThreshold toNext ladder { level name threshold } } }`;
    const SETTINGS = `query($t: ID!, $b: StarBasis) { honourSettings(townshipId: $t, basis: $b) { activeBasis basis isDefaultLadder levels { name threshold } } }`;
    const SET_BASIS = `mutation($i: SetStarBasisInput!) { setStarBasis(input: $i) { activeBasis basis isDefaultLadder levels { name threshold } } }`;
    const SET_LEVELS = `mutation($i: SetStarLevelsInput!) { setStarLevels(input: $i) { basis isDefaultLadder levels { name threshold } } }`;
    const pointsLadder = [
      { name: '铜星', threshold: 3 },
      { name: '银星', threshold: 8 },
      { name: '金星', threshold: 12 },
    ];

    // The model: the minutes each resident serves at the activities below, and the points they pay.
    const minutesOf = new Map<string, number>();
    let rewarded = 0;
    async function serve(minutes: number, who: [number, number][]) {
      const activityId = await createActivity(t, managerB0, town.branches[0].id, { title: `服务${minutes}分钟`, rewardPoints: 1 });
      for (const [b, r] of who) ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, residentToken[`${b}-${r}`]));
      // It ran in the past for `minutes`; marked present by the manager, a resident served all of it.
      const startsAt = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - (minutes + 10) * MINUTE);
      await t.db.dataSource.query(`UPDATE activity SET starts_at = $2, ends_at = $3, signup_deadline = $2 WHERE id = $1`, [
        activityId,
        startsAt,
        new Date(startsAt.getTime() + minutes * MINUTE),
      ]);
      const residentIds = who.map(([b, r]) => resident(b, r).id);
      ok(await t.gql(`mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { attendance } }`, { i: { activityId, residentIds, attendance: 'PRESENT' } }, managerB0));
      ok(await t.gql(`mutation($a: ID!) { completeActivity(id: $a) { pointsMinted } }`, { a: activityId }, managerB0));
      for (const id of residentIds) minutesOf.set(id, (minutesOf.get(id) ?? 0) + minutes);
      rewarded += who.filter(([b, r]) => b === 0 && r === 0).length;
    }
    await serve(150, [[0, 0], [0, 1]]); // 马秀珍 and 王芳
    await serve(90, [[0, 0]]);
    await serve(37, [[0, 0]]); // 马秀珍: 277 minutes; 王芳: 150
    const hoursStanding = (residentId: string, ladder: { name: string; threshold: number }[]) => {
      const minutes = minutesOf.get(residentId) ?? 0;
      const level = ladder.filter((l) => minutes >= l.threshold * 60).length;
      const next = ladder[level];
      return {
        basis: 'HOURS',
        lifetime: Number((minutes / 60).toFixed(1)),
        lifetimeMinutes: minutes,
        level,
        levelName: level ? ladder[level - 1].name : null,
        nextLevel: next ? level + 1 : null,
        nextLevelName: next?.name ?? null,
        nextThreshold: next?.threshold ?? null,
        toNext: next ? Math.ceil(((next.threshold * 60 - minutes) / 60) * 10 - 1e-9) / 10 : null,
        ladder: ladder.map((l, i) => ({ level: i + 1, ...l })),
      };
    };

    // Until the admin chooses, the levels count points (the township's ladder set above).
    expect(ok(await t.gql(SETTINGS, { t: town.id }, admin)).honourSettings).toMatchObject({ activeBasis: 'POINTS', basis: 'POINTS', levels: pointsLadder });
    expect(ok(await t.gql(HOURS_LEVEL, {}, residentToken['0-0'])).myStarLevel).toMatchObject({ basis: 'POINTS', lifetime: 8 + rewarded, lifetimeMinutes: null });

    // Only the admin chooses; a manager's attempt changes nothing and is not audited.
    expect(errorCode(await t.gql(SET_BASIS, { i: { townshipId: town.id, basis: 'HOURS' } }, managerB0))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(SET_BASIS, { i: { townshipId: town.id, basis: 'DAYS' } }, admin))).toBe('BAD_USER_INPUT');
    expect(ok(await t.gql(SETTINGS, { t: town.id }, admin)).honourSettings.activeBasis).toBe('POINTS');

    // Switched to HOURS: the default hours ladder (100 … 1500 hours) until one is set.
    const defaultHours = [100, 300, 600, 1000, 1500].map((threshold, i) => ({ name: `${'一二三四五'[i]}星`, threshold }));
    expect(ok(await t.gql(SET_BASIS, { i: { townshipId: town.id, basis: 'HOURS' } }, admin)).setStarBasis).toEqual({
      activeBasis: 'HOURS',
      basis: 'HOURS',
      isDefaultLadder: true,
      levels: defaultHours,
    });
    expect(ok(await t.gql(HOURS_LEVEL, {}, residentToken['0-0'])).myStarLevel).toEqual(hoursStanding(resident(0, 0).id, defaultHours));

    // The hours ladder is validated as the points one, and leaves the points ladder alone.
    const refused = await t.gql(SET_LEVELS, { i: { townshipId: town.id, basis: 'HOURS', levels: [{ name: '铜星', threshold: 5 }, { name: '银星', threshold: 5 }] } }, admin);
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    const hoursLadder = [
      { name: '铜星', threshold: 2 },
      { name: '银星', threshold: 5 },
      { name: '金星', threshold: 10 },
    ];
    expect(ok(await t.gql(SET_LEVELS, { i: { townshipId: town.id, basis: 'HOURS', levels: hoursLadder } }, admin)).setStarLevels).toEqual({
      basis: 'HOURS',
      isDefaultLadder: false,
      levels: hoursLadder,
    });
    expect(ok(await t.gql(SETTINGS, { t: town.id, b: 'POINTS' }, admin)).honourSettings).toEqual({ activeBasis: 'HOURS', basis: 'POINTS', isDefaultLadder: false, levels: pointsLadder });

    // Each resident's level from their minutes: 马秀珍 277 min = 4.6 h, 铜星, 0.4 h (23 min) to 银星;
    // 王芳 150 min = 2.5 h, 铜星; 赵丽 served none.
    const expected = {
      '0-0': hoursStanding(resident(0, 0).id, hoursLadder),
      '0-1': hoursStanding(resident(0, 1).id, hoursLadder),
      '1-0': hoursStanding(resident(1, 0).id, hoursLadder),
    };
    expect(expected['0-0']).toMatchObject({ lifetime: 4.6, lifetimeMinutes: 277, level: 1, nextLevelName: '银星', nextThreshold: 5, toNext: 0.4 });
    expect(expected['0-1']).toMatchObject({ lifetime: 2.5, level: 1, toNext: 2.5 });
    expect(expected['1-0']).toMatchObject({ lifetime: 0, level: 0, toNext: 2 });
    for (const [key, standing] of Object.entries(expected)) expect(ok(await t.gql(HOURS_LEVEL, {}, residentToken[key])).myStarLevel).toEqual(standing);

    // Spending every point leaves the hours, and so the level, as they were.
    const balance = ok(await t.gql(`{ me { balance } }`, {}, residentToken['0-0'])).me.balance;
    await book('SPEND', [0, 0], balance, undefined);
    expect(ok(await t.gql(`{ me { balance } }`, {}, residentToken['0-0'])).me.balance).toBe(0);
    expect(ok(await t.gql(HOURS_LEVEL, {}, residentToken['0-0'])).myStarLevel).toEqual(expected['0-0']);
    // The points ladder can still be asked for by name.
    expect(ok(await t.gql(`{ myStarLevel(basis: POINTS) { basis lifetime level } }`, {}, residentToken['0-0'])).myStarLevel).toEqual({ basis: 'POINTS', lifetime: 8 + rewarded, level: 2 });

    // Switched back: points as before, the hours ladder kept for next time; each switch audited once.
    ok(await t.gql(SET_BASIS, { i: { townshipId: town.id, basis: 'POINTS' } }, admin));
    ok(await t.gql(SET_BASIS, { i: { townshipId: town.id, basis: 'POINTS' } }, admin)); // no change, no audit
    expect(ok(await t.gql(LEVEL, {}, residentToken['0-0'])).myStarLevel).toMatchObject({ basis: 'POINTS', lifetime: 8 + rewarded, level: 2, levelName: '银星', toNext: 12 - 8 - rewarded });
    expect(ok(await t.gql(SETTINGS, { t: town.id, b: 'HOURS' }, residentToken['0-1'])).honourSettings).toEqual({ activeBasis: 'POINTS', basis: 'HOURS', isDefaultLadder: false, levels: hoursLadder });
    const audit = await t.db.dataSource.query(
      `SELECT action, subject, details FROM audit_log WHERE township_id = $1 AND action = 'honours.set-star-basis' ORDER BY id`,
      [town.id],
    );
    expect(audit.map((a: any) => [a.subject, a.details])).toEqual([
      ['HOURS', { from: 'POINTS', to: 'HOURS' }],
      ['POINTS', { from: 'HOURS', to: 'POINTS' }],
    ]);
  });
});
