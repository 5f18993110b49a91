/**
 * The link a check-in QR code carries: into the app, with the activity and the current
 * code, so WeChat's own scanner or the phone camera opens it and no camera code is needed
 * in the app. The code changes every minute, so the link is only good at the activity.
 */
export const CHECKIN_PATH = '/r/checkin';

export function checkinLink(origin: string, activityId: string, code: string): string {
  return `${origin}${CHECKIN_PATH}?activity=${encodeURIComponent(activityId)}&code=${encodeURIComponent(code)}`;
}

export function readCheckinLink(query: Record<string, unknown>): { activityId?: string; code?: string } {
  const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
  const code = one(query.code);
  return { activityId: one(query.activity), code: code && /^\d{6}$/.test(code) ? code : undefined };
}
