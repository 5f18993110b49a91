import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Hands every exception thrown in a resolver to Apollo untouched, so formatGraphQLError
 * is the one place that maps errors (and logs the unexpected ones). Without it, Nest
 * logs expected DomainErrors like FORBIDDEN as crashes. HTTP routes keep Nest's handling.
 */
@Catch()
export class PassthroughExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType<string>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
