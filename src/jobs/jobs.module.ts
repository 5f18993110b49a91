import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobQueues } from './job-queues';
import { QueueConnection } from './queue-connection';

/** The queue connection and producers, available everywhere (inject JobQueues). */
@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: JobsModule,
      providers: [{ provide: QueueConnection, useValue: QueueConnection.fromConfig(config, databaseUrl) }, JobQueues],
      exports: [QueueConnection, JobQueues],
    };
  }
}
