import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Public } from './auth.decorators';
import { AuthService } from './auth.service';
import { BindWechatArgs, DevLoginArgs, LoginResult, WechatLoginArgs } from './dto/login.types';

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

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
  @Mutation(() => LoginResult, { description: 'Development login by mobile number; only when DEV_LOGIN_ENABLED and never in production.' })
  devLogin(@Args() { mobile }: DevLoginArgs): Promise<LoginResult> {
    return this.auth.devLogin(mobile);
  }
}
