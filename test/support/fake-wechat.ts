import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the fake answers: a JSON body (WeChat answers errors with HTTP 200 and an errcode), or a bare HTTP status. */
export type FakeReply = { json: unknown } | { status: number };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

export interface FakeWechat {
  /** Use as WECHAT_API_BASE_URL. */
  baseUrl: string;
  appid: string;
  secret: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** `wx.login` code -> reply of `/sns/jscode2session`. Unknown codes get errcode 40029, as WeChat does. */
  loginCodes: Map<string, FakeReply>;
  /** `getPhoneNumber` code -> reply of `/wxa/business/getuserphonenumber`. Unknown codes get errcode 40029. */
  phoneCodes: Map<string, FakeReply>;
  /** The official account's (web authorisation) credentials. */
  webAppid: string;
  webSecret: string;
  /** Web authorisation code -> reply of `/sns/oauth2/access_token`. Unknown codes get errcode 40029. */
  webCodes: Map<string, FakeReply>;
  /** Makes every access_token issued so far invalid (errcode 40001), as when WeChat rotates it early. */
  expireAccessTokens(): void;
  /** Subscription messages WeChat accepted (`/cgi-bin/message/subscribe/send` answered 0), in order. */
  subscribeSent: { touser: string; template_id: string; page?: string; data: Record<string, { value: string }> }[];
  /** openids that have not accepted any template: their sends answer 43101. */
  unsubscribed: Set<string>;
  /** Replies to the next sends, in order, before the rules above (e.g. 45009 rate limits). */
  subscribeReplies: FakeReply[];
  /** How long each subscription send takes to answer (ms), to widen the window of a fault test. */
  subscribeDelayMs: number;
  /** How many `stable_token` calls, and how many of them forced a refresh. */
  stableTokenCalls(): { total: number; forced: number };
  close(): Promise<void>;
}

export const loginOk = (openid: string): FakeReply => ({ json: { openid, session_key: `session-${openid}` } });
export const phoneOk = (purePhoneNumber: string, countryCode = '86'): FakeReply => ({
  json: {
    errcode: 0,
    errmsg: 'ok',
    phone_info: { phoneNumber: purePhoneNumber, purePhoneNumber, countryCode, watermark: { timestamp: 1700000000, appid: 'wx' } },
  },
});
export const webLoginOk = (openid: string): FakeReply => ({
  json: { access_token: `web-access-${openid}`, expires_in: 7200, refresh_token: `refresh-${openid}`, openid, scope: 'snsapi_base' },
});
export const wechatError = (errcode: number, errmsg: string): FakeReply => ({ json: { errcode, errmsg } });

/**
 * A real HTTP server on a random local port that answers like WeChat's server API for the
 * endpoints the service calls (the mini-program's, its subscription messages and web authorisation's), and checks the credentials it is sent the way WeChat does.
 */
