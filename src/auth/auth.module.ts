import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { OrganisationModule } from '../organisation/organisation.module';
import { AuthGuard } from './auth.guard';
import { AuthResolver } from './auth.resolver';
import { AuthService } from './auth.service';
import { LoginTicketService } from './login-ticket.service';
import { PrincipalCache } from './principal-cache';
import { PrincipalLoader } from './principal.loader';
import { TokenService } from './token.service';
import { WebBindingService } from './web-binding.service';
import { WechatClient } from './wechat.client';

@Module({
  imports: [OrganisationModule],
  providers: [
    TokenService,
    WechatClient,
    PrincipalLoader,
    PrincipalCache,
    AuthService,
    WebBindingService,
    LoginTicketService,
    AuthResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, PrincipalLoader, LoginTicketService],
})
export class AuthModule {}
