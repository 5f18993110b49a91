import { Module } from '@nestjs/common';
import { SettlementModule } from '../settlement/settlement.module';
import { SettlementProcessor } from '../settlement/settlement.processor';
import { ThemePublicationProcessor } from '../themes/theme-publication.processor';
import { ThemesModule } from '../themes/themes.module';
import { JOB_HANDLERS } from './job-handler';
import { JobWorkers } from './job-workers';

/** The workers of every queue; imported by the API when WORKERS_IN_PROCESS, and by the worker process. */
@Module({
  imports: [ThemesModule, SettlementModule],
  providers: [
    {
      provide: JOB_HANDLERS,
      useFactory: (themes: ThemePublicationProcessor, settlement: SettlementProcessor) => [themes, settlement],
      inject: [ThemePublicationProcessor, SettlementProcessor],
    },
    JobWorkers,
  ],
})
export class JobWorkersModule {}
