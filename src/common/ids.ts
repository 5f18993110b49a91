/** A UUID in its text form (any case): what every table's id is, except the ledger's entries. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_PATTERN.test(value);

/** A bigint identity value as text, as the database can take it (ledger entries and postings): what guards a cast. */
export const isSerial = (value: unknown): value is string => typeof value === 'string' && /^\d{1,18}$/.test(value);

/** A journal entry id as the API takes it: a positive bigint serial, as text. */
export const ENTRY_ID_PATTERN = /^[1-9]\d{0,17}$/;
