import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler';
import { GraphQLResolveInfo } from 'graphql';
import { requestOf } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain.error';

/** Mutations that exchange WeChat credentials: limited per client address, before anyone is known. */
export const LOGIN_MUTATIONS = new Set(['loginWithWechat', 'bindWechat', 'loginWithWechatWeb', 'bindWechatWeb', 'loginWithTicket']);

const PUBLIC_PAGE = 'cb:publicPage';
/** Marks an HTTP route anyone may call without logging in (the public statements): limited per client address. */
export const PublicPage = () => SetMetadata(PUBLIC_PAGE, true);

/**
 * Four limits. Three on GraphQL, each counted per root field of an operation:
 * - `login`: WeChat login and binding, login links, per client IP address;
 * - `mutation`: every other mutation, per signed-in person (per IP when anonymous);
 * - `read`: root query fields, per signed-in person (per IP when anonymous): the query
 *   limits bound one request, this bounds how many a person sends;
 * and one on the public pages (`@PublicPage()` routes), which need no login:
 * - `public`: per client IP address.
 * Counted per limit, not per operation, so spreading calls over several mutations does
 * not multiply the allowance. Over the limit: RATE_LIMITED, nothing runs.
 * devLogin is not limited: it exists only outside production.
 */
@Injectable()
export class GraphqlThrottlerGuard extends ThrottlerGuard {
  protected override getRequestResponse(context: ExecutionContext) {
    const req = requestOf(context) as Record<string, any>;
    // The reply gets the X-RateLimit-* headers.
    const res = context.getType<string>() === 'graphql' ? GqlExecutionContext.create(context).getContext().reply : context.switchToHttp().getResponse();
    return { req, res: res ?? { header: () => undefined } };
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const isPublic = request.throttler.name === 'public';
    if (request.context.getType<string>() === 'http') {
      const publicPage = this.reflector.getAllAndOverride<boolean>(PUBLIC_PAGE, [request.context.getHandler(), request.context.getClass()]);
      return isPublic && publicPage ? super.handleRequest(request) : true;
    }
    if (request.context.getType<string>() !== 'graphql' || isPublic) return true;
    const info = GqlExecutionContext.create(request.context).getInfo<GraphQLResolveInfo>();
    if (info.parentType.name === 'Query') return request.throttler.name === 'read' ? super.handleRequest(request) : true;
    if (info.parentType.name !== 'Mutation' || info.fieldName === 'devLogin') return true;
    const limit = LOGIN_MUTATIONS.has(info.fieldName) ? 'login' : 'mutation';
    return request.throttler.name === limit ? super.handleRequest(request) : true;
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return principal ? `person:${principal.personId}` : `ip:${req.ip ?? req.socket?.remoteAddress ?? 'unknown'}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(): Promise<void> {
    throw new DomainError('RATE_LIMITED');
  }
}
