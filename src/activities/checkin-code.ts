import { createHmac, timingSafeEqual } from 'node:crypto';

/** A code is valid for its own window and the next one: 60-120 seconds after it appears. */
export const CHECKIN_WINDOW_SECONDS = 60;
/** Check-in opens this long before the start and stays open this long after the end. */
export const CHECKIN_GRACE_MS = 15 * 60 * 1000;
/** Wrong codes a resident may enter for one activity before only the manager can mark them. */
export const MAX_CHECKIN_FAILURES = 10;

export function checkinWindow(now: Date): number {
  return Math.floor(now.getTime() / 1000 / CHECKIN_WINDOW_SECONDS);
}

/**
 * HOTP (RFC 4226) of the activity's secret and the minute window: six digits that change
 * every minute, cannot be predicted without the secret, and carry no resident identity.
 */
export function checkinCode(secret: Buffer, window: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(window));
  const mac = createHmac('sha256', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, '0');
}

/** True when `code` is the code of the current or the previous window (a code shown just before the minute turned). */
export function isValidCheckinCode(secret: Buffer, code: string, now: Date): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const window = checkinWindow(now);
  let ok = false;
  // Compare against both windows, in constant time, without short-circuiting.
  for (const w of [window, window - 1]) {
    ok = timingSafeEqual(Buffer.from(checkinCode(secret, w)), Buffer.from(code)) || ok;
  }
  return ok;
}

/** Whether residents can check in (and managers show the code) at `now`. */
export function isCheckinOpen(startsAt: Date, endsAt: Date, now: Date): boolean {
  const t = now.getTime();
  return t >= startsAt.getTime() - CHECKIN_GRACE_MS && t <= endsAt.getTime() + CHECKIN_GRACE_MS;
}
