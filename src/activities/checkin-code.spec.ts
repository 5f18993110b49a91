import { randomBytes } from 'node:crypto';
import { CHECKIN_GRACE_MS, checkinCode, checkinWindow, isCheckinOpen, isValidCheckinCode } from './checkin-code';

describe('check-in code', () => {
  const secret = randomBytes(32);
  const t0 = new Date('2026-03-05T02:00:10Z');

  it('is six digits, stable within a window and different across windows and secrets', () => {
    const code = checkinCode(secret, checkinWindow(t0));
    expect(code).toMatch(/^\d{6}$/);
    expect(checkinCode(secret, checkinWindow(new Date(t0.getTime() + 40_000)))).toBe(code);
    const next = new Set(Array.from({ length: 20 }, (_, i) => checkinCode(secret, checkinWindow(t0) + i)));
    expect(next.size).toBeGreaterThan(15);
    expect(checkinCode(randomBytes(32), checkinWindow(t0))).not.toBe(code);
  });

  it('matches RFC 4226 dynamic truncation for a known key (HMAC-SHA256 variant)', () => {
    // Independent computation of the same construction for window 0 of an all-zero key.
    const { createHmac } = require('node:crypto');
    const mac: Buffer = createHmac('sha256', Buffer.alloc(32)).update(Buffer.alloc(8)).digest();
    const o = mac[31] & 0xf;
    const expected = String(((mac[o] & 0x7f) << 24 | mac[o + 1] << 16 | mac[o + 2] << 8 | mac[o + 3]) % 1e6).padStart(6, '0');
    expect(checkinCode(Buffer.alloc(32), 0)).toBe(expected);
  });

  it('accepts the current and previous window only', () => {
    const w = checkinWindow(t0);
    const now = new Date(t0);
    expect(isValidCheckinCode(secret, checkinCode(secret, w), now)).toBe(true);
    expect(isValidCheckinCode(secret, checkinCode(secret, w - 1), now)).toBe(true);
    expect(isValidCheckinCode(secret, checkinCode(secret, w - 2), now)).toBe(false);
    expect(isValidCheckinCode(secret, checkinCode(secret, w + 1), now)).toBe(false);
    expect(isValidCheckinCode(secret, '12345', now)).toBe(false);
    expect(isValidCheckinCode(secret, '１２３４５６', now)).toBe(false);
  });

  it('is open from the grace period before the start to the grace period after the end', () => {
    const start = new Date('2026-03-05T02:00:00Z');
    const end = new Date('2026-03-05T04:00:00Z');
    expect(isCheckinOpen(start, end, new Date(start.getTime() - CHECKIN_GRACE_MS - 1))).toBe(false);
    expect(isCheckinOpen(start, end, new Date(start.getTime() - CHECKIN_GRACE_MS))).toBe(true);
    expect(isCheckinOpen(start, end, new Date(end.getTime() + CHECKIN_GRACE_MS))).toBe(true);
    expect(isCheckinOpen(start, end, new Date(end.getTime() + CHECKIN_GRACE_MS + 1))).toBe(false);
  });
});
