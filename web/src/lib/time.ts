/** Months, days and times as residents read them: Asia/Shanghai, whatever the phone's zone. */
const ZONE = 'Asia/Shanghai';

const parts = (date: Date) =>
  Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute', string>;

/** YYYY-MM of an instant in Asia/Shanghai. */
export function monthOf(date: Date | string): string {
  const p = parts(new Date(date));
  return `${p.year}-${p.month}`;
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** 2026年11月 */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${y}年${m}月`;
}

/** 11月30日 14:00 */
export function dateTime(value: string): string {
  const p = parts(new Date(value));
  return `${Number(p.month)}月${Number(p.day)}日 ${p.hour}:${p.minute}`;
}

/** 14:00 */
export function timeOfDay(value: string): string {
  const p = parts(new Date(value));
  return `${p.hour}:${p.minute}`;
}

/** The value of an `<input type="datetime-local">` for an instant, in Asia/Shanghai. */
export function toLocalInput(date: Date): string {
  const p = parts(date);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** An `<input type="datetime-local">` value read as Asia/Shanghai time, as ISO; '' stays ''. */
export function fromLocalInput(value: string): string {
  return value ? new Date(`${value}:00+08:00`).toISOString() : '';
}
