import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ActivitiesModule } from './activities/activities.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CertificatesModule } from './certificates/certificates.module';
import { PassthroughExceptionFilter } from './common/graphql/passthrough-exception.filter';
import { createValidationPipe } from './common/graphql/validation';
import { ClockModule } from './common/time/clock';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { CoursesModule } from './courses/courses.module';
import { ShopModule } from './shop/shop.module';
import { DeedPhotosModule } from './deeds/deed-photos.module';
import { DeedsModule } from './deeds/deeds.module';
import { DatabaseModule } from './database/database.module';
import { graphqlOptions } from './graphql/graphql.options';
import { HealthModule } from './health/health.module';
import { HonoursModule } from './honours/honours.module';
import { HouseholdsModule } from './households/households.module';
import { JobWorkersModule } from './jobs/job-workers.module';
import { JobsModule } from './jobs/jobs.module';
import { LedgerModule } from './ledger/ledger.module';
import { HttpDrain } from './lifecycle/http-drain';
import { MeModule } from './me/me.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ObservabilityModule } from './observability/observability.module';
import { OrganisationModule } from './organisation/organisation.module';
import { PolicyModule } from './policy/policy.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { PublicStatementModule } from './settlement/public-statement.module';
import { SettlementModule } from './settlement/settlement.module';
import { ThemesModule } from './themes/themes.module';

export interface AppOptions {
  config: AppConfig;
  /** The resolved database URL (DATABASE_URL, or the embedded PostgreSQL's). */
  databaseUrl: string;
}

/** The API: GraphQL over HTTP, with the domain modules. */
@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        ObservabilityModule,
        DatabaseModule.forRoot(databaseUrl, config.DATABASE_POOL_SIZE, 'civilization-bank-api'),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, ...graphqlOptions(config) }),
        AuditModule,
        AuthModule,
        RateLimitModule.forRoot(config),
        HealthModule,
        LedgerModule,
        OrganisationModule,
        MeModule,
        ClockModule,
        ActivitiesModule,
        CoursesModule,
        HouseholdsModule,
        ShopModule,
        JobsModule.forRoot(config, databaseUrl),
        ThemesModule,
        SettlementModule,
        HonoursModule,
        PublicStatementModule,
        NotificationsModule,
        DeedsModule,
        DeedPhotosModule,
        PolicyModule,
        CertificatesModule,
        // Production runs the workers in their own process (`npm run start:worker`).
        ...(config.WORKERS_IN_PROCESS ? [JobWorkersModule] : []),
      ],
      providers: [
        HttpDrain,
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: PassthroughExceptionFilter },
      ],
    };
  }
}
