import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { AccountKind, EntryKind } from '../ledger.types';
import { EntryProblemModel, SealCheckModel } from './ledger-seal.models';

@ObjectType({ description: 'What an entry was for, e.g. type ATTENDANCE with the attendance id.' })
export class EntryReferenceModel {
  @Field()
  type: string;

  @Field(() => ID)
  id: string;
}

@ObjectType({ description: "One line of an account's history: a posting and the entry it belongs to." })
export class LedgerLine {
  @Field(() => ID, { description: 'The posting id.' })
  id: string;

  @Field(() => ID)
  entryId: string;

  @Field(() => EntryKind)
  kind: EntryKind;

  @Field(() => Int, { description: 'Positive: points received; negative: points spent or taken back.' })
  amount: number;

  @Field(() => Int, { nullable: true, description: "The account's balance right after this line (resident accounts)." })
  balanceAfter: number | null;

  @Field({ description: 'e.g. the activity or course title, or the reason of a correction.' })
  memo: string;

  @Field(() => EntryReferenceModel, { nullable: true })
  reference: EntryReferenceModel | null;

  @Field(() => ID, { nullable: true, description: 'For a REVERSAL: the entry it undoes.' })
  reversesEntryId: string | null;

  @Field(() => ID, { nullable: true, description: 'Set when this entry was later reversed.' })
  reversedByEntryId: string | null;

  @Field()
  bookedAt: Date;

  @Field({ description: 'Accounting month, YYYY-MM (Asia/Shanghai).' })
  period: string;
}

@ObjectType()
export class LedgerLineConnection extends Connection(LedgerLine) {}

@ObjectType()
export class LedgerAccount {
  @Field(() => ID)
  id: string;

  @Field(() => AccountKind)
  kind: AccountKind;

  @Field(() => ID, { nullable: true })
  branchId: string | null;

  @Field(() => ID, { nullable: true })
  residentId: string | null;

  @Field(() => Int, { description: 'Issuance accounts are negative by the amount the branch has issued.' })
  balance: number;
}

@ObjectType()
export class PostedEntryModel {
  @Field(() => ID)
  id: string;

  @Field({ description: 'false when this exact request had already been booked (idempotent replay).' })
  created: boolean;

  @Field()
  bookedAt: Date;

  @Field({ description: 'Accounting month, YYYY-MM.' })
  period: string;
}

@ObjectType()
export class AccountMismatch {
  @Field(() => ID)
  accountId: string;

  @Field(() => AccountKind)
  kind: AccountKind;

  @Field(() => Int)
  stored: number;

  @Field(() => Int)
  computed: number;
}

@ObjectType()
export class UnbalancedEntry {
  @Field(() => ID)
  entryId: string;

  @Field(() => Int)
  postings: number;

  @Field(() => Int)
  total: number;
}

@ObjectType({ description: 'Stored balances checked against postings, for every account of a township.' })
export class ReconciliationReportModel {
  @Field(() => ID)
  townshipId: string;

  @Field()
  ok: boolean;

  @Field()
  checkedAt: Date;

  @Field(() => Int)
  accountsChecked: number;

  @Field(() => Int)
  entriesChecked: number;

  @Field(() => Int)
  postingsChecked: number;

  @Field(() => Int, { description: 'Sum of all stored balances: 0 when the township ledger balances.' })
  storedTotal: number;

  @Field(() => Int, { description: 'Sum of all postings: 0 when every entry balances.' })
  postedTotal: number;

  @Field(() => [AccountMismatch])
  mismatchedAccounts: AccountMismatch[];

  @Field(() => [UnbalancedEntry])
  unbalancedEntries: UnbalancedEntry[];

  @Field(() => [EntryProblemModel], { description: 'Entries changed after booking (content hash) or after sealing, or missing from or added to a sealed month.' })
  entryProblems: EntryProblemModel[];

  @Field(() => [SealCheckModel], { description: 'Every sealed month, oldest first, recomputed against its seal.' })
  sealedMonths: SealCheckModel[];
}
