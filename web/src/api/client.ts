import type { TypedDocumentString } from '../gql/graphql';
import { session, signOut } from './session';

/**
 * A coded failure from the API (`extensions.code`, with its Chinese message), or one of
 * ours for a lost connection (NETWORK_ERROR). Screens show `message` where it happened.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** BAD_USER_INPUT: the fields at fault (e.g. `input.title`). */
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

export const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试';

interface GraphQLResponse<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string; fields?: { field: string }[] } }[];
}

/** Listeners told when the token was refused (expired, revoked): the app offers to sign in again. */
const expiredListeners = new Set<() => void>();
export const onSessionExpired = (listener: () => void) => expiredListeners.add(listener);

/**
 * POSTs one typed operation to /graphql as JSON (a non-simple content type, so Apollo's
 * CSRF prevention lets it through) with the token as a bearer header, never in the URL.
 */
export async function request<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  let response: Response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: document.toString(), variables }) });
  } catch {
    throw new ApiError('NETWORK_ERROR', NETWORK_MESSAGE);
  }
  let body: GraphQLResponse<R>;
  try {
    body = (await response.json()) as GraphQLResponse<R>;
  } catch {
    throw new ApiError('NETWORK_ERROR', response.status >= 500 ? '服务暂时不可用，请稍后再试' : NETWORK_MESSAGE);
  }
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
    if (code === 'UNAUTHENTICATED' && session.token) {
      signOut();
      expiredListeners.forEach((listener) => listener());
    }
    throw new ApiError(code, error.message, (error.extensions?.fields ?? []).map((f) => f.field));
  }
  return body.data as R;
}

/** The message to show for anything thrown by `request` (or a bug). */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : '出错了，请稍后再试';
}
