import { Field, ID, ObjectType } from '@nestjs/graphql';
import { RoleGrant } from '../organisation/dto/organisation.models';

@ObjectType({ description: 'Where a resident is registered.' })
export class ResidentMembership {
  @Field(() => ID)
  residentId: string;

  @Field(() => ID)
  townshipId: string;

  @Field()
  townshipName: string;

  @Field(() => ID)
  branchId: string;

  @Field()
  branchName: string;
}

@ObjectType({ description: 'The signed-in person.' })
export class Me {
  @Field(() => ID)
  personId: string;

  @Field()
  name: string;

  @Field()
  mobile: string;

  @Field(() => ResidentMembership, { nullable: true, description: 'Null for staff who are not registered residents.' })
  resident: ResidentMembership | null;

  @Field(() => [RoleGrant])
  roles: RoleGrant[];
}
