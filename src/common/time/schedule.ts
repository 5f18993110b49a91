import { DomainError } from '../errors/domain.error';

const DAY_MS = 24 * 3600 * 1000;
/** An activity or course lasts at most a week and is scheduled at most a year ahead. */
export const MAX_DURATION_MS = 7 * DAY_MS;
export const MAX_LEAD_MS = 366 * DAY_MS;

const invalid = (message: string, field: string) => new DomainError('BAD_USER_INPUT', `输入有误：${message}`, { field });

/**
 * Checks the times of an activity or course being created or edited: it starts in the
 * future, ends after it starts, and its deadlines fall before the start. Deadlines that
 * were changed must also still be ahead (a deadline already past closes it at once).
 */
export function assertSchedule(
  s: { startsAt: Date; endsAt: Date; deadlines: { at: Date; field: string; label: string; changed: boolean }[] },
  now: Date,
): void {
  if (s.startsAt.getTime() <= now.getTime()) throw invalid('开始时间须晚于当前时间', 'startsAt');
  if (s.startsAt.getTime() - now.getTime() > MAX_LEAD_MS) throw invalid('开始时间不能超过一年以后', 'startsAt');
  if (s.endsAt.getTime() <= s.startsAt.getTime()) throw invalid('结束时间须晚于开始时间', 'endsAt');
  if (s.endsAt.getTime() - s.startsAt.getTime() > MAX_DURATION_MS) throw invalid('持续时间不能超过7天', 'endsAt');
  for (const d of s.deadlines) {
    if (d.at.getTime() > s.startsAt.getTime()) throw invalid(`${d.label}不能晚于开始时间`, d.field);
    if (d.changed && d.at.getTime() <= now.getTime()) throw invalid(`${d.label}须晚于当前时间`, d.field);
  }
}
