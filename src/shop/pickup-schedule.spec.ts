import { currentOrNextPickup, describePickupWindow, isPickupOpen } from './pickup-schedule';

/** Shanghai wall-clock time as an instant. */
const sh = (iso: string) => new Date(`${iso}+08:00`);

describe('pickup schedule (Asia/Shanghai)', () => {
  // Wednesdays and Saturdays 09:00–11:30. 2026-12-02 is a Wednesday.
  const shop = { pickupWeekdays: [3, 6], opensAt: '09:00', closesAt: '11:30' };

  it('is open inside a window only', () => {
    expect(isPickupOpen(shop, sh('2026-12-02T09:00:00'))).toBe(true);
    expect(isPickupOpen(shop, sh('2026-12-02T11:29:59'))).toBe(true);
    expect(isPickupOpen(shop, sh('2026-12-02T08:59:59'))).toBe(false);
    expect(isPickupOpen(shop, sh('2026-12-02T11:30:00'))).toBe(false);
    expect(isPickupOpen(shop, sh('2026-12-03T10:00:00'))).toBe(false);
  });

  it('names the next window: later today, later this week, or next week', () => {
    expect(currentOrNextPickup(shop, sh('2026-12-02T07:00:00'))).toEqual({ opensAt: sh('2026-12-02T09:00:00'), closesAt: sh('2026-12-02T11:30:00') });
    expect(currentOrNextPickup(shop, sh('2026-12-02T12:00:00'))!.opensAt).toEqual(sh('2026-12-05T09:00:00'));
    expect(currentOrNextPickup({ ...shop, pickupWeekdays: [3] }, sh('2026-12-02T12:00:00'))!.opensAt).toEqual(sh('2026-12-09T09:00:00'));
    // Late on Tuesday in UTC is already Wednesday morning in Shanghai.
    expect(currentOrNextPickup(shop, new Date('2026-12-01T23:30:00Z'))!.opensAt).toEqual(sh('2026-12-02T09:00:00'));
    expect(describePickupWindow(currentOrNextPickup(shop, sh('2026-12-02T12:00:00'))!)).toBe('12月5日（星期六）09:00–11:30');
  });

  it('a day without hours is open all day; a shop without days is never restricted', () => {
    const allDay = { pickupWeekdays: [7], opensAt: null, closesAt: null };
    expect(isPickupOpen(allDay, sh('2026-12-06T23:59:00'))).toBe(true);
    expect(isPickupOpen(allDay, sh('2026-12-07T00:00:00'))).toBe(false);
    expect(describePickupWindow(currentOrNextPickup(allDay, sh('2026-12-07T08:00:00'))!)).toBe('12月13日（星期日）全天');
    expect(currentOrNextPickup({ pickupWeekdays: [], opensAt: null, closesAt: null }, new Date())).toBeUndefined();
    expect(isPickupOpen({ pickupWeekdays: [], opensAt: '09:00', closesAt: '10:00' }, new Date())).toBe(true);
  });
});
