/**
 * The calendar of a yearly points reset, in Asia/Shanghai dates (UTC+8 all year). Pure
 * functions: the job, the notice and the tests all reckon from here.
 */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

export interface YearlyRule {
  month: number;
  day: number;
  noticeDays: number;
  /** When the rule was set: a cut-off counts only if the rule stood `noticeDays` before it. */
  setAt: Date;
}

/** Whether month/day is a date every year (29 February is not). */
export function isYearlyDate(month: number, day: number): boolean {
  if (!Number.isInteger(month) || !Number.isInteger(day) || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(2001, month, 0)).getUTCDate();
}

export const pad2 = (n: number) => String(n).padStart(2, '0');

/** YYYY-MM-DD → 00:00 Asia/Shanghai of that date. */
export function cutoffInstant(date: string): Date {
  return new Date(`${date}T00:00:00+08:00`);
}

/** The Asia/Shanghai calendar date of an instant, YYYY-MM-DD. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

const dateIn = (year: number, rule: Pick<YearlyRule, 'month' | 'day'>) => `${year}-${pad2(rule.month)}-${pad2(rule.day)}`;

/** Whether residents were told long enough before this cut-off (the rule stood `noticeDays` before it). */
export function wasAnnounced(rule: YearlyRule, cutoffDate: string): boolean {
  return rule.setAt.getTime() <= cutoffInstant(cutoffDate).getTime() - rule.noticeDays * DAY_MS;
}

/** The next cut-off after `now` (strictly later). */
export function nextCutoff(rule: YearlyRule, now: Date): string {
  const year = Number(shanghaiDate(now).slice(0, 4));
  const thisYear = dateIn(year, rule);
  return cutoffInstant(thisYear).getTime() > now.getTime() ? thisYear : dateIn(year + 1, rule);
}

/** The latest cut-off at or before `now` that was announced in time, if any: what the job books. */
export function dueCutoff(rule: YearlyRule, now: Date): string | null {
  const year = Number(shanghaiDate(now).slice(0, 4));
  const thisYear = dateIn(year, rule);
  const latest = cutoffInstant(thisYear).getTime() <= now.getTime() ? thisYear : dateIn(year - 1, rule);
  return wasAnnounced(rule, latest) ? latest : null;
}

/** The notice residents see: the next cut-off when it is within the notice days and was announced; else null. */
export function noticeFor(rule: YearlyRule, now: Date): { cutoffDate: string; cutoffAt: Date; daysLeft: number } | null {
  const cutoffDate = nextCutoff(rule, now);
  const cutoffAt = cutoffInstant(cutoffDate);
  const left = cutoffAt.getTime() - now.getTime();
  if (left > rule.noticeDays * DAY_MS || !wasAnnounced(rule, cutoffDate)) return null;
  return { cutoffDate, cutoffAt, daysLeft: Math.floor(left / DAY_MS) };
}
