import { Module } from '@nestjs/common';
import { LedgerAdminService } from './ledger-admin.service';
import { LedgerSealService } from './ledger-seal.service';
import { LedgerResolver } from './ledger.resolver';
import { LedgerService } from './ledger.service';

@Module({
  providers: [LedgerService, LedgerSealService, LedgerAdminService, LedgerResolver],
  exports: [LedgerService, LedgerSealService, LedgerAdminService],
})
export class LedgerModule {}
