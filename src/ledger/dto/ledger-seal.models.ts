import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ProofSide } from '../ledger-seal';
import { EntryProblemKind } from '../ledger-seal.service';

registerEnumType(ProofSide, { name: 'ProofSide', description: 'Which side the sibling hash goes on when climbing a Merkle path.' });
registerEnumType(EntryProblemKind, { name: 'EntryProblemKind' });

@ObjectType('LedgerSeal', { description: "A month's seal: the Merkle root of its entries chained to the previous month's seal (hex SHA-256)." })
export class LedgerSealModel {
  @Field({ description: 'YYYY-MM.' })
  month: string;

  @Field(() => Int)
  entryCount: number;

  @Field()
  merkleRoot: string;

  @Field({ description: "The previous month's seal; 64 zeros for a township's first sealed month." })
  previousSeal: string;

  @Field({ description: 'SHA-256(previousSeal ‖ merkleRoot): the value to publish and compare.' })
  seal: string;

  @Field()
  sealedAt: Date;
}

@ObjectType()
export class ProofStep {
  @Field(() => ProofSide)
  side: ProofSide;

  @Field()
  hash: string;
}

@ObjectType({
  description:
    'Proof that an entry is inside its month\'s seal: leaf = SHA-256(0x00 ‖ canonicalEntry); climbing the path, ' +
    'parent = SHA-256(0x01 ‖ left ‖ right); the top is merkleRoot; SHA-256(previousSeal ‖ merkleRoot) = seal.',
})
export class EntryProof {
  @Field(() => ID)
  entryId: string;

  @Field()
  month: string;

  @Field({ description: 'The entry as sealed (format cb-entry-v1, see the README): what was booked, when, on which accounts.' })
  canonicalEntry: string;

  @Field(() => Int, { description: "The entry's position among the month's entries (by id, from 0)." })
  leafIndex: number;

  @Field(() => Int)
  leafCount: number;

  @Field(() => [ProofStep], { description: 'Sibling hashes from the leaf up to the root.' })
  path: ProofStep[];

  @Field()
  merkleRoot: string;

  @Field()
  previousSeal: string;

  @Field()
  seal: string;

  @Field({ description: 'Checked by the server as it sends it; a client should check it again itself.' })
  valid: boolean;
}

@ObjectType('EntryProblem', { description: 'An entry that no longer matches its content hash or its seal.' })
export class EntryProblemModel {
  @Field(() => ID)
  entryId: string;

  @Field()
  month: string;

  @Field(() => EntryProblemKind)
  problem: EntryProblemKind;

  @Field()
  description: string;
}

@ObjectType('SealCheck', { description: 'A sealed month recomputed from the entries now in it.' })
export class SealCheckModel {
  @Field()
  month: string;

  @Field(() => Int)
  entryCount: number;

  @Field({ description: 'The stored seal.' })
  seal: string;

  @Field({ description: 'The seal recomputed now; equal to `seal` when nothing changed.' })
  recomputedSeal: string;

  @Field()
  ok: boolean;

  @Field(() => String, { nullable: true })
  problem: string | null;
}
