import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { Role } from '../role-assignment.entity';

@ObjectType({ description: 'A person as a branch sees them: a registered resident with their balance.' })
export class ResidentSummary {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  personId: string;

  @Field(() => ID)
  branchId: string;

  @Field(() => ID, { description: "The resident's points account: what postAdjustment takes." })
  accountId: string;

  @Field()
  name: string;

  @Field()
  mobile: string;

  @Field(() => Int)
  balance: number;

  @Field()
  registeredAt: Date;
}

@ObjectType()
export class ResidentSummaryConnection extends Connection(ResidentSummary) {}

@ObjectType()
export class RoleGrant {
  @Field(() => Role)
  role: Role;

  @Field(() => ID)
  townshipId: string;

  @Field(() => ID, { nullable: true })
  branchId: string | null;
}

@ObjectType({ description: 'A person holding a role (manager or admin).' })
export class Staff {
  @Field(() => ID)
  personId: string;

  @Field()
  name: string;

  @Field()
  mobile: string;

  @Field(() => Role)
  role: Role;
}
