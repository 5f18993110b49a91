import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { MeResolver, PassbookMonthResolver } from './me.resolver';

@Module({ imports: [LedgerModule], providers: [MeResolver, PassbookMonthResolver] })
export class MeModule {}
