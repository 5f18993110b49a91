import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Public } from './auth.decorators';
import { AuthService } from './auth.service';
import { BindWechatArgs, ChooseTownshipArgs, DevLoginArgs, LoginResult, WechatLoginArgs } from './dto/login.types';

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
