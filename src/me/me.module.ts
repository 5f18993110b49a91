import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { MeResolver } from './me.resolver';

@Module({ imports: [LedgerModule], providers: [MeResolver] })
export class MeModule {}
