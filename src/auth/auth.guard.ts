import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/errors/domain.error';
import { IS_PUBLIC } from '../common/public.decorator';
import { requestOf } from './auth.decorators';
import { PrincipalCache } from './principal-cache';
import { TokenService } from './token.service';
import { isUuid } from '../common/ids';


/**
 * Installed globally (APP_GUARD): every query, mutation and route needs a valid access
 * token unless marked @Public(). What the caller may do is decided by access-policy.ts.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly principals: PrincipalCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = requestOf(context);
    const header = request.headers?.authorization;
    if (!header) throw new DomainError('UNAUTHENTICATED');
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match) throw new DomainError('UNAUTHENTICATED', '登录凭证格式不正确');
    const personId = this.tokens.verify(match[1], 'access');
    if (!isUuid(personId)) throw new DomainError('UNAUTHENTICATED', '登录已失效，请重新登录');
    // Field resolvers and nested calls reuse what the first check loaded.
    request.principal ??= await this.principals.load(personId);
    if (!request.principal) throw new DomainError('UNAUTHENTICATED', '登录已失效，请重新登录');
    return true;
  }
}
