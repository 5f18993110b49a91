import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';

const TIMEOUT_MS = 5000;
/** errcodes meaning "the code the mini-program sent is no good" (vs. WeChat being unwell). */
const BAD_CODE = new Set([40029, 40163, 40226, 40013, 41008]);
/** "Too many calls for this user, wait a minute": a fresh code would fail the same way. */
const RATE_LIMIT = 45011;
/** errcodes meaning our cached access_token is no longer valid. */
const STALE_ACCESS_TOKEN = new Set([40001, 40014, 42001]);

interface WechatReply {
  errcode?: number;
  errmsg?: string;
}

/**
 * WeChat's server-side APIs for mini-programs: `jscode2session` (login code -> openid),
 * web authorisation's `sns/oauth2/access_token` (web code -> openid),
 * `cgi-bin/token` (our access_token) and `getuserphonenumber` (a verified phone number).
 * The base URL is configurable so tests (and on-premises proxies) can stand in for WeChat.
 */
@Injectable()
export class WechatClient {
  private readonly logger = new Logger(WechatClient.name);
  private accessToken?: { value: string; expiresAt: number };

  constructor(private readonly config: AppConfig) {}

  /** Exchanges a `wx.login` code for the user's openid. */
  async openidForLoginCode(code: string): Promise<string> {
    const reply = await this.call<{ openid?: string }>('/sns/jscode2session', {
      appid: this.appid(),
      secret: this.secret(),
      js_code: code,
      grant_type: 'authorization_code',
    });
    if (!reply.openid) throw new DomainError('WECHAT_UNAVAILABLE');
    return reply.openid;
  }

  /**
   * Exchanges the code of WeChat web authorisation (`snsapi_base`, the official
   * account's OAuth inside WeChat's browser) for the user's openid under that account.
   */
  async openidForWebCode(code: string): Promise<string> {
    if (!this.config.WECHAT_WEB_APPID) throw new DomainError('WECHAT_UNAVAILABLE', '未配置微信网页授权（WECHAT_WEB_APPID）');
    const reply = await this.call<{ openid?: string }>('/sns/oauth2/access_token', {
      appid: this.config.WECHAT_WEB_APPID,
      secret: this.config.WECHAT_WEB_SECRET ?? '',
      code,
      grant_type: 'authorization_code',
    });
    if (!reply.openid) throw new DomainError('WECHAT_UNAVAILABLE');
    return reply.openid;
  }

  /** The phone number WeChat verified for a `getPhoneNumber` button code. */
  async phoneNumberForCode(code: string): Promise<{ purePhoneNumber: string; countryCode: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.currentAccessToken(attempt > 0);
      try {
        const reply = await this.call<{ phone_info?: { purePhoneNumber: string; countryCode: string } }>(
          '/wxa/business/getuserphonenumber',
          { access_token: token },
          { code },
        );
        if (!reply.phone_info) throw new DomainError('WECHAT_UNAVAILABLE');
        return reply.phone_info;
      } catch (error) {
        if (error instanceof StaleAccessToken && attempt === 0) continue;
        throw error instanceof StaleAccessToken ? new DomainError('WECHAT_UNAVAILABLE') : error;
      }
    }
    throw new DomainError('WECHAT_UNAVAILABLE');
  }

  private async currentAccessToken(refresh: boolean): Promise<string> {
    if (!refresh && this.accessToken && this.accessToken.expiresAt > Date.now()) return this.accessToken.value;
    const reply = await this.call<{ access_token?: string; expires_in?: number }>('/cgi-bin/token', {
      grant_type: 'client_credential',
      appid: this.appid(),
      secret: this.secret(),
    });
    if (!reply.access_token) throw new DomainError('WECHAT_UNAVAILABLE');
    // Renew five minutes early: WeChat tokens last 7200 s.
    this.accessToken = { value: reply.access_token, expiresAt: Date.now() + ((reply.expires_in ?? 7200) - 300) * 1000 };
    return this.accessToken.value;
  }

  private async call<T>(path: string, query: Record<string, string>, body?: unknown): Promise<T & WechatReply> {
    // Appended, not resolved: a base URL with a path (a gateway in front of WeChat) keeps it.
    const url = new URL(this.config.WECHAT_API_BASE_URL.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let reply: T & WechatReply;
    try {
      const response = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      reply = (await response.json()) as T & WechatReply;
    } catch (error) {
      this.logger.warn(`WeChat ${path} unreachable: ${(error as Error).message}`);
      throw new DomainError('WECHAT_UNAVAILABLE');
    }
    if (reply.errcode) {
      this.logger.warn(`WeChat ${path} answered errcode ${reply.errcode}: ${reply.errmsg ?? ''}`);
      if (STALE_ACCESS_TOKEN.has(reply.errcode) && query.access_token) throw new StaleAccessToken();
      if (reply.errcode === RATE_LIMIT) throw new DomainError('RATE_LIMITED', undefined, { wechatErrcode: reply.errcode });
      if (BAD_CODE.has(reply.errcode)) throw new DomainError('WECHAT_LOGIN_FAILED', undefined, { wechatErrcode: reply.errcode });
      throw new DomainError('WECHAT_UNAVAILABLE', undefined, { wechatErrcode: reply.errcode });
    }
    return reply;
  }

  private appid(): string {
    if (!this.config.WECHAT_APPID) throw new DomainError('WECHAT_UNAVAILABLE', '未配置微信小程序（WECHAT_APPID）');
    return this.config.WECHAT_APPID;
  }

  private secret(): string {
    return this.config.WECHAT_SECRET ?? '';
  }
}

class StaleAccessToken extends Error {}
