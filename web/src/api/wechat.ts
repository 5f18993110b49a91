/** WeChat web authorisation (snsapi_base): a silent redirect inside WeChat's browser, back with `?code=`. */
const STATE_KEY = 'cb.oauthState';

export const inWechat = () => /MicroMessenger/i.test(navigator.userAgent);

/** Sends the browser to WeChat; it comes back to /login?code=…&state=…. */
export function startWechatLogin(appId: string): void {
  const state = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem(STATE_KEY, state);
  const redirect = encodeURIComponent(`${location.origin}/login`);
  location.assign(
    `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${encodeURIComponent(appId)}&redirect_uri=${redirect}` +
      `&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`,
  );
}

/** The state we sent, once: a returning code with any other state did not come from our redirect. */
export function takeExpectedState(): string | null {
  const state = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(STATE_KEY);
  return state;
}

/** From `loginWithWechatWeb` to the binding form (first visit, or another township's record): memory only. */
export const pendingBinding: { token: string | null } = { token: null };
