import { ERROR_MESSAGES, ErrorCode } from './error-code';

/**
 * An expected failure with a stable code. Thrown anywhere in the service; the GraphQL
 * layer turns it into `{ message, extensions: { code, ...details } }`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_MESSAGES[code],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** Failures the client may simply try again (connection lost, lock conflicts). */
  get retryable(): boolean {
    return this.code === 'TEMPORARILY_UNAVAILABLE';
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `未找到${what}`);
export const forbidden = () => new DomainError('FORBIDDEN');
