import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';
import { MAINLAND_MOBILE } from '../common/graphql/text.validators';
import { OrganisationRepository, PersonInTownship } from '../organisation/organisation.repository';
import { LoginOptions, LoginResult, LoginStatus } from './dto/login.types';
import { TokenService } from './token.service';
import { WebBindingService } from './web-binding.service';
import { WechatClient } from './wechat.client';

/**
 * Residents sign in from the WeChat mini-program. The first time, their openid is bound
 * to the person a branch manager registered, by the phone number WeChat verified for
 * them (the `getPhoneNumber` button): nobody can claim a registration by typing
 * someone else's number. The web app signs in with WeChat web authorisation instead;
 * its first binding takes a code from the branch (WebBindingService). Persons are per
 * township: a WeChat user bound in several townships chooses one at login (CHOOSE_TOWNSHIP).
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly organisation: OrganisationRepository,
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

  /**
   * Inside WeChat's browser: the web authorisation code, for the openid under the official
   * account. Bound in several townships (a code from each): the choice, as in the mini-program.
   * Every answer carries the binding token, so a signed-in resident can also bind their
   * record in another township with that township's code (a code binds one township only).
   */
  async loginWithWechatWeb(code: string): Promise<LoginResult> {
    const openid = await this.wechat.openidForWebCode(code);
    const persons = await this.organisation.persons({ wechatWebOpenid: openid });
    const bindingToken = this.tokens.issueBindingToken(openid, 'wechat-web-binding');
    if (!persons.length) return { status: LoginStatus.BINDING_REQUIRED, bindingToken };
    return { ...this.loggedInOrChoice(persons, () => bindingToken), bindingToken };
  }

  /** Binds the township record whose binding code this is (WebBindingService.redeem), and logs in there. */
  async bindWechatWeb(bindingToken: string, mobile: string, bindingCode: string): Promise<LoginResult> {
    const openid = this.tokens.verify(bindingToken, 'wechat-web-binding');
    return this.loggedIn(await this.webBinding.redeem(openid, mobile, bindingCode));
  }

  async loginWithWechat(code: string): Promise<LoginResult> {
    const openid = await this.wechat.openidForLoginCode(code);
    const persons = await this.organisation.persons({ wechatOpenid: openid });
    if (!persons.length) return { status: LoginStatus.BINDING_REQUIRED, bindingToken: this.tokens.issueBindingToken(openid) };
    return this.loggedInOrChoice(persons, () => this.tokens.issueBindingToken(openid));
  }

  /**
   * Binds the WeChat user to every person registered with the phone number WeChat verified,
   * in each township where this WeChat user is not bound to someone else already: the
   * number is theirs, so each township's record of it is theirs.
   */
  async bindWechat(bindingToken: string, phoneCode: string): Promise<LoginResult> {
    const openid = this.tokens.verify(bindingToken, 'wechat-binding');
    const phone = await this.wechat.phoneNumberForCode(phoneCode);
    if (phone.countryCode !== '86' || !MAINLAND_MOBILE.test(phone.purePhoneNumber)) throw new DomainError('MOBILE_NOT_REGISTERED');
    const mobile = phone.purePhoneNumber;
    const registered = await this.organisation.persons({ mobile });
    if (!registered.length) throw new DomainError('MOBILE_NOT_REGISTERED');
    try {
      await this.organisation.bindWechatOpenid(mobile, openid);
    } catch (error) {
      // A concurrent binding of this WeChat user in the same township got there first.
      if ((error as { code?: string }).code !== '23505') throw error;
    }
    const bound = await this.organisation.persons({ mobile, wechatOpenid: openid });
    if (!bound.length) throw new DomainError('WECHAT_ALREADY_BOUND');
    return this.loggedInOrChoice(bound, () => this.tokens.issueBindingToken(openid));
  }

  /** After CHOOSE_TOWNSHIP: the WeChat user's person in that township, by the openid of the app (mini-program or web) the token is of. */
  async chooseTownship(bindingToken: string, townshipId: string): Promise<LoginResult> {
    const { subject: openid, kind } = this.tokens.verifyAny(bindingToken, ['wechat-binding', 'wechat-web-binding'] as const);
    const [person] = await this.organisation.persons(kind === 'wechat-web-binding' ? { wechatWebOpenid: openid, townshipId } : { wechatOpenid: openid, townshipId });
    if (!person) throw new DomainError('WECHAT_NOT_BOUND');
    return this.loggedIn(person.id);
  }

  /** Development only: sign in as any registered person by mobile number (and township, when several). */
  async devLogin(mobile: string, townshipId?: string): Promise<LoginResult> {
    if (!this.config.DEV_LOGIN_ENABLED || this.config.NODE_ENV === 'production') throw new DomainError('DEV_LOGIN_DISABLED');
    const persons = await this.organisation.persons({ mobile, townshipId });
    if (!persons.length) throw new DomainError('MOBILE_NOT_REGISTERED');
    if (persons.length > 1) return { status: LoginStatus.CHOOSE_TOWNSHIP, townships: persons.map((p) => ({ id: p.townshipId, name: p.townshipName })) };
    this.logger.warn(`development login as person ${persons[0].id}`);
    return this.loggedIn(persons[0].id);
  }

  /** One person: logged in. Several (one per township): the choice, with a token proving the WeChat user. */
  private loggedInOrChoice(persons: PersonInTownship[], bindingToken: () => string): LoginResult {
    if (persons.length === 1) return this.loggedIn(persons[0].id);
    return {
      status: LoginStatus.CHOOSE_TOWNSHIP,
      bindingToken: bindingToken(),
      townships: persons.map((p) => ({ id: p.townshipId, name: p.townshipName })),
    };
  }

  private loggedIn(personId: string): LoginResult {
    const { token, expiresAt } = this.tokens.issueAccessToken(personId);
    return { status: LoginStatus.LOGGED_IN, accessToken: token, expiresAt };
  }
}
