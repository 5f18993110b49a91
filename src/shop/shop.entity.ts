import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum RedemptionStatus {
  /** Charged; the goods wait at the shop for the pickup code. */
  RESERVED = 'RESERVED',
  /** Handed over: a shopkeeper confirmed the code (核销). */
  PICKED_UP = 'PICKED_UP',
  /** Cancelled before pickup: the charge reversed, the stock returned. */
  CANCELLED = 'CANCELLED',
}
registerEnumType(RedemptionStatus, { name: 'RedemptionStatus' });

export enum StockSource {
  DONATION = 'DONATION',
  PURCHASE = 'PURCHASE',
}
registerEnumType(StockSource, { name: 'StockSource' });

export enum DonorKind {
  PERSON = 'PERSON',
  ORGANISATION = 'ORGANISATION',
}
registerEnumType(DonorKind, { name: 'DonorKind', description: 'A person (named masked in public) or an organisation such as a local firm (named in full).' });

/** When and where a branch's points shop hands goods out, and how long a redemption waits for pickup. */
@ObjectType({ description: '积分超市（每个村、社区一个）' })
@Entity('shop')
export class Shop {
  @Field(() => ID)
  @PrimaryColumn('uuid', { name: 'branch_id' })
  branchId: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => [Int], { description: 'Pickup days of the week, 1 = Monday … 7 = Sunday (Asia/Shanghai).' })
  @Column({ name: 'pickup_weekdays', type: 'smallint', array: true })
  pickupWeekdays: number[];

  @Field(() => String, { nullable: true, description: 'Opening time on pickup days, HH:MM (Asia/Shanghai).' })
  @Column({ name: 'opens_at', type: 'text', nullable: true })
  opensAt: string | null;

  @Field(() => String, { nullable: true, description: 'Closing time on pickup days, HH:MM (Asia/Shanghai).' })
  @Column({ name: 'closes_at', type: 'text', nullable: true })
  closesAt: string | null;

  @Field()
  @Column()
  place: string;

  @Field()
  @Column()
  note: string;

  @Field(() => Int, { description: 'Days a redemption waits for pickup; after that its managers may cancel and refund it.' })
  @Column({ name: 'pickup_days', type: 'int' })
  pickupDays: number;

  @Field(() => Date, {
    nullable: true,
    description: 'Start of the pickup window open now, or else of the next one (null while the shop has no pickup days). Pickups are confirmed inside a window only.',
  })
  nextPickupOpensAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of that window.' })
  nextPickupClosesAt?: Date | null;
}

@ObjectType({ description: '积分超市商品' })
@Entity('shop_item')
export class ShopItem {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field()
  @Column()
  name: string;

  @Field()
  @Column()
  description: string;

  @Field({ description: 'e.g. 袋, 桶, 瓶.' })
  @Column()
  unit: string;

  @Field(() => Int, { description: 'Points per unit.' })
  @Column({ name: 'price_points', type: 'int' })
  pricePoints: number;

  @Field(() => Int, { description: 'Units on the shelf now (reserved units already taken off).' })
  @Column({ type: 'int' })
  stock: number;

  @Field({ description: 'Shown to residents and redeemable.' })
  @Column()
  active: boolean;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Stock received: a donation (with its donor and point value) or a purchase. Append-only. */
@ObjectType({ description: '入库记录（捐赠或采购）' })
@Entity('shop_stock_receipt')
export class ShopStockReceipt {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field(() => ID)
  @Column({ name: 'item_id' })
  itemId: string;

  @Field()
  itemName: string;

  @Field(() => StockSource)
  @Column({ type: 'text' })
  source: StockSource;

  @Field(() => DonorKind, { nullable: true })
  @Column({ name: 'donor_kind', type: 'text', nullable: true })
  donorKind: DonorKind | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'donor_name', type: 'text', nullable: true })
  donorName: string | null;

  @Field(() => Int)
  @Column({ type: 'int' })
  quantity: number;

  @Field(() => Int, { description: 'Point value of one unit.' })
  @Column({ name: 'unit_points', type: 'int' })
  unitPoints: number;

  @Field()
  @Column()
  note: string;

  @Field()
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}

/** A resident's redemption of goods: one SPEND entry, a pickup code, picked up once or cancelled (refunded by reversal). */
@ObjectType({ description: '积分兑换' })
@Entity('shop_redemption')
export class ShopRedemption {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field(() => ID)
  @Column({ name: 'item_id' })
  itemId: string;

  @Field()
  itemName: string;

  @Field()
  itemUnit: string;

  @Field(() => ID)
  @Column({ name: 'resident_id' })
  residentId: string;

  @Field(() => String, { nullable: true, description: "The resident's name (for the shop's keepers and managers, and the resident)." })
  residentName: string | null;

  @Field(() => Int)
  @Column({ type: 'int' })
  quantity: number;

  @Field(() => Int)
  @Column({ name: 'unit_points', type: 'int' })
  unitPoints: number;

  @Field(() => Int, { description: 'Points charged.' })
  totalPoints: number;

  @Field({ description: 'The pickup code, 8 characters without look-alikes (no 0/O, 1/I/L); shown as XXXX-XXXX.' })
  @Column()
  code: string;

  @Field(() => RedemptionStatus)
  @Column({ type: 'text' })
  status: RedemptionStatus;

  @Field(() => ID)
  @Column({ name: 'charge_entry_id', type: 'bigint' })
  chargeEntryId: string;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'refund_entry_id', type: 'bigint', nullable: true })
  refundEntryId: string | null;

  @Field()
  @Column({ name: 'redeemed_at', type: 'timestamptz' })
  redeemedAt: Date;

  @Field({ description: 'After this instant, an unclaimed redemption may be cancelled and refunded by the branch.' })
  @Column({ name: 'pickup_deadline', type: 'timestamptz' })
  pickupDeadline: Date;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'picked_up_at', type: 'timestamptz', nullable: true })
  pickedUpAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;
}
