import { Module } from '@nestjs/common';
import { LedgerAdminService } from './ledger-admin.service';
import { LedgerResolver } from './ledger.resolver';
import { LedgerService } from './ledger.service';

@Module({
  providers: [LedgerService, LedgerAdminService, LedgerResolver],
  exports: [LedgerService, LedgerAdminService],
})
export class LedgerModule {}
