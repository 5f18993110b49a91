/**
 * The rules of honours (README, "Honours: 文明之星 and star levels"), pure so that they are
 * tested on their own and read in one place.
 *
 * 文明之星 of a month. A resident's points earned in a month are the MINT credits booked
 * to them in the month minus the reversals of mints booked in the month (a reversal
 * counts in the month it is booked in, as in the settlement's figures); spending, refunds,
 * adjustments and the yearly reset's expiry are not earning. Each branch (village) ranks its residents (by the
 * branch they belong to when the month is recorded, wherever they earned) who earned more
 * than zero:
 *   1. more points first;
 *   2. then the earlier first earning: the booking time of the resident's first mint of
 *      the month that no reversal in the month undid (they got there first);
 *   3. then the resident id (uuid order), so the order is total and the same every time.
 * The first N (the township's `starsPerBranch`, 10 unless the admin sets it, as it stood
 * when the month was recorded) are the month's stars: exactly N when that many earned,
 * a tie at the N-th place is decided by rules 2 and 3, never by widening the list.
 *
 * Star levels. A resident's lifetime points earned are the sum of their monthly earnings
 * over every month (never the balance: spending never lowers a level). The township's
 * ladder gives each level a name and a threshold, strictly ascending; a resident holds
 * the highest level whose threshold they have reached (level 0, none, below the first).
 * The ladder has a basis, chosen by the township's admin: POINTS (lifetime points earned,
 * as above) or HOURS (lifetime service hours: the minutes served at completed activities,
 * recorded by src/activities, never reduced by spending). Each basis keeps a ladder of its
 * own, so switching back and forth loses neither; HOURS thresholds are whole hours.
 */

export enum StarBasis {
  POINTS = 'POINTS',
  HOURS = 'HOURS',
}

export const DEFAULT_STARS_PER_BRANCH = 10;
export const MAX_STARS_PER_BRANCH = 50;
export const MAX_LEVELS = 10;

/**
 * The default ladder, for a township whose admin has set none. An activity pays about 2
 * points here (平安有我, 文明交通: +2), so 一星 is about ten activities and 五星 about three
 * hundred: a few years of weekly volunteering, reachable but rare.
 */
export const DEFAULT_LADDER: readonly StarRung[] = [
  { name: '一星', threshold: 20 },
  { name: '二星', threshold: 60 },
  { name: '三星', threshold: 150 },
  { name: '四星', threshold: 300 },
  { name: '五星', threshold: 600 },
];

/**
 * The default HOURS ladder: the star volunteers of the national volunteer registration rules
 * (中国注册志愿者管理办法: 累计志愿服务 100、300、600、1000、1500 小时 → 一星至五星),
 * the levels residents already know from the national volunteer service platform.
 */
export const DEFAULT_HOURS_LADDER: readonly StarRung[] = [
  { name: '一星', threshold: 100 },
  { name: '二星', threshold: 300 },
  { name: '三星', threshold: 600 },
  { name: '四星', threshold: 1000 },
  { name: '五星', threshold: 1500 },
];

export const defaultLadder = (basis: StarBasis): readonly StarRung[] => (basis === StarBasis.HOURS ? DEFAULT_HOURS_LADDER : DEFAULT_LADDER);

export interface StarRung {
  name: string;
  threshold: number;
}

export interface MonthEarning {
  residentId: string;
  branchId: string;
  points: number;
  firstEarnedAt: Date | null;
}

export interface RankedStar extends MonthEarning {
  rank: number;
  firstEarnedAt: Date;
}

/** The order of rules 1-3 above. */
export function compareEarnings(a: MonthEarning, b: MonthEarning): number {
  if (a.points !== b.points) return b.points - a.points;
  const at = (e: MonthEarning) => e.firstEarnedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (at(a) !== at(b)) return at(a) - at(b);
  return a.residentId < b.residentId ? -1 : a.residentId > b.residentId ? 1 : 0;
}

/** Each branch's first `perBranch` earners of the month, ranked from 1. */
export function rankStars(earnings: readonly MonthEarning[], perBranch: number): RankedStar[] {
  const byBranch = new Map<string, MonthEarning[]>();
  for (const e of earnings) {
    if (e.points <= 0 || !e.firstEarnedAt) continue;
    const list = byBranch.get(e.branchId) ?? [];
    list.push(e);
    byBranch.set(e.branchId, list);
  }
  return [...byBranch.values()].flatMap((list) =>
    list
      .sort(compareEarnings)
      .slice(0, perBranch)
      .map((e, i) => ({ ...e, firstEarnedAt: e.firstEarnedAt!, rank: i + 1 })),
  );
}

export interface StarStanding {
  /** 0 below the first rung. */
  level: number;
  levelName: string | null;
  nextLevel: number | null;
  nextLevelName: string | null;
  nextThreshold: number | null;
  /** Points (or, for another basis, its unit) still to earn for the next level; null at the top. */
  toNext: number | null;
}

export function standingOn(ladder: readonly StarRung[], lifetime: number): StarStanding {
  let level = 0;
  while (level < ladder.length && lifetime >= ladder[level].threshold) level++;
  const next = ladder[level];
  return {
    level,
    levelName: level ? ladder[level - 1].name : null,
    nextLevel: next ? level + 1 : null,
    nextLevelName: next?.name ?? null,
    nextThreshold: next?.threshold ?? null,
    toNext: next ? next.threshold - lifetime : null,
  };
}

/**
 * A lifetime of minutes served on an HOURS ladder (thresholds in hours). The level is
 * decided on exact minutes; what is shown is hours with one decimal: the lifetime rounded
 * as everywhere else hours are shown (ServiceHours, the certificate), what is left rounded
 * up, so it never reads 0 before the level is reached.
 */
export function standingOnHours(ladder: readonly StarRung[], minutes: number): StarStanding & { lifetime: number } {
  const standing = standingOn(
    ladder.map((r) => ({ name: r.name, threshold: r.threshold * 60 })),
    minutes,
  );
  return {
    ...standing,
    lifetime: Math.round((minutes / 60) * 10) / 10, // as hoursOf (src/activities) shows them
    nextThreshold: standing.nextThreshold === null ? null : standing.nextThreshold / 60,
    toNext: standing.toNext === null ? null : Math.ceil(standing.toNext / 6) / 10,
  };
}

/** Why a ladder cannot be used, in Chinese for the admin; null when it is fine. */
export function ladderProblem(ladder: readonly StarRung[]): string | null {
  if (ladder.length < 1 || ladder.length > MAX_LEVELS) return `星级须有 1 至 ${MAX_LEVELS} 级`;
  const names = new Set(ladder.map((r) => r.name));
  if (names.size !== ladder.length) return '星级名称不能重复';
  for (let i = 1; i < ladder.length; i++) {
    if (ladder[i].threshold <= ladder[i - 1].threshold) return `第${i + 1}级的门槛须高于第${i}级（${ladder[i - 1].threshold}）`;
  }
  return null;
}
