import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { uuidArg } from '../common/graphql/uuid.arg';
import { PageArgs } from '../common/pagination/connection';
import {
  CancelShopRedemptionInput,
  ConfirmPickupInput,
  CreateShopItemInput,
  RecordStockReceiptInput,
  RedeemShopItemInput,
  ShopItemsArgs,
  ShopRedemptionsArgs,
  UpdateShopInput,
  UpdateShopItemInput,
} from './dto/shop.inputs';
import { ShopItemConnection, ShopRedemptionConnection, ShopStockReceiptConnection } from './dto/shop.models';
import { Shop, ShopItem, ShopRedemption, ShopStockReceipt } from './shop.entity';
import { ShopService } from './shop.service';

@Resolver()
export class ShopResolver {
  constructor(private readonly service: ShopService) {}

  @Query(() => Shop, { description: "A branch's points shop: pickup days, hours and place (the township's people)." })
  shop(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string) {
    return this.service.shop(actor, branchId);
  }

  @Query(() => ShopItemConnection, { description: "A branch's catalogue, by name." })
  shopItems(@CurrentPrincipal() actor: Principal, @Args() args: ShopItemsArgs, @Args() page: PageArgs) {
    return this.service.items(actor, args, page);
  }

  @Query(() => ShopItem)
  shopItem(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.service.item(actor, id);
  }

  @Query(() => ShopStockReceiptConnection, { description: "A branch's stock received (donations and purchases), newest first (its managers)." })
  shopStockReceipts(@CurrentPrincipal() actor: Principal, @Args('branchId', { type: () => ID }, uuidArg) branchId: string, @Args() page: PageArgs) {
    return this.service.receipts(actor, branchId, page);
  }

  @Query(() => ShopRedemptionConnection, { description: "The caller's redemptions with their pickup codes, newest first (residents)." })
  myShopRedemptions(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.service.myRedemptions(actor, page);
  }

  @Query(() => ShopRedemptionConnection, { description: "A branch's redemptions, newest first (its shopkeepers and managers)." })
  shopRedemptions(@CurrentPrincipal() actor: Principal, @Args() args: ShopRedemptionsArgs, @Args() page: PageArgs) {
    return this.service.branchRedemptions(actor, args, page);
  }

  @Query(() => ShopRedemption, { description: 'The redemption a pickup code is for, before confirming it (the shop\'s keepers).' })
  shopRedemptionByCode(@CurrentPrincipal() actor: Principal, @Args('input') input: ConfirmPickupInput) {
    return this.service.redemptionByCode(actor, input);
  }

  @Mutation(() => Shop, { description: "Sets the branch's pickup days, hours, place and pickup period (its managers)." })
  updateShop(@CurrentPrincipal() actor: Principal, @Args('input') input: UpdateShopInput) {
    return this.service.updateShop(actor, input);
  }

  @Mutation(() => ShopItem, { description: 'A new item of the catalogue, with no stock yet (its managers).' })
  createShopItem(@CurrentPrincipal() actor: Principal, @Args('input') input: CreateShopItemInput) {
    return this.service.createItem(actor, input);
  }

  @Mutation(() => ShopItem, { description: 'Edits an item or takes it off the shelf (its managers).' })
  updateShopItem(@CurrentPrincipal() actor: Principal, @Args('input') input: UpdateShopItemInput) {
    return this.service.updateItem(actor, input);
  }

  @Mutation(() => ShopStockReceipt, { description: 'Records stock received, donated (with its donor) or bought; the stock rises by it (its managers).' })
  recordStockReceipt(@CurrentPrincipal() actor: Principal, @Args('input') input: RecordStockReceiptInput) {
    return this.service.recordReceipt(actor, input);
  }

  @Mutation(() => ShopRedemption, { description: 'Redeems an item of the caller\'s village shop: the stock and the points, atomically; answers with the pickup code.' })
  redeemShopItem(@CurrentPrincipal() actor: Principal, @Args('input') input: RedeemShopItemInput) {
    return this.service.redeem(actor, input);
  }

  @Mutation(() => ShopRedemption, { description: 'Confirms a pickup by its code (核销), once (the shop\'s keepers and managers).' })
  confirmShopPickup(@CurrentPrincipal() actor: Principal, @Args('input') input: ConfirmPickupInput) {
    return this.service.confirmPickup(actor, input);
  }

  @Mutation(() => ShopRedemption, {
    description: 'Cancels a redemption not yet picked up, refunding the points by reversal and returning the stock: the resident any time, the branch after the pickup deadline.',
  })
  cancelShopRedemption(@CurrentPrincipal() actor: Principal, @Args('input') input: CancelShopRedemptionInput) {
    return this.service.cancel(actor, input);
  }
}
