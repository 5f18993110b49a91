import { Module } from '@nestjs/common';
import { HonoursModule } from '../honours/honours.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { SettlementProcessor } from './settlement.processor';
import { SettlementResolver } from './settlement.resolver';
import { SettlementService } from './settlement.service';

@Module({
  imports: [LedgerModule, OrganisationModule, HonoursModule],
  providers: [SettlementService, SettlementResolver, SettlementProcessor],
  exports: [SettlementService],
})
export class SettlementModule {}
