import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from '../errors/domain.error';
import { ERROR_MESSAGES, ErrorCode } from '../errors/error-code';
import { domainErrorFromDatabase } from '../errors/pg-error';
import { isTokenLimitError } from '../../graphql/query-limits';

/** Apollo's own codes for requests that never reached a resolver, and what a resident reads. */
const REQUEST_ERRORS: Record<string, { code: ErrorCode | string; message: string }> = {
  GRAPHQL_PARSE_FAILED: { code: 'GRAPHQL_PARSE_FAILED', message: '请求格式不正确' },
  GRAPHQL_VALIDATION_FAILED: { code: 'GRAPHQL_VALIDATION_FAILED', message: '请求内容不符合接口定义' },
  BAD_USER_INPUT: { code: 'BAD_USER_INPUT', message: '输入有误：参数类型或取值不正确' },
  PERSISTED_QUERY_NOT_FOUND: { code: 'PERSISTED_QUERY_NOT_FOUND', message: '请求已失效，请重试' },
  OPERATION_RESOLUTION_FAILURE: { code: 'OPERATION_RESOLUTION_FAILURE', message: '请求格式不正确' },
  BAD_REQUEST: { code: 'BAD_REQUEST', message: '请求格式不正确' },
};

/**
 * The single mapping from anything thrown to what a client sees: a stable
 * `extensions.code` and a Chinese message. Unknown errors are hidden (and logged with
 * the request id by graphql-observability.plugin.ts, see unexpectedError).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = originalError(error);
  const domain = domainError(original);
  if (domain) {
    return {
      message: domain.message,
      path: formatted.path,
      extensions: { ...domain.details, code: domain.code },
    };
  }
  const apolloCode = formatted.extensions?.code as string | undefined;
  if (apolloCode === 'GRAPHQL_PARSE_FAILED' && isTokenLimitError(formatted.message)) {
    return { message: '查询过长，请缩短查询', extensions: { code: 'QUERY_TOO_COMPLEX' } };
  }
  if (apolloCode && REQUEST_ERRORS[apolloCode]) {
    const known = REQUEST_ERRORS[apolloCode];
    return {
      message: known.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: known.code, detail: formatted.message },
    };
  }
  return {
    message: ERROR_MESSAGES.INTERNAL_SERVER_ERROR,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** The error behind `error` when it is a bug (what formatGraphQLError hides as INTERNAL_SERVER_ERROR), else undefined. */
export function unexpectedError(error: GraphQLError): unknown {
  const original = originalError(error);
  const apolloCode = error.extensions?.code as string | undefined;
  return domainError(original) || (apolloCode && REQUEST_ERRORS[apolloCode]) ? undefined : original;
}

function originalError(error: unknown): unknown {
  const unwrapped = unwrapResolverError(error);
  // Errors thrown by plugins (query limits) reach us as a GraphQLError wrapping ours.
  return unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError ? unwrapped.originalError : unwrapped;
}

function domainError(original: unknown): DomainError | undefined {
  return domainErrorFromDatabase(original) ?? nestHttpError(original);
}

/** Nest's guards and pipes throw HttpExceptions; map the ones we can meet. */
function nestHttpError(error: unknown): DomainError | undefined {
  const status = (error as { getStatus?: () => number })?.getStatus?.();
  if (status === 401) return new DomainError('UNAUTHENTICATED');
  if (status === 403) return new DomainError('FORBIDDEN');
  if (status === 429) return new DomainError('RATE_LIMITED');
  if (status === 400) return new DomainError('BAD_USER_INPUT');
  return undefined;
}

/**
 * Production: graphql-js's "Did you mean …?" hints (fields, arguments, types, enum values)
 * are cut from every message, so a refused request teaches a prober no names.
 */
export function formatGraphQLErrorWithoutSuggestions(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const result = formatGraphQLError(formatted, error);
  const detail = result.extensions?.detail;
  return {
    ...result,
    message: withoutSuggestions(result.message),
    ...(typeof detail === 'string' ? { extensions: { ...result.extensions, detail: withoutSuggestions(detail) } } : {}),
  };
}

function withoutSuggestions(text: string): string {
  return text.replace(/\s*Did you mean [^?]*\?/g, '');
}
