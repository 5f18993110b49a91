import { DynamicModule, Module } from '@nestjs/common';
import { ActivitiesModule } from './activities/activities.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ClockModule } from './common/time/clock';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { CoursesModule } from './courses/courses.module';
import { DeedsModule } from './deeds/deeds.module';
import { DatabaseModule } from './database/database.module';
import { JobsModule } from './jobs/jobs.module';
import { LedgerModule } from './ledger/ledger.module';
import { OrganisationModule } from './organisation/organisation.module';
import { ShopModule } from './shop/shop.module';
import { ThemesModule } from './themes/themes.module';

/** What the command-line tasks need: the domain services without the HTTP server. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: CliModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, 4, 'civilization-bank-cli'),
        ClockModule,
        JobsModule.forRoot(config, databaseUrl),
        AuditModule,
        AuthModule,
        LedgerModule,
        OrganisationModule,
        ThemesModule,
        ActivitiesModule,
        CoursesModule,
        DeedsModule,
        ShopModule,
      ],
    };
  }
}