export async function startFakeWechat({
  appid = 'wx-fake-appid',
  secret = 'fake-app-secret',
  pathPrefix = '',
  webAppid = 'wx-fake-web-appid',
  webSecret = 'fake-web-secret',
}: { appid?: string; secret?: string; pathPrefix?: string; webAppid?: string; webSecret?: string } = {}): Promise<FakeWechat> {
  const requests: RecordedRequest[] = [];
  const loginCodes = new Map<string, FakeReply>();
  const webCodes = new Map<string, FakeReply>();
  const phoneCodes = new Map<string, FakeReply>();
  const validTokens = new Set<string>();
  let issued = 0;
  const subscribeSent: FakeWechat['subscribeSent'] = [];
  const unsubscribed = new Set<string>();
  const subscribeReplies: FakeReply[] = [];
  let stable: string | undefined;
  const stableCalls = { total: 0, forced: 0 };

  const answer = async (req: IncomingMessage): Promise<FakeReply> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    const body = raw ? JSON.parse(raw) : undefined;
    requests.push({ method: req.method ?? '', path: url.pathname, query, body });
    // Stands in for a proxy mounted under a path, e.g. https://gateway.example/wechat.
    if (!url.pathname.startsWith(`${pathPrefix}/`)) return { status: 404 };
    url.pathname = url.pathname.slice(pathPrefix.length);
    const badCredentials = query.appid !== appid || query.secret !== secret;

    if (req.method === 'GET' && url.pathname === '/sns/jscode2session') {
      if (badCredentials) return wechatError(40125, 'invalid appsecret');
      if (query.grant_type !== 'authorization_code') return wechatError(40002, 'invalid grant_type');
      return loginCodes.get(query.js_code) ?? wechatError(40029, 'invalid code');
    }
    if (req.method === 'GET' && url.pathname === '/sns/oauth2/access_token') {
      if (query.appid !== webAppid || query.secret !== webSecret) return wechatError(40125, 'invalid appsecret');
      if (query.grant_type !== 'authorization_code') return wechatError(40002, 'invalid grant_type');
      return webCodes.get(query.code) ?? wechatError(40029, 'invalid code');
    }
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      if (badCredentials) return wechatError(40125, 'invalid appsecret');
      if (query.grant_type !== 'client_credential') return wechatError(40002, 'invalid grant_type');
      const token = `access-token-${++issued}`;
      validTokens.add(token);
      return { json: { access_token: token, expires_in: 7200 } };
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/stable_token') {
      // The stable token: the same one for every caller until it is forced or invalidated.
      const b = (body ?? {}) as { grant_type?: string; appid?: string; secret?: string; force_refresh?: boolean };
      if (b.appid !== appid || b.secret !== secret) return wechatError(40125, 'invalid appsecret');
      if (b.grant_type !== 'client_credential') return wechatError(40002, 'invalid grant_type');
      stableCalls.total++;
      if (b.force_refresh) stableCalls.forced++;
      if (b.force_refresh || !stable || !validTokens.has(stable)) {
        stable = `stable-token-${++issued}`;
        validTokens.add(stable);
      }
      return { json: { access_token: stable, expires_in: 7200 } };
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/subscribe/send') {
      if (fake.subscribeDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.subscribeDelayMs));
      if (!validTokens.has(query.access_token)) return wechatError(40001, 'invalid credential, access_token is invalid or not latest');
      const message = body as FakeWechat['subscribeSent'][number];
      const scripted = subscribeReplies.shift();
      if (scripted) {
        if ('json' in scripted && (scripted.json as { errcode?: number }).errcode === 0) subscribeSent.push(message);
        return scripted;
      }
      if (!message?.touser || !message.template_id) return wechatError(47003, 'argument invalid!');
      if (unsubscribed.has(message.touser)) return wechatError(43101, 'user refuse to accept the msg');
      subscribeSent.push(message);
      return { json: { errcode: 0, errmsg: 'ok' } };
    }
    if (req.method === 'POST' && url.pathname === '/wxa/business/getuserphonenumber') {
      if (!validTokens.has(query.access_token)) return wechatError(40001, 'invalid credential, access_token is invalid or not latest');
      const code = (body as { code?: string } | undefined)?.code ?? '';
      return phoneCodes.get(code) ?? wechatError(40029, 'invalid code');
    }
    return { status: 404 };
  };

  const server: Server = createServer((req, res) => {
    answer(req).then(
      (reply) => {
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'text/html' }).end('<html>error</html>');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
        }
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeWechat = {
    baseUrl: `http://127.0.0.1:${port}${pathPrefix}`,
    appid,
    secret,
    requests,
    loginCodes,
    phoneCodes,
    webAppid,
    webSecret,
    webCodes,
    expireAccessTokens: () => validTokens.clear(),
    subscribeSent,
    unsubscribed,
    subscribeReplies,
    subscribeDelayMs: 0,
    stableTokenCalls: () => ({ ...stableCalls }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return fake;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
