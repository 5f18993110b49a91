import { ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { ShopItem, ShopRedemption, ShopStockReceipt } from '../shop.entity';

@ObjectType()
export class ShopItemConnection extends Connection(ShopItem) {}

@ObjectType()
export class ShopRedemptionConnection extends Connection(ShopRedemption) {}

@ObjectType()
export class ShopStockReceiptConnection extends Connection(ShopStockReceipt) {}
