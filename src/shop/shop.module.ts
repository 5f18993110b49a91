import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { Shop, ShopItem, ShopRedemption, ShopStockReceipt } from './shop.entity';
import { ShopRepository } from './shop.repository';
import { ShopResolver } from './shop.resolver';
import { ShopService } from './shop.service';

/** The points shop (积分超市): catalogue, stock received, redemptions and pickups. */
@Module({
  imports: [TypeOrmModule.forFeature([Shop, ShopItem, ShopStockReceipt, ShopRedemption]), LedgerModule, OrganisationModule],
  providers: [ShopRepository, ShopService, ShopResolver],
  exports: [ShopRepository, ShopService],
})
export class ShopModule {}
