import { registerEnumType } from '@nestjs/graphql';

export enum AccountKind {
  RESIDENT = 'RESIDENT',
  BRANCH_ISSUANCE = 'BRANCH_ISSUANCE',
  BRANCH_REDEMPTION = 'BRANCH_REDEMPTION',
  TOWNSHIP_ADJUSTMENT = 'TOWNSHIP_ADJUSTMENT',
  TOWNSHIP_EXPIRY = 'TOWNSHIP_EXPIRY',
}
registerEnumType(AccountKind, { name: 'AccountKind' });

export enum EntryKind {
  /** Points issued by a branch for attendance. */
  MINT = 'MINT',
  /** Points spent on a course. */
  SPEND = 'SPEND',
  /** A township admin's correction, with a written reason. */
  ADJUSTMENT = 'ADJUSTMENT',
  /** Undoes another entry exactly (refunds are reversals of the charge). */
  REVERSAL = 'REVERSAL',
  /** A township's yearly reset: a resident's unspent points earned before the cut-off, to the township expiry account. */
  EXPIRY = 'EXPIRY',
}
registerEnumType(EntryKind, { name: 'EntryKind' });

/** What an entry pays for; (type, id) is also the natural idempotency key of flows. */
export interface EntryReference {
  type: string;
  id: string;
}

export interface PostingLine {
  accountId: string;
  /** Positive credits the account, negative debits it. Whole points. */
  amount: number;
}

export interface PostEntryRequest {
  townshipId: string;
  idempotencyKey: string;
  kind: Exclude<EntryKind, EntryKind.REVERSAL>;
  memo: string;
  lines: PostingLine[];
  reference?: EntryReference;
  /** The person who caused the entry; absent for system jobs. */
  createdBy?: string | null;
  /**
   * Backdates the entry (imports, demo history, tests). The database still derives the
   * period from it and refuses closed periods and future times.
   */
  bookedAt?: Date;
}

export interface ReverseEntryRequest {
  townshipId: string;
  entryId: string;
  reason: string;
  createdBy?: string | null;
  /** Defaults to `reversal:<entryId>`, so an entry has one natural reversal. */
  idempotencyKey?: string;
}

export interface PostedEntry {
  id: string;
  /** false when the idempotency key had already been used with the same content. */
  created: boolean;
  bookedAt: Date;
  /** The entry's accounting month (Asia/Shanghai), `YYYY-MM`. */
  period: string;
}
