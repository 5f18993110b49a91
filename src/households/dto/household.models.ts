import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';

@ObjectType('HouseholdMember', { description: '家庭成员：本户的登记居民' })
export class HouseholdMemberModel {
  @Field(() => ID)
  residentId: string;

  @Field()
  name: string;

  @Field({ description: '户主' })
  isHead: boolean;

  @Field(() => Int, { description: 'Current points balance (shown to the household and its branch managers).' })
  balance: number;

  @Field()
  joinedAt: Date;
}

@ObjectType('HouseholdDependent', { description: '家属：没有账户的家庭成员（孩子、没有手机的老人）' })
export class HouseholdDependentModel {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => Int)
  birthYear: number;

  @Field()
  addedAt: Date;
}

@ObjectType('Household', { description: '家庭（户）' })
export class HouseholdModel {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  townshipId: string;

  @Field(() => ID)
  branchId: string;

  @Field(() => ID)
  headResidentId: string;

  @Field(() => [HouseholdMemberModel], { description: 'The head first, then by when they joined.' })
  members: HouseholdMemberModel[];

  @Field(() => [HouseholdDependentModel])
  dependents: HouseholdDependentModel[];

  @Field()
  createdAt: Date;
}

@ObjectType()
export class HouseholdConnection extends Connection(HouseholdModel, 'Household') {}
