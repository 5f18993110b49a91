import { Field, ID, InputType } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { IsEnum, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsMainlandMobile, PrintableText, trim } from '../../common/graphql/text.validators';
import { BranchKind } from '../branch.entity';


@InputType()
export class CreateBranchInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;

  @Field({ description: '村/社区名称, 1-50 characters.' })
  @Transform(trim)
  @IsString()
  @Length(1, 50)
  @PrintableText()
  name: string;

  @Field(() => BranchKind, { defaultValue: BranchKind.VILLAGE })
  @IsEnum(BranchKind)
  kind: BranchKind = BranchKind.VILLAGE;
}

@InputType()
export class CreateServiceTeamInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field({ description: 'e.g. 治安巡逻队, 1-50 characters.' })
  @Transform(trim)
  @IsString()
  @Length(1, 50)
  @PrintableText()
  name: string;
}

/** A person identified by mobile number; created if new, reused if already known. */
@InputType()
export class PersonInput {
  @Field({ description: '姓名, 1-30 characters.' })
  @Transform(trim)
  @IsString()
  @Length(1, 30)
  @PrintableText()
  name: string;

  @Field({ description: 'Mainland China mobile number, 11 digits.' })
  @Transform(trim)
  @IsMainlandMobile()
  mobile: string;
}

@InputType()
export class AppointBranchManagerInput extends PersonInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;
}

/** A shopkeeper (SHOPKEEPER) of the branch's points shop, appointed by its managers or the township's admins. */
@InputType()
export class AppointShopkeeperInput extends PersonInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;
}

@InputType()
export class AppointTownshipAdminInput extends PersonInput {
  @Field(() => ID)
  @IsUUID()
  townshipId: string;
}

@InputType()
export class RevokeRoleInput {
  @Field(() => ID, { description: 'The township (for admins) or branch (for managers) the role is held in.' })
  @IsUUID()
  scopeId: string;

  @Field(() => ID)
  @IsUUID()
  personId: string;
}

@InputType()
export class RegisterResidentInput extends PersonInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;
}

@InputType()
export class ResidentSearchInput {
  @Field({ nullable: true, description: 'Part of a name, or the start of a mobile number.' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 30)
  @PrintableText()
  text?: string;
}
