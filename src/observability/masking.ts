/**
 * Personal identifiers never reach the logs in clear: mainland mobile numbers keep
 * their first 3 and last 4 digits, WeChat ids (openid, unionid) their last 4 characters,
 * secrets and tokens nothing. Applied to every log line (see logging.ts).
 */
const MOBILE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
/** WeChat openids are 28 characters of [A-Za-z0-9_-], starting with "o". */
const OPENID = /(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{23}([A-Za-z0-9_-]{4})(?![A-Za-z0-9_-])/g;
const SECRET_KEYS = /^(authorization|cookie|password|secret|token|accesstoken|bindingtoken|session_?key|phonecode|code|js_code|bindingcode|ticket)$/i;
const ID_KEYS = /^(openid|unionid|wechatopenid|wechat_openid|wechatwebopenid|wechat_web_openid)$/i;

export function maskText(text: string): string {
  return text.replace(MOBILE, '$1****$2').replace(OPENID, 'o***$1');
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

/**
 * A URL as it may be logged: the values of secret-looking query parameters removed (the
 * WeChat sign-in lands on `/?code=…`, a check-in QR link carries `code=`).
 */
export function maskUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return maskText(url);
  const params = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const [key] = pair.split('=', 1);
      return SECRET_KEYS.test(safeDecode(key)) || /^state$/i.test(key) ? `${key}=[redacted]` : pair;
    });
  return maskText(`${url.slice(0, query)}?${params.join('&')}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
