import { ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { Branch } from '../branch.entity';

@ObjectType()
export class BranchConnection extends Connection(Branch) {}
