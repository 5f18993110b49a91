import { ArgsType, Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsMainlandMobile } from '../../common/graphql/text.validators';

export enum LoginStatus {
  /** `accessToken` is set. */
  LOGGED_IN = 'LOGGED_IN',
  /** The WeChat user is not linked to a registered person yet: call `bindWechat` (or `bindWechatWeb`) with `bindingToken`. */
  BINDING_REQUIRED = 'BINDING_REQUIRED',
  /** Registered in several townships: call `chooseTownship` with `bindingToken` and one of `townships`. */
  CHOOSE_TOWNSHIP = 'CHOOSE_TOWNSHIP',
}
registerEnumType(LoginStatus, { name: 'LoginStatus' });

@ObjectType({ description: 'A township the signing-in person is registered in.' })
export class TownshipChoice {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;
}

@ObjectType()
export class LoginResult {
  @Field(() => LoginStatus)
  status: LoginStatus;

  @Field(() => String, { nullable: true, description: 'Send as `Authorization: Bearer <accessToken>`.' })
  accessToken?: string;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'Short-lived (10 min); proves which WeChat user is binding or choosing a township. `loginWithWechatWeb` always sends it: a signed-in resident binds their record in another township with its code (`bindWechatWeb`).',
  })
  bindingToken?: string;

  @Field(() => [TownshipChoice], { nullable: true, description: 'With CHOOSE_TOWNSHIP: the townships this person is registered in.' })
  townships?: TownshipChoice[];
}

const WECHAT_CODE = /^[A-Za-z0-9_-]{1,128}$/;

@ArgsType()
export class WechatLoginArgs {
  @Field({ description: 'The code from `wx.login()`.' })
  @IsString()
  @Matches(WECHAT_CODE)
  code: string;
}

@ArgsType()
export class BindWechatArgs {
  @Field()
  @IsString()
  @Length(1, 2000)
  bindingToken: string;

  @Field({ description: 'The code from the `getPhoneNumber` button: WeChat verifies the number, we match it to a registered person.' })
  @IsString()
  @Matches(WECHAT_CODE)
  phoneCode: string;
}

@ArgsType()
export class ChooseTownshipArgs {
  @Field({ description: 'The `bindingToken` of a CHOOSE_TOWNSHIP answer.' })
  @IsString()
  @Length(1, 2000)
  bindingToken: string;

  @Field(() => ID)
  @IsUUID()
  townshipId: string;
}

@ArgsType()
export class DevLoginArgs {
  @Field({ description: 'Mobile number of a registered person.' })
  @IsMainlandMobile()
  mobile: string;

  @Field(() => ID, { nullable: true, description: 'Which township, when the number is registered in several.' })
  @IsOptional()
  @IsUUID()
  townshipId?: string;
}

@ArgsType()
export class WechatWebLoginArgs {
  @Field({ description: 'The `code` WeChat web authorisation (snsapi_base) appended to the redirect URL.' })
  @IsString()
  @Matches(WECHAT_CODE)
  code: string;
}

@ArgsType()
export class TicketLoginArgs {
  @Field({ description: 'The `ticket` of a one-time login link from `admin-login-link` (the CLI).' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/)
  ticket: string;
}

@ArgsType()
export class BindWechatWebArgs {
  @Field({ description: 'From `loginWithWechatWeb` (BINDING_REQUIRED).' })
  @IsString()
  @Length(1, 2000)
  bindingToken: string;

  @Field({ description: 'The mobile number the branch registered.' })
  @IsMainlandMobile()
  mobile: string;

  @Field({ description: 'The 6-digit binding code (绑定码) the branch handed out.' })
  @Matches(/^\d{6}$/)
  bindingCode: string;
}

@ObjectType({ description: 'A one-time code that binds a resident\'s WeChat on first web sign-in (绑定码).' })
export class BindingCode {
  @Field({ description: '6 digits, to hand to the resident; shown once.' })
  code: string;

  @Field()
  expiresAt: Date;
}

@ObjectType({ description: 'How the web app may sign people in here.' })
export class LoginOptions {
  @Field({ description: 'The development login by mobile is on (never in production).' })
  devLogin: boolean;

  @Field(() => String, { nullable: true, description: 'The official account whose web authorisation signs in inside WeChat; null when not configured.' })
  wechatWebAppId: string | null;
}
