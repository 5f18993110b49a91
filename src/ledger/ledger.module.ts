import { Module } from '@nestjs/common';
import { OrganisationRepositoryModule } from '../organisation/organisation-repository.module';
import { LedgerAdminService } from './ledger-admin.service';
import { LedgerPassbookService } from './ledger-passbook.service';
import { LedgerReadsRepository } from './ledger-reads.repository';
import { LedgerSealRepository } from './ledger-seal.repository';
import { LedgerSealService } from './ledger-seal.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerResolver } from './ledger.resolver';
import { LedgerService } from './ledger.service';

@Module({
  imports: [OrganisationRepositoryModule],
  providers: [LedgerService, LedgerRepository, LedgerReadsRepository, LedgerSealRepository, LedgerSealService, LedgerPassbookService, LedgerAdminService, LedgerResolver],
  exports: [LedgerService, LedgerReadsRepository, LedgerSealService, LedgerPassbookService, LedgerAdminService],
})
export class LedgerModule {}
