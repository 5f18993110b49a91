import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { ClockModule } from './common/time/clock';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { DeedsModule } from './deeds/deeds.module';
import { JobWorkersModule } from './jobs/job-workers.module';
import { JobsModule } from './jobs/jobs.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { PolicyModule } from './policy/policy.module';
import { SettlementModule } from './settlement/settlement.module';
import { ThemesModule } from './themes/themes.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ActivityRemindersModule } from './activities/activity-reminders.module';

/** The worker process: the job workers of the themes, settlement, good-deed, points expiry, notifications and activity-reminder features and what they need, plus health and metrics; no GraphQL API. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        ObservabilityModule,
        DatabaseModule.forRoot(databaseUrl, Math.max(4, config.WORKER_CONCURRENCY * 2 + 2), 'civilization-bank-worker'),
        AuditModule,
        JobsModule.forRoot(config, databaseUrl),
        // The features whose jobs this process runs (their @JobProcessor handlers).
        ThemesModule,
        SettlementModule,
        ClockModule,
        DeedsModule,
        PolicyModule,
        NotificationsModule,
        ActivityRemindersModule,
        JobWorkersModule,
        HealthModule,
      ],
    };
  }
}
