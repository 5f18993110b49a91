/**
 * Months and deadlines are reckoned in Asia/Shanghai (UTC+8, no daylight saving since
 * 1991), whatever the server's time zone. A month is written `YYYY-MM`.
 */
const OFFSET_MS = 8 * 3600 * 1000;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && MONTH.test(value);
}

/** The Asia/Shanghai calendar month an instant falls in. */
export function monthOf(instant: Date): string {
  const local = new Date(instant.getTime() + OFFSET_MS);
  return `${local.getUTCFullYear()}-${String(local.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The instants [start, end) of a month in Asia/Shanghai. */
export function monthRange(month: string): { start: Date; end: Date } {
  const match = MONTH.exec(month);
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
