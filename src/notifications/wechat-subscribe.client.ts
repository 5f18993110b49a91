import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

const TIMEOUT_MS = 5000;
/** Our access token is no longer valid (40001 invalid credential, 40014 invalid token, 42001 expired). */
const STALE_TOKEN = new Set([40001, 40014, 42001]);

/** What became of one subscription message. */
export type SendOutcome =
  | { outcome: 'sent' }
  /** 43101: the user has not accepted (or has used up) the template. */
  | { outcome: 'refused' }
  /** 45009: the API's rate limit; WeChat did not take it. */
  | { outcome: 'rate-limited' }
  /** The request never reached WeChat (connection refused, no token): safe to try again. */
  | { outcome: 'unreachable'; error: string }
  /** Anything else, including a timeout after the request went out: not tried again. */
  | { outcome: 'failed'; error: string };

interface WechatReply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
}

export interface SubscribeMessage {
  openid: string;
  templateId: string;
  page: string;
  data: Record<string, { value: string }>;
}

/**
 * WeChat's subscription messages (`cgi-bin/message/subscribe/send`) with the
 * mini-program's access token from `cgi-bin/stable_token`, cached until five minutes
 * before it expires and shared by concurrent sends. The stable token is the same for
 * every process that asks without force_refresh, so workers do not invalidate each
 * other's; a send refused for a stale token forces one refresh and is tried once more.
 */
@Injectable()
export class WechatSubscribeClient {
  private readonly logger = new Logger(WechatSubscribeClient.name);
  private token?: { value: string; expiresAt: number };
  private fetching?: Promise<string>;

  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return !!this.config.WECHAT_APPID;
  }

  async send(message: SubscribeMessage): Promise<SendOutcome> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let token: string;
      try {
        token = await this.accessToken(attempt > 0);
      } catch (error) {
        return { outcome: 'unreachable', error: `access token: ${(error as Error).message}` };
      }
      const reply = await this.post('/cgi-bin/message/subscribe/send', { access_token: token }, {
        touser: message.openid,
        template_id: message.templateId,
        page: message.page,
        data: message.data,
        miniprogram_state: this.config.WECHAT_MINIPROGRAM_STATE,
        lang: 'zh_CN',
      });
      if (reply.kind !== 'reply') return { outcome: reply.kind, error: reply.error };
      const errcode = reply.body.errcode ?? 0;
      if (errcode === 0) return { outcome: 'sent' };
      if (STALE_TOKEN.has(errcode) && attempt === 0) {
        this.logger.warn(`WeChat refused our access token (${errcode}): refreshing it once`);
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      if (errcode === 43101) return { outcome: 'refused' };
      if (errcode === 45009) return { outcome: 'rate-limited' };
      return { outcome: 'failed', error: `errcode ${errcode}: ${reply.body.errmsg ?? ''}` };
    }
    return { outcome: 'failed', error: 'access token refused twice' };
  }

  /** The cached token, or one fetched (once for all concurrent callers); `force` asks WeChat for a new one. */
  private async accessToken(force: boolean): Promise<string> {
    if (!force && this.token && this.token.expiresAt > Date.now()) return this.token.value;
    if (!this.fetching) {
      this.fetching = this.fetchToken(force).finally(() => (this.fetching = undefined));
    }
    return this.fetching;
  }

  private async fetchToken(force: boolean): Promise<string> {
    const reply = await this.post('/cgi-bin/stable_token', {}, {
      grant_type: 'client_credential',
      appid: this.config.WECHAT_APPID ?? '',
      secret: this.config.WECHAT_SECRET ?? '',
      force_refresh: force,
    });
    if (reply.kind !== 'reply') throw new Error(reply.error);
    const { access_token, expires_in, errcode, errmsg } = reply.body;
    if (!access_token) throw new Error(`stable_token errcode ${errcode}: ${errmsg ?? ''}`);
    // Renewed five minutes early: the token lasts 7200 s.
    this.token = { value: access_token, expiresAt: Date.now() + ((expires_in ?? 7200) - 300) * 1000 };
    return access_token;
  }

  private async post(
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): Promise<{ kind: 'reply'; body: WechatReply } | { kind: 'unreachable' | 'failed'; error: string }> {
    const url = new URL(this.config.WECHAT_API_BASE_URL.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      // Refused before anything was sent: the message certainly did not go out.
      const code = ((error as { cause?: { code?: string } }).cause?.code ?? '') as string;
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'unreachable', error: `${path}: ${code}` };
      return { kind: 'failed', error: `${path}: ${(error as Error).message}` };
    }
    try {
      if (!response.ok) return { kind: 'failed', error: `${path}: HTTP ${response.status}` };
      return { kind: 'reply', body: (await response.json()) as WechatReply };
    } catch (error) {
      return { kind: 'failed', error: `${path}: ${(error as Error).message}` };
    }
  }
}
