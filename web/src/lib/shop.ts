/** Pickup codes as people read them (ABCD-EFGH), and the link their QR code carries. */
export const PICKUP_PATH = '/k/pickup';

export function showCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Scanned by the shopkeeper (WeChat's scanner or the camera), it opens their confirmation screen with the code filled in. */
export function pickupLink(origin: string, code: string): string {
  return `${origin}${PICKUP_PATH}?code=${encodeURIComponent(showCode(code))}`;
}

export function readPickupLink(query: Record<string, unknown>): string | undefined {
  const v = Array.isArray(query.code) ? query.code[0] : query.code;
  return typeof v === 'string' && /^[0-9A-Za-z-]{8,9}$/.test(v) ? v.toUpperCase() : undefined;
}

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** 每周六 09:00–11:00 · 村委会积分超市 */
export function pickupHours(shop: { pickupWeekdays: number[]; opensAt?: string | null; closesAt?: string | null; place: string }): string {
  if (!shop.pickupWeekdays.length) return '领取时间待定，请留意村（社区）通知';
  const days = `每${shop.pickupWeekdays.map((d) => WEEKDAYS[d]).join('、')}`;
  const hours = shop.opensAt && shop.closesAt ? ` ${shop.opensAt}–${shop.closesAt}` : '';
  return `${days}${hours}${shop.place ? ` · ${shop.place}` : ''}`;
}

const SHANGHAI_MS = 8 * 3600 * 1000;

/** 12月5日（周六）09:00–11:30, in Asia/Shanghai (the shop's time) whatever the phone's zone; 全天 for a day without hours. */
export function pickupWindow(opensAt: string, closesAt: string): string {
  const start = new Date(new Date(opensAt).getTime() + SHANGHAI_MS);
  const minutesOf = (iso: string) => Math.round((new Date(iso).getTime() + SHANGHAI_MS - (start.getTime() - (start.getTime() % 86_400_000))) / 60_000);
  const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const [from, to] = [minutesOf(opensAt), minutesOf(closesAt)];
  const day = `${start.getUTCMonth() + 1}月${start.getUTCDate()}日（${WEEKDAYS[((start.getUTCDay() + 6) % 7) + 1]}）`;
  return from === 0 && to === 24 * 60 ? `${day}全天` : `${day}${clock(from)}–${clock(to)}`;
}

export const REDEMPTION_STATUS: Record<string, string> = { RESERVED: '待领取', PICKED_UP: '已领取', CANCELLED: '已取消' };
