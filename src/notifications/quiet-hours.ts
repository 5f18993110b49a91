/** Asia/Shanghai has kept UTC+8 without daylight saving since 1991. */
const SHANGHAI_OFFSET_MINUTES = 8 * 60;
const DAY = 24 * 60;

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/**
 * When quiet hours (`HH:MM-HH:MM`, Asia/Shanghai, may wrap midnight; '' for none) that
 * hold `now` end; null when `now` is outside them. The end is the first instant messages
 * may go again.
 */
export function quietUntil(now: Date, window: string): Date | null {
  if (!window) return null;
  const [start, end] = window.split('-').map(minutesOf);
  if (start === end) return null;
  const ms = now.getTime();
  const minuteOfDay = Math.floor((ms / 60_000 + SHANGHAI_OFFSET_MINUTES) % DAY);
  const inside = start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
  if (!inside) return null;
  const minuteStart = ms - (ms % 60_000);
  return new Date(minuteStart + ((end - minuteOfDay + DAY) % DAY) * 60_000);
}
