import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { AuthResolver } from './auth.resolver';
import { AuthService } from './auth.service';
import { PrincipalCache } from './principal-cache';
import { PrincipalLoader } from './principal.loader';
import { TokenService } from './token.service';
import { WebBindingService } from './web-binding.service';
import { WechatClient } from './wechat.client';

@Module({
  providers: [
    TokenService,
    WechatClient,
    PrincipalLoader,
    PrincipalCache,
    AuthService,
    WebBindingService,
    AuthResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, PrincipalLoader],
})
export class AuthModule {}
