import { DomainError } from '../errors/domain.error';

/**
 * Months and deadlines are reckoned in Asia/Shanghai (UTC+8, no daylight saving since
 * 1991), whatever the server's time zone. A month is written `YYYY-MM`.
 */
const OFFSET_MS = 8 * 3600 * 1000;

/**
 * The one definition of a month argument: `YYYY-MM` from 2000-01 to 2099-12. The range
 * keeps out months no township has (`0099-12` made a junk settlement; `0000-01` is not
 * even a date to PostgreSQL) and two-digit years that JavaScript reads as 19xx.
 */
export const MONTH_PATTERN = /^(20\d{2})-(0[1-9]|1[0-2])$/;
export const MONTH_MESSAGE = '月份须为 YYYY-MM 格式，且在 2000-01 至 2099-12 之间';

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && MONTH_PATTERN.test(value);
}

/** BAD_USER_INPUT unless `month` is a month argument (see MONTH_PATTERN). */
export function assertMonth(month: unknown, field = 'month'): asserts month is string {
  if (!isMonth(month)) throw new DomainError('BAD_USER_INPUT', `输入有误：${MONTH_MESSAGE}`, { field });
}

/**
 * A month argument checked once, where it enters (the resolver): its `YYYY-MM` text
 * and the period date the tables store, so services neither re-check nor re-parse it.
 */
export class Month {
  /** `YYYY-MM-01`. */
  readonly period: string;

  private constructor(readonly text: string) {
    this.period = `${text}-01`;
  }

  /** The month, or BAD_USER_INPUT naming `field` (see MONTH_PATTERN). */
  static parse(value: unknown, field = 'month'): Month {
    assertMonth(value, field);
    return new Month(value);
  }

  toString(): string {
    return this.text;
  }
}

/** The Asia/Shanghai calendar month an instant falls in. */
export function monthOf(instant: Date): string {
  const local = new Date(instant.getTime() + OFFSET_MS);
  return `${local.getUTCFullYear()}-${String(local.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The instants [start, end) of a month in Asia/Shanghai. */
export function monthRange(month: string): { start: Date; end: Date } {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new RangeError(`not a month: ${month}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return {
    start: new Date(Date.UTC(year, index, 1) - OFFSET_MS),
    end: new Date(Date.UTC(year, index + 1, 1) - OFFSET_MS),
  };
}

/** `YYYY-MM-01`, the form the database stores periods in. */
export function monthToPeriodDate(month: string): string {
  if (!isMonth(month)) throw new RangeError(`not a month: ${month}`);
  return `${month}-01`;
}

export function addMonths(month: string, delta: number): string {
  const { start } = monthRange(month);
  const local = new Date(start.getTime() + OFFSET_MS);
  const shifted = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + delta, 1));
  return `${shifted.getUTCFullYear()}-${String(shifted.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** True once the month is over in Asia/Shanghai. */
export function hasEnded(month: string, now: Date = new Date()): boolean {
  return monthRange(month).end.getTime() <= now.getTime();
}
