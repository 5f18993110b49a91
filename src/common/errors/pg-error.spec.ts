import { GraphQLError } from 'graphql';
import { formatGraphQLError } from '../graphql/format-error';
import { domainErrorFromDatabase } from './pg-error';

describe('database errors as clients see them', () => {
  it.each([
    ['CB001', 'period 2026-11 is closed', 'PERIOD_CLOSED'],
    ['CB002', 'journal entry 42 is unbalanced (1 postings, sum 5)', 'LEDGER_INVARIANT_VIOLATED'],
    ['CB003', 'posting is append-only: UPDATE is not allowed; post a reversal instead', 'LEDGER_INVARIANT_VIOLATED'],
    ['CB004', 'account 6f1c… does not exist in township 9a2e…', 'UNKNOWN_ACCOUNT'],
    ['CB005', 'ledger writes must run at READ COMMITTED isolation', 'LEDGER_INVARIANT_VIOLATED'],
    ['CB006', 'an entry cannot be booked in the future', 'BAD_USER_INPUT'],
    ['CB007', "only the ledger's owner may date an entry", 'LEDGER_INVARIANT_VIOLATED'],
    ['CB008', 'seal of 2026-11 does not follow the seal of 2026-09', 'LEDGER_SEAL_BROKEN'],
    ['CBH01', 'star levels of 9a2e… must be 1..n with ascending thresholds', 'BAD_USER_INPUT'],
  ])('%s: code %s and our message, never the database text', (sqlstate, text, code) => {
    const error = domainErrorFromDatabase({ code: sqlstate, message: text });
    expect(error?.code).toBe(code);
    const formatted = formatGraphQLError({ message: text }, new GraphQLError(text, { originalError: error }));
    expect(formatted.extensions).toEqual({ code });
    expect(JSON.stringify(formatted)).not.toContain(text.slice(0, 12));
  });
});
