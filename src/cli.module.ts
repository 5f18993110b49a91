import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { LedgerModule } from './ledger/ledger.module';
import { OrganisationModule } from './organisation/organisation.module';

/** What the command-line tasks need: the domain services without the HTTP server. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: CliModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, 4, 'civilization-bank-cli'),
        AuditModule,
        LedgerModule,
        OrganisationModule,
      ],
    };
  }
}
