/**
 * Personal identifiers never reach the logs in clear: mainland mobile numbers keep
 * their first 3 and last 4 digits, WeChat ids (openid, unionid) their last 4 characters,
 * secrets and tokens nothing. Applied to every log line (see logging.ts).
 */
const MOBILE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
/** WeChat openids are 28 characters of [A-Za-z0-9_-], starting with "o". */
const OPENID = /(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{23}([A-Za-z0-9_-]{4})(?![A-Za-z0-9_-])/g;
/** Secrets passed in a URL's query string (the queue dashboard's `?token=` link, OAuth codes). */
const SECRET_PARAMS = /([?&](?:token|access_token|code|js_code)=)[^&#\s]+/gi;
const SECRET_KEYS = /^(authorization|cookie|password|secret|token|accesstoken|bindingtoken|session_?key|phonecode|code|js_code)$/i;
const ID_KEYS = /^(openid|unionid|wechatopenid|wechat_openid)$/i;

export function maskText(text: string): string {
  return text.replace(MOBILE, '$1****$2').replace(OPENID, 'o***$1').replace(SECRET_PARAMS, '$1[redacted]');
}

export function maskSensitive(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) {
    const masked = new Error(maskText(value.message));
    masked.name = value.name;
    masked.stack = value.stack && maskText(value.stack);
    return masked;
  }
  if (Array.isArray(value)) return value.map((v) => maskSensitive(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEYS.test(key) && v !== undefined) out[key] = '[redacted]';
    else if (ID_KEYS.test(key) && typeof v === 'string') out[key] = `***${v.slice(-4)}`;
    else out[key] = maskSensitive(v, depth + 1);
  }
  return out;
}
