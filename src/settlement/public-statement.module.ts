import { Module } from '@nestjs/common';
import { HonoursModule } from '../honours/honours.module';
import { LedgerModule } from '../ledger/ledger.module';
import { PublicStatementController } from './public-statement.controller';
import { PublicStatementService } from './public-statement.service';

/** The public statements (HTTP, no login); the API's only, not the worker's, which also imports SettlementModule. */
@Module({
  imports: [LedgerModule, HonoursModule],
  controllers: [PublicStatementController],
  providers: [PublicStatementService],
})
export class PublicStatementModule {}
