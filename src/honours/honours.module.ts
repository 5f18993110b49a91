import { Module } from '@nestjs/common';
import { ServiceHoursRepositoryModule } from '../activities/service-hours-repository.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { HonoursRepository } from './honours.repository';
import { HonoursResolver } from './honours.resolver';
import { HonoursService } from './honours.service';

/** 文明之星 and star levels (by points, or by service hours read from the activities' records): recorded at settlement (SettlementService calls recordMonth), read by residents, managers and admins. */
@Module({
  imports: [LedgerModule, OrganisationModule, ServiceHoursRepositoryModule],
  providers: [HonoursService, HonoursRepository, HonoursResolver],
  exports: [HonoursService],
})
export class HonoursModule {}
