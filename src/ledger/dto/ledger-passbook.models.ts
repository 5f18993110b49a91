import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { EntryKind } from '../ledger.types';
import { LedgerSealModel } from './ledger-seal.models';
import { EntryReferenceModel } from './ledger.models';

@ObjectType({ description: 'One line of the passbook: an entry on the resident\'s account.' })
export class PassbookEntry {
  @Field(() => ID, { description: 'The posting id.' })
  id: string;

  @Field(() => ID, { description: 'The entry: ask entryProof for it once its month is sealed.' })
  entryId: string;

  @Field(() => EntryKind)
  kind: EntryKind;

  @Field({ description: 'What it was for: the activity or course title, or the reason of a correction or refund.' })
  memo: string;

  @Field(() => EntryReferenceModel, { nullable: true })
  reference: EntryReferenceModel | null;

  @Field(() => ID, { nullable: true, description: 'For a REVERSAL (a refund or a correction): the entry it undoes.' })
  reversesEntryId: string | null;

  @Field(() => ID, { nullable: true, description: 'Set when this entry was later reversed.' })
  reversedByEntryId: string | null;

  @Field(() => Int, { description: 'Positive: points received; negative: points spent or taken back.' })
  amount: number;

  @Field(() => Int, { description: "The month's opening plus every line up to this one, in booking order." })
  balanceAfter: number;

  @Field()
  bookedAt: Date;
}

@ObjectType()
export class PassbookEntryConnection extends Connection(PassbookEntry) {}

@ObjectType({ description: "A month of the resident's passbook (存折). opening is always the previous month's closing." })
export class PassbookMonth {
  @Field({ description: 'YYYY-MM (Asia/Shanghai).' })
  month: string;

  @Field(() => Int)
  opening: number;

  @Field(() => Int, { description: 'Points received in the month (not counting a reversed expiry, which is in pointsExpired).' })
  pointsIn: number;

  @Field(() => Int, { description: 'Points spent or taken back in the month, other than by expiry.' })
  pointsOut: number;

  @Field(() => Int, { description: "Points expired in the month by the township's yearly reset (过期清零), net of any reversal of it." })
  pointsExpired: number;

  @Field(() => Int, { description: 'opening + pointsIn - pointsOut - pointsExpired.' })
  closing: number;

  @Field({ description: 'Whether the month is settled and sealed: its lines can no longer change.' })
  sealed: boolean;

  @Field(() => LedgerSealModel, { nullable: true, description: "The month's seal, to compare with the one on the notice board." })
  seal: LedgerSealModel | null;
}

@ObjectType()
export class PassbookMonthConnection extends Connection(PassbookMonth) {}
