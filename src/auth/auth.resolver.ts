import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { uuidArg } from '../common/graphql/uuid.arg';
import { Public } from '../common/public.decorator';
import { CurrentPrincipal } from './auth.decorators';
import { AuthService } from './auth.service';
import { LoginTicketService } from './login-ticket.service';
import {
  BindingCode,
  BindWechatArgs,
  BindWechatWebArgs,
  ChooseTownshipArgs,
  DevLoginArgs,
  TicketLoginArgs,
  LoginOptions,
  LoginResult,
  WechatLoginArgs,
  WechatWebLoginArgs,
} from './dto/login.types';
import { Principal } from './principal';
import { WebBindingService } from './web-binding.service';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly webBinding: WebBindingService,
    private readonly tickets: LoginTicketService,
  ) {}

  @Public()
  @Query(() => LoginOptions, { description: 'How the web app may sign people in (development login, WeChat web authorisation).' })
  loginOptions(): LoginOptions {
    return this.auth.loginOptions();
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'Spends a one-time admin login link (`npm run cli -- admin-login-link`): works once, for 15 minutes, in production too.' })
  loginWithTicket(@Args() { ticket }: TicketLoginArgs): Promise<LoginResult> {
    return this.tickets.login(ticket);
  }

  @Public()
  @Mutation(() => LoginResult, { description: '微信网页授权: exchange the snsapi_base `code` of the web app for an access token.' })
  loginWithWechatWeb(@Args() { code }: WechatWebLoginArgs): Promise<LoginResult> {
    return this.auth.loginWithWechatWeb(code);
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'First web sign-in: bind this WeChat user with the mobile and the binding code the branch handed out.' })
  bindWechatWeb(@Args() { bindingToken, mobile, bindingCode }: BindWechatWebArgs): Promise<LoginResult> {
    return this.auth.bindWechatWeb(bindingToken, mobile, bindingCode);
  }

  @Mutation(() => BindingCode, { description: "A new binding code for a resident's first web sign-in (the branch's managers, admins); replaces any earlier one." })
  issueBindingCode(
    @CurrentPrincipal() actor: Principal,
    @Args('residentId', { type: () => ID }, uuidArg) residentId: string,
  ): Promise<BindingCode> {
    return this.webBinding.issue(actor, residentId);
  }

  @Public()
  @Mutation(() => LoginResult, { description: '微信登录: exchange a `wx.login()` code for an access token.' })
  loginWithWechat(@Args() { code }: WechatLoginArgs): Promise<LoginResult> {
    return this.auth.loginWithWechat(code);
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'First login: bind this WeChat user to the person registered with its verified phone number.' })
  bindWechat(@Args() { bindingToken, phoneCode }: BindWechatArgs): Promise<LoginResult> {
    return this.auth.bindWechat(bindingToken, phoneCode);
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'After CHOOSE_TOWNSHIP: log in as this WeChat user in one of the townships offered.' })
  chooseTownship(@Args() { bindingToken, townshipId }: ChooseTownshipArgs): Promise<LoginResult> {
    return this.auth.chooseTownship(bindingToken, townshipId);
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'Development login by mobile number; only when DEV_LOGIN_ENABLED and never in production.' })
  devLogin(@Args() { mobile, townshipId }: DevLoginArgs): Promise<LoginResult> {
    return this.auth.devLogin(mobile, townshipId);
  }
}
