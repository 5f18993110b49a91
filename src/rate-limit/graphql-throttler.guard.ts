import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard } from '@nestjs/throttler';
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

  /**
   * One counter per request at most: the limit that applies is chosen here, and only its
   * counter is incremented (ThrottlerGuard's own loop would look up five route options
   * for each of the four limits on every resolver call). The limits are plain numbers
   * (RateLimitModule); no route overrides them with @Throttle or @SkipThrottle.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const name = this.limitFor(context);
    const throttler = name && this.throttlers.find((t) => t.name === name);
    if (!throttler) return true;
    const ttl = throttler.ttl as number;
    return this.handleRequest({
      context,
      throttler,
      limit: throttler.limit as number,
      ttl,
      blockDuration: (throttler.blockDuration as number | undefined) ?? ttl,
      getTracker: this.commonOptions.getTracker!,
      generateKey: this.commonOptions.generateKey!,
    });
  }

  private limitFor(context: ExecutionContext): string | undefined {
    if (context.getType<string>() === 'http') {
      const publicPage = this.reflector.getAllAndOverride<boolean>(PUBLIC_PAGE, [context.getHandler(), context.getClass()]);
      return publicPage ? 'public' : undefined;
    }
    if (context.getType<string>() !== 'graphql') return undefined;
    const info = GqlExecutionContext.create(context).getInfo<GraphQLResolveInfo>();
    if (info.parentType.name === 'Query') return 'read';
    if (info.parentType.name !== 'Mutation' || info.fieldName === 'devLogin') return undefined;
    return LOGIN_MUTATIONS.has(info.fieldName) ? 'login' : 'mutation';
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
