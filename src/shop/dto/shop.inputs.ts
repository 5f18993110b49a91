import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsBoolean, IsEnum, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { LineText, MultilineText } from '../../common/graphql/text.validators';
import { DonorKind, RedemptionStatus, StockSource } from '../shop.entity';

export const MAX_PRICE_POINTS = 10_000;
export const MAX_RECEIPT_QUANTITY = 10_000;
export const MAX_REDEEM_QUANTITY = 10;
const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

@InputType({ description: "The branch's shop: pickup days and hours, place, and how long redemptions wait." })
export class UpdateShopInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field(() => [Int], { description: 'Pickup days, 1 = Monday … 7 = Sunday; at least one.' })
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  @ArrayUnique()
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  pickupWeekdays: number[];

  @Field(() => String, { nullable: true, description: 'HH:MM.' })
  @IsOptional()
  @IsString()
  @Matches(HH_MM, { message: '开门时间应为 HH:MM' })
  opensAt?: string | null;

  @Field(() => String, { nullable: true, description: 'HH:MM, later than opensAt.' })
  @IsOptional()
  @IsString()
  @Matches(HH_MM, { message: '关门时间应为 HH:MM' })
  closesAt?: string | null;

  @LineText(100, { description: 'Where goods are picked up, 1-100 characters.' })
  place: string;

  @MultilineText(500, { defaultValue: '', description: 'Up to 500 characters.' })
  note: string = '';

  @Field(() => Int, { defaultValue: 14, description: 'Days a redemption waits for pickup, 1-90.' })
  @IsInt()
  @Min(1)
  @Max(90)
  pickupDays: number = 14;
}

@InputType()
export class CreateShopItemInput {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @LineText(50, { description: 'e.g. 东北大米 5kg, 1-50 characters; unique in the branch.' })
  name: string;

  @MultilineText(500, { defaultValue: '', description: 'Up to 500 characters.' })
  description: string = '';

  @LineText(10, { defaultValue: '件', description: 'e.g. 袋, 桶, 瓶; 1-10 characters.' })
  unit: string = '件';

  @Field(() => Int, { description: `Points per unit, 1-${MAX_PRICE_POINTS}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_PRICE_POINTS)
  pricePoints: number;
}

/** Only the fields given change. Stock changes only by receipts, redemptions and cancellations. */
@InputType()
export class UpdateShopItemInput {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @LineText(50, { nullable: true })
  name?: string;

  @MultilineText(500, { nullable: true })
  description?: string;

  @LineText(10, { nullable: true })
  unit?: string;

  @Field(() => Int, { nullable: true, description: 'Applies to later redemptions; refunds return what was paid.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PRICE_POINTS)
  pricePoints?: number;

  @Field({ nullable: true, description: 'false takes it off the shelf (open redemptions stay valid).' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

@InputType({ description: 'Stock received: a donation, with its donor, or a purchase.' })
export class RecordStockReceiptInput {
  @Field(() => ID)
  @IsUUID()
  itemId: string;

  @Field(() => StockSource)
  @IsEnum(StockSource)
  source: StockSource;

  @Field(() => DonorKind, { nullable: true, description: 'Required for a donation, absent for a purchase.' })
  @ValidateIf((o) => o.source === StockSource.DONATION || o.donorKind != null)
  @IsEnum(DonorKind)
  donorKind?: DonorKind | null;

  @LineText(100, { nullable: true, description: 'The donor (a person or a firm), 1-100 characters; required for a donation.' })
  donorName?: string;

  @Field(() => Int, { description: `Units received, 1-${MAX_RECEIPT_QUANTITY}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_RECEIPT_QUANTITY)
  quantity: number;

  @Field(() => Int, { nullable: true, description: "Point value of one unit, 0-10000; defaults to the item's price." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_POINTS)
  unitPoints?: number | null;

  @MultilineText(200, { defaultValue: '', description: 'Up to 200 characters.' })
  note: string = '';
}

@InputType()
export class RedeemShopItemInput {
  @Field(() => ID)
  @IsUUID()
  itemId: string;

  @Field(() => Int, { defaultValue: 1, description: `Units, 1-${MAX_REDEEM_QUANTITY}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_REDEEM_QUANTITY)
  quantity: number = 1;
}

@InputType()
export class CancelShopRedemptionInput {
  @Field(() => ID)
  @IsUUID()
  id: string;

  @LineText(200, { nullable: true, description: 'Why, 1-200 characters (shown to the resident).' })
  reason?: string;
}

@InputType()
export class ConfirmPickupInput {
  @Field(() => ID, { description: 'The shop (branch) the goods are handed out at.' })
  @IsUUID()
  branchId: string;

  @Field({ description: 'The code the resident shows (XXXX-XXXX; case, spaces and the dash do not matter).' })
  @IsString()
  @MaxLength(20)
  code: string;
}

@ArgsType()
export class ShopItemsArgs {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field({ defaultValue: false, description: 'Include items taken off the shelf (the branch\'s managers and shopkeepers).' })
  @IsBoolean()
  includeInactive: boolean = false;
}

@ArgsType()
export class ShopRedemptionsArgs {
  @Field(() => ID)
  @IsUUID()
  branchId: string;

  @Field(() => RedemptionStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RedemptionStatus)
  status?: RedemptionStatus;

  @Field({ nullable: true, description: 'Only those still waiting whose pickup deadline has passed: the ones the branch\'s managers may cancel.' })
  @IsOptional()
  @IsBoolean()
  overdue?: boolean;
}
