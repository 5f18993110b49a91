import { Module } from '@nestjs/common';
import { ActivitiesModule } from '../activities/activities.module';
import { CoursesModule } from '../courses/courses.module';
import { HonoursModule } from '../honours/honours.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { ShopModule } from '../shop/shop.module';
import { PublicStatementController } from './public-statement.controller';
import { PublicStatementService } from './public-statement.service';

/** The public statements (HTTP, no login); the API's only, not the worker's, which also imports SettlementModule. */
@Module({
  imports: [LedgerModule, OrganisationModule, ActivitiesModule, CoursesModule, HonoursModule, ShopModule],
  controllers: [PublicStatementController],
  providers: [PublicStatementService],
})
export class PublicStatementModule {}
