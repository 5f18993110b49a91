import { DomainError } from './domain.error';

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** SQLSTATEs raised by our own triggers: the ledger's (see the foundation migration), then others'. */
const OWN_SQLSTATE: Record<string, DomainError['code']> = {
  CB001: 'PERIOD_CLOSED',
  CB002: 'LEDGER_INVARIANT_VIOLATED',
  CB003: 'LEDGER_INVARIANT_VIOLATED',
  CB004: 'UNKNOWN_ACCOUNT',
  CB005: 'LEDGER_INVARIANT_VIOLATED',
  CB006: 'BAD_USER_INPUT',
  CB007: 'LEDGER_INVARIANT_VIOLATED',
  CB008: 'LEDGER_SEAL_BROKEN',
  // A township's star ladder that does not ascend (the honours migration re-checks it at commit).
  CBH01: 'BAD_USER_INPUT',
};

/** Constraint names whose violation is an expected, user-facing outcome. */
const CONSTRAINTS: Record<string, DomainError['code']> = {
  account_balance_not_negative: 'INSUFFICIENT_POINTS',
  journal_entry_reverses_entry_id_key: 'ALREADY_REVERSED',
  // Good deeds: two reports racing for one photo, two kinds renamed to one name at once.
  deed_report_photo_id_key: 'PHOTO_NOT_AVAILABLE',
  deed_kind_township_id_name_key: 'ALREADY_EXISTS',
};

/** Lost or refused connections: nothing committed that was not already committed; try again. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const CONNECTION_MESSAGES = /Connection terminated|ECONNRESET|ECONNREFUSED|connection timeout|terminating connection/i;

export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * Maps a database error to the DomainError a client should see, or returns undefined
 * for errors that are bugs (they surface as INTERNAL_SERVER_ERROR and are logged).
 */
export function domainErrorFromDatabase(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  const e = (error as { driverError?: PgError }).driverError ?? (error as PgError);
  if (!e || typeof e !== 'object') return undefined;
  // The database's own text stays in the logs: a client gets the code and our message.
  if (e.code && OWN_SQLSTATE[e.code]) return new DomainError(OWN_SQLSTATE[e.code]);
  if (e.constraint && CONSTRAINTS[e.constraint]) return new DomainError(CONSTRAINTS[e.constraint]);
  if ((e.code && (CONNECTION_SQLSTATES.has(e.code) || RETRYABLE_SQLSTATES.has(e.code))) || CONNECTION_MESSAGES.test(e.message ?? '')) {
    return new DomainError('TEMPORARILY_UNAVAILABLE', undefined, { retryable: true });
  }
  return undefined;
}
