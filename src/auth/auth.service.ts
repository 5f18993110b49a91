import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';
import { MAINLAND_MOBILE } from '../common/graphql/text.validators';
import { LoginOptions, LoginResult, LoginStatus } from './dto/login.types';
import { TokenService } from './token.service';
import { WebBindingService } from './web-binding.service';
import { WechatClient } from './wechat.client';

/**
 * Residents sign in from the WeChat mini-program. The first time, their openid is bound
 * to the person a branch manager registered, by the phone number WeChat verified for
 * them (the `getPhoneNumber` button): nobody can claim a registration by typing
 * someone else's number. The web app signs in with WeChat web authorisation instead;
 * its first binding takes a code from the branch (WebBindingService).
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly wechat: WechatClient,
    private readonly webBinding: WebBindingService,
  ) {}

  loginOptions(): LoginOptions {
    return {
      devLogin: this.config.DEV_LOGIN_ENABLED && this.config.NODE_ENV !== 'production',
      wechatWebAppId: this.config.WECHAT_WEB_APPID ?? null,
    };
  }

  /** Inside WeChat's browser: the web authorisation code, for the openid under the official account. */
  async loginWithWechatWeb(code: string): Promise<LoginResult> {
    const openid = await this.wechat.openidForWebCode(code);
    const [person] = await this.dataSource.query(`SELECT id FROM person WHERE wechat_web_openid = $1`, [openid]);
    if (!person) return { status: LoginStatus.BINDING_REQUIRED, bindingToken: this.tokens.issueBindingToken(openid, 'wechat-web-binding') };
    return this.loggedIn(person.id);
  }

  async bindWechatWeb(bindingToken: string, mobile: string, bindingCode: string): Promise<LoginResult> {
    const openid = this.tokens.verify(bindingToken, 'wechat-web-binding');
    return this.loggedIn(await this.webBinding.redeem(openid, mobile, bindingCode));
  }

  async loginWithWechat(code: string): Promise<LoginResult> {
    const openid = await this.wechat.openidForLoginCode(code);
    const [person] = await this.dataSource.query(`SELECT id FROM person WHERE wechat_openid = $1`, [openid]);
    if (!person) return { status: LoginStatus.BINDING_REQUIRED, bindingToken: this.tokens.issueBindingToken(openid) };
    return this.loggedIn(person.id);
  }

  async bindWechat(bindingToken: string, phoneCode: string): Promise<LoginResult> {
    const openid = this.tokens.verify(bindingToken, 'wechat-binding');
    const phone = await this.wechat.phoneNumberForCode(phoneCode);
    if (phone.countryCode !== '86' || !MAINLAND_MOBILE.test(phone.purePhoneNumber)) throw new DomainError('MOBILE_NOT_REGISTERED');
    const [person] = await this.dataSource.query(`SELECT id, wechat_openid AS openid FROM person WHERE mobile = $1`, [
      phone.purePhoneNumber,
    ]);
    if (!person) throw new DomainError('MOBILE_NOT_REGISTERED');
    if (person.openid === openid) return this.loggedIn(person.id);
    if (person.openid) throw new DomainError('WECHAT_ALREADY_BOUND');
    try {
      const [, updated] = await this.dataSource.query(
        `UPDATE person SET wechat_openid = $2 WHERE id = $1 AND wechat_openid IS NULL`,
        [person.id, openid],
      );
      if (updated !== 1) throw new DomainError('WECHAT_ALREADY_BOUND');
    } catch (error) {
      // This WeChat user is already bound to another person.
      if ((error as { code?: string }).code === '23505') throw new DomainError('WECHAT_ALREADY_BOUND');
      throw error;
    }
    return this.loggedIn(person.id);
  }

  /** Development only: sign in as any registered person by mobile number. */
  async devLogin(mobile: string): Promise<LoginResult> {
    if (!this.config.DEV_LOGIN_ENABLED || this.config.NODE_ENV === 'production') throw new DomainError('DEV_LOGIN_DISABLED');
    const [person] = await this.dataSource.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    if (!person) throw new DomainError('MOBILE_NOT_REGISTERED');
    this.logger.warn(`development login as person ${person.id}`);
    return this.loggedIn(person.id);
  }

  private loggedIn(personId: string): LoginResult {
    const { token, expiresAt } = this.tokens.issueAccessToken(personId);
    return { status: LoginStatus.LOGGED_IN, accessToken: token, expiresAt };
  }
}
