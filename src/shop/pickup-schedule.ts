/**
 * When a shop hands goods out: its pickup weekdays (1 = Monday … 7 = Sunday) and, if set,
 * its hours (HH:MM), all in Asia/Shanghai (UTC+8, no daylight saving) whatever the
 * server's zone. A day without hours is open all day.
 */
export interface PickupSchedule {
  pickupWeekdays: number[];
  opensAt: string | null;
  closesAt: string | null;
}

export interface PickupWindow {
  opensAt: Date;
  closesAt: Date;
}

const OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86_400_000;
const WEEKDAY_NAMES = ['', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日'];

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * The pickup window open at `now`, or else the next one to open; undefined when the shop
 * has no pickup days (its schedule not set up yet: pickups are not restricted then).
 */
export function currentOrNextPickup(schedule: PickupSchedule, now: Date): PickupWindow | undefined {
  if (!schedule.pickupWeekdays.length) return undefined;
  const opens = schedule.opensAt ? minutes(schedule.opensAt) : 0;
  const closes = schedule.closesAt ? minutes(schedule.closesAt) : 24 * 60;
  // Midnight of today in Shanghai, as an instant.
  const today = Math.floor((now.getTime() + OFFSET_MS) / DAY_MS) * DAY_MS - OFFSET_MS;
  // Eight days reach the same weekday next week when today's window has closed.
  for (let k = 0; k <= 7; k++) {
    const midnight = today + k * DAY_MS;
    const weekday = ((new Date(midnight + OFFSET_MS).getUTCDay() + 6) % 7) + 1;
    if (!schedule.pickupWeekdays.includes(weekday)) continue;
    const window = { opensAt: new Date(midnight + opens * 60_000), closesAt: new Date(midnight + closes * 60_000) };
    if (window.closesAt.getTime() > now.getTime()) return window;
  }
  return undefined;
}

/** True when goods may be handed out at `now`: inside a pickup window, or the shop has no pickup days set. */
export function isPickupOpen(schedule: PickupSchedule, now: Date): boolean {
  const window = currentOrNextPickup(schedule, now);
  return !window || window.opensAt.getTime() <= now.getTime();
}

/** 12月5日（星期六）09:00–11:30, in Asia/Shanghai. */
export function describePickupWindow(window: PickupWindow): string {
  const start = new Date(window.opensAt.getTime() + OFFSET_MS);
  const clock = (ms: number) => {
    const minute = Math.round((ms - (start.getTime() - (start.getTime() % DAY_MS))) / 60_000);
    return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  };
  const from = clock(start.getTime());
  const to = clock(window.closesAt.getTime() + OFFSET_MS);
  const day = `${start.getUTCMonth() + 1}月${start.getUTCDate()}日（${WEEKDAY_NAMES[((start.getUTCDay() + 6) % 7) + 1]}）`;
  return from === '00:00' && to === '24:00' ? `${day}全天` : `${day}${from}–${to}`;
}
